"""CanaryRelease, and who owns the `live` alias on a stack with a pipeline: CodeDeploy moves it, the program
never undoes a release, and a local `up` keeps the image the alias runs."""

import json

import pytest

from aws_account.account import SimulatedCloud
from aws_account.refusals import AwsRefusal
from components.canary_release import ROLLBACK_ALARMS
from components.monitoring import MIN_CANARY_MINUTES
from tests.components.pipeline_run import with_function_setting
from tests.conftest import PUSHED_IMAGE_BYTES, run_stack

GROUP = "aws:codedeploy/deploymentGroup:DeploymentGroup"
ALIAS, FUNCTION = "aws:lambda/alias:Alias", "aws:lambda/function:Function"


@pytest.fixture(scope="module")
def release(prod_run):
    return prod_run.under("api-release")


def test_the_canary_is_the_settings_share_for_the_settings_minutes(stack_runner):
    config = stack_runner("prod", {"pipelineCanaryPercent": 25, "pipelineCanaryMinutes": 15}).under(
        "api-release").one("aws:codedeploy/deploymentConfig:DeploymentConfig").inputs
    assert config["computePlatform"] == "Lambda"
    assert config["trafficRoutingConfig"] == {"type": "TimeBasedCanary",
                                              "timeBasedCanary": {"percentage": 25, "interval": 15}}
    # A configuration cannot change: new values make a new name, so an update replaces it cleanly.
    assert config["deploymentConfigName"] == "lambdakit-prod-api-canary-25pct-15min"


def test_prods_canary_is_ten_percent_for_ten_minutes_long_enough_for_its_rollback_alarms(release):
    config = release.one("aws:codedeploy/deploymentConfig:DeploymentConfig").inputs
    assert config["trafficRoutingConfig"]["timeBasedCanary"] == {"percentage": 10, "interval": 10}
    assert MIN_CANARY_MINUTES <= 10


