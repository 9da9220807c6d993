"""CodeDeploy in the simulated account: applications, deployment configurations and deployment groups. The
messages are the exception names and texts of botocore's codedeploy model, and "AWS CodeDeploy does not have
the permissions required to assume the role …" (go-to-k/cdkd#948).
"""

from typing import Any, Optional

from aws_account.ids import urn_uuid
from aws_account.refusals import AwsRefusal, check_name, check_one_of, known
from aws_limits import (CODEDEPLOY_COMPUTE_PLATFORMS, CODEDEPLOY_MAX_ALARMS, CODEDEPLOY_NAME,
                        CODEDEPLOY_ROLLBACK_EVENTS, CODEDEPLOY_SERVER_DEFAULTS, CODEDEPLOY_SHIFT_INTERVAL_MINUTES,
                        CODEDEPLOY_SHIFT_PERCENT, CODEDEPLOY_TRAFFIC_TYPES)

APPLICATION = "aws:codedeploy/application:Application"
DEPLOYMENT_CONFIG = "aws:codedeploy/deploymentConfig:DeploymentConfig"


class SimulatedCodeDeploy:
    """Mixed into SimulatedCloud (account.py): needs `arn()`, `_state()`, `_existing()`, and SimulatedIam's
    `_check_service_role()`."""

    def codedeploy_creators(self) -> dict:
        return {
            APPLICATION: self._application,
            DEPLOYMENT_CONFIG: self._deployment_config,
            "aws:codedeploy/deploymentGroup:DeploymentGroup": self._deployment_group,
        }

    def _application(self, step, previous, inputs, name) -> dict:
        check_name(CODEDEPLOY_NAME, name)
        platform = inputs.get("computePlatform", "Server")
        _check_platform(platform)
        application_id = urn_uuid(step.urn)
        return {"id": f"{application_id}:{name}", "applicationId": application_id, "computePlatform": platform,
                "arn": self.arn("codedeploy", f"application:{name}"), "linkedToGithub": False}

    def _deployment_config(self, step, previous, inputs, name) -> dict:
        config_name = inputs.get("deploymentConfigName")
        check_name(CODEDEPLOY_NAME, config_name)
        platform = inputs.get("computePlatform", "Server")
        _check_platform(platform)
        if platform in ("Lambda", "ECS"):
            _check_traffic_routing(inputs.get("trafficRoutingConfig"))
        return {"id": config_name, "deploymentConfigId": urn_uuid(step.urn),
                "arn": self.arn("codedeploy", f"deploymentconfig:{config_name}")}

    def _deployment_group(self, step, previous, inputs, name) -> dict:
        app_name, group_name = inputs.get("appName"), inputs.get("deploymentGroupName")
        check_name(CODEDEPLOY_NAME, group_name)
        self._existing(APPLICATION, "name", app_name, "application",
                       "ApplicationDoesNotExistException: The application does not exist with the user or Amazon "
                       "Web Services account.")
        platform = (self._state(APPLICATION, "name", app_name) or {}).get("computePlatform")
        # The provider's default when none is named, as for a Server application.
        self._check_group_config(inputs.get("deploymentConfigName") or "CodeDeployDefault.OneAtATime", platform)
        if platform == "Lambda":
            _check_lambda_style(inputs.get("deploymentStyle"))
        _check_alarms_and_rollback(inputs.get("alarmConfiguration") or {},
                                   inputs.get("autoRollbackConfiguration") or {})
        self._check_service_role(step, previous, inputs, "serviceRoleArn", "codedeploy",
                                 "InvalidRoleException: AWS CodeDeploy does not have the permissions required to "
                                 "assume the role {role}.")
        group_id = urn_uuid(step.urn)
        return {"id": group_id, "deploymentGroupId": group_id, "computePlatform": platform,
                "arn": self.arn("codedeploy", f"deploymentgroup:{app_name}/{group_name}")}

    def _check_group_config(self, config_name: Any, platform: Optional[str]) -> None:
        """The group's deployment configuration exists (the account's own, or one of CodeDeploy's) and is for
        the application's compute platform. The mismatch's message is the simulation's wording."""
        if not known(config_name, platform):
            return
        custom = self._state(DEPLOYMENT_CONFIG, "deploymentConfigName", config_name)
        config_platform = custom.get("computePlatform", "Server") if custom else _predefined_platform(config_name)
        if config_platform is None:
            raise AwsRefusal("DeploymentConfigDoesNotExistException: The deployment configuration does not exist "
                             f"with the user or Amazon Web Services account. ({config_name})")
        if config_platform != platform:
            raise AwsRefusal(f"InvalidDeploymentConfigNameException: deployment configuration {config_name} is for "
                             f"the {config_platform} compute platform; the application's is {platform}")


