"""DeliveryPipeline: one pipeline for the stack's functions. The stages in order with their actions (one per function
where a function has its own), the variables each action passes on, the arm64 build environments, the artifact
store, the trigger, the failure notifications and the opt-in stage rollback. The roles: test_pipeline_roles.py."""

import json

import pytest

from components.pipeline import BUILD_IMAGE, BUILDSPECS, trigger_paths
from components.pipeline_stages import deploy_configuration_value
from settings import SettingsError
from tests.components.pipeline_run import (PIPELINE, PROJECT, REGION, actions_by_name, functions, pipeline, projects,
                                           stack_with_rollback_together, stack_with_stages_of_at_most, variables,
                                           with_function_setting)


@pytest.fixture(scope="module")
def delivery(prod_run):
    return prod_run.under("delivery")


def test_prod_has_two_functions_to_deliver(prod_run):
    """What the rest of this module relies on: a function with a URL and one on a schedule."""
    assert functions(prod_run) == ["api", "worker"]


def test_the_stages_run_the_tests_once_then_every_function_side_by_side(delivery, prod_run):
    """The `up` and the canaries share a stage: a stage holds one execution at a time, so the next run's `up` cannot
    change an alias while this run's canaries hold its weights. Each function has its own Image, Scan and Canary
    action, and the actions of one run order run side by side."""
    defined = pipeline(delivery)
    assert (defined["pipelineType"], defined["executionMode"], defined["name"]) == ("V2", "QUEUED", "lambdakit-prod")
    order = {stage["name"]: [(a["name"], a.get("runOrder", 1)) for a in stage["actions"]]
             for stage in defined["stages"]}
    assert order == {
        "Source": [("Source", 1)],
        "Build": [("Test", 1), ("Image-api", 2), ("Image-worker", 2)],
        "Scan": [("Scan-api", 1), ("Scan-worker", 1)],
        "Deploy": [("PulumiUp", 1), ("Canary-api", 2), ("Canary-worker", 2)],
    }
    kinds = {name: (a["category"], a["owner"], a["provider"]) for name, a in actions_by_name(delivery).items()}
    assert kinds["Source"] == ("Source", "AWS", "CodeStarSourceConnection")
    assert kinds["Scan-worker"] == ("Invoke", "AWS", "Lambda")
    assert {kinds[name] for name in ("Test", "Image-api", "PulumiUp", "Canary-worker")} == {
        ("Build", "AWS", "CodeBuild")}


def test_the_source_is_the_settings_branch_through_the_stacks_connection(delivery, prod_run):
    source = actions_by_name(delivery)["Source"]["configuration"]
    connection = delivery.one("aws:codeconnections/connection:Connection")
    assert source == {"ConnectionArn": connection.state["arn"], "FullRepositoryId": "example-org/lambdakit",
                      "BranchName": "main", "OutputArtifactFormat": "CODE_ZIP", "DetectChanges": "false"}
    assert (connection.inputs["name"], connection.inputs["providerType"]) == ("lambdakit-prod", "GitHub")
    assert prod_run.exports["connectionArn"] == connection.state["arn"]
    assert prod_run.exports["connectionConsole"] == (
        f"https://{REGION}.console.aws.amazon.com/codesuite/settings/connections?region={REGION}")


def test_runs_start_on_pushes_to_the_branch_that_change_what_is_deployed(delivery):
    (trigger,) = pipeline(delivery)["triggers"]
    assert trigger["providerType"] == "CodeStarSourceConnection"
    assert trigger["gitConfiguration"]["sourceActionName"] == "Source"
    (push,) = trigger["gitConfiguration"]["pushes"]
    assert push["branches"] == {"includes": ["main"]}
    assert push["filePaths"] == {"includes": trigger_paths("prod")}
    assert "Pulumi.prod.yaml" in push["filePaths"]["includes"] and "Pulumi.dev.yaml" not in push["filePaths"]["includes"]


