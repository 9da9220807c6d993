"""The stack's permissions boundary: every role the deploy role may create or change carries it, none of them is
granted more than it allows, and the deploy role can neither take it off nor change it (IAM's own evaluation,
aws_account/iam_policy.py, decides each)."""

import json

import pytest

from aws_account.iam_policy import Policy, Request, evaluate
from settings import BUILD_STAGES
from components.role_boundary import boundary_name

ROLE = "aws:iam/role:Role"
PIPELINES_OWN = ("pipeline", *BUILD_STAGES)
ACCOUNT = "123456789012"


def _documents(run, role_name: str) -> list[dict]:
    inline = [json.loads(p.inputs["policy"]) for p in run.of_type("aws:iam/rolePolicy:RolePolicy")
              if p.inputs["role"] == role_name]
    attached = {a.inputs["policyArn"] for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.inputs["role"] == role_name}
    return inline + [json.loads(p.inputs["policy"]) for p in run.of_type("aws:iam/policy:Policy")
                     if p.state["arn"] in attached]


def _boundary(run) -> Policy:
    policy = next(p for p in run.of_type("aws:iam/policy:Policy") if p.inputs["name"].endswith("-role-boundary"))
    return Policy("boundary", json.loads(policy.inputs["policy"]))


def test_every_role_but_the_pipelines_own_carries_the_stacks_boundary(any_stack_run):
    prefix = any_stack_run.exports["dashboardName"]  # the stack's prefix names its dashboard
    boundary = next(p for p in any_stack_run.of_type("aws:iam/policy:Policy")
                    if p.inputs["name"] == boundary_name(prefix))
    for role in any_stack_run.of_type(ROLE):
        own = role.inputs["name"] in {f"{prefix}-{stage}" for stage in PIPELINES_OWN}
        assert role.inputs.get("permissionsBoundary") == (None if own else boundary.state["arn"]), role.inputs["name"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_nothing_a_bounded_role_is_granted_lies_outside_the_boundary(request, stack):
    """Each action on each resource a role's policies allow is also allowed by the boundary: the boundary takes
    nothing away that the stack needs."""
    run = request.getfixturevalue(f"{stack}_run")
    boundary = _boundary(run)
    for role in run.of_type(ROLE):
        if not role.inputs.get("permissionsBoundary"):
            continue
        for document in _documents(run, role.inputs["name"]):
            for statement in document["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                for action in actions:
                    for resource in resources:
                        request_ = Request(f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.inputs['name']}/s", action,
                                           resource.replace("*", "x"))
                        assert evaluate(request_, [boundary]).allowed, (role.inputs["name"], action, resource)


def test_the_boundary_grants_no_iam_and_nothing_beyond_the_stack(prod_run):
    boundary = _boundary(prod_run)
    for action, resource in (("iam:CreateUser", "*"), ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/x"),
                             ("lambda:UpdateAlias", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:another-stack-api"),
                             ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-deploy")):
        assert not evaluate(Request(f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", action, resource), [boundary]).allowed


def _deploy_decision(prod_run, action: str, resource: str, context=None):
    deploy = [Policy(f"deploy {i}", d) for i, d in enumerate(_documents(prod_run, "lambdakit-prod-deploy"))]
    return evaluate(Request(f"arn:aws:sts::{ACCOUNT}:assumed-role/lambdakit-prod-deploy/s", action, resource,
                            context or {}), deploy)


def test_the_deploy_role_grants_permissions_only_to_roles_under_the_boundary(prod_run):
    boundary_arn = _boundary_arn(prod_run)
    role = f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-worker"
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"):
        assert _deploy_decision(prod_run, action, role, {"iam:PermissionsBoundary": boundary_arn}).allowed, action
        assert not _deploy_decision(prod_run, action, role).allowed, action
        assert not _deploy_decision(prod_run, action, role, {"iam:PermissionsBoundary": boundary_arn + "2"}).allowed


@pytest.mark.parametrize("action", ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"])
def test_the_deploy_role_may_read_but_never_change_the_boundary_or_its_own_policies(prod_run, action):
    for policy in (_boundary_arn(prod_run), f"arn:aws:iam::{ACCOUNT}:policy/lambdakit-prod-deploy-functions"):
        assert _deploy_decision(prod_run, "iam:GetPolicyVersion", policy).allowed
        decision = _deploy_decision(prod_run, action, policy)
        assert not decision.allowed and decision.statement_sid == "NotThePipelinesPolicies"


@pytest.mark.parametrize("action", ["iam:DeleteRolePermissionsBoundary", "iam:UpdateAssumeRolePolicy"])
def test_no_role_loses_its_boundary_or_changes_who_may_assume_it_through_the_pipeline(prod_run, action):
    decision = _deploy_decision(prod_run, action, f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-api")
    assert not decision.allowed and decision.statement_sid == "TheBoundaryStays"


def _boundary_arn(run) -> str:
    return next(p.state["arn"] for p in run.of_type("aws:iam/policy:Policy")
                if p.inputs["name"].endswith("-role-boundary"))


def test_the_second_functions_own_roles_carry_the_boundary_too(any_stack_run):
    """The worker's execution role, its schedule's role and, where a pipeline releases it, its CodeDeploy role: its
    own, named after it, each under the stack's boundary like the api's."""
    prefix = any_stack_run.exports["dashboardName"]
    with_pipeline = bool(any_stack_run.of_type("aws:codepipeline/pipeline:Pipeline"))
    roles = {r.inputs["name"]: r.inputs.get("permissionsBoundary") for r in any_stack_run.under("worker").of_type(ROLE)}
    assert set(roles) == {f"{prefix}-worker", f"{prefix}-worker-scheduler",
                          *([f"{prefix}-worker-codedeploy"] if with_pipeline else [])}
    assert set(roles.values()) == {_boundary_arn(any_stack_run)}
    api_roles = {r.inputs["name"] for r in any_stack_run.under("api").of_type(ROLE)}
    assert not api_roles & set(roles)
