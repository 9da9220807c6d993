"""CodeDeploy in the simulated account refuses what CodeDeploy refuses, and accepts what it accepts: the
program's own application, canary configuration and deployment group (delivery_inputs.py), changed one
setting at a time. The rules and their sources are in aws_account/codedeploy.py and aws_limits.py."""

import pytest

from tests.aws_account.delivery_inputs import LIVE_GROUP, PROGRAM_APPLICATION, PROGRAM_CONFIG
from tests.aws_account.steps import ACCOUNT, changed, refused, register, service_role

APPLICATION = "aws:codedeploy/application:Application"
DEPLOYMENT_CONFIG = "aws:codedeploy/deploymentConfig:DeploymentConfig"
DEPLOYMENT_GROUP = "aws:codedeploy/deploymentGroup:DeploymentGroup"
APPLICATION_ARN = f"arn:aws:codedeploy:eu-west-1:{ACCOUNT}:application:lambdakit-prod-api"


@pytest.fixture
def release(cloud, delivery) -> list:
    """The program's application and canary configuration, and the CodeDeploy role with its policy."""
    return service_role(cloud, "lambdakit-prod-api-codedeploy", "codedeploy")


def test_the_programs_release_is_accepted(cloud):
    application = register(cloud, APPLICATION, "api", PROGRAM_APPLICATION)
    assert (application["arn"], application["id"]) == (
        APPLICATION_ARN, f"{application['applicationId']}:lambdakit-prod-api")
    config = register(cloud, DEPLOYMENT_CONFIG, "api", PROGRAM_CONFIG)
    assert (config["id"], config["arn"]) == ("lambdakit-prod-api-canary-10pct-5min", f"arn:aws:codedeploy:eu-west-1:"
                                             f"{ACCOUNT}:deploymentconfig:lambdakit-prod-api-canary-10pct-5min")
    group = register(cloud, DEPLOYMENT_GROUP, "api", LIVE_GROUP,
                     service_role(cloud, "lambdakit-prod-api-codedeploy", "codedeploy"))
    assert (group["arn"], group["id"], group["computePlatform"]) == (
        f"arn:aws:codedeploy:eu-west-1:{ACCOUNT}:deploymentgroup:lambdakit-prod-api/live", group["deploymentGroupId"],
        "Lambda")


@pytest.mark.parametrize("typ, inputs", [(APPLICATION, PROGRAM_APPLICATION), (DEPLOYMENT_CONFIG, PROGRAM_CONFIG)],
                         ids=["application", "deployment configuration"])
def test_the_compute_platform_is_server_lambda_or_ecs(cloud, typ, inputs):
    with refused("InvalidComputePlatformException: The computePlatform is invalid. The computePlatform should be "
                 "Lambda, Server, or ECS."):
        register(cloud, typ, "x", {**inputs, "computePlatform": "Fargate"})
    assert register(cloud, typ, "x", {**inputs, "computePlatform": "ECS"})


CANARY = "trafficRoutingConfig.timeBasedCanary"


def linear(percentage: int, interval: int) -> dict:
    return {"type": "TimeBasedLinear", "timeBasedLinear": {"percentage": percentage, "interval": interval}}


@pytest.mark.parametrize("path, value, message", [
    ("trafficRoutingConfig", None, "InvalidTrafficRoutingConfigurationException: a Lambda or ECS deployment "
                                   "configuration needs a trafficRoutingConfig"),
    (CANARY, None, "a TimeBasedCanary configuration needs timeBasedCanary.percentage in 1..99, not None"),
    (f"{CANARY}.percentage", 0, "timeBasedCanary.percentage in 1..99, not 0"),
    (f"{CANARY}.percentage", 100, "timeBasedCanary.percentage in 1..99, not 100"),
    (f"{CANARY}.interval", 0, "timeBasedCanary.interval in 1..2880, not 0"),
    (f"{CANARY}.interval", 2881, "timeBasedCanary.interval in 1..2880, not 2881"),
    ("trafficRoutingConfig", linear(100, 10), "timeBasedLinear.percentage in 1..99, not 100"),
    ("trafficRoutingConfig.type", "Blue", "InvalidTrafficRoutingConfigurationException: trafficRoutingConfig.type "
                                          "'Blue'"),
    ("deploymentConfigName", "canary 10%", "ValidationException: CodeDeploy name 'canary 10%'"),
], ids=["no traffic routing", "canary without its shift", "canary of 0 %", "canary of 100 %", "interval of 0",
        "interval of 2881", "linear of 100 %", "type Blue", "name with a space"])
