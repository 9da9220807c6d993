"""lambdakit: build the function's image, push it to ECR, run it on Lambda, watch it, and (on a stack that asks
for one) deliver every change through a pipeline."""

import sys


def _run_by_a_pulumi_engine() -> bool:
    """The CLI's language host, and the mock engine of `set_mocks` (the offline preview, the tests), hand the SDK a
    resource monitor before they run this file; `python3 __main__.py` has none (outside the venv, not even the SDK)."""
    try:
        from pulumi.runtime.settings import get_monitor
    except ImportError:
        return False
    return get_monitor() is not None


if not _run_by_a_pulumi_engine():  # else the first setting read fails with a traceback that says nothing of this
    print("__main__.py is a Pulumi program: the Pulumi CLI runs it, not python. From the project folder run "
          "`pulumi preview` or `pulumi up` (--stack dev, or the stack you selected); without an AWS account or the "
          "CLI, `make preview STACK=dev` previews it offline with the policy pack.", file=sys.stderr)
    sys.exit(2)

from pathlib import Path

import pulumi

from components.alarm_topic import BUDGET_NOTIFICATIONS, PIPELINE_NOTIFICATIONS, AlarmTopic, AlarmTopicArgs
from components.budget import StackBudget, StackBudgetArgs
from components.canary_release import CanaryRelease, CanaryReleaseArgs
from components.container_function import LIVE_ALIAS, ContainerFunction, ContainerFunctionArgs
from components.container_image import ContainerImage, ContainerImageArgs
from components.dashboard import StackDashboard, StackDashboardArgs
from components.function_basics import FunctionLogs
from components.monitoring import AlarmThresholds, FunctionMonitoring, FunctionMonitoringArgs
from components.pipeline import DeliveredFunction, DeliveryPipeline, DeliveryPipelineArgs
from components.registry_scanning import RegistryScanning, RegistryScanningArgs
from components.role_boundary import RoleBoundary, RoleBoundaryArgs
from components.scan_gate import TIMEOUT_SECONDS as GATE_TIMEOUT_SECONDS
from components.scan_gate import ScanGate, ScanGateArgs
from settings import read_stack_settings

settings = read_stack_settings()
# Every function of the stack keeps and formats its logs alike.
function_logs = FunctionLogs(settings.log_retention_days, settings.log_level, settings.log_format)
# Per stack: the most any role of the stack may do, whoever creates or changes it.
role_boundary = RoleBoundary("roles", RoleBoundaryArgs(stack_prefix=settings.stack_prefix, tags=settings.fixed_tags))

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
    image_digest=settings.image_digest,
    # A pipeline's stack deploys what the pipeline scanned: a local `up` keeps the image the alias runs.
    keep_image_of_alias=LIVE_ALIAS if settings.has_pipeline else None,
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
    logs=function_logs,
    url_auth_type=settings.function_url_auth_type,
    role_boundary_arn=role_boundary.policy_arn,
    cors_allow_origins=settings.cors_allow_origins,
    environment=settings.function_environment,
    tags=settings.tags,
    traffic_shifted_by_codedeploy=settings.has_pipeline,
))

# Per stack: where alarms go.
alarm_topic = AlarmTopic("alarms", AlarmTopicArgs(
    topic_name=settings.alarm_topic_name,
    alarm_name_prefix=f"{settings.stack_prefix}-",
    email=settings.alarm_email,
    publishers=tuple(service for service, reports in ((PIPELINE_NOTIFICATIONS, settings.has_pipeline),
                                                      (BUDGET_NOTIFICATIONS, settings.has_budget)) if reports),
    tags=settings.tags,
))
if settings.has_budget:
    budget = StackBudget("budget", StackBudgetArgs(
        budget_name=settings.budget_name,
        monthly_usd=settings.budget_monthly_usd,
        actual_percent=settings.budget_actual_percent,
        forecast_percent=settings.budget_forecast_percent,
        topic_arn=alarm_topic.topic_arn,
        cost_tags=settings.cost_tags,
        tags=settings.tags,
    ), opts=pulumi.ResourceOptions(depends_on=[alarm_topic]))  # it may publish once the topic lets it
    pulumi.export("budgetName", budget.budget_name)

alarm_thresholds = AlarmThresholds(
    init_duration_ms=settings.alarm_init_duration_ms,
    cold_start_percent=settings.alarm_cold_start_percent,
    error_percent=settings.alarm_error_percent,
    throttles=settings.alarm_throttles,
    duration_percent_of_timeout=settings.alarm_duration_percent_of_timeout,
    concurrency_percent_of_reserved=settings.alarm_concurrency_percent_of_reserved,
    spillover_percent=settings.alarm_spillover_percent,
    url5xx_percent=settings.alarm_url_server_error_percent,
)
monitoring = FunctionMonitoring(settings.app, FunctionMonitoringArgs(
    function_name=settings.function_name,
    alias_name=LIVE_ALIAS,
    log_group_name=function.log_group_name,
    log_format=settings.log_format,
    timeout_seconds=settings.timeout_seconds,
    reserved_concurrency=settings.reserved_concurrency,
    provisioned_concurrency=settings.provisioned_concurrency,
    thresholds=alarm_thresholds,
    topic_arn=alarm_topic.topic_arn,
    released_by_canary=settings.has_pipeline,
    tags=settings.tags,
))

