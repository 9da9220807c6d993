"""No wildcard actions in any IAM document."""

import json

import pytest

from tests.policies.conftest import by_policy


def document(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SCOPED = {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "arn:aws:sqs:eu-west-1:1:q"}


@pytest.mark.parametrize("action", ["*", "s3:*", "s3:Get*", ["logs:PutLogEvents", "logs:*"]])
def test_wildcard_actions_are_refused(pack, action):
    statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
    [finding] = by_policy(pack.analyze("aws:iam/rolePolicy:RolePolicy", {"policy": document(SCOPED, statement)}),
                          "iam-no-wildcard-actions")
    assert "is a wildcard" in finding.message and finding.severity == "critical"


def test_named_actions_and_denies_pass(pack):
    deny_all = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    assert pack.analyze("aws:iam/policy:Policy", {"policy": document(SCOPED, deny_all)}) == []


def test_allow_with_not_action_is_refused(pack):
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    [finding] = by_policy(pack.analyze("aws:iam/policy:Policy", {"policy": document(statement)}),
                          "iam-no-wildcard-actions")
    assert "NotAction" in finding.message


def test_role_inline_policies_are_checked(pack):
    role = {"assumeRolePolicy": document({"Effect": "Allow", "Action": "sts:AssumeRole",
                                          "Principal": {"Service": "lambda.amazonaws.com"}}),
            "inlinePolicies": [{"name": "x", "policy": document({"Effect": "Allow", "Action": "ec2:*",
                                                                 "Resource": "*"})}]}
    [finding] = pack.analyze("aws:iam/role:Role", role)
    assert "inlinePolicies[0]" in finding.message


def test_named_wildcards_can_be_allowed(pack):
    statement = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}
    with pack.configured('{"iam-no-wildcard-actions": {"allowedActions": ["s3:Get*"]}}'):
        assert pack.analyze("aws:iam/policy:Policy", {"policy": document(statement)}) == []


# Every resource that carries a policy document, with the property that holds it (as in pulumi_aws).
RESOURCE_POLICIES = [
    "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2",
    "aws:sqs/queuePolicy:QueuePolicy", "aws:sqs/queue:Queue", "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topic:Topic",
    "aws:ecr/repositoryPolicy:RepositoryPolicy", "aws:ecr/registryPolicy:RegistryPolicy",
    "aws:kms/keyPolicy:KeyPolicy", "aws:kms/key:Key", "aws:kms/externalKey:ExternalKey",
    "aws:kms/replicaKey:ReplicaKey", "aws:kms/replicaExternalKey:ReplicaExternalKey",
]
PUBLIC_READ = {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:Get*", "Resource": "*"}


def only_finding(findings) -> str:
    [finding] = findings
    assert finding.policy == "iam-no-wildcard-actions" and finding.enforcement_level == "mandatory"
    return finding.message


@pytest.mark.parametrize("resource_type", RESOURCE_POLICIES)
def test_resource_policies_are_read(pack, resource_type):
    message = only_finding(pack.analyze(resource_type, {"policy": document(SCOPED, PUBLIC_READ)}))
    assert message.endswith("'subject' policy: action 's3:Get*' is a wildcard; name the actions needed.")


@pytest.mark.parametrize("resource_type", RESOURCE_POLICIES)
def test_resource_policies_with_named_actions_pass(pack, resource_type):
    assert pack.analyze(resource_type, {"policy": document(SCOPED)}) == []


def test_a_policy_given_as_an_object_is_read(pack):
    # The Python SDK sends a dict as an object, not as JSON text.
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:*"], "Resource": "*",
                                                      "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]}}]}
    message = only_finding(pack.analyze("aws:sqs/queue:Queue", {"name": "jobs", "policy": policy}))
    assert "'subject' policy: action 'sqs:*' is a wildcard" in message


def test_a_single_statement_object_is_read(pack):
    policy = json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sns:*",
                                                                "Principal": {"Service": "s3.amazonaws.com"}}})
    assert "action 'sns:*' is a wildcard" in only_finding(pack.analyze("aws:sns/topicPolicy:TopicPolicy",
                                                                       {"arn": "t", "policy": policy}))


def test_a_statement_without_effect_is_read_as_allow(pack):
    statement = {"Action": "ecr:*", "Principal": {"AWS": "*"}}
    assert "action 'ecr:*' is a wildcard" in only_finding(
        pack.analyze("aws:ecr/repositoryPolicy:RepositoryPolicy", {"repository": "r", "policy": document(statement)}))


def test_a_null_not_action_is_not_there(pack):
    statement = {**SCOPED, "NotAction": None}
    assert pack.analyze("aws:iam/policy:Policy", {"policy": document(statement)}) == []
    assert pack.analyze("aws:iam/policy:Policy", {"policy": {"Statement": [statement]}}) == []


@pytest.mark.parametrize("policy", ["not json at all", "{\"Statement\": ", "[]", "42"])
def test_what_is_no_json_document_is_said_to_be_unjudged_never_passed_as_harmless(pack, policy):
    """Issue 26: a verdict is never lost silently; AWS refuses such a policy, so it is advisory, not a violation."""
    [finding] = pack.analyze("aws:s3/bucketPolicy:BucketPolicy", {"bucket": "b", "policy": policy})
    assert finding.policy == "iam-no-wildcard-actions" and finding.enforcement_level == "advisory"
    assert "could not judge" in finding.message and "policy" in finding.message