def test_each_image_is_built_from_its_own_folder_into_its_own_repository(delivery, prod_run):
    actions = actions_by_name(delivery)
    assert "EnvironmentVariables" not in actions["Test"]["configuration"]  # the tests are the project's, not a function's
    for name, outputs in prod_run.exports["functions"].items():
        image = actions[f"Image-{name}"]
        assert image["namespace"] == f"Image-{name}"
        assert variables(image) == {"APP": name, "PLATFORM": "linux/arm64", "REPOSITORY_URL": outputs["repositoryUrl"]}
        assert image["inputArtifacts"] == ["source"]


def test_each_scan_judges_its_functions_image_in_its_functions_repository(delivery, prod_run):
    """The gate's defaults hold no repository (components/scan_gate.py): each action names the one it judges."""
    actions = actions_by_name(delivery)
    gate = prod_run.under("scan-gate").one("aws:lambda/function:Function").inputs["name"]
    namespaces = []
    for name, outputs in prod_run.exports["functions"].items():
        scan = actions[f"Scan-{name}"]
        assert scan["configuration"]["FunctionName"] == gate
        namespaces.append(scan["namespace"])
        assert json.loads(scan["configuration"]["UserParameters"]) == {
            "repositoryName": outputs["repositoryUrl"].split("/", 1)[1], "function": name,
            "imageDigest": f"#{{Image-{name}.IMAGE_DIGEST}}"}
    assert sorted(namespaces) == ["Scan1", "Scan2"]  # by the function's place among the stack's


def test_one_pulumi_up_deploys_every_digest_the_gate_judged(delivery):
    """Not merely the ones the builds reported: each digest comes from its Scan action's namespace."""
    actions = actions_by_name(delivery)
    up = actions["PulumiUp"]
    assert up["namespace"] == "Deploy"
    assert variables(up) == {"IMAGE_DIGESTS": f"#{{{actions['Scan-api']['namespace']}.entry}} "
                                              f"#{{{actions['Scan-worker']['namespace']}.entry}}"}
    # What the program checks against CodePipeline's 1000 characters is what it declares.
    assert up["configuration"]["EnvironmentVariables"] == deploy_configuration_value(["api", "worker"])


def test_a_stack_whose_functions_do_not_fit_one_pipeline_is_refused_before_anything_is_declared(tmp_path):
    # The copy's program raises its own SettingsError class (its modules are loaded from the copy).
    with pytest.raises(Exception, match="lambdakit:functions: the stack's functions do not fit one pipeline") \
            as refused:
        stack_with_stages_of_at_most(tmp_path, 2)
    assert type(refused.value).__name__ == SettingsError.__name__
    assert "the Build stage would hold 3 actions for 2 functions; CodePipeline takes at most 2" in str(refused.value)


def test_each_canary_releases_its_function_with_its_own_application_and_group(delivery, prod_run):
    actions = actions_by_name(delivery)
    for name, outputs in prod_run.exports["functions"].items():
        release = prod_run.under(f"{name}-release")
        canary = actions[f"Canary-{name}"]
        assert "namespace" not in canary
        assert variables(canary) == {
            "FUNCTION_NAME": outputs["functionName"], "ALIAS": "live", "FUNCTION_VERSIONS": "#{Deploy.FUNCTION_VERSIONS}",
            "APPLICATION": release.one("aws:codedeploy/application:Application").inputs["name"],
            "DEPLOYMENT_GROUP": release.one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs[
                "deploymentGroupName"]}


def test_the_actions_run_the_four_projects(delivery):
    actions = actions_by_name(delivery)
    ran = {name: action["configuration"]["ProjectName"] for name, action in actions.items()
           if action["provider"] == "CodeBuild"}
    assert ran == {"Test": "lambdakit-prod-test", "Image-api": "lambdakit-prod-build",
                   "Image-worker": "lambdakit-prod-build", "PulumiUp": "lambdakit-prod-deploy",
                   "Canary-api": "lambdakit-prod-release", "Canary-worker": "lambdakit-prod-release"}
    assert {p.state["name"] for p in delivery.of_type(PROJECT)} == set(ran.values())