def test_the_group_rolls_back_on_failure_and_on_the_functions_own_alarms(release, prod_run):
    group = release.one(GROUP).inputs
    application = release.one("aws:codedeploy/application:Application").inputs
    assert (application["name"], application["computePlatform"]) == ("lambdakit-prod-api", "Lambda")
    assert (group["appName"], group["deploymentGroupName"]) == ("lambdakit-prod-api", "live")
    assert group["deploymentStyle"] == {"deploymentOption": "WITH_TRAFFIC_CONTROL", "deploymentType": "BLUE_GREEN"}
    assert group["autoRollbackConfiguration"] == {"enabled": True,
                                                  "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}
    alarms = {a.inputs["name"] for a in prod_run.under("api").of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert group["alarmConfiguration"]["enabled"] is True
    assert group["alarmConfiguration"]["ignorePollAlarmFailure"] is False
    # The api serves a URL: its failures are judged as a rate (failed-runs is a scheduled function's).
    assert group["alarmConfiguration"]["alarms"] == [f"lambdakit-prod-api-{key}" for key in ROLLBACK_ALARMS
                                                     if key != "failed-runs"]
    assert set(group["alarmConfiguration"]["alarms"]) <= alarms
    # Capacity and cold-start alarms rise in every canary (the new version starts cold): they do not roll back.
    assert not {"lambdakit-prod-api-cold-start-rate", "lambdakit-prod-api-spillover-rate"} & set(
        group["alarmConfiguration"]["alarms"])


def test_codedeploy_may_move_only_the_live_alias_and_read_only_the_rollback_alarms(release, prod_run):
    role = release.one("aws:iam/role:Role").inputs
    assert json.loads(role["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "codedeploy.amazonaws.com"}
    statements = {s["Sid"]: s for s in json.loads(release.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])[
        "Statement"]}
    function = prod_run.under("api").one(FUNCTION).state["arn"]
    # IAM checks GetAlias and UpdateAlias against the function's ARN; the provisioned-concurrency read, the alias's.
    assert (statements["ShiftTheAlias"]["Resource"], sorted(statements["ShiftTheAlias"]["Action"])) == (
        function, ["lambda:GetAlias", "lambda:UpdateAlias"])
    assert statements["ReadProvisionedConcurrency"]["Resource"] == f"{function}:live"
    assert statements["WatchTheAlarms"]["Resource"] == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:lambdakit-prod-api-*"
    assert all(a.state["arn"].startswith(statements["WatchTheAlarms"]["Resource"][:-1])
               for a in prod_run.under("api").of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))
    assert release.one(GROUP).dependencies.count(release.one("aws:iam/rolePolicy:RolePolicy").urn) == 1


def test_codedeploy_owns_the_alias_version_and_weights_only_where_it_releases(dev_run, prod_run):
    assert prod_run.under("api").one(ALIAS).ignore_changes == ["functionVersion", "routingConfig"]
    assert dev_run.under("api").one(ALIAS).ignore_changes == []


def _live(cloud: SimulatedCloud) -> dict:
    return cloud._get_function("lambdakit-prod-api", "live")


def test_a_local_up_after_a_release_keeps_the_released_image_and_the_alias(tmp_path):
    """The first `up` of a pipeline's stack builds here (nothing runs yet); the pipeline then deploys a scanned
    digest of one function and CodeDeploy moves its alias; a later local `up` builds nothing and moves nothing back.
    A function the pipeline gives no digest keeps the image its alias runs."""
    cloud = SimulatedCloud(region="eu-west-1", image_size_bytes=PUSHED_IMAGE_BYTES)
    first = run_stack("prod", cloud=cloud)
    assert len(first.of_type("docker:index/image:Image")) == 2
    repository = first.under("api").one("aws:ecr/repository:Repository").state
    worker_image = first.exports["functions"]["worker"]["imageUri"]
    released = "sha256:" + "ab" * 32
    cloud.push_image(repository["name"], "from-the-pipeline", released)
    deployed = run_stack("prod", {"imageDigests": [f"api={released}"]}, cloud=cloud)
    assert deployed.of_type("docker:index/image:Image") == []
    version = deployed.under("api").one(FUNCTION).state["version"]
    assert deployed.exports["functions"]["api"]["functionVersion"] == version == "2"
    assert deployed.exports["functions"]["worker"] == {**deployed.exports["functions"]["worker"],
                                                       "functionVersion": "1", "imageUri": worker_image}
    assert _live(cloud)["version"] == "1"  # the program published it; the alias waits for CodeDeploy
    cloud.shift_alias("lambdakit-prod-api", "live", version)
    local = run_stack("prod", cloud=cloud)
    assert local.of_type("docker:index/image:Image") == []
    assert local.exports["functions"]["api"]["imageUri"] == f"{repository['repositoryUrl']}@{released}"
    assert _live(cloud) == {**_live(cloud), "version": "2", "imageUri": f"{repository['repositoryUrl']}@{released}"}


def test_a_digest_the_repository_does_not_hold_is_refused(stack_runner):
    with pytest.raises(AwsRefusal, match="ImageNotFoundException"):
        stack_runner("prod", {"imageDigests": ["api=sha256:" + "cd" * 32]})


def test_provisioned_concurrency_cannot_change_while_a_canary_holds_the_alias():
    """Lambda refuses a provisioned-concurrency change on a weighted alias: QUEUED executions keep the pipeline's
    own `pulumi up` out of a running canary, and a person's `up` during one fails with AWS's message."""
    cloud = SimulatedCloud(region="eu-west-1", image_size_bytes=PUSHED_IMAGE_BYTES)
    repository = run_stack("prod", cloud=cloud).under("api").one("aws:ecr/repository:Repository").state["name"]
    released = {"imageDigests": ["api=sha256:" + "ef" * 32]}
    cloud.push_image(repository, "from-the-pipeline", "sha256:" + "ef" * 32)
    run_stack("prod", released, cloud=cloud)  # publishes version 2
    cloud.shift_alias("lambdakit-prod-api", "live", "2")  # a release that has ended: no weights
    after = run_stack("prod", {**released, **with_function_setting("api", "provisionedConcurrency", 3)}, cloud=cloud)
    config = after.under("api").one("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
    assert config.inputs["provisionedConcurrentExecutions"] == 3
    cloud.shift_alias("lambdakit-prod-api", "live", "2", weights={"1": 0.1})  # a canary under way
    with pytest.raises(AwsRefusal, match="Alias with weights can not be used with Provisioned Concurrency"):
        run_stack("prod", {**released, **with_function_setting("api", "provisionedConcurrency", 4)}, cloud=cloud)
