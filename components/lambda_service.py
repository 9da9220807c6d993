"""LambdaService: everything one function of the stack has of its own. Its image and repository, the function
with its role, logs, `live` alias and (unless it has none) URL, its alarms and dashboard row, its schedule when
it runs on one, and its CodeDeploy release when a pipeline delivers the stack.

What the stack's functions share (the role boundary, the alarm topic, the logs' retention and format, the image
repository's rules) comes in from the program; each function's own values come from its FunctionSettings.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pulumi

from components.canary_release import CanaryRelease, CanaryReleaseArgs
from components.container_function import LIVE_ALIAS, ContainerFunction, ContainerFunctionArgs
from components.container_image import ContainerImage, ContainerImageArgs
from components.function_basics import FunctionLogs
from components.monitoring import AlarmThresholds, FunctionMonitoring, FunctionMonitoringArgs, ShownAlarm
from components.scheduled_trigger import ScheduledTrigger, ScheduledTriggerArgs
from function_settings import FunctionSettings, FunctionValues

# Before functions had a component of their own, their parts were the stack's children: the alias keeps a stack
# that was deployed then from replacing them.
_MOVED_FROM_THE_STACK = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]


@dataclass(frozen=True)
class ImageRepositoryRules:
    """How every function's image repository keeps and scans its images (the stack's ecr* settings)."""

    scan_on_push: bool
    tag_mutability: str
    expire_untagged_days: int
    keep_last_images: int
    force_delete: bool


@dataclass(frozen=True)
class LambdaServiceArgs:
    function: FunctionSettings
    architecture: str
    platform: str
    repository_rules: ImageRepositoryRules
    logs: FunctionLogs
    environment: dict[str, str]  # what the function gets, its own variables and the stack's
    role_boundary_arn: pulumi.Input[str]  # the stack's RoleBoundary
    topic_arn: pulumi.Input[str]  # the stack's alarm topic
    # A pipeline delivers the stack: it deploys the images it scanned, and CodeDeploy releases each version.
    delivered_by_pipeline: bool = False
    tags: dict[str, str] = field(default_factory=dict)


def alarm_thresholds(function: FunctionValues) -> AlarmThresholds:
    """A function's alarm thresholds (or the stack's, for a function of the stack's own such as the scan gate)."""
    return AlarmThresholds(
        init_duration_ms=function.alarm_init_duration_ms,
        cold_start_percent=function.alarm_cold_start_percent,
        error_percent=function.alarm_error_percent,
        throttles=function.alarm_throttles,
        duration_percent_of_timeout=function.alarm_duration_percent_of_timeout,
        concurrency_percent_of_reserved=function.alarm_concurrency_percent_of_reserved,
        spillover_percent=function.alarm_spillover_percent,
        url5xx_percent=function.alarm_url_server_error_percent,
    )


