"""CanaryRelease: how a function's new version takes the `live` alias's traffic. A CodeDeploy Lambda
deployment gives it a share first (a canary), then all of it, and rolls back when a watched alarm fires.

CodeDeploy owns the alias's version and weights from then on; the function's component stops setting
them (ContainerFunction, `traffic_shifted_by_codedeploy`). The pipeline's Canary action starts the deployment
(pipeline/release.py); this component holds what it needs: the application, the canary configuration, the
deployment group with its alarms, and the role CodeDeploy acts with.
"""

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.iam import policy_document, service_role

# The alarms that stop a release: what the new version itself does wrong. Cold starts, init time, concurrency
# and spillover are left out: a new version starts cold and takes traffic from warm environments, so those
# rise during every canary, and a capacity alarm says nothing against the code.
ROLLBACK_ALARMS = ("error-rate", "failed-runs", "url-5xx-rate", "throttles", "duration")
# What CodeDeploy answers to: a failed deployment, and an alarm that fired while it ran.
ROLLBACK_EVENTS = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
DEPLOYMENT_GROUP = "live"


@dataclass(frozen=True)
class CanaryReleaseArgs:
    application_name: str  # named after the function
    function_name: str
    function_arn: pulumi.Input[str]
    alias_name: str
    canary_percent: int
    canary_minutes: int
    alarm_names: dict[str, pulumi.Input[str]]  # the function's alarms by key (FunctionMonitoring's)
    role_name: str
    role_boundary_arn: pulumi.Input[str]  # the stack's RoleBoundary
    tags: dict[str, str] = field(default_factory=dict)


def codedeploy_policy(function_arn: str, alias: str, alarm_pattern: str) -> str:
    """AWSCodeDeployRoleForLambda, cut down to one function's alias and its alarms: no hooks (lambda:InvokeFunction
    of CodeDeployHook_*), no S3 revisions (the AppSpec travels in the request), no SNS triggers. IAM checks
    GetAlias and UpdateAlias against the function's own ARN (not the alias's); the provisioned-concurrency read
    against the alias."""
    return policy_document([
        {"Sid": "ShiftTheAlias", "Effect": "Allow", "Action": ["lambda:GetAlias", "lambda:UpdateAlias"],
         "Resource": function_arn},
        {"Sid": "ReadProvisionedConcurrency", "Effect": "Allow", "Action": ["lambda:GetProvisionedConcurrencyConfig"],
         "Resource": f"{function_arn}:{alias}"},
        # By the function's name prefix: a caller that lists alarms without naming them is checked on alarm:<prefix>*.
        {"Sid": "WatchTheAlarms", "Effect": "Allow", "Action": ["cloudwatch:DescribeAlarms"], "Resource": alarm_pattern},
    ])


def deployment_config_name(application_name: str, percent: int, minutes: int) -> str:
    """A configuration cannot change once created: its values are in its name, so new values make a new one."""
    return f"{application_name}-canary-{percent}pct-{minutes}min"


def deployment_configs_of(application_name: str) -> str:
    """Every canary configuration the application may have (a pattern of deployment_config_name): what reads
    it is granted this, so a new canary setting changes no role's policy."""
    return f"{application_name}-canary-*"


def alarms_of(function_arn: str) -> str:
    """Every alarm of the function (all are named <function>-<key>), in its account and Region."""
    partition, _, region, account, _, name = function_arn.split(":")[1:7]
    return f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}-*"


class CanaryRelease(pulumi.ComponentResource):
    application_name: pulumi.Output[str]
    deployment_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: CanaryReleaseArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("lambdakit:delivery:CanaryRelease", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        watched = [key for key in ROLLBACK_ALARMS if key in args.alarm_names]

        # CodeDeploy assumes the role for a deployment group, named in aws:SourceArn.
        role = service_role(name, args.role_name, "codedeploy", args.tags, self, args.role_boundary_arn,
                            source_arn="arn:${Partition}:codedeploy:${Region}:${Account}:deploymentgroup:"
                                       f"{args.application_name}/*")
        role_policy = aws.iam.RolePolicy(
            name, role=role.id,
            policy=pulumi.Output.from_input(args.function_arn).apply(
                lambda arn: codedeploy_policy(arn, args.alias_name, alarms_of(arn))),
            opts=child)
        application = aws.codedeploy.Application(name, name=args.application_name, compute_platform="Lambda",
                                                 tags=args.tags, opts=child)
        config = aws.codedeploy.DeploymentConfig(
            name, deployment_config_name=deployment_config_name(args.application_name, args.canary_percent,
                                                                args.canary_minutes),
            compute_platform="Lambda",
            traffic_routing_config=aws.codedeploy.DeploymentConfigTrafficRoutingConfigArgs(
                type="TimeBasedCanary",
                time_based_canary=aws.codedeploy.DeploymentConfigTrafficRoutingConfigTimeBasedCanaryArgs(
                    percentage=args.canary_percent, interval=args.canary_minutes)),
            opts=child)
        group = aws.codedeploy.DeploymentGroup(
            name, app_name=application.name, deployment_group_name=DEPLOYMENT_GROUP,
            service_role_arn=role.arn, deployment_config_name=config.deployment_config_name,
            # The only style CodeDeploy takes for Lambda: a new version beside the old, traffic moved by the alias.
            deployment_style=aws.codedeploy.DeploymentGroupDeploymentStyleArgs(
                deployment_option="WITH_TRAFFIC_CONTROL", deployment_type="BLUE_GREEN"),
            auto_rollback_configuration=aws.codedeploy.DeploymentGroupAutoRollbackConfigurationArgs(
                enabled=True, events=ROLLBACK_EVENTS),
            alarm_configuration=aws.codedeploy.DeploymentGroupAlarmConfigurationArgs(
                enabled=True, alarms=[args.alarm_names[key] for key in watched],
                # An alarm CodeDeploy cannot read stops the release rather than being taken as quiet.
                ignore_poll_alarm_failure=False),
            tags=args.tags,
            # CodeDeploy checks the role when the group is created: it must already hold its policy.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]))

        self.canary_minutes = args.canary_minutes
        self.application_name = application.name
        self.deployment_group_name = group.deployment_group_name
        self.deployment_group_arn = group.arn
        self.application_arn = application.arn
        self.deployment_config_name = config.deployment_config_name
        self.register_outputs({"applicationName": self.application_name,
                               "deploymentGroupName": self.deployment_group_name})
