"""AWS managed policies attached by ARN are judged by what their documents allow (the table that
`python -m commands.refresh_managed_policies` makes), as iam-no-wildcard-actions judges the documents it can see."""

import json
import re

import pytest
from pulumi.runtime import rpc

from commands.refresh_managed_policies import PACKAGE, render
from policies.rules.managed_policies import TABLE, TABLE_ARN_PREFIX
from tests.policies.conftest import by_policy

POLICY = "iam-no-wildcard-actions"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
S3_FULL = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
# Names its actions (logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents): no wildcard.
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ADMIN_MESSAGE = ("'subject' policyArn: the AWS managed policy AdministratorAccess allows 1 wildcard action ('*'); "
                 "attach a policy that names the actions needed.")


def messages(findings) -> list[str]:
    """What the rule reported, each under the policy's description as the engine shows it."""
    assert all(f.severity == "critical" and f.enforcement_level == "mandatory" for f in findings)
    return [f.message.split("\n", 1)[1] for f in by_policy(findings, POLICY)]


def test_a_role_with_administrator_access_attached_is_refused(pack):
    findings = pack.analyze(ROLE_ATTACHMENT, {"role": "app", "policyArn": ADMIN})
    assert messages(findings) == [ADMIN_MESSAGE] and len(findings) == 1


# Every resource that attaches managed policies by ARN, as pulumi_aws names the properties.
ATTACHMENTS = [
    (ROLE_ATTACHMENT, {"role": "app", "policyArn": ADMIN}, "policyArn"),
    ("aws:iam/userPolicyAttachment:UserPolicyAttachment", {"user": "ci", "policyArn": ADMIN}, "policyArn"),
    ("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", {"group": "ops", "policyArn": ADMIN}, "policyArn"),
    ("aws:iam/policyAttachment:PolicyAttachment",
     {"name": "admins", "roles": ["app"], "users": ["ci"], "groups": ["ops"], "policyArn": ADMIN}, "policyArn"),
    ("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
     {"roleName": "app", "policyArns": [LAMBDA_BASIC, ADMIN]}, "policyArns[1]"),
    ("aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
     {"userName": "ci", "policyArns": [ADMIN]}, "policyArns[0]"),
    ("aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
     {"groupName": "ops", "policyArns": [ADMIN]}, "policyArns[0]"),
    ("aws:iam/role:Role", {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}),
        "managedPolicyArns": [LAMBDA_BASIC, ADMIN]}, "managedPolicyArns[1]"),
]


@pytest.mark.parametrize("resource_type, props, where", ATTACHMENTS)
def test_every_kind_of_attachment_is_judged(pack, resource_type, props, where):
    assert messages(pack.analyze(resource_type, props)) == [ADMIN_MESSAGE.replace("policyArn", where)]


def test_a_few_wildcard_actions_are_quoted_and_the_rest_counted(pack):
    [message] = messages(pack.analyze(ROLE_ATTACHMENT, {"role": "app", "policyArn": S3_FULL}))
    assert "AmazonS3FullAccess allows 2 wildcard actions ('s3:*', 's3-object-lambda:*');" in message
    [message] = messages(pack.analyze(ROLE_ATTACHMENT, {"role": "app", "policyArn": READ_ONLY}))
    assert re.search(r"ReadOnlyAccess allows \d{3} wildcard actions \('[^']+', '[^']+', '[^']+', …\);", message)


def test_an_allow_with_not_action_is_said(pack):
    [message] = messages(pack.analyze(ROLE_ATTACHMENT, {"role": "app", "policyArn": POWER_USER}))
    assert message == ("'subject' policyArn: the AWS managed policy PowerUserAccess allows every action except "
                       "'iam:*', 'organizations:*', 'account:*' (an Allow with NotAction); attach a policy that names "
                       "the actions needed.")


@pytest.mark.parametrize("arn", [
    "arn:aws-cn:iam::aws:policy/AdministratorAccess", "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
])
def test_the_same_policy_in_other_partitions_is_judged_alike(pack, arn):
    assert messages(pack.analyze(ROLE_ATTACHMENT, {"role": "app", "policyArn": arn})) == [ADMIN_MESSAGE]


def test_a_policy_under_a_path_is_found_by_its_path(pack):
    glue = "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
    [message] = messages(pack.analyze(ROLE_ATTACHMENT, {"role": "glue", "policyArn": glue}))
    assert "the AWS managed policy AWSGlueServiceRole allows 1 wildcard action ('glue:*')" in message


@pytest.mark.parametrize("arn", [
    LAMBDA_BASIC,  # AWS's, naming its actions
    "arn:aws:iam::123456789012:policy/AdministratorAccess",  # a customer's policy of that name: judged where made
    "AdministratorAccess", "", 42, None,
])
def test_other_arns_and_values_pass(pack, arn):
    assert pack.analyze(ROLE_ATTACHMENT, {"role": "app", "policyArn": arn}) == []