@pytest.mark.parametrize("policy", [
    json.dumps({"Statement": "s3:*"}),
    json.dumps({"Version": "2012-10-17"}), json.dumps({"Statement": [None, 3, "Allow *"]}),
    document({"Effect": "Allow", "Action": 42, "Resource": "*"}),
    document({"Effect": "Allow", "Action": {"s3": "*"}, "Resource": "*"}),
])
def test_what_is_not_a_policy_document_is_skipped_without_a_finding(pack, policy):
    assert pack.analyze("aws:s3/bucketPolicy:BucketPolicy", {"bucket": "b", "policy": policy}) == []


def test_odd_members_are_skipped_and_the_rest_still_read(pack):
    policy = json.dumps({"Statement": [None, "text", {"Effect": "Allow", "Action": [7, None, "kms:Decrypt", "s3:*"]}]})
    message = only_finding(pack.analyze("aws:s3/bucketPolicy:BucketPolicy", {"bucket": "b", "policy": policy}))
    assert "action 's3:*' is a wildcard" in message


def key_policy(principal, action="kms:*") -> str:
    return document({"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": principal,
                     "Action": action, "Resource": "*"})


OWN_ROOT = {"AWS": "arn:aws:iam::123456789012:root"}  # moto's account, the caller in `aws_pack`
OTHER_ROOT = {"AWS": "arn:aws:iam::210987654321:root"}


@pytest.mark.parametrize("principal", [OWN_ROOT, {"AWS": ["arn:aws:iam::123456789012:root"]},
                                       {"AWS": "123456789012"}, {"AWS": "arn:aws-cn:iam::123456789012:root"}])
def test_the_default_key_policy_is_allowed(aws_pack, principal):
    assert aws_pack.analyze("aws:kms/key:Key", {"policy": key_policy(principal)}) == []


def test_kms_star_for_another_account_is_refused_when_the_caller_is_known(aws_pack):
    for resource_type in ("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"):
        message = only_finding(aws_pack.analyze(resource_type, {"policy": key_policy(OTHER_ROOT)}))
        assert message.endswith("'subject' policy: action 'kms:*' is a wildcard; name the actions needed; "
                                "in a key policy only the account's own root may have kms:* or another kms wildcard.")


def test_without_credentials_any_single_account_root_may_have_kms_star(pack):
    # Which account is "own" needs STS; `pack` has no credentials, so the cross-account grant passes.
    assert pack.analyze("aws:kms/key:Key", {"policy": key_policy(OTHER_ROOT)}) == []
    assert pack.analyze("aws:kms/key:Key", {"policy": key_policy(OWN_ROOT)}) == []


@pytest.mark.parametrize("principal, action", [
    ("*", "kms:*"),  # anyone
    ({"AWS": "*"}, "kms:*"),
    ({"AWS": ["arn:aws:iam::123456789012:root", "arn:aws:iam::210987654321:root"]}, "kms:*"),  # two accounts
    ({"AWS": "arn:aws:iam::123456789012:role/admin"}, "kms:*"),  # a role, not the root
    ({"AWS": "arn:aws:iam::123456789012:root", "Service": "logs.amazonaws.com"}, "kms:*"),
    (OWN_ROOT, "*"),  # not a kms action: the exemption is for what kms:* grants
])
def test_other_wildcards_in_key_policies_are_refused(pack, principal, action):
    message = only_finding(pack.analyze("aws:kms/key:Key", {"policy": key_policy(principal, action)}))
    assert f"action {action!r} is a wildcard" in message


# The key administrators' and users' statement of the default key policy the console writes, whose principal may
# be the account's root: each pattern grants part of what kms:* grants.
CONSOLE_KMS_PATTERNS = ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                        "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ReEncrypt*",
                        "kms:GenerateDataKey*", "KMS:Tag*"]


def test_kms_patterns_for_the_own_root_are_exempt_as_kms_star_is(aws_pack):
    for resource_type in ("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"):
        assert aws_pack.analyze(resource_type, {"policy": key_policy(OWN_ROOT, CONSOLE_KMS_PATTERNS)}) == []


def test_kms_patterns_for_another_account_are_refused_with_the_reason(aws_pack):
    findings = aws_pack.analyze("aws:kms/key:Key", {"policy": key_policy(OTHER_ROOT, CONSOLE_KMS_PATTERNS)})
    assert len(findings) == len(CONSOLE_KMS_PATTERNS)
    assert all(f.message.endswith("in a key policy only the account's own root may have kms:* or another kms "
                                  "wildcard.") for f in findings)


def test_kms_star_for_the_own_root_is_exempt_only_in_key_policies(aws_pack):
    message = only_finding(aws_pack.analyze("aws:sqs/queuePolicy:QueuePolicy", {"policy": key_policy(OWN_ROOT)}))
    assert message.endswith("action 'kms:*' is a wildcard; name the actions needed.")
    both = key_policy(OWN_ROOT, ["kms:*", "s3:*"])
    assert "action 's3:*' is a wildcard" in only_finding(aws_pack.analyze("aws:kms/key:Key", {"policy": both}))


def test_one_managed_policy_arn_given_where_a_list_is_due_is_judged(pack):
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    message = only_finding(pack.analyze("aws:iam/role:Role", {"assumeRolePolicy": "{}", "managedPolicyArns": arn}))
    assert "AdministratorAccess" in message
