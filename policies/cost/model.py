"""The monthly cost of a planned stack: one model for the offline preview (which prints it) and for the pack's
`stack-monthly-budget` rule (which judges it), so the figure a person reads is the figure the pack blocks on.

Each resource is priced from its planned inputs, the usage the plan cannot know (usage.py) and the dated
price table (prices.json). A month is AWS's 730 hours. A resource whose price depends on a value not known
yet is priced as unknown and the estimate is marked partial; the known part still adds up.
"""

from dataclasses import dataclass, replace
from typing import Callable, Iterable, Optional

from . import wire
from .estimate import Charge, Estimate, LineItem, Projection
from .plan import CODEBUILD_PROJECT, FUNCTION, PIPELINE, Plan, Resource, Unpriced, known, pipeline_actions
from .prices import NoPrice, PriceTable
from .usage import Usage

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
GIB = 1024 ** 3  # AWS bills data and storage in binary gigabytes
LAMBDA_FREE_STORAGE_MB = 512  # ephemeral storage up to this is included in the duration price
# X-Ray's default sampling rule: the first request each second, then 5% of the rest.
XRAY_RESERVOIR_PER_SECOND, XRAY_FIXED_RATE = 1, 0.05
# A pipeline action that is neither a build nor a wait is counted as one action minute (a source fetch,
# a Lambda invoke that answers at once).
SHORT_ACTION_MINUTES = 1

# What the stack creates at no charge of its own, and why.
FREE = {
    "aws:lambda/functionUrl:FunctionUrl": "no charge of its own; its calls are the function's requests",
    "aws:lambda/alias:Alias": "no charge",
    "aws:lambda/permission:Permission": "no charge",
    "aws:iam/role:Role": "IAM has no charge",
    "aws:iam/rolePolicy:RolePolicy": "IAM has no charge",
    "aws:iam/policy:Policy": "IAM has no charge",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM has no charge",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "no charge",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "no charge; it bounds the repository's storage",
    "docker:index/image:Image": "built where `pulumi up` or the pipeline runs; its storage is the repository's",
    "aws:cloudwatch/queryDefinition:QueryDefinition": "no charge; a query is billed per GB it scans when run",
    "aws:sns/topic:Topic": "no monthly charge; publishes past the free million are $0.50 per million, and "
                           "alarms, budgets and pipeline failures publish a handful",
    "aws:sns/topicPolicy:TopicPolicy": "no charge",
    "aws:sns/topicSubscription:TopicSubscription": "no charge; e-mail past 1,000 a month is $2 per 100,000",
    "aws:sqs/queue:Queue": "no monthly charge; requests past the free million are $0.40 per million",
    "aws:kms/alias:Alias": "no charge",
    "aws:cloudwatch/eventRule:EventRule": "no charge: events AWS services send to the default bus are free",
    "aws:cloudwatch/eventTarget:EventTarget": "no charge; the pipeline run it starts is the pipeline's",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "no charge; it bounds the bucket's storage",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "no charge",
    "aws:s3/bucketPolicy:BucketPolicy": "no charge",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "no charge",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "no charge",
    "aws:s3/bucketVersioning:BucketVersioning": "no charge (the lifecycle expires old versions too)",
    "aws:codedeploy/application:Application": "no charge for deployments to Lambda",
    "aws:codedeploy/deploymentConfig:DeploymentConfig": "no charge",
    "aws:codedeploy/deploymentGroup:DeploymentGroup": "no charge for deployments to Lambda",
    "aws:codeconnections/connection:Connection": "no charge",
    "aws:codestarnotifications/notificationRule:NotificationRule": "no charge; its deliveries are topic publishes",
    "aws:budgets/budget:Budget": "no charge for a budget that only notifies (budgets with actions are billed)",
}