class LambdaService(pulumi.ComponentResource):
    repository_url: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    image_uri: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    alias_arn: pulumi.Output[str]
    function_url: Optional[pulumi.Output[str]]
    release: Optional[CanaryRelease]

    def __init__(self, name: str, args: LambdaServiceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("lambdakit:service:LambdaService", name, None, opts)
        function, moved = args.function, pulumi.ResourceOptions(parent=self, aliases=_MOVED_FROM_THE_STACK)
        self.function_settings = function
        self.image = self._image(name, args, moved)
        self.function = ContainerFunction(name, ContainerFunctionArgs(
            function_name=function.function_name,
            image_uri=self.image.image_uri,
            image_size_bytes=self.image.image_size_bytes,
            architecture=args.architecture,
            memory_mb=function.memory_mb,
            timeout_seconds=function.timeout_seconds,
            ephemeral_storage_mb=function.ephemeral_storage_mb,
            reserved_concurrency=function.reserved_concurrency,
            provisioned_concurrency=function.provisioned_concurrency,
            logs=args.logs,
            url_auth_type=function.function_url_auth_type,
            role_boundary_arn=args.role_boundary_arn,
            cors_allow_origins=function.cors_allow_origins,
            environment=args.environment,
            tags=args.tags,
            traffic_shifted_by_codedeploy=args.delivered_by_pipeline,
        ), opts=moved)
        self.trigger = self._schedule(name, args) if function.schedule else None
        self.monitoring = FunctionMonitoring(name, FunctionMonitoringArgs(
            function_name=function.function_name,
            alias_name=LIVE_ALIAS,
            log_group_name=self.function.log_group_name,
            log_format=args.logs.format,
            timeout_seconds=function.timeout_seconds,
            reserved_concurrency=function.reserved_concurrency,
            provisioned_concurrency=function.provisioned_concurrency,
            thresholds=alarm_thresholds(function),
            topic_arn=args.topic_arn,
            serves_url=function.has_url,
            released_by_canary=args.delivered_by_pipeline,
            each_failure_alarms=bool(function.schedule) and not function.has_url,
            tags=args.tags,
            # The schedule's dead letters page like the function's own alarms: its dashboard row shows them too.
            also_shown=(ShownAlarm("Dead letters: scheduled runs lost for good", "messages", self.trigger.alarm),)
            if self.trigger else (),
        ), opts=moved)
        self.release = self._release(name, args, moved) if args.delivered_by_pipeline else None

        self.repository_url = self.image.repository_url
        self.repository_arn = self.image.repository_arn
        self.repository_name = self.image.repository_name
        self.image_uri = self.image.image_uri
        self.function_arn = self.function.function_arn
        self.function_version = self.function.function_version
        self.alias_arn = self.function.alias_arn
        self.function_url = self.function.function_url
        self.register_outputs({
            "functionName": function.function_name, "functionArn": self.function_arn, "aliasArn": self.alias_arn,
            "functionVersion": self.function_version, "functionUrl": self.function_url,
            "imageUri": self.image_uri, "repositoryUrl": self.repository_url})

    def _image(self, name: str, args: LambdaServiceArgs, opts: pulumi.ResourceOptions) -> ContainerImage:
        function, rules = args.function, args.repository_rules
        return ContainerImage(name, ContainerImageArgs(
            repository_name=function.function_name,
            context_dir=Path("functions", function.name),
            platform=args.platform,
            scan_on_push=rules.scan_on_push,
            tag_mutability=rules.tag_mutability,
            expire_untagged_days=rules.expire_untagged_days,
            keep_last_images=rules.keep_last_images,
            force_delete=rules.force_delete,
            puller_function_name=function.function_name,
            tags=args.tags,
            image_digest=function.image_digest,
            # A pipeline's stack deploys what the pipeline scanned: a local `up` keeps the image the alias runs.
            keep_image_of_alias=LIVE_ALIAS if args.delivered_by_pipeline else None,
        ), opts=opts)

    def _schedule(self, name: str, args: LambdaServiceArgs) -> ScheduledTrigger:
        function = args.function
        return ScheduledTrigger(name, ScheduledTriggerArgs(
            function_name=function.function_name,
            alias_arn=self.function.alias_arn,
            function_role_name=self.function.role.name,
            schedule_expression=function.schedule,
            schedule_timezone=function.schedule_timezone,
            schedule_retry_attempts=function.schedule_retry_attempts,
            schedule_max_event_age_seconds=function.schedule_max_event_age_seconds,
            async_retry_attempts=function.async_retry_attempts,
            async_max_event_age_seconds=function.async_max_event_age_seconds,
            topic_arn=args.topic_arn,
            role_boundary_arn=args.role_boundary_arn,
            tags=args.tags,
        ), opts=pulumi.ResourceOptions(parent=self))

    def _release(self, name: str, args: LambdaServiceArgs, opts: pulumi.ResourceOptions) -> CanaryRelease:
        function = args.function
        return CanaryRelease(f"{name}-release", CanaryReleaseArgs(
            application_name=function.function_name,
            function_name=function.function_name,
            function_arn=self.function.function_arn,
            alias_name=LIVE_ALIAS,
            canary_percent=function.pipeline_canary_percent,
            canary_minutes=function.pipeline_canary_minutes,
            alarm_names=self.monitoring.alarm_names,
            role_name=function.codedeploy_role,
            role_boundary_arn=args.role_boundary_arn,
            tags=args.tags,
        ), opts=opts)
