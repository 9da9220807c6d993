"""lambdakit: build the function's image, push it to ECR, run it on Lambda, and watch it."""

from pathlib import Path

import pulumi

from components.alarm_topic import AlarmTopic, AlarmTopicArgs
from components.container_function import LIVE_ALIAS, ContainerFunction, ContainerFunctionArgs
from components.container_image import ContainerImage, ContainerImageArgs
from components.dashboard import StackDashboard, StackDashboardArgs
from components.monitoring import AlarmThresholds, FunctionMonitoring, FunctionMonitoringArgs
from settings import read_stack_settings

settings = read_stack_settings()

image = ContainerImage(settings.app, ContainerImageArgs(
    repository_name=settings.function_name,
    context_dir=Path("functions", settings.app),
    platform=settings.platform,
    scan_on_push=settings.ecr_scan_on_push,
    tag_mutability=settings.ecr_tag_mutability,
    expire_untagged_days=settings.ecr_expire_untagged_days,
    keep_last_images=settings.ecr_keep_last_images,
    force_delete=settings.ecr_force_delete,
    puller_function_name=settings.function_name,
    tags=settings.tags,
))

function = ContainerFunction(settings.app, ContainerFunctionArgs(
    function_name=settings.function_name,
    image_uri=image.image_uri,
    image_size_bytes=image.image_size_bytes,
    architecture=settings.architecture,
    memory_mb=settings.memory_mb,
    timeout_seconds=settings.timeout_seconds,
    ephemeral_storage_mb=settings.ephemeral_storage_mb,
    reserved_concurrency=settings.reserved_concurrency,
    provisioned_concurrency=settings.provisioned_concurrency,
    log_retention_days=settings.log_retention_days,
    log_level=settings.log_level,
    log_format=settings.log_format,
    url_auth_type=settings.function_url_auth_type,
    cors_allow_origins=settings.cors_allow_origins,
    environment=settings.function_environment,
    tags=settings.tags,
))

# Per stack: where alarms go.
alarm_topic = AlarmTopic("alarms", AlarmTopicArgs(
    topic_name=settings.alarm_topic_name,
    alarm_name_prefix=f"{settings.stack_prefix}-",
    email=settings.alarm_email,
    tags=settings.tags,
))

monitoring = FunctionMonitoring(settings.app, FunctionMonitoringArgs(
    function_name=settings.function_name,
    alias_name=LIVE_ALIAS,
    log_group_name=function.log_group_name,
    log_format=settings.log_format,
    timeout_seconds=settings.timeout_seconds,
    reserved_concurrency=settings.reserved_concurrency,
    provisioned_concurrency=settings.provisioned_concurrency,
    thresholds=AlarmThresholds(
        init_duration_ms=settings.alarm_init_duration_ms,
        cold_start_percent=settings.alarm_cold_start_percent,
        error_percent=settings.alarm_error_percent,
        throttles=settings.alarm_throttles,
        duration_percent_of_timeout=settings.alarm_duration_percent_of_timeout,
        concurrency_percent_of_reserved=settings.alarm_concurrency_percent_of_reserved,
        spillover_percent=settings.alarm_spillover_percent,
        url5xx_percent=settings.alarm_url_server_error_percent,
    ),
    topic_arn=alarm_topic.topic_arn,
    tags=settings.tags,
))

dashboard = StackDashboard("dashboard", StackDashboardArgs(dashboard_name=settings.stack_prefix,
                                                           functions=[monitoring]))

pulumi.export("functionUrl", function.function_url)
pulumi.export("aliasArn", function.alias_arn)
pulumi.export("imageUri", image.image_uri)
pulumi.export("repositoryUrl", image.repository_url)
pulumi.export("alarmTopicArn", alarm_topic.topic_arn)
pulumi.export("dashboardName", dashboard.dashboard_name)