class _Meter:
    """Turns quantities into charges, drawing on the account's free allowances when the usage counts them
    (in the order resources are priced: the free tier is the account's, shared by everything in it)."""

    def __init__(self, prices: PriceTable, free_tier: bool):
        self.prices = prices
        self.left = dict(prices.free_tier) if free_tier else {}

    def charge(self, key: str, quantity: float, basis: str, free_tier: bool = True) -> Charge:
        """`free_tier` False: this quantity may not draw on the account's allowance even if its price has one."""
        price = self.prices.price(key)
        free = min(quantity, self.left.get(price.free_tier, 0.0)) if price.free_tier and free_tier else 0.0
        if free:
            self.left[price.free_tier] -= free
            basis += f" ({_amount(free)} {price.unit} free)"
        return Charge((quantity - free) * price.usd, basis)


def _data(gb: float) -> str:
    return f"{gb:,.2f} GB" if gb >= 1 else f"{gb * 1024:,.1f} MB"


def _amount(quantity: float) -> str:
    return f"{quantity:,.0f}" if quantity >= 100 else f"{quantity:,.2f}".rstrip("0").rstrip(".")


@dataclass
class _Context:
    plan: Plan
    usage: Optional[Usage]
    meter: _Meter

    def need_usage(self) -> Usage:
        if self.usage is None:
            raise Unpriced("the stack's usage* settings are missing or unreadable")
        return self.usage


# Lambda.

def _architecture(function: Resource) -> str:
    # Lambda runs a function that names no architecture on x86_64.
    return known((wire.texts(function.get("architectures"), f"architectures of {function.name}") or ["x86_64"])[0])


def _memory_gb(function: Resource) -> float:
    return function.number("memorySize", 128) / 1024  # Lambda's default memory is 128 MB


@dataclass(frozen=True)
class _Calls:
    per_month: float
    seconds_each: float
    source: str    # why this many calls, when not the stack's traffic
    duration: str  # one call's duration, as the basis shows it


def _calls(function: Resource, context: _Context) -> _Calls:
    """A function a pipeline invokes runs once per invocation per run, for at most its timeout; one with a URL
    serves the stack's traffic; any other is called by nothing this stack knows of."""
    usage = context.need_usage()
    per_run = context.plan.runs_per_pipeline_run(function)
    if per_run:
        timeout = function.number("timeout", 3)  # Lambda's default timeout
        return _Calls(per_run * usage.pipeline_runs_per_month, timeout, f" ({per_run} a pipeline run)",
                      f"at most {timeout:.0f} s (its timeout)")
    if context.plan.serves_traffic(function):
        return _Calls(usage.requests_per_month, usage.average_duration_ms / 1000, " (through its URL)",
                      f"{usage.average_duration_ms} ms")
    return _Calls(0, 0, " (nothing in this stack calls it)", "")


def _provisioned(function: Resource, context: _Context) -> int:
    return int(sum(c.number("provisionedConcurrentExecutions") for c in context.plan.provisioned_for(function)))


def _function(function: Resource, context: _Context) -> list[Charge]:
    arch, memory_gb, calls = _architecture(function), _memory_gb(function), _calls(function, context)
    if not calls.per_month:
        return [Charge(0.0, f"no requests{calls.source}")]
    memory = f"{memory_gb * 1024:.0f} MB, {arch}"
    provisioned = _provisioned(function, context)
    # "The Lambda free tier does not apply to functions that have Provisioned Concurrency enabled" (pricing page).
    free_tier = not provisioned
    charges = [context.meter.charge(f"lambda.requests.{arch}", calls.per_month,
                                    f"{calls.per_month:,.0f} requests{calls.source}", free_tier)]
    # Provisioned environments serve calls up to their number at once; the rest spill over to on-demand
    # ones. Traffic is taken as spread evenly over the month.
    busy = calls.per_month * calls.seconds_each / SECONDS_PER_MONTH  # environments busy on average
    on_provisioned = calls.per_month * (min(1.0, provisioned / busy) if provisioned and busy else 0.0)
    on_demand = calls.per_month - on_provisioned
    if on_demand:
        charges.append(context.meter.charge(
            f"lambda.duration.{arch}", on_demand * calls.seconds_each * memory_gb,
            f"{on_demand:,.0f} × {calls.duration} × {memory}", free_tier))
    if on_provisioned:
        charges.append(context.meter.charge(
            f"lambda.provisioned-duration.{arch}", on_provisioned * calls.seconds_each * memory_gb,
            f"{on_provisioned:,.0f} × {calls.duration} × {memory} on provisioned environments"))
    storage_mb = function.number("ephemeralStorage.size", LAMBDA_FREE_STORAGE_MB)
    if storage_mb > LAMBDA_FREE_STORAGE_MB:
        extra_gb = (storage_mb - LAMBDA_FREE_STORAGE_MB) / 1024
        charges.append(context.meter.charge(
            f"lambda.ephemeral-storage.{arch}", calls.per_month * calls.seconds_each * extra_gb,
            f"{storage_mb - LAMBDA_FREE_STORAGE_MB:.0f} MB of /tmp above {LAMBDA_FREE_STORAGE_MB} MB while running"))
    if function.text("tracingConfig.mode") == "Active":
        traced = _sampled_traces(calls.per_month)
        charges.append(context.meter.charge("xray.traces-recorded", traced,
                                            f"{traced:,.0f} traces recorded (X-Ray's default sampling, 1/s + 5%)"))
    return charges


