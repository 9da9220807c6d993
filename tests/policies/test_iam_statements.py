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
