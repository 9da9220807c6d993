"""DeliveryPipeline: the stages in order with their actions' configuration, the arm64 build environments, a role
per stage with only what it does, the artifact store, the trigger and the failure notifications."""

import json
from fnmatch import fnmatchcase
import re

import pytest

from components.pipeline import BUILD_IMAGE, BUILDSPECS, trigger_paths

PIPELINE, PROJECT = "aws:codepipeline/pipeline:Pipeline", "aws:codebuild/project:Project"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
ACCOUNT, REGION = "123456789012", "eu-west-1"


@pytest.fixture(scope="module")
def delivery(prod_run):
    return prod_run.under("delivery")


def _pipeline(delivery) -> dict:
    return delivery.one(PIPELINE).inputs


# Each action by the name its stage's role gives it here: the Deploy stage runs PulumiUp, then the Canary.
ACTIONS = {"Source": ("Source", "Source"), "Build": ("Build", "Image"), "Scan": ("Scan", "ScanGate"),
           "Deploy": ("Deploy", "PulumiUp"), "Traffic": ("Deploy", "Canary")}


def _actions(delivery) -> dict[str, dict]:
    by_stage = {(stage["name"], action["name"]): action
                for stage in _pipeline(delivery)["stages"] for action in stage["actions"]}
    return {key: by_stage[where] for key, where in ACTIONS.items()}


def _projects(delivery) -> dict[str, dict]:
    return {p.inputs["name"].rsplit("-", 1)[1]: p.inputs for p in delivery.of_type(PROJECT)}


def _role_statements(delivery, role_name: str) -> list[dict]:
    """Every Allow and Deny of a role: its inline policy and the managed ones attached to it."""
    roles = {r.state["name"]: r for r in delivery.of_type(ROLE)}
    role = roles[role_name]
    documents = [p.inputs["policy"] for p in delivery.of_type(ROLE_POLICY) if p.inputs["role"] == role.state["id"]]
    attached = {a.inputs["policyArn"] for a in delivery.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.inputs["role"] == role_name}
    documents += [p.inputs["policy"] for p in delivery.of_type("aws:iam/policy:Policy") if p.state["arn"] in attached]
    return [s for document in documents for s in json.loads(document)["Statement"]]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_the_stages_run_source_build_scan_then_deploy_and_canary_in_one_stage(delivery):
    """The `up` and the canary share a stage: a stage holds one execution at a time, so the next run's `up`
    cannot change the alias while this run's canary holds its weights."""
    pipeline = _pipeline(delivery)
    assert [stage["name"] for stage in pipeline["stages"]] == ["Source", "Build", "Scan", "Deploy"]
    deploy = pipeline["stages"][3]["actions"]
    assert [(a["name"], a["runOrder"]) for a in deploy] == [("PulumiUp", 1), ("Canary", 2)]
    assert (pipeline["pipelineType"], pipeline["executionMode"], pipeline["name"]) == ("V2", "QUEUED", "lambdakit-prod")
    kinds = {name: (a["category"], a["owner"], a["provider"]) for name, a in _actions(delivery).items()}
    assert kinds == {"Source": ("Source", "AWS", "CodeStarSourceConnection"), "Build": ("Build", "AWS", "CodeBuild"),
                     "Scan": ("Invoke", "AWS", "Lambda"), "Deploy": ("Build", "AWS", "CodeBuild"),
                     "Traffic": ("Build", "AWS", "CodeBuild")}


def test_the_source_is_the_settings_branch_through_the_stacks_connection(delivery, prod_run):
    source = _actions(delivery)["Source"]["configuration"]
    connection = delivery.one("aws:codeconnections/connection:Connection")
    assert source == {"ConnectionArn": connection.state["arn"], "FullRepositoryId": "example-org/lambdakit",
                      "BranchName": "main", "OutputArtifactFormat": "CODE_ZIP", "DetectChanges": "false"}
    assert (connection.inputs["name"], connection.inputs["providerType"]) == ("lambdakit-prod", "GitHub")
    assert prod_run.exports["connectionArn"] == connection.state["arn"]
    assert prod_run.exports["connectionConsole"] == (
        f"https://{REGION}.console.aws.amazon.com/codesuite/settings/connections?region={REGION}")


