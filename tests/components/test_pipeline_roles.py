"""The delivery pipeline's roles: each may do only its part, on this stack's resources only. The build and release
roles reach the stack's functions by name prefix, so a commit that adds a function changes no policy of the
pipeline's own roles (which only a person may change); the rehearsal's new-function scenario plays that commit."""

import json
from fnmatch import fnmatchcase

import pytest

from aws_limits import IAM_MANAGED_POLICY_MAX_CHARS
from tests.components.pipeline_run import (ACCOUNT, PIPELINE, PROJECT, REGION, ROLE, role_statements,
                                           stack_with_new_function)

PREFIX = "lambdakit-prod"
OTHER_STACK = "lambdakit-staging"


@pytest.fixture(scope="module")
def delivery(prod_run):
    return prod_run.under("delivery")


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _sids(delivery, role: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in role_statements(delivery, role)}


def _covers(statement: dict, arn: str) -> bool:
    return any(fnmatchcase(arn, pattern) for pattern in _as_list(statement["Resource"]))


def _actions(statements) -> set[str]:
    return {action for s in statements for action in _as_list(s["Action"])}


def test_the_pipeline_role_holds_what_awss_documented_service_role_policy_holds_on_the_bucket(delivery):
    bucket = _sids(delivery, f"{PREFIX}-pipeline")["ReadArtifactBucket"]
    assert {"s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"} <= set(bucket["Action"])


