"""aws_account.iam_policy against AWS's own documented examples: each test names the page it comes from
(GUIDE is the IAM User Guide). Tables marked "AWS's table" reproduce a documented table row for row."""

import pytest

from aws_account.iam_policy import (IDENTITY_BASED, PERMISSIONS_BOUNDARY, RESOURCE_BASED, Decision, Policy,
                                    Request, access_denied, evaluate, statement_matches)

GUIDE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/x-deploy"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/x-deploy/pulumi"
OTHER_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/x-build/codebuild"


def policy(name: str, *statements: dict) -> Policy:
    return Policy(name, {"Version": "2012-10-17", "Statement": list(statements)})


def statement(effect: str, action, resource="*", **elements) -> dict:
    return {"Effect": effect, "Action": action, "Resource": resource, **elements}


def call(action: str, resource: str = "*", principal: str = SESSION, **context) -> Request:
    return Request(principal, action, resource, context)


def condition_matches(condition: dict, context: dict) -> bool:
    return statement_matches(statement("Allow", "s3:ListBucket", Condition=condition), call("s3:ListBucket", **context))


# --- "Policy evaluation for requests within a single account", Carlos and his buckets:
# GUIDE + reference_policies_evaluation-logic_policy-eval-basics.html
CARLOS = f"arn:aws:iam::{ACCOUNT}:user/carlossalazar"
CARLOS_POLICY = policy(
    "user/carlossalazar inline policy s3",
    {"Sid": "AllowS3ListRead", "Effect": "Allow", "Resource": "arn:aws:s3:::*",
     "Action": ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock", "s3:ListAccessPoints",
                "s3:ListAllMyBuckets"]},
    {"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]},
    {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"})
CARLOS_BUCKET = policy("bucket policy of carlossalazar", statement(
    "Allow", "s3:*", ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"], Principal={"AWS": CARLOS}))


def test_carlos_is_denied_the_logs_bucket_by_his_own_deny():
    decision = evaluate(call("s3:PutObject", "arn:aws:s3:::carlossalazar-logs/file", CARLOS), [CARLOS_POLICY])
    assert not decision.allowed and decision.explicit_deny and decision.statement_sid == "DenyS3Logs"
    assert decision.decided_by == "explicit deny in user/carlossalazar inline policy s3 (Sid DenyS3Logs)"


def test_carlos_may_write_his_bucket_and_either_policy_alone_suffices():
    request = call("s3:PutObject", "arn:aws:s3:::carlossalazar/file", CARLOS)
    # Both allow; resource-based policies are the flowchart's earlier step, so the bucket policy is named.
    both = evaluate(request, [CARLOS_POLICY], resource_policy=CARLOS_BUCKET)
    assert both.allowed and both.decided_by == "allowed by bucket policy of carlossalazar (statement 1)"
    # "If one of the policy types allows the request and the other doesn't, the request is still allowed."
    assert evaluate(request, [CARLOS_POLICY]).statement_sid == "AllowS3Self"
    assert evaluate(request, [], resource_policy=CARLOS_BUCKET).allowed


# --- "The difference between explicit and implicit denies":
# GUIDE + reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html
GET_LIST = policy("role/x-deploy inline policy read",
                  {"Sid": "AllowGetList", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
                  {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"})


@pytest.mark.parametrize("action, allowed, decided_by", [
    ("iam:GetUser", True, "allowed by role/x-deploy inline policy read (Sid AllowGetList)"),
    ("iam:CreatePolicy", False, "no identity-based policy allows it"),
    ("iam:GetOrganizationsAccessReport", False, "explicit deny in role/x-deploy inline policy read (Sid DenyReports)"),
])
def test_allowed_implicitly_and_explicitly_denied_actions(action, allowed, decided_by):
    decision = evaluate(call(action), [GET_LIST])
    assert (decision.allowed, decision.decided_by) == (allowed, decided_by)


def test_another_policy_granting_reports_does_not_lift_the_explicit_deny():
    all_iam = policy("role/x-deploy managed policy iam-admin", statement("Allow", "iam:*"))
    decision = evaluate(call("iam:GenerateCredentialReport"), [all_iam, GET_LIST])
    assert not decision.allowed and decision.statement_sid == "DenyReports"


# --- "IAM JSON policy elements: Action": GUIDE + reference_policies_elements_action.html
@pytest.mark.parametrize("action, matches", [
    ("IAM:listaccesskeys", True),  # "iam:ListAccessKeys is the same as IAM:listaccesskeys"
    ("iam:CreateAccessKey", True), ("iam:DeleteAccessKey", True), ("iam:UpdateAccessKey", True),
    ("iam:GetUser", False), ("sts:CreateAccessKey", False)])
def test_action_wildcards_and_case(action, matches):
    assert statement_matches(statement("Allow", ["s3:GetObject", "iam:*AccessKey*"]), call(action)) is matches


def test_not_action_applies_to_every_other_action():
    deny_outside_iam = {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}
    assert statement_matches(deny_outside_iam, call("s3:GetObject"))
    assert not statement_matches(deny_outside_iam, call("iam:GetRole"))


# --- "IAM JSON policy elements: Resource": GUIDE + reference_policies_elements_resource.html
def test_resource_wildcard_spans_slashes_within_the_resource_part():
    pattern = statement("Allow", "s3:GetObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*")
    objects = ["1/test/object.jpg", "1/2/test/object.jpg", "1/2/test/3/object.jpg", "1/2/3/test/4/object.jpg",
               "1///test///object.jpg", "1/test/.jpg", "/test/object.jpg", "1/test/"]
    others = ["1-test/object.jpg", "test/object.jpg", "1/2/test.jpg"]
    matched = {key: statement_matches(pattern, call("s3:GetObject", f"arn:aws:s3:::DOC-EXAMPLE-BUCKET/{key}"))
               for key in objects + others}
    assert matched == {key: key in objects for key in objects + others}


def test_not_resource_and_actions_without_resource_types():
    not_logs = {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::*log*"}
    assert statement_matches(not_logs, call("s3:GetObject", "arn:aws:s3:::site/index.html"))
    assert not statement_matches(not_logs, call("s3:GetObject", "arn:aws:s3:::site-logs/1"))
    # An action without resource types is authorized against "*", which only "Resource": "*" covers.
    token = call("ecr:GetAuthorizationToken")
    assert not statement_matches(statement("Allow", token.action, "arn:aws:ecr:*:*:repository/*"), token)
    assert statement_matches(statement("Allow", token.action), token)


# --- "IAM policy elements: Variables and tags": GUIDE + reference_policies_variables.html
def test_resource_variable_without_value_matches_no_resource():
    own_table = statement("Allow", "dynamodb:*", f"arn:aws:dynamodb:us-east-2:{ACCOUNT}:table/${{aws:username}}")
    table = f"arn:aws:dynamodb:us-east-2:{ACCOUNT}:table/Bob"
    assert statement_matches(own_table, call("dynamodb:GetItem", table, **{"aws:username": "Bob"}))
    assert not statement_matches(own_table, call("dynamodb:GetItem", table, **{"aws:username": "Ann"}))
    assert not statement_matches(own_table, call("dynamodb:GetItem", table))


@pytest.mark.parametrize("tags, bucket", [({"aws:PrincipalTag/team": "yellow"}, "DOC-EXAMPLE-BUCKET-yellow"),
                                          ({}, "DOC-EXAMPLE-BUCKET-company-wide")])
def test_variable_default_value(tags, bucket):
    team_bucket = statement("Allow", "s3:ListBucket",
                            "arn:aws:s3:::DOC-EXAMPLE-BUCKET-${aws:PrincipalTag/team, 'company-wide'}")
    assert statement_matches(team_bucket, call("s3:ListBucket", f"arn:aws:s3:::{bucket}", **tags))
    assert not statement_matches(team_bucket, call("s3:ListBucket", "arn:aws:s3:::DOC-EXAMPLE-BUCKET-red", **tags))


def test_special_character_variables_are_literal():
    assert condition_matches({"StringLike": {"s3:prefix": "a${*}"}}, {"s3:prefix": "a*"})
    assert not condition_matches({"StringLike": {"s3:prefix": "a${*}"}}, {"s3:prefix": "ab"})
    assert condition_matches({"StringLike": {"s3:prefix": "a*"}}, {"s3:prefix": "ab"})


def test_negated_operator_matches_a_variable_without_value():
    # "Inverted condition operators like StringNotEquals or StringNotLike do match against a null value"
    same_team = {"StringEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}
    other_team = {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}
    assert condition_matches(same_team, {"s3:ExistingObjectTag/Team": "blue", "aws:PrincipalTag/Team": "blue"})
    assert not condition_matches(same_team, {"s3:ExistingObjectTag/Team": "blue"})
    assert condition_matches(other_team, {"s3:ExistingObjectTag/Team": "blue"})


# --- "IAM JSON policy elements: Condition operators": GUIDE + reference_policies_elements_condition_operators.html
JOB = "aws:PrincipalTag/job-category"
HOME = {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}}
ISSUED_2020 = {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}
OFFICE = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}
TOPIC = "arn:aws:sns:us-east-1:123456789012:TOPIC-ID"


@pytest.mark.parametrize("condition, context, matches", [
    # String: the principal must be tagged job-category=iamuser-admin; key names are case-insensitive.
    ({"StringEquals": {JOB: "iamuser-admin"}}, {"AWS:principaltag/JOB-category": "iamuser-admin"}, True),
    ({"StringEquals": {JOB: "iamuser-admin"}}, {JOB: "IAMuser-admin"}, False),
    ({"StringEquals": {JOB: "iamuser-admin"}}, {}, False),
    ({"StringEqualsIgnoreCase": {JOB: "iamuser-admin"}}, {JOB: "IAMuser-admin"}, True),
    # StringLike with a policy variable: each user's "home directory".
    (HOME, {"s3:prefix": "home/David/", "aws:username": "David"}, True),
    (HOME, {"s3:prefix": "", "aws:username": "David"}, True),
    (HOME, {"s3:prefix": "home/Bob/", "aws:username": "David"}, False),
    # Numeric: s3:max-keys up to 10.
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 10}, True),
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, False),
    # Date: credentials issued after 2020-01-01T00:00:01Z (ISO 8601 or epoch); absent for access keys.
    (ISSUED_2020, {"aws:TokenIssueTime": "2020-06-01T00:00:00Z"}, True),
    (ISSUED_2020, {"aws:TokenIssueTime": "2019-12-31T23:59:59Z"}, False),
    (ISSUED_2020, {"aws:TokenIssueTime": 1609459200}, True),
    (ISSUED_2020, {}, False),
    # IP address: IPv4 and IPv6 ranges; aws:SourceIp is absent through a VPC endpoint.
    (OFFICE, {"aws:SourceIp": "203.0.113.7"}, True),
    (OFFICE, {"aws:SourceIp": "2001:db8:1234:5678::9"}, True),
    (OFFICE, {"aws:SourceIp": "198.51.100.1"}, False),
    (OFFICE, {}, False),
    # ARN: aws:SourceArn is present only when a resource makes a service call for its owner.
    ({"ArnEquals": {"aws:SourceArn": TOPIC}}, {"aws:SourceArn": TOPIC}, True),
    ({"ArnEquals": {"aws:SourceArn": TOPIC}}, {}, False),
    # "If the policy condition requires that the key is not matched, such as StringNotLike or ArnNotLike,
    # and the right key is not present, the condition is true."
    ({"StringNotLike": {"aws:PrincipalTag/team": "blue*"}}, {}, True),
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:TOPIC-ID"}}, {}, True),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),
    # Null: true when the key is absent (long-term credentials), false when present.
    ({"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    ({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2020-06-01T00:00:00Z"}, False),
    ({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "2020-06-01T00:00:00Z"}, True),
])
def test_condition_operators(condition, context, matches):
    assert condition_matches(condition, context) is matches


def test_string_like_matches_across_arn_components_but_arn_like_does_not():
    pattern, value = ("arn:aws:someservice:*:111122223333:finance/*",
                      "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt")
    assert condition_matches({"StringLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": value})
    assert not condition_matches({"ArnLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": value})
    assert not condition_matches({"ArnLike": {"aws:SourceArn": pattern}},  # "Case-sensitive matching of the ARN"
                                 {"aws:SourceArn": "arn:aws:someservice:us-east-2:111122223333:Finance/x"})


def test_bool_deny_without_secure_transport():
    deny_plain_http = policy("bucket policy", statement("Deny", "s3:*", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
                                                        Sid="BooleanExample", Principal="*",
                                                        Condition={"Bool": {"aws:SecureTransport": "false"}}))
    allow_s3 = [policy("role/x-deploy inline policy s3", statement("Allow", "s3:*"))]
    decisions = {secure: evaluate(call("s3:GetObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/a",
                                       **{"aws:SecureTransport": secure}), allow_s3, resource_policy=deny_plain_http)
                 for secure in (False, True)}
    assert decisions[False].explicit_deny and decisions[False].policy_type == RESOURCE_BASED
    assert decisions[True].allowed


RUN_INSTANCES = {"Sid": "RunInstance", "Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
                 "Condition": {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}}


@pytest.mark.parametrize("context, allowed", [({"ec2:InstanceType": "t2.micro"}, True),
                                              ({"ec2:InstanceType": "m5.large"}, False),
                                              ({}, True)])  # the image, key pair, security group...
def test_if_exists_lets_resources_without_the_key_through(context, allowed):
    assert evaluate(call("ec2:RunInstances", **context), [policy("run", RUN_INSTANCES)]).allowed is allowed


def test_without_if_exists_resources_lacking_the_key_are_refused():
    does_not_work = {**RUN_INSTANCES, "Sid": "THISPOLICYDOESNOTWORK",
                     "Condition": {"StringLike": RUN_INSTANCES["Condition"]["StringLikeIfExists"]}}
    image = "arn:aws:ec2:us-east-1::image/ami-1"
    assert not evaluate(call("ec2:RunInstances", image), [policy("run", does_not_work)]).allowed


def test_deny_with_negated_if_exists_still_denies_without_the_tag():
    # "If you are using an "Effect": "Deny" element with a negated condition operator like
    # StringNotEqualsIfExists, the request is still denied even if the tag is missing."
    deny = statement("Deny", "ec2:*", Condition={"StringNotEqualsIfExists": {"aws:ResourceTag/project": "x"}})
    assert evaluate(call("ec2:StopInstances"), [policy("p", statement("Allow", "ec2:*"), deny)]).explicit_deny


@pytest.mark.parametrize("operator", ["StringEqualz", "NullIfExists", "ForEveryValue:StringEquals"])
def test_unknown_operator_is_an_error_not_a_silent_false(operator):
    with pytest.raises(ValueError, match="unknown IAM condition operator"):
        condition_matches({operator: {"aws:PrincipalTag/team": "x"}}, {})


# --- "Conditions with multiple context keys or values", AWS's two tables:
# GUIDE + reference_policies_condition-logic-multiple-context-keys-or-values.html
TAGS = {"aws:PrincipalTag/department": ["finance", "hr", "legal"], "aws:PrincipalTag/role": ["audit", "security"]}
ANA_MARY = ["arn:aws:iam::222222222222:user/Ana", "arn:aws:iam::222222222222:user/Mary"]


@pytest.mark.parametrize("arn_operator, user, department, role, matches", [
    ("ArnLike", "Mary", "legal", "audit", True), ("ArnLike", "Nikki", "hr", "audit", False),
    ("ArnLike", "Mary", "hr", "payroll", False), ("ArnLike", "Mary", "hr", None, False),
    ("ArnLike", "Mary", None, None, False),
    # A negated operator with several values is a NOR: the ARN must match none of them.
    ("ArnNotLike", "Nikki", "legal", "audit", True), ("ArnNotLike", "Mary", "hr", "audit", False),
    ("ArnNotLike", "Nikki", "hr", "payroll", False), ("ArnNotLike", "Nikki", "hr", None, False),
    ("ArnNotLike", "Nikki", None, None, False)])
def test_keys_are_anded_values_ored_and_negated_values_nored(arn_operator, user, department, role, matches):
    bucket_policy = {"Sid": "ExamplePolicy", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                     "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
                     "Condition": {"StringEquals": TAGS, arn_operator: {"aws:PrincipalArn": ANA_MARY}}}
    user_arn = f"arn:aws:iam::222222222222:user/{user}"
    tags = {"aws:PrincipalTag/department": department, "aws:PrincipalTag/role": role}
    context = {"aws:PrincipalArn": user_arn, **{key: value for key, value in tags.items() if value}}
    request = Request(user_arn, "s3:ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket", context)
    assert statement_matches(bucket_policy, request, check_principal=True) is matches


def test_string_not_equals_with_several_accounts_must_match_none():
    # "if there are multiple aws:PrincipalAccount values in a StringNotEquals condition operator, the
    # string cannot match any of the aws:PrincipalAccount values listed" (the page's earlier edition).
    outside = {"StringNotEquals": {"aws:PrincipalAccount": ["111111111111", ACCOUNT]}}
    assert not condition_matches(outside, {})  # aws:PrincipalAccount comes from the caller: 123456789012
    assert condition_matches(outside, {"aws:PrincipalAccount": "444455556666"})


# --- "Single-valued vs. multivalued context keys", AWS's two tables:
# GUIDE + reference_policies_condition-single-vs-multi-valued-context-keys.html
ONLY_TWO_TAGS = {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]},
                 "Null": {"aws:TagKeys": "false"}}
ANY_OF_TWO_TAGS = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}


@pytest.mark.parametrize("condition, tag_keys, matches", [
    (ONLY_TWO_TAGS, ["environment"], True), (ONLY_TWO_TAGS, ["cost-center"], True),
    (ONLY_TWO_TAGS, ["environment", "cost-center"], True), (ONLY_TWO_TAGS, ["environment", "dept"], False),
    (ONLY_TWO_TAGS, None, False),  # the Null check: ForAllValues alone is true without aws:TagKeys
    (ANY_OF_TWO_TAGS, ["environment"], True), (ANY_OF_TWO_TAGS, ["cost-center"], True),
    (ANY_OF_TWO_TAGS, ["environment", "cost-center"], True), (ANY_OF_TWO_TAGS, ["environment", "dept"], True),
    (ANY_OF_TWO_TAGS, ["dept"], False), (ANY_OF_TWO_TAGS, None, False)])
def test_set_operators_on_tag_keys(condition, tag_keys, matches):
    assert condition_matches(condition, {} if tag_keys is None else {"aws:TagKeys": tag_keys}) is matches


def test_a_multivalued_key_needs_a_set_operator():
    # "Multivalued context keys require a condition set operator": a bare operator, even a negated one,
    # never matches a list.
    tag_keys = {"aws:TagKeys": ["environment"]}
    assert not condition_matches({"StringEquals": {"aws:TagKeys": "environment"}}, tag_keys)
    assert not condition_matches({"StringLike": {"aws:TagKeys": "*"}}, tag_keys)
    assert not condition_matches({"StringNotEquals": {"aws:TagKeys": "cost-center"}}, tag_keys)
    assert condition_matches({"ForAllValues:StringEquals": {"aws:TagKeys": "environment"}}, {"aws:TagKeys": []})


# --- "Multivalued context key examples", AWS's three tables (Deny statements: Match is denied):
# GUIDE + reference_policies_condition_examples-multi-valued-context-keys.html
NOT_KEY1 = {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}
NOT_KEY1_OR_2 = {"ForAllValues:StringNotLike": {"aws:TagKeys": ["key1*", "key2*"]}}
WEBSERVER = {"ForAnyValue:StringEquals": {"aws:TagKeys": "webserver"}}


@pytest.mark.parametrize("condition, tag_keys, denied", [
    (NOT_KEY1, ["key1:legal"], False), (NOT_KEY1, ["key1:hr", "key1:personnel"], False),
    (NOT_KEY1, ["key2:audit"], True), (NOT_KEY1, None, True),
    (NOT_KEY1_OR_2, ["key1:legal"], False), (NOT_KEY1_OR_2, ["key1:hr", "key1:personnel"], False),
    (NOT_KEY1_OR_2, ["key1:hr", "key2:audit"], False), (NOT_KEY1_OR_2, ["key3:legal"], True),
    (NOT_KEY1_OR_2, None, True),
    (WEBSERVER, ["webserver"], True), (WEBSERVER, ["environment", "webserver", "test"], True),
    (WEBSERVER, ["environment", "test"], False), (WEBSERVER, None, False)])
def test_deny_with_set_operators(condition, tag_keys, denied):
    deny = {"Sid": "DenyRestrictedTags", "Effect": "Deny", "Action": ["iam:Tag*", "iam:UnTag*"],
            "Resource": ["*"], "Condition": condition}
    request = call("iam:TagRole", **({} if tag_keys is None else {"aws:TagKeys": tag_keys}))
    decision = evaluate(request, [policy("tagging", statement("Allow", "iam:TagRole"), deny)])
    assert (decision.explicit_deny, decision.allowed) == (denied, not denied)


# --- "Creating a condition with multiple keys or values" (the page's 2023 edition, archived in
# github.com/awsdocs/iam-user-guide, doc_source/reference_policies_multi-value-conditions.md): DynamoDB attributes
@pytest.mark.parametrize("qualifier, attributes, matches", [
    ("ForAllValues", ["Message", "Tags"], True), ("ForAllValues", ["PostDateTime", "UserName"], False),
    ("ForAllValues", [], True),  # "an empty list ... ForAllValues returns true. ... ForAnyValue returns false"
    ("ForAnyValue", ["UserName", "Message", "PostDateTime"], True), ("ForAnyValue", ["UserName"], False),
    ("ForAnyValue", [], False)])
def test_dynamodb_attribute_sets(qualifier, attributes, matches):
    listed = ["PostDateTime", "Message", "Tags"] if qualifier == "ForAllValues" else ["ID", "PostDateTime"]
    assert condition_matches({f"{qualifier}:StringEquals": {"dynamodb:Attributes": listed}},
                             {"dynamodb:Attributes": attributes}) is matches


# --- "Permissions boundaries for IAM entities" and "How AWS enforcement code logic evaluates requests":
# GUIDE + access_policies_boundaries.html, GUIDE + reference_policies_evaluation-logic_policy-eval-denyallow.html
DEPLOY = policy("role/x-deploy inline policy deploy",
                {"Sid": "Functions", "Effect": "Allow", "Action": "lambda:*", "Resource": "*"})
BOUNDARY = policy("policy/x-boundary",
                  {"Sid": "Ceiling", "Effect": "Allow", "Action": ["lambda:Get*", "s3:*"], "Resource": "*"})
NO_S3_BOUNDARY = policy("policy/x-boundary", statement("Allow", "lambda:*"))
FUNCTION = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:x"


@pytest.mark.parametrize("action, allowed, policy_type", [
    ("lambda:GetFunction", True, None),  # identity-based policies and the boundary intersect
    ("lambda:UpdateFunctionCode", False, PERMISSIONS_BOUNDARY),
    ("lambda:InvokeFunction", False, PERMISSIONS_BOUNDARY)])
def test_boundary_intersects_identity_policies(action, allowed, policy_type):
    decision = evaluate(call(action, FUNCTION), [DEPLOY], boundary=BOUNDARY)
    assert (decision.allowed, decision.policy_type) == (allowed, policy_type)


def test_boundary_alone_grants_nothing():
    decision = evaluate(call("s3:GetObject", "arn:aws:s3:::artifacts/a.zip"), [DEPLOY], boundary=BOUNDARY)
    assert not decision.allowed and decision.policy_type == IDENTITY_BASED


def test_explicit_deny_in_boundary():
    boundary = policy("policy/x-boundary", statement("Allow", "*"), statement("Deny", "lambda:Delete*", Sid="NoDel"))
    decision = evaluate(call("lambda:DeleteFunction", FUNCTION), [DEPLOY], boundary=boundary)
    assert decision.explicit_deny and decision.policy_type == PERMISSIONS_BOUNDARY


def _bucket(principal) -> Policy:
    return policy("bucket policy of artifacts", statement("Allow", "s3:PutObject", "arn:aws:s3:::artifacts/*",
                                                          Sid="Grant", Principal=principal))


@pytest.mark.parametrize("principal, boundary, allowed", [
    # The session ARN: "not limited by an implicit deny in an identity-based policy, a permissions boundary".
    ({"AWS": SESSION}, NO_S3_BOUNDARY, True),
    # The role ARN: "limited by an implicit deny in a permissions boundary", not by identity-based policies.
    ({"AWS": ROLE}, NO_S3_BOUNDARY, False), ({"AWS": ROLE}, BOUNDARY, True), ({"AWS": ROLE}, None, True),
    # "*": boundaries "do not limit permissions granted using ... a wildcard(*) in the Principal element".
    ("*", NO_S3_BOUNDARY, True),
    # The account: "This delegates authority to the account"; its IAM policies must allow (none do here).
    ({"AWS": ACCOUNT}, None, False), ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, BOUNDARY, False),
    # Another role's grant is not the caller's.
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/x-build"}, None, False)])
def test_resource_policy_grant_by_how_it_names_the_caller(principal, boundary, allowed):
    decision = evaluate(call("s3:PutObject", "arn:aws:s3:::artifacts/a.zip"), [], boundary=boundary,
                        resource_policy=_bucket(principal))
    assert decision.allowed is allowed
    assert decision.decided_by == ("allowed by bucket policy of artifacts (Sid Grant)" if allowed
                                   else "the permissions boundary policy/x-boundary does not allow it"
                                   if principal == {"AWS": ROLE} else "no identity-based policy allows it")


def test_a_session_is_of_its_role_whatever_the_role_path():
    # The session ARN omits the role's path; role names are unique in an account ("IAM and AWS STS
    # quotas, name requirements, and character limits": GUIDE + reference_iam-quotas.html).
    service_role = f"arn:aws:iam::{ACCOUNT}:role/service-role/x-deploy"
    request = call("s3:PutObject", "arn:aws:s3:::artifacts/a.zip")
    assert evaluate(request, [], resource_policy=_bucket({"AWS": service_role})).allowed
    assert evaluate(request, [], resource_policy=_bucket({"AWS": service_role}), role_arn=service_role).allowed
    # aws:PrincipalArn is the role's full ARN, path included, when the caller names it.
    in_path = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/service-role/*"}}
    assert statement_matches(statement("Allow", "s3:*", Condition=in_path), request, role_arn=service_role)
    assert not statement_matches(statement("Allow", "s3:*", Condition=in_path), request)


def test_account_principal_needs_the_identity_policy_and_the_boundary():
    s3_writer = policy("role/x-deploy inline policy artifacts", statement("Allow", "s3:PutObject"))
    request = call("s3:PutObject", "arn:aws:s3:::artifacts/a.zip")
    bucket = _bucket({"AWS": ACCOUNT})
    assert evaluate(request, [s3_writer], resource_policy=bucket).allowed
    assert evaluate(request, [s3_writer], NO_S3_BOUNDARY, bucket).policy_type == PERMISSIONS_BOUNDARY


# --- "AWS JSON policy elements: NotPrincipal": GUIDE + reference_policies_elements_notprincipal.html
AUDIT_ONLY = policy("bucket policy of audit", statement(
    "Deny", "s3:*", Sid="OnlyAudit", NotPrincipal={"AWS": [SESSION, ROLE, f"arn:aws:iam::{ACCOUNT}:root"]}))
S3_ALL = [policy("role inline policy s3", statement("Allow", "s3:*"))]
AUDIT_OBJECT = "arn:aws:s3:::audit/a"


def test_not_principal_deny_spares_only_the_named():
    assert evaluate(call("s3:GetObject", AUDIT_OBJECT), S3_ALL, resource_policy=AUDIT_ONLY).allowed
    other = evaluate(call("s3:GetObject", AUDIT_OBJECT, OTHER_SESSION), S3_ALL, resource_policy=AUDIT_ONLY)
    assert other.explicit_deny and other.statement_sid == "OnlyAudit"


def test_not_principal_deny_must_name_the_role_and_the_account_too():
    # "If the NotPrincipal element was missing the ARN of the role, the effect of the policy might be to
    # explicitly deny access to the role" (and likewise for the account).
    session_only = policy("bucket policy of audit",
                          {**AUDIT_ONLY.document["Statement"][0], "NotPrincipal": {"AWS": SESSION}})
    assert evaluate(call("s3:GetObject", AUDIT_OBJECT), S3_ALL, resource_policy=session_only).explicit_deny


def test_not_principal_deny_denies_any_principal_with_a_boundary():
    # "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
    # permissions boundary policy attached" (Permissions boundaries for IAM entities).
    decision = evaluate(call("s3:GetObject", AUDIT_OBJECT), S3_ALL, boundary=BOUNDARY, resource_policy=AUDIT_ONLY)
    assert decision.explicit_deny and decision.policy_type == RESOURCE_BASED


# --- AWS KMS "Default key policy": https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html,
# and "IAM role trust policies and KMS key policies ... must explicitly allow access for principals" (denyallow page).
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DEFAULT_KEY_POLICY = policy(f"key policy of {KEY}", {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                                                      "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                      "Action": "kms:*", "Resource": "*"})
ADMINS_ONLY_KEY_POLICY = policy(f"key policy of {KEY}", statement(
    "Allow", "kms:*", Sid="KeyAdmins", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}))
DECRYPT = [policy("role/x-deploy inline policy kms", statement("Allow", "kms:Decrypt", KEY, Sid="Decrypt"))]


def _key_use(identity, key_policy):
    return evaluate(call("kms:Decrypt", KEY), identity, resource_policy=key_policy, resource_policy_required=True)


def test_default_key_policy_enables_iam_policies():
    decision = _key_use(DECRYPT, DEFAULT_KEY_POLICY)
    assert decision.allowed and decision.statement_sid == "Decrypt"
    assert decision.decided_by == ("allowed by role/x-deploy inline policy kms (Sid Decrypt), as key policy of "
                                   f"{KEY} (Sid Enable IAM User Permissions) lets IAM policies allow it")
    assert _key_use([], DEFAULT_KEY_POLICY).policy_type == IDENTITY_BASED


def test_key_policy_without_the_account_ignores_iam_policies():
    decision = _key_use(DECRYPT, ADMINS_ONLY_KEY_POLICY)
    assert not decision.allowed and decision.policy_type == RESOURCE_BASED
    # Where the resource's policy is not required (an S3 bucket's), the identity-based policy alone suffices.
    assert evaluate(call("kms:Decrypt", KEY), DECRYPT, resource_policy=ADMINS_ONLY_KEY_POLICY).allowed


def test_key_policy_naming_the_role_needs_no_iam_policy():
    users = policy(f"key policy of {KEY}", statement("Allow", ["kms:Decrypt"], Sid="KeyUsers", Principal={"AWS": ROLE}))
    assert _key_use([], users).allowed
    assert not evaluate(call("kms:Encrypt", KEY), [], resource_policy=users, resource_policy_required=True).allowed


# --- "AWS JSON policy elements: Principal", AWS service principals: GUIDE + reference_policies_elements_principal.html
# A service calls as itself, with no identity-based policies.
def test_service_principal_is_allowed_by_the_resource_policy_only():
    for_codedeploy = policy("bucket policy of artifacts", statement(
        "Allow", "s3:GetObject", "arn:aws:s3:::artifacts/*", Sid="CodeDeploy",
        Principal={"Service": ["codedeploy.amazonaws.com"]},
        Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}}))

    def read_as(service: str, source_account: str) -> bool:
        request = call("s3:GetObject", "arn:aws:s3:::artifacts/app.zip", service,
                       **{"aws:SourceAccount": source_account})
        return evaluate(request, [], resource_policy=for_codedeploy).allowed
    assert read_as("codedeploy.amazonaws.com", ACCOUNT)
    assert not read_as("codedeploy.amazonaws.com", "444455556666")
    assert not read_as("lambda.amazonaws.com", ACCOUNT)


# --- aws:PrincipalArn, "AWS global condition context keys": GUIDE + reference_policies_condition-keys.html
def test_principal_arn_of_a_session_is_its_role():
    not_the_pipelines = statement("Deny", "iam:PassRole", Sid="NotThePipelinesRoles",
                                  Condition={"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/x-*"}})
    deploy = [policy("role/x-deploy inline policy deploy", statement("Allow", "iam:PassRole"), not_the_pipelines)]
    assert evaluate(call("iam:PassRole"), deploy).allowed
    stranger = evaluate(call("iam:PassRole", principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/alice"), deploy)
    assert stranger.decided_by == "explicit deny in role/x-deploy inline policy deploy (Sid NotThePipelinesRoles)"


# --- "Troubleshooting access denied error messages": GUIDE + troubleshoot_access-denied.html
IAM_READ = policy("role/x-deploy inline policy read", statement("Allow", "iam:GetPolicy"))
GUARD = policy("role/x-deploy inline policy guard", statement("Deny", "iam:GetPolicy", Sid="NoPolicyReads"))


@pytest.mark.parametrize("identity, boundary, resource_policy, required, ending", [
    ([], None, None, False,
     "because no identity-based policy allows the iam:GetPolicy action (no identity-based policy allows it)"),
    ([IAM_READ, GUARD], None, None, False, "with an explicit deny in an identity-based policy "
                                           "(explicit deny in role/x-deploy inline policy guard (Sid NoPolicyReads))"),
    ([IAM_READ], NO_S3_BOUNDARY, None, False, "because no permissions boundary allows the iam:GetPolicy action "
                                               "(the permissions boundary policy/x-boundary does not allow it)"),
    ([IAM_READ], policy("policy/b", statement("Deny", "iam:*", Sid="NoIam")), None, False,
     "with an explicit deny in a permissions boundary (explicit deny in policy/b (Sid NoIam))"),
    ([IAM_READ], None, policy("resource policy", statement("Deny", "iam:*", Principal="*")), False,
     "with an explicit deny in a resource-based policy (explicit deny in resource policy (statement 1))"),
    ([IAM_READ], None, policy("resource policy", statement("Allow", "iam:*", Principal={"AWS": OTHER_SESSION})), True,
     "because no resource-based policy allows the iam:GetPolicy action (resource policy does not allow it)"),
    ([IAM_READ], None, None, True,
     "because no resource-based policy allows the iam:GetPolicy action (no resource-based policy allows it)")])
def test_access_denied_messages(identity, boundary, resource_policy, required, ending):
    request = call("iam:GetPolicy", f"arn:aws:iam::{ACCOUNT}:policy/x")
    decision = evaluate(request, identity, boundary, resource_policy, resource_policy_required=required)
    assert access_denied(request, decision) == (f"User: {SESSION} is not authorized to perform: iam:GetPolicy "
                                                f"on resource: arn:aws:iam::{ACCOUNT}:policy/x {ending}")


def test_access_denied_without_a_policy_type_has_no_because_clause():
    request = call("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/gone")
    assert access_denied(request, Decision(False, "the role does not exist")) == (
        f"User: {SESSION} is not authorized to perform: sts:AssumeRole on resource: {request.resource} "
        "(the role does not exist)")


def test_access_denied_refuses_an_allowed_decision():
    with pytest.raises(ValueError):
        access_denied(call("iam:GetPolicy"), evaluate(call("iam:GetPolicy"), [IAM_READ]))
