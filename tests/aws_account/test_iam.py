"""IAM in the simulated account refuses what IAM refuses (managed policies, attachments, a role's inline
policies beyond their quota), and CodeBuild, CodePipeline and CodeDeploy refuse a role that does not exist, does
not trust them, or whose policies the resource did not wait for."""

import json
import re

import pytest

from tests.aws_account.delivery_inputs import BUILD_PROJECT, LIVE_GROUP, PROGRAM_PIPELINE
from tests.aws_account.steps import (ACCOUNT, ROLE, ROLE_POLICY, STATEMENT, document, done, refused, register,
                                     service_role, trust)

POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PROJECT = "aws:codebuild/project:Project"
PIPELINE = "aws:codepipeline/pipeline:Pipeline"
DEPLOYMENT_GROUP = "aws:codedeploy/deploymentGroup:DeploymentGroup"


# IAM: managed policies, attachments, and the quota on a role's inline policies.

def sized(characters: int) -> str:
    """A policy document of exactly `characters` characters that IAM counts (whitespace not counted)."""
    base = document({**STATEMENT, "Sid": ""}).replace(" ", "")
    return base.replace('"Sid":""', '"Sid":"' + "s" * (characters - len(base)) + '"')


def test_managed_policy_arn_and_size(cloud):
    assert register(cloud, POLICY, "p", {"name": "lambdakit-prod-deploy-functions", "policy": sized(6144)})["arn"] == \
        f"arn:aws:iam::{ACCOUNT}:policy/lambdakit-prod-deploy-functions"
    with refused("LimitExceeded: Cannot exceed quota for PolicySize: 6144"):
        register(cloud, POLICY, "q", {"name": "q", "policy": sized(6145)})
    # Whitespace is not counted.
    assert register(cloud, POLICY, "r", {"name": "r", "policy": json.dumps(json.loads(sized(6144)), indent=8)})


@pytest.mark.parametrize("name", ["p" * 129, "deploy policy", "déploiement"])
def test_managed_policy_names_iam_refuses(cloud, name):
    with refused("ValidationException: IAM policy name"):
        register(cloud, POLICY, "p", {"name": name, "policy": document(STATEMENT)})


@pytest.fixture
def deploy_role(cloud) -> str:
    register(cloud, ROLE, "deploy", {"name": "lambdakit-prod-deploy", "assumeRolePolicy": trust("codebuild")})
    return "lambdakit-prod-deploy"


def managed(cloud, name: str) -> str:
    return register(cloud, POLICY, name, {"name": name, "policy": document(STATEMENT)})["arn"]


def test_an_attachment_needs_the_role_and_the_policy(cloud):
    policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/functions"
    with refused("NoSuchEntity: The role cannot be found (role 'lambdakit-prod-deploy')"):
        register(cloud, ATTACHMENT, "a", {"role": "lambdakit-prod-deploy", "policyArn": policy_arn})
    register(cloud, ROLE, "deploy", {"name": "lambdakit-prod-deploy", "assumeRolePolicy": trust("codebuild")})
    with refused(f"NoSuchEntity: Policy does not exist or is not attachable (policy '{policy_arn}')"):
        register(cloud, ATTACHMENT, "a", {"role": "lambdakit-prod-deploy", "policyArn": policy_arn})
    assert managed(cloud, "functions") == policy_arn
    state = register(cloud, ATTACHMENT, "a", {"role": "lambdakit-prod-deploy", "policyArn": policy_arn})
    assert re.fullmatch(r"lambdakit-prod-deploy-\d{18}[0-9a-f]{8}", state["id"])


def test_a_role_takes_at_most_10_managed_policies(cloud, deploy_role):
    for index in range(9):
        register(cloud, ATTACHMENT, f"a{index}", {"role": deploy_role, "policyArn": managed(cloud, f"p{index}")})
    aws_managed = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForLambda"  # AWS's own policies always exist
    register(cloud, ATTACHMENT, "a9", {"role": deploy_role, "policyArn": aws_managed})
    with refused("LimitExceeded: Cannot exceed quota for PoliciesPerRole: 10"):
        register(cloud, ATTACHMENT, "a10", {"role": deploy_role, "policyArn": managed(cloud, "p10")})
    # Attaching another policy in place of one of the ten adds none.
    assert register(cloud, ATTACHMENT, "a9", {"role": deploy_role, "policyArn": managed(cloud, "p10")})


def test_a_roles_inline_policies_hold_10240_characters_together(cloud, deploy_role):
    register(cloud, ROLE_POLICY, "first", {"role": deploy_role, "policy": sized(6000)})
    with refused(f"LimitExceeded: Maximum policy size of 10240 bytes exceeded for role {deploy_role}"):
        register(cloud, ROLE_POLICY, "second", {"role": deploy_role, "policy": sized(4241)})
    assert register(cloud, ROLE_POLICY, "second", {"role": deploy_role, "policy": sized(4240)}) is not None
    # Putting a policy again replaces its own share; whitespace is not counted; another role has its own quota.
    assert register(cloud, ROLE_POLICY, "first", {"role": deploy_role, "policy": json.dumps(
        json.loads(sized(6000)), indent=4)}) is not None
    register(cloud, ROLE, "other", {"name": "other", "assumeRolePolicy": trust("codebuild")})
    assert register(cloud, ROLE_POLICY, "third", {"role": "other", "policy": sized(10240)}) is not None


# Service roles: CodeBuild, CodePipeline and CodeDeploy check the role they are given when the resource is made.

def project_inputs(role_arn: str) -> dict:
    return {**BUILD_PROJECT, "serviceRole": role_arn}


def group_inputs(role_arn: str) -> dict:
    return {**LIVE_GROUP, "serviceRoleArn": role_arn}


def pipeline_inputs(role_arn: str) -> dict:
    return {**PROGRAM_PIPELINE, "roleArn": role_arn}


SERVICES = {
    "codebuild": (PROJECT, project_inputs, "InvalidInputException: CodeBuild is not authorized to perform: "
                                           "sts:AssumeRole on {role}"),
    "codepipeline": (PIPELINE, pipeline_inputs, "InvalidStructureException: CodePipeline is not authorized to "
                                                "perform AssumeRole on role {role}"),
    "codedeploy": (DEPLOYMENT_GROUP, group_inputs, "InvalidRoleException: AWS CodeDeploy does not have the "
                                                   "permissions required to assume the role {role}."),
}


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("problem", ["no such role", "trusts another service", "its policy not waited for"])
def test_a_service_role_exists_trusts_the_service_and_holds_its_policies_first(cloud, delivery, service, problem):
    typ, inputs, message = SERVICES[service]
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/stage"
    waited = [] if problem == "no such role" else service_role(
        cloud, "stage", "lambda" if problem == "trusts another service" else service)
    with refused(message.format(role=role_arn)):
        register(cloud, typ, "r", inputs(role_arn), [] if problem == "its policy not waited for" else waited)
    if problem == "its policy not waited for":
        # Waiting for the role's managed policy attachment counts as well.
        attachment = {"role": "stage", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
        assert register(cloud, typ, "r", inputs(role_arn), [done(ATTACHMENT, attachment)])["arn"]