def _check_platform(platform: Any) -> None:
    if known(platform) and platform not in CODEDEPLOY_COMPUTE_PLATFORMS:
        raise AwsRefusal("InvalidComputePlatformException: The computePlatform is invalid. The computePlatform should "
                         "be Lambda, Server, or ECS.")


def _check_traffic_routing(config: Optional[dict]) -> None:
    """A Lambda (or ECS) configuration says how traffic moves: a canary or linear shift of 1..99 % at a time,
    at most 2,880 minutes apart. The messages are the simulation's, under CodeDeploy's exception."""
    error = "InvalidTrafficRoutingConfigurationException"
    if not config:
        raise AwsRefusal(f"{error}: a Lambda or ECS deployment configuration needs a trafficRoutingConfig")
    kind = config.get("type", "AllAtOnce")
    check_one_of("trafficRoutingConfig.type", kind, CODEDEPLOY_TRAFFIC_TYPES, error)
    key = {"TimeBasedCanary": "timeBasedCanary", "TimeBasedLinear": "timeBasedLinear"}.get(kind)
    if key is None:
        return
    shift = config.get(key) or {}
    for field, bounds in (("percentage", CODEDEPLOY_SHIFT_PERCENT), ("interval", CODEDEPLOY_SHIFT_INTERVAL_MINUTES)):
        value = shift.get(field)
        if value is None or (known(value) and not bounds[0] <= value <= bounds[1]):
            raise AwsRefusal(f"{error}: a {kind} configuration needs {key}.{field} in {bounds[0]}..{bounds[1]}, "
                             f"not {value}")


def _predefined_platform(config_name: str) -> Optional[str]:
    if config_name.startswith("CodeDeployDefault.Lambda"):
        return "Lambda"
    if config_name.startswith("CodeDeployDefault.ECS"):
        return "ECS"
    return "Server" if config_name in CODEDEPLOY_SERVER_DEFAULTS else None


def _check_lambda_style(style: Optional[dict]) -> None:
    """A Lambda application's group shifts traffic between versions: BLUE_GREEN with WITH_TRAFFIC_CONTROL, the
    only style CodeDeploy takes for Lambda (when none is given, CodeDeploy sets it)."""
    if style and (style.get("deploymentType"), style.get("deploymentOption")) != ("BLUE_GREEN", "WITH_TRAFFIC_CONTROL"):
        raise AwsRefusal(f"InvalidDeploymentStyleException: a deployment group of a Lambda application must be "
                         f"BLUE_GREEN with WITH_TRAFFIC_CONTROL, not {style.get('deploymentType')} with "
                         f"{style.get('deploymentOption')}")


def _check_alarms_and_rollback(alarms: dict, rollback: dict) -> None:
    """CreateDeploymentGroup's alarm and rollback rules, in the words of botocore's codedeploy model; that
    stopping on an alarm needs alarms to watch is the simulation's wording."""
    names = alarms.get("alarms") or []
    if len(names) > CODEDEPLOY_MAX_ALARMS:
        raise AwsRefusal(f"AlarmsLimitExceededException: The maximum number of alarms for a deployment group "
                         f"({CODEDEPLOY_MAX_ALARMS}) was exceeded.")
    if alarms.get("enabled") and not names:
        raise AwsRefusal("InvalidAlarmConfigException: The alarm configuration is enabled, but the alarm list is "
                         "empty.")
    if len(set(names)) != len(names):
        raise AwsRefusal("InvalidAlarmConfigException: Two alarms with the same name have been specified.")
    events = rollback.get("events") or []
    for event in events:
        check_one_of("rollback event", event, CODEDEPLOY_ROLLBACK_EVENTS, "InvalidAutoRollbackConfigException")
    if rollback.get("enabled") and not events:
        raise AwsRefusal("InvalidAutoRollbackConfigException: automatic rollback is enabled, but no event types "
                         "were listed")
    if rollback.get("enabled") and "DEPLOYMENT_STOP_ON_ALARM" in events and not alarms.get("enabled"):
        raise AwsRefusal("InvalidAutoRollbackConfigException: DEPLOYMENT_STOP_ON_ALARM needs an enabled alarm "
                         "configuration")