# Per stack: the pipeline's scan gate, watched like any function, and opt-in registry-wide scanning.
scan_gate = ScanGate("scan-gate", ScanGateArgs(
    function_name=settings.scan_gate_function_name,
    repository_name=image.repository_name,
    repository_arn=image.repository_arn,
    gate_defaults=settings.gate_defaults,
    logs=function_logs,
    read_enhanced_findings=settings.ecr_enhanced_scanning != "OFF",
    role_boundary_arn=role_boundary.policy_arn,
    tags=settings.tags,
))
scan_gate_monitoring = FunctionMonitoring("scan-gate", FunctionMonitoringArgs(
    function_name=settings.scan_gate_function_name,
    alias_name=None,
    log_group_name=scan_gate.log_group_name,
    log_format=settings.log_format,
    timeout_seconds=GATE_TIMEOUT_SECONDS,
    reserved_concurrency=-1,
    provisioned_concurrency=0,
    thresholds=alarm_thresholds,
    topic_arn=alarm_topic.topic_arn,
    serves_url=False,
    tags=settings.tags,
))
if settings.ecr_enhanced_scanning != "OFF":
    RegistryScanning("registry-scanning", RegistryScanningArgs(scan_frequency=settings.ecr_enhanced_scanning,
                                                               repository_names=[image.repository_name]))

if settings.has_pipeline:
    names = settings.delivery_names
    release = CanaryRelease(f"{settings.app}-release", CanaryReleaseArgs(
        application_name=settings.function_name,
        function_name=settings.function_name,
        function_arn=function.function_arn,
        alias_name=LIVE_ALIAS,
        canary_percent=settings.pipeline_canary_percent,
        canary_minutes=settings.pipeline_canary_minutes,
        alarm_names=monitoring.alarm_names,
        role_name=names.codedeploy_role,
        role_boundary_arn=role_boundary.policy_arn,
        tags=settings.tags,
    ))
    pipeline = DeliveryPipeline("delivery", DeliveryPipelineArgs(
        names=names,
        stack=settings.stack,
        pulumi_stack=f"{pulumi.get_organization()}/{settings.project}/{settings.stack}",
        repository_id=settings.pipeline_repository,
        branch=settings.pipeline_branch,
        provider=settings.pipeline_provider,
        connection_arn=settings.pipeline_connection_arn,
        artifact_days=settings.pipeline_artifact_days,
        log_retention_days=settings.log_retention_days,
        function=DeliveredFunction(app=settings.app, platform=settings.platform,
                                   function_name=settings.function_name, function_arn=function.function_arn,
                                   alias_name=LIVE_ALIAS, repository_url=image.repository_url,
                                   repository_arn=image.repository_arn, release=release),
        scan_gate_function_name=scan_gate.function_name,
        scan_gate_function_arn=scan_gate.function_arn,
        topic_arn=alarm_topic.topic_arn,
        role_boundary_arn=role_boundary.policy_arn,
        tags=settings.tags,
        own_tags=settings.fixed_tags,
    ), opts=pulumi.ResourceOptions(depends_on=[alarm_topic]))  # its failures may publish once the topic lets them
    pulumi.export("pipelineName", pipeline.pipeline_name)
    pulumi.export("connectionArn", pipeline.connection_arn)
    # A connection the stack creates stays PENDING until a person completes its handshake there.
    pulumi.export("connectionConsole", pipeline.connection_console)
    pulumi.export("pulumiTokenSecretArn", pipeline.token_secret_arn)

dashboard = StackDashboard("dashboard", StackDashboardArgs(dashboard_name=settings.stack_prefix,
                                                           functions=[monitoring, scan_gate_monitoring]))

pulumi.export("functionUrl", function.function_url)
pulumi.export("functionUrlAuthType", function.function_url_auth_type)
pulumi.export("aliasArn", function.alias_arn)
pulumi.export("functionVersion", function.function_version)
pulumi.export("imageUri", image.image_uri)
pulumi.export("repositoryUrl", image.repository_url)
pulumi.export("alarmTopicArn", alarm_topic.topic_arn)
pulumi.export("dashboardName", dashboard.dashboard_name)
pulumi.export("scanGateFunctionName", scan_gate.function_name)