def test_an_existing_connection_is_used_and_none_is_created(stack_runner):
    arn = f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    run = stack_runner("prod", {"pipelineConnectionArn": arn}).under("delivery")
    assert run.of_type("aws:codeconnections/connection:Connection") == []
    assert _actions(run)["Source"]["configuration"]["ConnectionArn"] == arn
    use = [s for s in _role_statements(run, "lambdakit-prod-pipeline") if s["Sid"] == "UseTheConnection"]
    assert use == [{"Sid": "UseTheConnection", "Effect": "Allow", "Action": ["codeconnections:UseConnection"],
                    "Resource": arn}]


def test_runs_start_on_pushes_to_the_branch_that_change_what_is_deployed(delivery):
    (trigger,) = _pipeline(delivery)["triggers"]
    assert trigger["providerType"] == "CodeStarSourceConnection"
    assert trigger["gitConfiguration"]["sourceActionName"] == "Source"
    (push,) = trigger["gitConfiguration"]["pushes"]
    assert push["branches"] == {"includes": ["main"]}
    assert push["filePaths"] == {"includes": trigger_paths("prod")}
    assert "Pulumi.prod.yaml" in push["filePaths"]["includes"] and "Pulumi.dev.yaml" not in push["filePaths"]["includes"]


def test_each_action_passes_on_what_the_next_one_needs(delivery, prod_run):
    actions = _actions(delivery)
    assert actions["Source"]["outputArtifacts"] == ["source"]
    assert [actions[s].get("namespace") for s in ("Build", "Scan", "Deploy")] == ["Build", "Scan", "Deploy"]
    gate = prod_run.under("scan-gate").one("aws:lambda/function:Function").inputs["name"]
    scan = actions["Scan"]["configuration"]
    assert scan["FunctionName"] == gate
    assert json.loads(scan["UserParameters"]) == {"imageDigest": "#{Build.IMAGE_DIGEST}"}
    variables = {stage: {v["name"]: v["value"] for v in json.loads(actions[stage]["configuration"]["EnvironmentVariables"])}
                 for stage in ("Build", "Deploy", "Traffic")}
    assert variables["Build"] == {"APP": "api", "PLATFORM": "linux/arm64"}
    # The Deploy stage deploys the digest the gate judged, not merely the one the build reported.
    assert variables["Deploy"] == {"IMAGE_DIGEST": "#{Scan.imageDigest}"}
    release = prod_run.under("api-release")
    assert variables["Traffic"] == {
        "FUNCTION_NAME": "lambdakit-prod-api", "ALIAS": "live", "TARGET_VERSION": "#{Deploy.FUNCTION_VERSION}",
        "APPLICATION": release.one("aws:codedeploy/application:Application").inputs["name"],
        "DEPLOYMENT_GROUP": release.one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs["deploymentGroupName"]}
    projects = {p.state["name"]: p for p in delivery.of_type(PROJECT)}
    assert [actions[s]["configuration"]["ProjectName"] for s in ("Build", "Deploy", "Traffic")] == [
        "lambdakit-prod-build", "lambdakit-prod-deploy", "lambdakit-prod-release"]
    assert set(projects) == {"lambdakit-prod-build", "lambdakit-prod-deploy", "lambdakit-prod-release"}