def test_the_pipeline_role_does_only_what_the_pipeline_does(delivery, prod_run):
    statements = _sids(delivery, f"{PREFIX}-pipeline")
    bucket = delivery.one("aws:s3/bucket:Bucket").state["arn"]
    gate = prod_run.under("scan-gate").one("aws:lambda/function:Function").state["arn"]
    assert statements["WriteAndReadArtifacts"]["Resource"] == f"{bucket}/*"
    # The connection's source action uploads with an ACL (aws/aws-cdk#13557).
    assert "s3:PutObjectAcl" in statements["WriteAndReadArtifacts"]["Action"]
    assert statements["InvokeTheScanGate"] == {"Sid": "InvokeTheScanGate", "Effect": "Allow",
                                               "Action": ["lambda:InvokeFunction"], "Resource": gate}
    assert sorted(statements["RunTheBuilds"]["Resource"]) == sorted(p.state["arn"] for p in delivery.of_type(PROJECT))
    assert statements["FindTheScanGate"]["Action"] == ["lambda:ListFunctions"]  # no resource-level permission
    trust = json.loads({r.state["name"]: r for r in delivery.of_type(ROLE)}[f"{PREFIX}-pipeline"].inputs[
        "assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "codepipeline.amazonaws.com"}


def test_the_test_role_reaches_nothing_of_the_stack(delivery):
    statements = role_statements(delivery, f"{PREFIX}-test")
    assert {s["Sid"] for s in statements} == {"WriteOwnLogs", "ReadArtifacts", "ReadArtifactBucket", "DecryptArtifacts"}
    assert statements[0]["Resource"][0] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/codebuild/{PREFIX}-test"
    assert not any(a.startswith(("ecr:", "lambda:", "iam:", "codedeploy:")) for a in _actions(statements))


def test_the_build_role_pushes_to_every_functions_repository_and_no_other_stacks(delivery, prod_run):
    statements = _sids(delivery, f"{PREFIX}-build")
    push = statements["PushTheImages"]
    assert {"ecr:PutImage", "ecr:CompleteLayerUpload", "ecr:DescribeImages"} <= set(push["Action"])
    repositories = [r.state["arn"] for r in prod_run.of_type("aws:ecr/repository:Repository")]
    assert len(repositories) == 2 and all(_covers(push, arn) for arn in repositories)
    assert not _covers(push, repositories[0].replace(PREFIX, OTHER_STACK))
    assert statements["LogInToEcr"] == {"Sid": "LogInToEcr", "Effect": "Allow",
                                        "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"}
    assert not any(a.startswith(("lambda:", "iam:", "codedeploy:")) for a in _actions(statements.values()))


def test_the_release_role_releases_every_function_and_no_other_stacks(delivery, prod_run):
    statements = _sids(delivery, f"{PREFIX}-release")
    for name in prod_run.exports["functions"]:
        release = prod_run.under(f"{name}-release")
        group = release.one("aws:codedeploy/deploymentGroup:DeploymentGroup").state["arn"]
        config = release.one("aws:codedeploy/deploymentConfig:DeploymentConfig").state["arn"]
        function = prod_run.under(name).one("aws:lambda/function:Function").state["arn"]
        application = release.one("aws:codedeploy/application:Application").state["arn"]
        # IAM checks GetAlias against the function, not the alias.
        for sid, arn in (("StartTheReleases", group), ("ReadTheCanaries", config), ("ReadTheAliases", function),
                         ("RegisterTheRevisions", application)):
            assert _covers(statements[sid], arn), (sid, arn)
            assert not _covers(statements[sid], arn.replace(PREFIX, OTHER_STACK)), (sid, arn)
    assert statements["StopAnOverdueRelease"]["Action"] == ["codedeploy:StopDeployment"]
    assert not any(a.startswith(("lambda:Update", "iam:", "ecr:", "codedeploy:Delete"))
                   for a in _actions(statements.values()))


def test_adding_a_function_changes_no_policy_of_the_pipelines_own_roles(delivery, tmp_path):
    """A new function adds actions to the pipeline, not to what its roles may do: the deploy role may not change
    those, and the roles reach functions by the stack's prefix."""
    def policies(run) -> dict:
        return {role: sorted(json.dumps(s, sort_keys=True) for s in role_statements(run, f"{PREFIX}-{role}"))
                for role in ("pipeline", "test", "build", "release", "deploy")}
    more = stack_with_new_function(tmp_path, "reports")
    assert "Canary-reports" in {a["name"] for stage in more.one(PIPELINE).inputs["stages"] for a in stage["actions"]}
    assert policies(more.under("delivery")) == policies(delivery)


def test_the_deploy_role_reaches_only_this_stacks_resources_and_not_the_pipelines_roles(delivery, prod_run):
    statements = role_statements(delivery, f"{PREFIX}-deploy")
    own = {r.state.get("arn") for r in prod_run.resources}  # the stack's resources, by their exact ARN
    for statement in statements:
        resources = _as_list(statement["Resource"])
        if resources == ["*"]:
            continue
        for resource in resources:
            tail = resource.split(":", 5)[5]
            assert PREFIX in tail or statement.get("Condition") or resource in own, (statement["Sid"], resource)
    pass_role = next(s for s in statements if s["Sid"] == "PassRoles")
    assert pass_role["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-*"
    assert sorted(pass_role["Condition"]["StringEquals"]["iam:PassedToService"]) == [
        "codebuild.amazonaws.com", "codedeploy.amazonaws.com", "codepipeline.amazonaws.com", "events.amazonaws.com",
        "lambda.amazonaws.com", "scheduler.amazonaws.com"]
    deny = next(s for s in statements if s["Sid"] == "NotThePipelinesRoles")
    assert sorted(deny["Resource"]) == sorted(f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-{stage}"
                                              for stage in ("pipeline", "test", "build", "deploy", "release"))
    assert {"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"} <= set(deny["Action"])
    keys = next(s for s in statements if s["Sid"] == "Keys")
    assert keys["Condition"] == {"StringEquals": {"aws:ResourceTag/project": "lambdakit",
                                                  "aws:ResourceTag/stack": "prod"}}


def test_the_deploy_role_may_manage_a_scheduled_functions_own_resources(delivery, prod_run):
    """`pulumi up --refresh` reads and changes the worker's schedule, dead-letter queue and retries (the calls of
    aws_account/provider_calls.yaml); the rehearsal's new-function scenario creates them all as this role."""
    statements = _sids(delivery, f"{PREFIX}-deploy")
    worker = prod_run.under("worker")
    schedule = worker.one("aws:scheduler/schedule:Schedule").state["arn"]
    queue = worker.one("aws:sqs/queue:Queue").state["arn"]
    alias = worker.one("aws:lambda/alias:Alias").state["arn"]
    assert _covers(statements["Schedules"], schedule) and _covers(statements["DeadLetterQueues"], queue)
    assert {"scheduler:CreateSchedule", "scheduler:UpdateSchedule"} <= set(statements["Schedules"]["Action"])
    assert {"sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:TagQueue"} <= set(statements["DeadLetterQueues"]["Action"])
    assert _covers(statements["Functions"], alias)
    assert {"lambda:PutFunctionEventInvokeConfig", "lambda:GetFunctionEventInvokeConfig",
            "lambda:DeleteFunctionEventInvokeConfig"} <= set(statements["Functions"]["Action"])
    # A new function's first image is built and pushed by `up` itself.
    assert _covers(statements["FirstImages"], worker.one("aws:ecr/repository:Repository").state["arn"])
    assert not _covers(statements["Schedules"], schedule.replace(PREFIX, OTHER_STACK))


def test_the_deploy_roles_policies_fit_iams_size_for_a_managed_policy(delivery):
    for policy in delivery.of_type("aws:iam/policy:Policy"):
        assert len("".join(policy.inputs["policy"].split())) <= IAM_MANAGED_POLICY_MAX_CHARS, policy.inputs["name"]


def test_the_deploy_role_may_read_the_token_and_the_scan_findings_the_pack_checks(delivery):
    statements = _sids(delivery, f"{PREFIX}-deploy")
    assert statements["PulumiAccessToken"]["Resource"] == delivery.one("aws:secretsmanager/secret:Secret").state["arn"]
    assert "ecr:DescribeImageScanFindings" in statements["Repositories"]["Action"]
    # Enhanced scanning's permissions are held whatever the setting, so that switching it on changes no policy of the
    # pipeline's own ("IAM permissions required for enhanced scanning", Amazon ECR User Guide).
    assert {"inspector2:Enable", "inspector2:ListAccountPermissions", "inspector2:ListCoverage",
            "inspector2:ListFindings", "ecr:PutRegistryScanningConfiguration"} <= set(statements["RegistryScanning"]["Action"])
    assert statements["InspectorsServiceLinkedRole"]["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "inspector2.amazonaws.com"}}


def test_the_deploy_role_may_manage_the_stacks_budget_and_no_other(delivery, prod_run):
    """`pulumi up --refresh` in the Deploy stage reads and updates the stack's AWS budget (a global resource)."""
    budget = _sids(delivery, f"{PREFIX}-deploy")["Budget"]
    assert {"budgets:ViewBudget", "budgets:ModifyBudget", "budgets:TagResource"} <= set(budget["Action"])
    budget_arn = prod_run.one("aws:budgets/budget:Budget").state["arn"]
    assert fnmatchcase(budget_arn, budget["Resource"])
    assert not fnmatchcase(budget_arn.replace("lambdakit-prod-", "lambdakit-dev-"), budget["Resource"])


def test_an_existing_connection_is_used_and_none_is_created(stack_runner):
    arn = f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    run = stack_runner("prod", {"pipelineConnectionArn": arn}).under("delivery")
    assert run.of_type("aws:codeconnections/connection:Connection") == []
    source = next(a for stage in run.one("aws:codepipeline/pipeline:Pipeline").inputs["stages"]
                  for a in stage["actions"] if a["name"] == "Source")
    assert source["configuration"]["ConnectionArn"] == arn
    use = _sids(run, f"{PREFIX}-pipeline")["UseTheConnection"]
    assert use == {"Sid": "UseTheConnection", "Effect": "Allow", "Action": ["codeconnections:UseConnection"],
                   "Resource": arn}