def test_odd_lists_are_skipped_and_the_rest_still_read(pack):
    role = "aws:iam/role:Role"
    # One ARN where a list is due is read as a list of one, as the pack reads every such value (cost/wire.py).
    assert messages(pack.analyze(role, {"managedPolicyArns": ADMIN})) == [
        ADMIN_MESSAGE.replace("policyArn", "managedPolicyArns[0]")]
    assert messages(pack.analyze(role, {"managedPolicyArns": [None, 7, ADMIN]})) == [
        ADMIN_MESSAGE.replace("policyArn", "managedPolicyArns[2]")]


def test_allowed_wildcard_actions_are_not_counted(pack):
    attachment = {"role": "app", "policyArn": S3_FULL}
    with pack.configured('{"iam-no-wildcard-actions": {"allowedActions": ["s3:*"]}}'):
        [message] = messages(pack.analyze(ROLE_ATTACHMENT, attachment))
    assert "AmazonS3FullAccess allows 1 wildcard action ('s3-object-lambda:*');" in message
    with pack.configured('{"iam-no-wildcard-actions": {"allowedActions": ["s3:*", "s3-object-lambda:*"]}}'):
        assert pack.analyze(ROLE_ATTACHMENT, attachment) == []
        # NotAction is no action of a list: allowing actions never allows it.
        assert len(messages(pack.analyze(ROLE_ATTACHMENT, {"role": "app", "policyArn": POWER_USER}))) == 1


@pytest.mark.parametrize("allowed", ["ReadOnlyAccess", READ_ONLY])
def test_a_managed_policy_can_be_allowed_by_name_or_arn(pack, allowed):
    config = json.dumps({POLICY: {"allowedManagedPolicies": [allowed]}})
    with pack.configured(config):
        assert pack.analyze(ROLE_ATTACHMENT, {"role": "audit", "policyArn": READ_ONLY}) == []
        assert messages(pack.analyze(ROLE_ATTACHMENT, {"role": "app", "policyArn": ADMIN})) == [ADMIN_MESSAGE]


def test_an_arn_not_known_during_preview_is_a_policy_the_stack_makes(pack):
    assert pack.analyze(ROLE_ATTACHMENT, {"role": "app", "policyArn": rpc.UNKNOWN}) == []
    exclusive = {"roleName": "app", "policyArns": [rpc.UNKNOWN, ADMIN]}
    assert messages(pack.analyze("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
                                 exclusive)) == [ADMIN_MESSAGE.replace("policyArn", "policyArns[1]")]


def test_a_list_not_known_as_a_whole_is_reported_as_not_run(pack):
    [finding] = pack.analyze("aws:iam/role:Role", {"managedPolicyArns": rpc.UNKNOWN})
    assert finding.enforcement_level == "advisory" and f"can't run policy '{POLICY}'" in finding.message


# The table itself: what the command writes, from the pinned package, and what the rule reads.

@pytest.fixture(scope="module")
def table() -> dict:
    return json.loads(TABLE.read_text())


def test_the_table_names_its_pinned_source_and_date(table):
    source = table["source"]
    assert source["registry"] == "npm" and source["package"] == PACKAGE and source["license"] == "MIT"
    assert re.fullmatch(r"\d+\.\d+\.\d+", source["version"]) and source["integrity"].startswith("sha512-")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table["asOf"])
    # asOf is the newest update of any policy read, wildcard or not.
    assert table["asOf"] >= max(entry["updated"] for entry in table["wildcards"].values())


def test_the_table_is_in_the_commands_format(table):
    assert TABLE.read_text() == render(table)
    assert list(table["wildcards"]) == sorted(table["wildcards"])
    assert 0 < len(table["wildcards"]) < table["policiesRead"]


def test_every_entry_is_an_aws_managed_policy_that_allows_wildcards(table):
    for arn, entry in table["wildcards"].items():
        assert arn.startswith(TABLE_ARN_PREFIX), arn
        assert set(entry) <= {"version", "updated", "actions", "notActions"} and re.fullmatch(r"v\d+", entry["version"])
        assert entry.get("actions") or entry.get("notActions"), arn
        assert all("*" in action for action in entry.get("actions", [])), arn


@pytest.mark.parametrize("name, action", [
    ("AdministratorAccess", "*"), ("AmazonS3FullAccess", "s3:*"), ("AmazonSSMFullAccess", "ssm:*"),
    ("AmazonSageMakerFullAccess", "sagemaker:*"),
])
def test_the_policies_the_issue_names_are_there(table, name, action):
    assert action in table["wildcards"][TABLE_ARN_PREFIX + name]["actions"]
