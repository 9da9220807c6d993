"""Monitoring coverage: no function reaches production unwatched.

Every Lambda function in the stack needs an alarm on its errors and an alarm on its init duration,
each with an action (an alarm nobody hears watches nothing). There is no init-duration metric in
AWS/Lambda, so the second is an alarm on a metric that a metric filter on the function's own log
group extracts from Lambda's report: `record.metrics.initDurationMs` of a JSON `platform.report`,
or the field after `Init Duration:` of a Text REPORT line. A JSON function whose system log level
is WARN never logs that report, so its filter would never publish.
"""

import re
from typing import Any, Mapping, Optional

from pulumi_policy import (EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs,
                           StackValidationPolicy)

from cost.wire import boolean, mapping, mappings, text, texts
from guard import Unjudged
from rules.common import LAMBDA_FUNCTION, schema, setting
from rules.stack import log_group_of

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
_JSON_INIT_DURATION = "$.record.metrics.initDurationMs"

_COVERAGE = schema(
    requireErrorAlarm={"type": "boolean", "default": True,
                       "description": "Every function needs an alarm on AWS/Lambda Errors for its name."},
    requireInitDurationAlarm={"type": "boolean", "default": True,
                              "description": "Every function needs an alarm on the init duration its log reports."},
)


# A metric an alarm reads: (namespace, metric name, dimensions).
Metric = tuple[Optional[str], Optional[str], Mapping]


def _metric(metric: Mapping, where: str) -> Metric:
    return (text(metric.get("namespace"), f"{where}namespace"), text(metric.get("metricName"), f"{where}metricName"),
            mapping(metric.get("dimensions"), f"{where}dimensions") or {})


def _alarm_metrics(props: Mapping) -> list[Metric]:
    """Every metric an alarm reads, alone or in metric math."""
    metrics = [_metric(props, "")] if props.get("metricName") else []
    for query in mappings(props.get("metricQueries"), "metricQueries"):
        metric = mapping(query.get("metric"), "metricQueries[].metric")
        if metric and metric.get("metricName"):
            metrics.append(_metric(metric, "metricQueries[].metric."))
    return metrics


def _metrics_heard(alarm: PolicyResource) -> list[Metric]:
    """What an alarm reads, if anyone hears it: an alarm without an action (or with them off) watches nothing."""
    props = alarm.props
    heard = (boolean(props.get("actionsEnabled"), "actionsEnabled") is not False
             and bool(texts(props.get("alarmActions"), "alarmActions")))
    return _alarm_metrics(props) if heard else []


def _text_field_after_init_duration(pattern: str) -> Optional[str]:
    """The space-delimited field that follows the `Init` and `Duration:` labels of a REPORT line."""
    fields = [f.strip() for f in pattern.strip().lstrip("[").rstrip("]").split(",")]
    for i in range(len(fields) - 2):
        if re.search(r'=\s*"?Init"?$', fields[i]) and re.search(r'=\s*"?Duration:"?$', fields[i + 1]):
            return fields[i + 2].split("=")[0].strip()
    return None


def _measures_init_duration(pattern: str, value: Optional[str]) -> bool:
    if value == _JSON_INIT_DURATION:
        return "platform.report" in pattern
    field = _text_field_after_init_duration(pattern) if pattern.strip().startswith("[") else None
    return field is not None and value == f"${field}" and "REPORT" in pattern


def _init_duration_metric(metric_filter: PolicyResource) -> Optional[tuple[Optional[str], tuple[Any, Any]]]:
    """(log group, (namespace, name) of the metric) of a filter that publishes Lambda's init duration; None for
    any other filter."""
    props = metric_filter.props
    transformation = mapping(props.get("metricTransformation"), "metricTransformation") or {}
    value = text(transformation.get("value"), "metricTransformation.value")
    if not _measures_init_duration(text(props.get("pattern"), "pattern") or "", value):
        return None
    return text(props.get("logGroupName"), "logGroupName"), (
        text(transformation.get("namespace"), "metricTransformation.namespace"),
        text(transformation.get("name"), "metricTransformation.name"))


def _coverage(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    functions = [r for r in args.resources if r.resource_type == LAMBDA_FUNCTION]
    if not functions:
        return
    unjudged = Unjudged()  # an alarm or a filter that cannot be read watches nothing, and is reported
    read = [metric for alarm in args.resources if alarm.resource_type == METRIC_ALARM
            for metric in unjudged.read(alarm, _metrics_heard) or []]
    init_durations = [found for r in args.resources if r.resource_type == LOG_METRIC_FILTER
                      and (found := unjudged.read(r, _init_duration_metric))]
    for function in functions:
        unjudged.read(function, lambda f: _judge(f, config, read, init_durations, report))
    unjudged.done()


def _judge(function: PolicyResource, config, read: list[Metric], init_durations: list, report: ReportViolation) -> None:
    name = text(function.props.get("name"), "name")
    if setting(config, _COVERAGE, "requireErrorAlarm") and not any(
            ns == "AWS/Lambda" and metric == "Errors" and dims.get("FunctionName") == name
            for ns, metric, dims in read):
        report(f"function '{function.name}' has no alarm (with an action) on AWS/Lambda Errors for "
               f"FunctionName={name}: its failures would go unnoticed.", function.urn)
    if setting(config, _COVERAGE, "requireInitDurationAlarm"):
        _check_init_duration_alarm(function, read, init_durations, report)


def _check_init_duration_alarm(function: PolicyResource, read: list[Metric], init_durations: list,
                               report: ReportViolation) -> None:
    logging = mapping(function.props.get("loggingConfig"), "loggingConfig") or {}
    if (text(logging.get("logFormat"), "loggingConfig.logFormat") == "JSON"
            and text(logging.get("systemLogLevel"), "loggingConfig.systemLogLevel") == "WARN"):
        report(f"function '{function.name}' logs at system level WARN, so Lambda never writes the platform.report "
               "record its init duration comes from; use INFO.", function.urn)
        return
    log_group = log_group_of(function.props)
    measured = {metric for group, metric in init_durations if group == log_group}
    if not any((ns, metric) in measured for ns, metric, _ in read):
        report(f"function '{function.name}' has no alarm (with an action) on its init duration: no metric filter on "
               f"{log_group} extracting Lambda's reported init duration feeds one, so slow cold starts would go "
               "unnoticed.", function.urn)


lambda_monitoring_coverage = StackValidationPolicy(
    name="lambda-monitoring-coverage",
    description="Every Lambda function has an error alarm and an init-duration alarm, each with an action.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=_COVERAGE,
    validate=_coverage,
)