def test_every_build_runs_natively_on_arm64_and_only_the_image_build_and_the_deploy_are_privileged(delivery):
    """The deploy is privileged for pulumi-docker's provider, which needs a daemon once the state holds an image."""
    projects = _projects(delivery)
    for stage, project in projects.items():
        environment = project["environment"]
        assert (environment["type"], environment["image"], environment["computeType"]) == (
            "ARM_CONTAINER", BUILD_IMAGE, "BUILD_GENERAL1_SMALL")
        assert "aarch64" in environment["image"]
        assert environment["privilegedMode"] is (stage in ("build", "deploy"))
        assert project["source"] == {"type": "CODEPIPELINE", "buildspec": BUILDSPECS[stage]}
        assert project["artifacts"] == {"type": "CODEPIPELINE"}
        assert project["logsConfig"]["cloudwatchLogs"]["groupName"] == f"/aws/codebuild/{project['name']}"
    assert projects["build"]["cache"] == {"type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]}
    assert "cache" not in projects["deploy"] and "cache" not in projects["release"]


def test_the_release_build_outlasts_the_canary(stack_runner):
    run = stack_runner("prod", {"pipelineCanaryMinutes": 90}).under("delivery")
    timeouts = {stage: project["buildTimeout"] for stage, project in _projects(run).items()}
    assert timeouts == {"build": 60, "deploy": 60, "release": 150}


def test_the_pulumi_token_comes_from_secrets_manager_never_as_plain_text(delivery, prod_run):
    secret = delivery.one("aws:secretsmanager/secret:Secret")
    assert secret.inputs["name"] == "lambdakit-prod/pulumi-access-token"
    assert "secretString" not in secret.inputs  # a person stores the value; it is in no file and no state
    variables = {v["name"]: v for v in _projects(delivery)["deploy"]["environment"]["environmentVariables"]}
    assert variables["PULUMI_ACCESS_TOKEN"] == {"name": "PULUMI_ACCESS_TOKEN", "value": secret.state["arn"],
                                                "type": "SECRETS_MANAGER"}
    assert variables["PULUMI_STACK"]["value"] == "organization/lambdakit/prod"
    assert prod_run.exports["pulumiTokenSecretArn"] == secret.state["arn"]
    plain = [v for p in _projects(delivery).values() for v in p["environment"]["environmentVariables"]
             if v.get("type", "PLAINTEXT") == "PLAINTEXT"]
    assert not [v for v in plain if re.search(r"TOKEN|SECRET|PASSWORD|KEY", v["name"])]


def test_the_artifact_store_is_encrypted_versioned_private_tls_only_and_expires(delivery):
    bucket = delivery.one("aws:s3/bucket:Bucket")
    key = delivery.one("aws:kms/key:Key")
    name = bucket.state["bucket"]
    assert name.startswith("lambdakit-prod-artifacts-") and key.inputs["enableKeyRotation"] is True
    (store,) = _pipeline(delivery)["artifactStores"]
    assert store == {"location": name, "type": "S3", "encryptionKey": {"id": key.state["arn"], "type": "KMS"}}
    by_type = {r.type.rsplit(":", 1)[1]: r.inputs for r in delivery.resources if r.inputs.get("bucket") == name}
    assert by_type["BucketVersioning"]["versioningConfiguration"]["status"] == "Enabled"
    (sse,) = by_type["BucketServerSideEncryptionConfiguration"]["rules"]
    assert sse["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.state["arn"]}
    assert all(by_type["BucketPublicAccessBlock"][flag] is True for flag in (
        "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    assert by_type["BucketOwnershipControls"]["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (rule,) = by_type["BucketLifecycleConfiguration"]["rules"]
    assert (rule["status"], rule["expiration"]["days"], rule["noncurrentVersionExpiration"]["noncurrentDays"]) == (
        "Enabled", 30, 1)
    (deny,) = json.loads(by_type["BucketPolicy"]["policy"])["Statement"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
    assert deny["Resource"] == [bucket.state["arn"], f"{bucket.state['arn']}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_pipeline_role_holds_what_awss_documented_service_role_policy_holds_on_the_bucket(delivery):
    bucket = next(s for s in _role_statements(delivery, "lambdakit-prod-pipeline") if s["Sid"] == "ReadArtifactBucket")
    assert {"s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"} <= set(bucket["Action"])


def test_the_pipeline_role_does_only_what_the_pipeline_does(delivery, prod_run):
    statements = {s["Sid"]: s for s in _role_statements(delivery, "lambdakit-prod-pipeline")}
    bucket = delivery.one("aws:s3/bucket:Bucket").state["arn"]
    gate = prod_run.under("scan-gate").one("aws:lambda/function:Function").state["arn"]
    assert statements["WriteAndReadArtifacts"]["Resource"] == f"{bucket}/*"
    # The connection's source action uploads with an ACL (aws/aws-cdk#13557).
    assert "s3:PutObjectAcl" in statements["WriteAndReadArtifacts"]["Action"]
    assert statements["InvokeTheScanGate"] == {"Sid": "InvokeTheScanGate", "Effect": "Allow",
                                               "Action": ["lambda:InvokeFunction"], "Resource": gate}
    assert sorted(statements["RunTheBuilds"]["Resource"]) == sorted(p.state["arn"] for p in delivery.of_type(PROJECT))
    assert statements["FindTheScanGate"]["Action"] == ["lambda:ListFunctions"]  # no resource-level permission
    trust = json.loads({r.state["name"]: r for r in delivery.of_type(ROLE)}["lambdakit-prod-pipeline"].inputs[
        "assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "codepipeline.amazonaws.com"}


def test_the_build_role_pushes_to_the_stacks_repository_only(delivery, prod_run):
    statements = {s["Sid"]: s for s in _role_statements(delivery, "lambdakit-prod-build")}
    repository = prod_run.one("aws:ecr/repository:Repository").state["arn"]
    assert statements["PushTheImage"]["Resource"] == repository
    assert "ecr:PutImage" in statements["PushTheImage"]["Action"]
    assert statements["LogInToEcr"] == {"Sid": "LogInToEcr", "Effect": "Allow",
                                        "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"}
    assert statements["WriteOwnLogs"]["Resource"][0] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/codebuild/lambdakit-prod-build")
    assert not any(a.startswith(("lambda:", "iam:", "codedeploy:")) for s in statements.values()
                   for a in _as_list(s["Action"]))


def test_the_release_role_starts_one_deployment_of_one_alias(delivery, prod_run):
    statements = {s["Sid"]: s for s in _role_statements(delivery, "lambdakit-prod-release")}
    release = prod_run.under("api-release")
    group = release.one("aws:codedeploy/deploymentGroup:DeploymentGroup").state["arn"]
    function = prod_run.under("api").one("aws:lambda/function:Function").state["arn"]
    assert statements["StartTheRelease"]["Resource"] == group
    # IAM checks GetAlias against the function, not the alias.
    assert statements["ReadTheAlias"] == {"Sid": "ReadTheAlias", "Effect": "Allow", "Action": ["lambda:GetAlias"],
                                          "Resource": function}
    assert statements["StopAnOverdueRelease"]["Action"] == ["codedeploy:StopDeployment"]
    assert not any(a.startswith(("lambda:Update", "iam:", "ecr:", "codedeploy:Delete")) for s in statements.values()
                   for a in _as_list(s["Action"]))


def test_the_deploy_role_reaches_only_this_stacks_resources_and_not_the_pipelines_roles(delivery, prod_run):
    statements = _role_statements(delivery, "lambdakit-prod-deploy")
    prefix = "lambdakit-prod"
    own = {r.state.get("arn") for r in prod_run.resources}  # the stack's resources, by their exact ARN
    for statement in statements:
        resources = _as_list(statement["Resource"])
        if resources == ["*"]:
            continue
        for resource in resources:
            tail = resource.split(":", 5)[5]
            assert prefix in tail or statement.get("Condition") or resource in own, (statement["Sid"], resource)
    pass_role = next(s for s in statements if s["Sid"] == "PassRoles")
    assert pass_role["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/{prefix}-*"
    assert sorted(pass_role["Condition"]["StringEquals"]["iam:PassedToService"]) == [
        "codebuild.amazonaws.com", "codedeploy.amazonaws.com", "codepipeline.amazonaws.com", "events.amazonaws.com",
        "lambda.amazonaws.com"]
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert sorted(deny["Resource"]) == sorted(f"arn:aws:iam::{ACCOUNT}:role/{prefix}-{stage}"
                                              for stage in ("pipeline", "build", "deploy", "release"))
    assert {"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"} <= set(deny["Action"])
    keys = next(s for s in statements if s["Sid"] == "Keys")
    assert keys["Condition"] == {"StringEquals": {"aws:ResourceTag/project": "lambdakit",
                                                  "aws:ResourceTag/stack": "prod"}}


def test_the_deploy_role_may_read_the_token_and_the_scan_findings_the_pack_checks(delivery, prod_run):
    statements = {s["Sid"]: s for s in _role_statements(delivery, "lambdakit-prod-deploy")}
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
    budget = {s["Sid"]: s for s in _role_statements(delivery, "lambdakit-prod-deploy")}["Budget"]
    assert {"budgets:ViewBudget", "budgets:ModifyBudget", "budgets:TagResource"} <= set(budget["Action"])
    budget_arn = prod_run.one("aws:budgets/budget:Budget").state["arn"]
    assert fnmatchcase(budget_arn, budget["Resource"])
    assert not fnmatchcase(budget_arn.replace("lambdakit-prod-", "lambdakit-dev-"), budget["Resource"])


def test_pipeline_failures_are_sent_to_the_alarm_topic(delivery, prod_run):
    rule = delivery.one("aws:codestarnotifications/notificationRule:NotificationRule").inputs
    assert rule["resource"] == delivery.one(PIPELINE).state["arn"]
    assert rule["eventTypeIds"] == ["codepipeline-pipeline-pipeline-execution-failed",
                                    "codepipeline-pipeline-pipeline-execution-canceled"]
    assert rule["targets"] == [{"address": prod_run.one("aws:sns/topic:Topic").state["arn"], "type": "SNS"}]


def test_a_stack_without_a_repository_has_no_pipeline(dev_run):
    assert dev_run.under("delivery").resources == []
    assert dev_run.of_type("aws:codedeploy/deploymentGroup:DeploymentGroup") == []