def test_lambda_deployment_configs_codedeploy_refuses(cloud, path, value, message):
    with refused(message):
        register(cloud, DEPLOYMENT_CONFIG, "c", changed(PROGRAM_CONFIG, path, value))


@pytest.mark.parametrize("path, value", [
    (CANARY, {"percentage": 99, "interval": 2880}), ("trafficRoutingConfig", linear(1, 1)),
    ("trafficRoutingConfig", {"type": "AllAtOnce"}),
], ids=["canary of 99 % for 2880 minutes", "linear of 1 % every minute", "all at once"])
def test_lambda_deployment_configs_codedeploy_accepts(cloud, path, value):
    assert register(cloud, DEPLOYMENT_CONFIG, "c", changed(PROGRAM_CONFIG, path, value))["deploymentConfigId"]


@pytest.mark.parametrize("path, value, message", [
    ("appName", "lambdakit-prod-web", "ApplicationDoesNotExistException: The application does not exist with the "
                                      "user or Amazon Web Services account. (application 'lambdakit-prod-web')"),
    ("deploymentConfigName", "lambdakit-prod-api-canary-20pct-5min",
     "DeploymentConfigDoesNotExistException: The deployment configuration does not exist with the user or Amazon "
     "Web Services account. (lambdakit-prod-api-canary-20pct-5min)"),
    ("deploymentConfigName", "CodeDeployDefault.HalfAtATime",
     "InvalidDeploymentConfigNameException: deployment configuration CodeDeployDefault.HalfAtATime is for the "
     "Server compute platform; the application's is Lambda"),
    ("deploymentConfigName", None, "deployment configuration CodeDeployDefault.OneAtATime is for the Server"),
    ("deploymentStyle.deploymentType", "IN_PLACE",
     "InvalidDeploymentStyleException: a deployment group of a Lambda application must be BLUE_GREEN with "
     "WITH_TRAFFIC_CONTROL, not IN_PLACE with WITH_TRAFFIC_CONTROL"),
    ("deploymentStyle.deploymentOption", "WITHOUT_TRAFFIC_CONTROL", "not BLUE_GREEN with WITHOUT_TRAFFIC_CONTROL"),
    ("alarmConfiguration.alarms", [f"alarm-{n}" for n in range(11)],
     "AlarmsLimitExceededException: The maximum number of alarms for a deployment group (10) was exceeded."),
    ("alarmConfiguration.alarms", [], "InvalidAlarmConfigException: The alarm configuration is enabled, but the "
                                      "alarm list is empty."),
    ("alarmConfiguration.alarms", ["lambdakit-prod-api-error-rate"] * 2,
     "InvalidAlarmConfigException: Two alarms with the same name have been specified."),
    ("autoRollbackConfiguration.events", ["DEPLOYMENT_TIMEOUT"],
     "InvalidAutoRollbackConfigException: rollback event 'DEPLOYMENT_TIMEOUT' must be one of DEPLOYMENT_FAILURE"),
    ("autoRollbackConfiguration.events", [], "InvalidAutoRollbackConfigException: automatic rollback is enabled, "
                                             "but no event types were listed"),
    ("alarmConfiguration.enabled", False,
     "InvalidAutoRollbackConfigException: DEPLOYMENT_STOP_ON_ALARM needs an enabled alarm configuration"),
    ("deploymentGroupName", "live group", "ValidationException: CodeDeploy name 'live group'"),
], ids=["no such application", "no such configuration", "a Server configuration", "the provider's default "
        "configuration", "in place", "without traffic control", "11 alarms", "enabled without alarms",
        "an alarm twice", "unknown rollback event", "rollback without events", "stop on alarm without alarms",
        "name with a space"])
def test_lambda_deployment_groups_codedeploy_refuses(cloud, release, path, value, message):
    with refused(message):
        register(cloud, DEPLOYMENT_GROUP, "g", changed(LIVE_GROUP, path, value), release)


@pytest.mark.parametrize("path, value", [
    ("deploymentConfigName", "CodeDeployDefault.LambdaCanary10Percent5Minutes"),
    ("deploymentStyle", None),  # CodeDeploy sets a Lambda group's style itself
    ("alarmConfiguration.alarms", [f"alarm-{n}" for n in range(10)]),
    ("autoRollbackConfiguration.events", ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]),
], ids=["CodeDeploy's own Lambda canary", "no style", "10 alarms", "rollback without alarms"])
def test_lambda_deployment_groups_codedeploy_accepts(cloud, release, path, value):
    inputs = changed(LIVE_GROUP, path, value)
    if path == "autoRollbackConfiguration.events":
        inputs = changed(inputs, "alarmConfiguration", None)
    assert register(cloud, DEPLOYMENT_GROUP, "g", inputs, release)["deploymentGroupId"]
