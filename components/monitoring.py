"""FunctionMonitoring: one function's cold-start metrics, alarms, saved queries and dashboard widgets.

The alarms judge the `live` alias (dimension Resource = <function>:live) wherever Lambda publishes
the metric per alias, so they watch what users call and can judge a new version during a gradual
deployment. Two metrics are not per alias: concurrency against the reservation (which covers every
version, so it is judged on the function) and the cold-start metrics, which come from the function's
log (lambda_logs.py says why and how).

Rates are metric math, never raw counts, and are computed only once at least MIN_EVENTS failures (or
cold starts, or spillovers) happened in the period: one failed call out of two is not an outage.
"""

import math
from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_aws as aws

from lambda_logs import COLD_STARTS, INIT_DURATION, log_metrics, saved_queries

LAMBDA_NAMESPACE = "AWS/Lambda"
MIN_EVENTS = 3
# One minute for what is judged on every call (throttles, slow answers), with 3 breaching minutes out
# of 5 so that a single bad minute does not page; five minutes, 2 of 3, for rates and cold starts:
# a rate needs MIN_EVENTS in its period, and at a few calls a minute a one-minute period would never
# hold them, so an outage of a quiet function would never page.
_FAST = dict(period=60, evaluation_periods=5, datapoints=3)
_SLOW = dict(period=300, evaluation_periods=3, datapoints=2)
# How long after the metrics arrive CloudWatch may take to show them (Lambda publishes each minute's
# metrics within about a minute), and how often an alarm is evaluated: once a minute. A long invocation's
# metrics can come minutes later still ("this can be several minutes before the metric is emitted"), and
# CodeDeploy stops watching when the canary ends: a canary leaves that margin too.
METRIC_DELAY_MINUTES = 1
EVALUATION_MINUTES = 1
LATE_METRICS_MARGIN_MINUTES = 2
# What only people waiting on a function URL feel (see FunctionMonitoringArgs.serves_url).
_URL_CALLERS_ONLY = ("cold-start-rate", "url-5xx-rate")


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: dict[str, str]
    stat: str  # Sum, Maximum, … or a percentile such as p95
    label: str = ""


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm as data: what it judges, against what, and what to tell the person on call."""

    key: str  # the alarm is named <function>-<key>
    title: str
    description: str
    threshold: float
    unit: str  # of the threshold, for people
    period: int
    evaluation_periods: int
    datapoints: int
    # Missing data is not breaching for every alarm here: each measures traffic (or a failure of it),
    # and no traffic means nothing is failing. The description says so.
    missing: str = "notBreaching"
    comparison: str = "GreaterThanThreshold"
    metric: Optional[Metric] = None  # a single metric, or:
    expression: str = ""  # metric math over `inputs`
    inputs: dict[str, Metric] = field(default_factory=dict)
    context: tuple[Metric, ...] = ()  # drawn beside it on the dashboard
    marks: tuple[tuple[str, float], ...] = ()  # other lines on its dashboard widget: (label, value)


@dataclass(frozen=True)
class AlarmThresholds:
    init_duration_ms: int
    cold_start_percent: int
    error_percent: int
    throttles: int
    duration_percent_of_timeout: int
    concurrency_percent_of_reserved: int
    spillover_percent: int
    url5xx_percent: int


@dataclass(frozen=True)
class ShownAlarm:
    """An alarm on the function that another of its components makes (its schedule's dead letters), drawn and listed
    in the function's dashboard section beside its own. The dashboard draws it from the alarm as registered; it is
    none of alarm_names (a canary's rollback reads those)."""

    title: str
    unit: str  # of the threshold, for people
    alarm: aws.cloudwatch.MetricAlarm  # a single metric, with a `statistic`


@dataclass(frozen=True)
class FunctionMonitoringArgs:
    function_name: str
    alias_name: Optional[str]  # what callers call; None judges the function as a whole
    log_group_name: pulumi.Input[str]  # the function's group, as an output: filters wait for it
    log_format: str
    timeout_seconds: int
    reserved_concurrency: int
    provisioned_concurrency: int
    thresholds: AlarmThresholds
    topic_arn: pulumi.Input[str]
    # People wait on a URL's answers: its 5xx and its cold-start rate matter. A function that machines call
    # now and then (the scan gate) is cold on most calls by design, so a cold-start rate would only cry wolf.
    serves_url: bool = True
    # CodeDeploy shifts the alias's traffic and rolls back on these alarms: its rates must fire within a canary.
    released_by_canary: bool = False
    # A function that runs a few times an hour (on a schedule, no URL) never gathers the failures a rate needs:
    # each failed run alarms instead.
    each_failure_alarms: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    also_shown: tuple[ShownAlarm, ...] = ()


def lambda_metric(name: str, dimensions: dict[str, str], stat: str = "Sum", label: str = "") -> Metric:
    return Metric(LAMBDA_NAMESPACE, name, dimensions, stat, label)


def watched_dimensions(function_name: str, alias_name: Optional[str]) -> dict[str, str]:
    """Lambda's dimensions for one alias (what users call through the URL), or for the whole function."""
    if alias_name is None:
        return {"FunctionName": function_name}
    return {"FunctionName": function_name, "Resource": f"{function_name}:{alias_name}"}


def metric_namespace(function_name: str) -> str:
    """Where the function's log-derived metrics go (a metric filter cannot add a fixed dimension)."""
    return f"lambdakit/{function_name}"


def _rate(key: str, title: str, events: Metric, total: Metric, percent: int, what: str, action: str,
          timing: dict) -> AlarmSpec:
    expression = (f"IF(FILL(events, 0) >= {MIN_EVENTS}, 100 * FILL(events, 0) / total, 0)")
    return AlarmSpec(
        key=key, title=title, threshold=percent, unit="%", expression=expression,
        inputs={"events": events, "total": total},
        description=(f"More than {percent}% of {what} in {_minutes(timing)} (at least {MIN_EVENTS} in a period). "
                     f"{action} No traffic is not breaching."),
        **timing)


def _failed_runs(errors: Metric, target: str, timing: dict) -> AlarmSpec:
    """Any failed run, in one period: a function called a few times an hour never holds MIN_EVENTS failures in a
    rate's period, so a rate alarm on it could never fire, in a canary or after."""
    return AlarmSpec(
        key="failed-runs", title="Failed runs", threshold=0, unit="runs", metric=errors,
        description=(f"A run of {target} failed (unhandled error, timeout or crash) in a period of "
                     f"{timing['period'] // 60} min; Lambda retries it, then sends it to the dead-letter queue. "
                     "Find it in the saved query errors; roll back the live alias if a new version did it. "
                     "No runs is not breaching."),
        period=timing["period"], evaluation_periods=1, datapoints=1)


def minutes_to_alarm(timing: dict) -> int:
    """The least time, from the first failing call, until an alarm with this timing can be in ALARM: its
    datapoints' periods must end, their metrics arrive, and one evaluation run."""
    return timing["datapoints"] * timing["period"] // 60 + METRIC_DELAY_MINUTES + EVALUATION_MINUTES


# A canary is judged by its rollback alarms (canary_release.ROLLBACK_ALARMS) while it runs: on an alias whose
# traffic CodeDeploy shifts, the rates are judged minute by minute too, so that a failing version is rolled back
# while it holds only the canary's share (five-minute periods need ten minutes and more).
RELEASE_TIMING = _FAST
MIN_CANARY_MINUTES = minutes_to_alarm(RELEASE_TIMING) + LATE_METRICS_MARGIN_MINUTES


def _minutes(timing: dict) -> str:
    minutes = timing["period"] // 60
    return f"{timing['datapoints']} of {timing['evaluation_periods']} periods of {minutes} min"


def alarm_specs(args: FunctionMonitoringArgs) -> list[AlarmSpec]:
    """Every alarm the function's real configuration makes meaningful."""
    fn, limits = args.function_name, args.thresholds
    live = watched_dimensions(fn, args.alias_name)
    target = f"the {args.alias_name} alias" if args.alias_name else "the function"
    own = metric_namespace(fn)

    def lam(name: str, stat: str = "Sum", dimensions: Optional[dict] = None, label: str = "") -> Metric:
        return lambda_metric(name, live if dimensions is None else dimensions, stat, label)

    invocations = lam("Invocations")
    timeout_ms = args.timeout_seconds * 1000
    failure_timing = RELEASE_TIMING if args.released_by_canary else _SLOW
    specs = [
        AlarmSpec(
            key="init-duration", title="Cold start: init time (p95)", threshold=limits.init_duration_ms, unit="ms",
            metric=Metric(own, INIT_DURATION, {}, "p95"),
            context=(Metric(own, INIT_DURATION, {}, "p50"), Metric(own, INIT_DURATION, {}, "Maximum")),
            description=(f"Requests that hit a cold start waited more than {limits.init_duration_ms} ms for init (p95, "
                         f"{_minutes(_SLOW)}). Look at what the image and the handler's module load at start "
                         "(saved query cold-starts); more memory gives init more CPU. No cold starts is not breaching."),
            **_SLOW),
        _rate("cold-start-rate", "Cold starts per invocation", Metric(own, COLD_STARTS, {}, "Sum", "cold starts"),
              invocations, limits.cold_start_percent, "invocations waited for a cold start",
              "Traffic outgrows the warm environments: raise provisioned concurrency on the live alias, or find "
              "what recycles environments (crashes, out-of-memory).", _SLOW),
        _rate("error-rate", "Errors per invocation", lam("Errors", label="errors"), invocations, limits.error_percent,
              f"invocations of {target} failed (unhandled error, timeout or crash)",
              "Find the failing requests in the saved query errors; roll back the live alias if a new version did it."
              if args.alias_name else "Find the failing requests in the saved query errors.",
              failure_timing),
        AlarmSpec(
            key="throttles", title="Throttled invocations", threshold=limits.throttles, unit="calls/min",
            metric=lam("Throttles"),
            description=(f"More than {limits.throttles} invocations of {target} were throttled in a minute "
                         f"({_minutes(_FAST)}): callers got 429. Raise reserved concurrency or the account's "
                         "concurrency quota, or slow the callers down. No traffic is not breaching."),
            **_FAST),
        AlarmSpec(
            key="duration", title="Duration (p95) against the timeout", unit="ms",
            threshold=round(timeout_ms * limits.duration_percent_of_timeout / 100),
            metric=lam("Duration", "p95"), context=(lam("Duration", "p50"), lam("Duration", "p99")),
            description=(f"The 95th percentile of {target}'s duration is above "
                         f"{limits.duration_percent_of_timeout}% of its {args.timeout_seconds} s timeout "
                         f"({_minutes(_FAST)}): slow calls are close to being cut off. Look for a slow dependency "
                         "in the traces (X-Ray) before raising the timeout. No traffic is not breaching."),
            **_FAST),
        _rate("url-5xx-rate", "Function URL 5xx per request", lam("Url5xxCount", label="5xx"),
              lam("UrlRequestCount", label="requests"), limits.url5xx_percent,
              "function URL requests got a 5xx answer (failed invocations, and 500s the handler returned)",
              "The handler answers 500 for a bug it caught: see the saved query errors.", failure_timing),
    ]
    if not args.serves_url:
        specs = [spec for spec in specs if spec.key not in _URL_CALLERS_ONLY]
    if args.each_failure_alarms:
        specs = [_failed_runs(lam("Errors"), target, failure_timing) if spec.key == "error-rate" else spec
                 for spec in specs]
    if args.reserved_concurrency > 0:
        ceiling = math.ceil(args.reserved_concurrency * limits.concurrency_percent_of_reserved / 100)
        specs.append(AlarmSpec(
            key="concurrency", title="Concurrency against the reservation", threshold=ceiling, unit="executions",
            comparison="GreaterThanOrEqualToThreshold",
            metric=lam("ConcurrentExecutions", "Maximum", {"FunctionName": fn}),
            marks=(("reserved", args.reserved_concurrency),),
            description=(f"Concurrent executions of the function (every version) reached {ceiling}, "
                         f"{limits.concurrency_percent_of_reserved}% of its {args.reserved_concurrency} reserved "
                         f"({_minutes(_FAST)}): beyond the reservation calls are throttled. Raise the reservation "
                         "if the account allows. No traffic is not breaching."),
            **_FAST))
    if args.provisioned_concurrency > 0:
        specs.append(_rate(
            "spillover-rate", "Invocations beyond provisioned concurrency",
            lam("ProvisionedConcurrencySpilloverInvocations", label="spillover"), invocations,
            limits.spillover_percent, "invocations of the live alias found no provisioned environment free",
            f"The {args.provisioned_concurrency} provisioned environments are too few for the traffic: raise "
            "provisionedConcurrency (each spillover may be a cold start).", _SLOW))
    return specs


def _metric_args(metric: Metric, period: int) -> aws.cloudwatch.MetricAlarmMetricQueryMetricArgs:
    return aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
        namespace=metric.namespace, metric_name=metric.name, dimensions=metric.dimensions or None,
        stat=metric.stat, period=period)


def _stat_args(stat: str) -> dict:
    if stat.startswith("p"):
        # Few cold starts per period is the normal case: judge the percentile on what there is.
        return {"extended_statistic": stat, "evaluate_low_sample_count_percentiles": "evaluate"}
    return {"statistic": stat}


class FunctionMonitoring(pulumi.ComponentResource):
    alarm_arns: dict[str, pulumi.Output[str]]
    specs: list[AlarmSpec]

    def __init__(self, name: str, args: FunctionMonitoringArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("lambdakit:monitoring:FunctionMonitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.args = args
        self.metric_filters = [
            aws.cloudwatch.LogMetricFilter(
                f"{name}-{metric.metric_name}", name=f"{args.function_name}-{metric.metric_name}",
                log_group_name=args.log_group_name, pattern=metric.pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    namespace=metric_namespace(args.function_name), name=metric.metric_name, value=metric.value,
                    unit=metric.unit),
                opts=child)
            for metric in log_metrics(args.log_format).values()]
        self.queries = {
            key: aws.cloudwatch.QueryDefinition(
                f"{name}-{key}", name=f"{args.function_name}/{key}", query_string=text,
                log_group_names=[args.log_group_name], opts=child)
            for key, text in saved_queries(args.log_format).items()}
        self.specs = alarm_specs(args)
        # An alarm on a log-derived metric may exist before its filter; it waits in INSUFFICIENT_DATA.
        self.alarms = {spec.key: self._alarm(name, spec) for spec in self.specs}
        self.alarm_arns = {key: alarm.arn for key, alarm in self.alarms.items()}
        self.alarm_names = {key: alarm.name for key, alarm in self.alarms.items()}
        self.register_outputs({"alarmArns": self.alarm_arns})

    def _alarm(self, name: str, spec: AlarmSpec) -> aws.cloudwatch.MetricAlarm:
        single: dict = {}
        queries = None
        if spec.metric is not None:
            single = dict(namespace=spec.metric.namespace, metric_name=spec.metric.name,
                          dimensions=spec.metric.dimensions or None, period=spec.period, **_stat_args(spec.metric.stat))
        else:
            queries = [aws.cloudwatch.MetricAlarmMetricQueryArgs(id=query_id, metric=_metric_args(metric, spec.period),
                                                                 label=metric.label or None, return_data=False)
                       for query_id, metric in spec.inputs.items()]
            queries.append(aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="rate", expression=spec.expression, label=f"{spec.title} ({spec.unit})", return_data=True))
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.key}", name=f"{self.args.function_name}-{spec.key}", alarm_description=spec.description,
            comparison_operator=spec.comparison, threshold=spec.threshold, evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints, treat_missing_data=spec.missing, metric_queries=queries,
            alarm_actions=[self.args.topic_arn], ok_actions=[self.args.topic_arn], tags=self.args.tags,
            opts=pulumi.ResourceOptions(parent=self), **single)
