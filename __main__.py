"""lambdakit: build each function's image, push it to ECR, run it on Lambda, watch it, and (on a stack that asks
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

from policies.collector import collect_for_one_long_lived_heap

collect_for_one_long_lived_heap()  # a stack of many functions is a large heap: policies/collector.py

import pulumi

from components.alarm_topic import BUDGET_NOTIFICATIONS, PIPELINE_NOTIFICATIONS, AlarmTopic, AlarmTopicArgs
from components.budget import StackBudget, StackBudgetArgs
from components.container_function import LIVE_ALIAS
from components.dashboard import StackDashboard, StackDashboardArgs
from components.function_basics import FunctionLogs
from components.lambda_service import ImageRepositoryRules, LambdaService, LambdaServiceArgs, alarm_thresholds
from components.monitoring import FunctionMonitoring, FunctionMonitoringArgs
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

# Per function: its image, the function, its alarms, its schedule, its release.
repository_rules = ImageRepositoryRules(
    scan_on_push=settings.ecr_scan_on_push,
    tag_mutability=settings.ecr_tag_mutability,
    expire_untagged_days=settings.ecr_expire_untagged_days,
    keep_last_images=settings.ecr_keep_last_images,
    force_delete=settings.ecr_force_delete,
)
services = [LambdaService(function.name, LambdaServiceArgs(
    function=function,
    architecture=settings.architecture,
    platform=settings.platform,
    repository_rules=repository_rules,
    logs=function_logs,
    environment=settings.function_environment(function),
    role_boundary_arn=role_boundary.policy_arn,
    topic_arn=alarm_topic.topic_arn,
    delivered_by_pipeline=settings.has_pipeline,
    tags=settings.function_tags(function),
)) for function in settings.functions]
monitored = [service.monitoring for service in services]

if settings.ecr_enhanced_scanning != "OFF":
    RegistryScanning("registry-scanning", RegistryScanningArgs(
        scan_frequency=settings.ecr_enhanced_scanning,
        repository_names=[service.repository_name for service in services]))

if settings.has_pipeline:
    # Per stack: the pipeline's scan gate, watched like any function; it exists only where a pipeline calls it.
    scan_gate = ScanGate("scan-gate", ScanGateArgs(
        function_name=settings.scan_gate_function_name,
        repository_arns=[service.repository_arn for service in services],
        gate_defaults=settings.gate_defaults,
        logs=function_logs,
        read_enhanced_findings=settings.ecr_enhanced_scanning != "OFF",
        role_boundary_arn=role_boundary.policy_arn,
        tags=settings.tags,
    ))
    monitored.append(FunctionMonitoring("scan-gate", FunctionMonitoringArgs(
        function_name=settings.scan_gate_function_name,
        alias_name=None,
        log_group_name=scan_gate.log_group_name,
        log_format=settings.log_format,
        timeout_seconds=GATE_TIMEOUT_SECONDS,
        reserved_concurrency=-1,
        provisioned_concurrency=0,
        thresholds=alarm_thresholds(settings),  # the stack's own values
        topic_arn=alarm_topic.topic_arn,
        serves_url=False,
        tags=settings.tags,
    )))
    pipeline = DeliveryPipeline("delivery", DeliveryPipelineArgs(
        names=settings.delivery_names,
        stack=settings.stack,
        pulumi_stack=f"{pulumi.get_organization()}/{settings.project}/{settings.stack}",
        repository_id=settings.pipeline_repository,
        branch=settings.pipeline_branch,
        provider=settings.pipeline_provider,
        connection_arn=settings.pipeline_connection_arn,
        artifact_days=settings.pipeline_artifact_days,
        log_retention_days=settings.log_retention_days,
        functions=[DeliveredFunction(app=service.function_settings.name, platform=settings.platform,
                                     function_name=service.function_settings.function_name,
                                     function_arn=service.function_arn, alias_name=LIVE_ALIAS,
                                     repository_name=service.repository_name, repository_url=service.repository_url,
                                     repository_arn=service.repository_arn,
                                     release=service.release) for service in services],
        scan_gate_function_name=scan_gate.function_name,
        scan_gate_function_arn=scan_gate.function_arn,
        topic_arn=alarm_topic.topic_arn,
        role_boundary_arn=role_boundary.policy_arn,
        tags=settings.tags,
        own_tags=settings.fixed_tags,
        rollback_together=settings.pipeline_rollback_together,
    ), opts=pulumi.ResourceOptions(depends_on=[alarm_topic]))  # its failures may publish once the topic lets them
    pulumi.export("pipelineName", pipeline.pipeline_name)
    pulumi.export("connectionArn", pipeline.connection_arn)
    # A connection the stack creates stays PENDING until a person completes its handshake there.
    pulumi.export("connectionConsole", pipeline.connection_console)
    pulumi.export("pulumiTokenSecretArn", pipeline.token_secret_arn)
    pulumi.export("scanGateFunctionName", scan_gate.function_name)

dashboard = StackDashboard("dashboard", StackDashboardArgs(dashboard_name=settings.stack_prefix, functions=monitored))

# Per function, by its folder's name: what a caller, the pipeline's release and `make validate` read.
pulumi.export("functions", {service.function_settings.name: {
    "functionName": service.function_settings.function_name,
    "functionUrl": service.function_url,
    "functionUrlAuthType": service.function.function_url_auth_type,
    "aliasArn": service.alias_arn,
    "functionVersion": service.function_version,
    "imageUri": service.image_uri,
    "repositoryUrl": service.repository_url,
} for service in services})
pulumi.export("alarmTopicArn", alarm_topic.topic_arn)
pulumi.export("dashboardName", dashboard.dashboard_name)
pulumi.export("dashboardNames", dashboard.dashboard_names)  # more than one when its functions fill pages