def _sampled_traces(requests: float) -> float:
    reservoir = min(requests, XRAY_RESERVOIR_PER_SECOND * SECONDS_PER_MONTH)
    return reservoir + XRAY_FIXED_RATE * (requests - reservoir)


def _provisioned_concurrency(config: Resource, context: _Context) -> list[Charge]:
    function = context.plan.function_of(config)
    if function is None:
        raise Unpriced(f"its function ({config.get('functionName')}) is not in this stack, so its memory is not known")
    count, arch, memory_gb = int(config.number("provisionedConcurrentExecutions")), _architecture(function), \
        _memory_gb(function)
    return [context.meter.charge(
        f"lambda.provisioned.{arch}", count * memory_gb * SECONDS_PER_MONTH,
        f"{count} × {memory_gb * 1024:.0f} MB × {HOURS_PER_MONTH} h provisioned, {arch}")]


# Images.

def _kept_images(repository: Resource, context: _Context) -> int:
    """The most images the repository's lifecycle policy lets it keep."""
    lifecycle = context.plan.lifecycle_of(repository)
    policy = wire.document(lifecycle.get("policy"), f"policy of {lifecycle.name}") if lifecycle else None
    where = f"the lifecycle policy of {repository.name}"
    selections = [wire.mapping(known(rule.get("selection")), f"a rule's selection in {where}") or {}
                  for rule in wire.mappings(known((policy or {}).get("rules")), f"rules of {where}")]
    counts = [count for selection in selections
              if selection.get("countType") == "imageCountMoreThan"
              and selection.get("tagStatus") == "any"  # "tagged" rules leave other images unbounded
              and (count := wire.number(known(selection.get("countNumber")), f"a rule's countNumber in {where}"))]
    if not counts:
        raise Unpriced(f"no lifecycle rule bounds the images {repository.name} keeps")
    return int(max(counts))


def _repository(repository: Resource, context: _Context) -> list[Charge]:
    size = context.plan.image_size_bytes(repository)
    if size is None:
        return [Charge(0.0, "holds no image a function of this stack runs")]
    kept = _kept_images(repository, context)
    return [context.meter.charge(
        "ecr.storage", kept * size / GIB,
        f"{kept} images × {size / 1e6:.1f} MB kept by its lifecycle policy (at most: images share layers)")]


def _registry_scanning(configuration: Resource, context: _Context) -> list[Charge]:
    if configuration.get("scanType") != "ENHANCED":
        return [Charge(0.0, "basic scanning: no charge")]
    pushes = context.need_usage().pipeline_runs_per_month
    return [context.meter.charge("inspector.ecr-initial-scan", pushes,
                                 f"{pushes} images pushed and scanned (one a pipeline run); re-scans of continuous "
                                 "scanning are extra")]


# Logs, metrics, alarms.

