"""Monitoring coverage: no function reaches production unwatched.

Every Lambda function in the stack needs an alarm on its errors and an alarm on its init duration,
each with an action (an alarm nobody hears watches nothing). There is no init-duration metric in
AWS/Lambda, so the second is an alarm on a metric that a metric filter on the function's own log
group extracts from Lambda's report: `record.metrics.initDurationMs` of a JSON `platform.report`,
or the field after `Init Duration:` of a Text REPORT line. A JSON function whose system log level
is WARN never logs that report, so its filter would never publish.
"""

import re
from typing import Any, Iterable, Mapping, Optional

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

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


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _alarm_metrics(props: Mapping) -> Iterable[tuple[Any, Any, Mapping]]:
    """(namespace, metric name, dimensions) of every metric an alarm reads, alone or in metric math."""
    if props.get("metricName"):
        yield props.get("namespace"), props.get("metricName"), _mapping(props.get("dimensions"))
    for query in props.get("metricQueries") or []:
        metric = _mapping(_mapping(query).get("metric"))
        if metric.get("metricName"):
            yield metric.get("namespace"), metric.get("metricName"), _mapping(metric.get("dimensions"))


def _heard(props: Mapping) -> bool:
    return props.get("actionsEnabled") is not False and bool(props.get("alarmActions"))


def _text_field_after_init_duration(pattern: str) -> Optional[str]:
    """The space-delimited field that follows the `Init` and `Duration:` labels of a REPORT line."""
    fields = [f.strip() for f in pattern.strip().lstrip("[").rstrip("]").split(",")]
    for i in range(len(fields) - 2):
        if re.search(r'=\s*"?Init"?$', fields[i]) and re.search(r'=\s*"?Duration:"?$', fields[i + 1]):
            return fields[i + 2].split("=")[0].strip()
    return None


def _measures_init_duration(props: Mapping) -> bool:
    value = _mapping(props.get("metricTransformation")).get("value")
    pattern = props.get("pattern") or ""
    if value == _JSON_INIT_DURATION:
        return "platform.report" in pattern
    field = _text_field_after_init_duration(pattern) if pattern.strip().startswith("[") else None
    return field is not None and value == f"${field}" and "REPORT" in pattern


def _init_duration_metrics(resources: list, log_group: str) -> set[tuple[Any, Any]]:
    """(namespace, name) of every metric a filter on `log_group` publishes Lambda's init duration to."""
    transformations = [_mapping(r.props.get("metricTransformation")) for r in resources
                       if r.resource_type == LOG_METRIC_FILTER and r.props.get("logGroupName") == log_group
                       and _measures_init_duration(r.props)]
    return {(t.get("namespace"), t.get("name")) for t in transformations}


def _coverage(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    alarms = [r.props for r in args.resources if r.resource_type == METRIC_ALARM and _heard(r.props)]
    read = [(ns, name, dims) for props in alarms for ns, name, dims in _alarm_metrics(props)]
    for function in (r for r in args.resources if r.resource_type == LAMBDA_FUNCTION):
        name = function.props.get("name")
        if setting(config, _COVERAGE, "requireErrorAlarm") and not any(
                ns == "AWS/Lambda" and metric == "Errors" and dims.get("FunctionName") == name
                for ns, metric, dims in read):
            report(f"function '{function.name}' has no alarm (with an action) on AWS/Lambda Errors for "
                   f"FunctionName={name}: its failures would go unnoticed.", function.urn)
        if setting(config, _COVERAGE, "requireInitDurationAlarm"):
            _check_init_duration_alarm(args.resources, function, read, report)


def _check_init_duration_alarm(resources: list, function: Any, read: list, report: ReportViolation) -> None:
    logging = _mapping(function.props.get("loggingConfig"))
    if logging.get("logFormat") == "JSON" and logging.get("systemLogLevel") == "WARN":
        report(f"function '{function.name}' logs at system level WARN, so Lambda never writes the platform.report "
               "record its init duration comes from; use INFO.", function.urn)
        return
    log_group = log_group_of(function.props)
    measured = _init_duration_metrics(resources, log_group)
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