def test_every_build_runs_natively_on_arm64_and_only_the_release_is_unprivileged(delivery):
    """The tests and the images run Docker; the deploy is privileged for pulumi-docker's provider, which needs a daemon
    once the state holds an image (and for a new function's first image)."""
    for stage, project in projects(delivery).items():
        environment = project["environment"]
        assert (environment["type"], environment["image"], environment["computeType"]) == (
            "ARM_CONTAINER", BUILD_IMAGE, "BUILD_GENERAL1_SMALL")
        assert environment["privilegedMode"] is (stage != "release")
        assert project["source"] == {"type": "CODEPIPELINE", "buildspec": BUILDSPECS[stage]}
        assert project["artifacts"] == {"type": "CODEPIPELINE"}
        assert project["logsConfig"]["cloudwatchLogs"]["groupName"] == f"/aws/codebuild/{project['name']}"
        # No project-wide concurrency limit: past the account's, CodeBuild queues the parallel builds rather than
        # failing them (user guide, "Builds in AWS CodeBuild").
        assert "concurrentBuildLimit" not in project
    assert projects(delivery)["build"]["cache"] == {"type": "LOCAL",
                                                    "modes": ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]}
    assert {stage for stage, project in projects(delivery).items() if "cache" in project} == {"build"}


def test_the_release_build_outlasts_the_longest_canary_of_any_function(stack_runner):
    stack_wide = projects(stack_runner("prod", {"pipelineCanaryMinutes": 90}).under("delivery"))
    assert {stage: project["buildTimeout"] for stage, project in stack_wide.items()} == {
        "test": 60, "build": 60, "deploy": 60, "release": 150}
    own = projects(stack_runner("prod", with_function_setting("worker", "pipelineCanaryMinutes", 100)).under(
        "delivery"))
    assert own["release"]["buildTimeout"] == 160


def test_the_pulumi_token_comes_from_secrets_manager_never_as_plain_text(delivery, prod_run):
    secret = delivery.one("aws:secretsmanager/secret:Secret")
    assert secret.inputs["name"] == "lambdakit-prod/pulumi-access-token"
    assert "secretString" not in secret.inputs  # a person stores the value; it is in no file and no state
    given = {v["name"]: v for v in projects(delivery)["deploy"]["environment"]["environmentVariables"]}
    assert given["PULUMI_ACCESS_TOKEN"] == {"name": "PULUMI_ACCESS_TOKEN", "value": secret.state["arn"],
                                            "type": "SECRETS_MANAGER"}
    assert given["PULUMI_STACK"]["value"] == "organization/lambdakit/prod"
    assert prod_run.exports["pulumiTokenSecretArn"] == secret.state["arn"]


def test_the_artifact_store_is_encrypted_versioned_private_tls_only_and_expires(delivery):
    bucket = delivery.one("aws:s3/bucket:Bucket")
    key = delivery.one("aws:kms/key:Key")
    name = bucket.state["bucket"]
    assert name.startswith("lambdakit-prod-artifacts-") and key.inputs["enableKeyRotation"] is True
    (store,) = pipeline(delivery)["artifactStores"]
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


def test_pipeline_failures_are_sent_to_the_alarm_topic(delivery, prod_run):
    rule = delivery.one("aws:codestarnotifications/notificationRule:NotificationRule").inputs
    assert rule["resource"] == delivery.one(PIPELINE).state["arn"]
    assert rule["eventTypeIds"] == ["codepipeline-pipeline-pipeline-execution-failed",
                                    "codepipeline-pipeline-pipeline-execution-canceled"]
    assert rule["targets"] == [{"address": prod_run.one("aws:sns/topic:Topic").state["arn"], "type": "SNS"}]


def test_a_failed_deploy_stage_rolls_back_as_a_whole_only_when_asked(delivery, tmp_path):
    """By default one function's rollback is its own: the stage fails and nothing else is undone. Asked, CodePipeline
    rolls the whole Deploy stage back to the last successful execution (its source and digests)."""
    assert [stage.get("onFailure") for stage in pipeline(delivery)["stages"]] == [None] * 4
    asked = pipeline(stack_with_rollback_together(tmp_path).under("delivery"))
    assert [stage.get("onFailure") for stage in asked["stages"]] == [None, None, None, {"result": "ROLLBACK"}]


def test_a_stack_without_a_repository_has_no_pipeline(dev_run):
    assert dev_run.under("delivery").resources == []
    assert dev_run.of_type("aws:codedeploy/deploymentGroup:DeploymentGroup") == []