def _log_group(group: Resource, context: _Context) -> list[Charge]:
    functions, builds = context.plan.log_writers(group)
    if not functions and not builds:
        return [Charge(0.0, "nothing in this stack writes to it")]
    usage = context.need_usage()
    function_bytes = sum(_calls(f, context).per_month for f in functions) * usage.log_bytes_per_request
    build_minutes = sum(_build_minutes(p, context) for p in builds)
    build_bytes = build_minutes * usage.build_log_bytes_per_minute
    charges = []
    if function_bytes:
        charges.append(context.meter.charge("logs.lambda-ingestion", function_bytes / GIB,
                                            f"{_data(function_bytes / GIB)} a month from Lambda "
                                            f"({usage.log_bytes_per_request:,} B a request)"))
    if build_bytes:
        charges.append(context.meter.charge("logs.ingestion", build_bytes / GIB,
                                            f"{_data(build_bytes / GIB)} a month from {build_minutes:,.0f} build minutes"))
    retention = group.number("retentionInDays", 0)
    if not retention:
        raise Unpriced("it keeps logs forever, so its storage grows every month")
    stored_gb = (function_bytes + build_bytes) / GIB * retention / DAYS_PER_MONTH  # months of logs kept
    charges.append(context.meter.charge("logs.storage", stored_gb,
                                        f"{_data(stored_gb)} stored ({retention:.0f} days' worth, before compression)"))
    return charges


def _metric_filter(metric_filter: Resource, context: _Context) -> list[Charge]:
    if metric_filter.get("metricTransformation.dimensions"):
        raise Unpriced("its dimensions make one metric per value they take")
    return [context.meter.charge("cloudwatch.metric", 1, "1 custom metric")]


def _alarm(alarm: Resource, context: _Context) -> list[Charge]:
    queries = alarm.mappings("metricQueries")
    metrics = 1 if alarm.get("metricName") else sum(1 for q in queries if q.get("metric"))
    query_metrics = [wire.mapping(known(q.get("metric")), f"a metric query's metric of {alarm.name}") or {}
                     for q in queries]
    periods = [alarm.number("period", 0)] + [wire.number(known(m.get("period")), f"a metric's period of {alarm.name}")
                                             for m in query_metrics]
    high_resolution = any(p and p < 60 for p in periods)
    key = "cloudwatch.alarm-high-resolution" if high_resolution else "cloudwatch.alarm"
    return [context.meter.charge(key, metrics, f"{metrics} metric{'s' * (metrics > 1)} "
                                               f"({'high' if high_resolution else 'standard'} resolution)")]


def _dashboard(dashboard: Resource, context: _Context) -> list[Charge]:
    return [context.meter.charge("cloudwatch.dashboard", 1, "1 dashboard")]


# Keys, secrets, storage.

def _kms_key(key: Resource, context: _Context) -> list[Charge]:
    rotated = wire.boolean(key.get("enableKeyRotation"), f"enableKeyRotation of {key.name}")
    rotation = "; each of its first two yearly rotations adds $1" if rotated else ""
    return [context.meter.charge("kms.key", 1, f"1 customer managed key{rotation}")]


def _secret(secret: Resource, context: _Context) -> list[Charge]:
    return [context.meter.charge("secretsmanager.secret", 1, "1 secret")]


def _bucket(bucket: Resource, context: _Context) -> list[Charge]:
    days = context.plan.expiration_days(bucket)
    if not context.plan.stores_artifacts_in(bucket):
        return [Charge(0.0, "nothing in this stack writes to it")]
    if days is None:
        raise Unpriced("no lifecycle rule expires its objects, so its storage grows every month")
    usage = context.need_usage()
    stored_gb = usage.pipeline_runs_per_month * usage.artifact_mb_per_run / 1024 * days / DAYS_PER_MONTH
    return [context.meter.charge("s3.storage", stored_gb,
                                 f"{usage.pipeline_runs_per_month} runs × {usage.artifact_mb_per_run} MB of artifacts "
                                 f"a month, kept {days} days")]


# Delivery.

def _build_minutes(project: Resource, context: _Context) -> float:
    per_run = context.plan.runs_per_pipeline_run(project) or 0
    usage = context.need_usage()
    return per_run * usage.pipeline_runs_per_month * usage.build_minutes_per_run


def _codebuild_project(project: Resource, context: _Context) -> list[Charge]:
    minutes = _build_minutes(project, context)
    if not minutes:
        return [Charge(0.0, "no pipeline of this stack starts it; billed per build minute when run")]
    environment, compute = project.text("environment.type"), project.text("environment.computeType")
    return [context.meter.charge(f"codebuild.{environment}.{compute}", minutes,
                                 f"{minutes:,.0f} build minutes on {environment} {compute}")]


def _pipeline(pipeline: Resource, context: _Context) -> list[Charge]:
    if pipeline.get("pipelineType", "V1") != "V2":
        return [context.meter.charge("codepipeline.v1-active-pipeline", 1, "1 active V1 pipeline")]
    usage = context.need_usage()
    minutes = 0.0
    for action in pipeline_actions(pipeline):
        if action.get("category") == "Approval" or action.get("owner") == "Custom":
            continue  # "charged for all action types except for manual approval and custom action types"
        minutes += usage.build_minutes_per_run if action.get("provider") == "CodeBuild" else SHORT_ACTION_MINUTES
    total = minutes * usage.pipeline_runs_per_month
    return [context.meter.charge("codepipeline.action-minute", total,
                                 f"{usage.pipeline_runs_per_month} runs × {minutes:.0f} action minutes")]


PRICERS: dict[str, Callable[[Resource, _Context], list[Charge]]] = {
    FUNCTION: _function,
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": _provisioned_concurrency,
    "aws:ecr/repository:Repository": _repository,
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": _registry_scanning,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _metric_filter,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:kms/key:Key": _kms_key,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:s3/bucket:Bucket": _bucket,
    CODEBUILD_PROJECT: _codebuild_project,
    PIPELINE: _pipeline,
}


def _is_cloud_resource(resource: Resource) -> bool:
    # Components (lambdakit:…) and providers only group and configure; the cloud bills what they hold.
    return resource.type.split(":", 1)[0] in ("aws", "docker")


def _line(resource: Resource, context: _Context) -> LineItem:
    if resource.type in FREE:
        return LineItem(resource.type, resource.name, note=FREE[resource.type])
    pricer = PRICERS.get(resource.type)
    try:
        if pricer is None:
            raise Unpriced(f"the cost model has no price for {resource.type}")
        return LineItem(resource.type, resource.name, tuple(pricer(resource, context)))
    except (Unpriced, wire.Malformed) as unknown:
        return LineItem(resource.type, resource.name, (Charge(None, f"unknown: {unknown}", isinstance(unknown, NoPrice),
                                                              isinstance(unknown, wire.Malformed)),))


def estimate(resources: Iterable[Resource], usage: Optional[Usage], prices: PriceTable) -> Estimate:
    plan = Plan(r for r in resources if _is_cloud_resource(r))
    context = _Context(plan, usage, _Meter(prices, usage.free_tier if usage else False))
    return Estimate(prices.region, prices.as_of, usage, tuple(_line(r, context) for r in plan.resources))


_ARM_TO_X86 = {"ARM_CONTAINER": "LINUX_CONTAINER", "ARM_LAMBDA_CONTAINER": "LINUX_LAMBDA_CONTAINER",
               "ARM_EC2": "LINUX_EC2"}


def _on_x86_64(resource: Resource) -> Resource:
    """The resource as it would be planned on x86_64: functions and builds alike."""
    if resource.type == FUNCTION:
        return replace(resource, props={**resource.props, "architectures": ["x86_64"]})
    environment = resource.props.get("environment")
    build_type = environment.get("type") if isinstance(environment, dict) else None
    if resource.type == CODEBUILD_PROJECT and isinstance(build_type, str) and build_type in _ARM_TO_X86:
        return replace(resource, props={**resource.props, "environment": {**environment,
                                                                          "type": _ARM_TO_X86[build_type]}})
    return resource


TRAFFIC_FACTORS = (10, 100)


def project(resources: Iterable[Resource], usage: Optional[Usage], prices: PriceTable) -> Projection:
    resources = list(resources)
    return Projection(
        planned=estimate(resources, usage, prices),
        on_x86_64=estimate([_on_x86_64(r) for r in resources], usage, prices),
        by_traffic={factor: estimate(resources, usage.scaled(factor) if usage else None, prices)
                    for factor in TRAFFIC_FACTORS})
