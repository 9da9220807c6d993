"""The simulated account's monitoring: CloudWatch alarms and dashboards. Each refuses what its API reference (and
the errors AWS is seen to return) refuses; botocore checks only minimums on the client, so every other limit
here, as in the account's other services, is the service's own. Sources: botocore's cloudwatch service model
(2010-08-01), CloudWatch's "Dashboard Body Structure and Syntax".
"""

import json
import re
from typing import Any

from aws_account.refusals import AwsRefusal, check_name, known
from aws_limits import (ALARM_BAND_COMPARISONS, ALARM_COMPARISONS, ALARM_MAX_ACTIONS, ALARM_MAX_DESCRIPTION,
                        ALARM_MAX_DIMENSIONS, ALARM_MAX_METRIC_QUERIES, ALARM_MAX_METRICS_IN_MATH, ALARM_MISSING_DATA,
                        ALARM_NAME, ALARM_PERIODS_SHORT, ALARM_QUERY_ID, ALARM_STATISTICS, DASHBOARD_COLUMNS,
                        DASHBOARD_MAX_WIDGETS, DASHBOARD_NAME, DASHBOARD_WIDGET_TYPES, EXTENDED_STATISTIC)


def _invalid(message: str) -> AwsRefusal:
    return AwsRefusal(f"ValidationError: {message}")


def _check_period(period: Any, where: str) -> None:
    if known(period) and not (period in ALARM_PERIODS_SHORT or (period >= 60 and period % 60 == 0)):
        raise _invalid(f"{where} {period} must be 10, 20, 30 or a multiple of 60")


def _check_stat(stat: Any, where: str) -> None:
    if known(stat) and stat not in ALARM_STATISTICS and not EXTENDED_STATISTIC.fullmatch(stat):
        raise _invalid(f"{where} {stat!r} is not a statistic (SampleCount, Average, Sum, Minimum, Maximum) "
                       "or an extended statistic (p95, p99.9, tm99, …)")


def _check_namespace(namespace: Any) -> None:
    """An alarm's namespace: 1..255 characters, not starting with a colon (AWS/ ones included)."""
    if known(namespace) and (not 1 <= len(namespace) <= 255 or namespace.startswith(":")):
        raise _invalid(f"Namespace {namespace!r} must be 1..255 characters, not starting with ':'")


def _check_dimensions(dimensions: Any) -> None:
    if len(dimensions or {}) > ALARM_MAX_DIMENSIONS:
        raise _invalid(f"at most {ALARM_MAX_DIMENSIONS} dimensions")
    for key, value in (dimensions or {}).items():
        if not 1 <= len(key) <= 255 or not 1 <= len(str(value)) <= 1024:
            raise _invalid(f"dimension {key}={value!r}: name 1..255 and value 1..1024 characters")


class SimulatedMonitoring:
    """Mixed into SimulatedCloud (account.py): needs `arn()`, `partition` and `account_id`."""

    def monitoring_creators(self) -> dict:
        return {
            "aws:cloudwatch/metricAlarm:MetricAlarm": self._metric_alarm,
            "aws:cloudwatch/dashboard:Dashboard": self._dashboard,
        }

    # CloudWatch PutMetricAlarm.

    def _metric_alarm(self, step, previous, inputs, name) -> dict:
        check_name(ALARM_NAME, name)
        if len(inputs.get("alarmDescription") or "") > ALARM_MAX_DESCRIPTION:
            raise _invalid(f"AlarmDescription is longer than {ALARM_MAX_DESCRIPTION}")
        comparison = inputs.get("comparisonOperator")
        if comparison in ALARM_BAND_COMPARISONS and not inputs.get("thresholdMetricId"):
            raise _invalid("ComparisonOperators for ranges require ThresholdMetricId to be set")
        if known(comparison) and comparison not in (*ALARM_COMPARISONS, *ALARM_BAND_COMPARISONS):
            raise _invalid(f"ComparisonOperator {comparison!r}")
        if inputs.get("threshold") is None and not inputs.get("thresholdMetricId"):
            raise _invalid("Threshold is required for an alarm on a static threshold")
        evaluations, datapoints = inputs.get("evaluationPeriods"), inputs.get("datapointsToAlarm")
        if evaluations is None or (known(evaluations) and evaluations < 1):
            raise _invalid("EvaluationPeriods must be 1 or more")
        if known(datapoints, evaluations) and not 1 <= datapoints <= evaluations:
            raise _invalid("DatapointsToAlarm must be less than or equal to EvaluationPeriods")
        missing = inputs.get("treatMissingData")
        if known(missing) and missing not in ALARM_MISSING_DATA:
            raise _invalid(f"TreatMissingData {missing!r} must be one of {', '.join(ALARM_MISSING_DATA)}")
        if inputs.get("evaluateLowSampleCountPercentiles") not in (None, "evaluate", "ignore"):
            raise _invalid("EvaluateLowSampleCountPercentile must be evaluate or ignore")
        for key in ("alarmActions", "okActions", "insufficientDataActions"):
            if len(inputs.get(key) or []) > ALARM_MAX_ACTIONS:
                raise _invalid(f"{key}: at most {ALARM_MAX_ACTIONS} actions")
            if any(known(a) and not str(a).startswith("arn:") for a in inputs.get(key) or []):
                raise _invalid(f"{key}: an action is not an ARN")
        period = self._alarm_metrics(inputs, anomaly_band=bool(inputs.get("thresholdMetricId")))
        if known(period, evaluations) and period * evaluations > (86400 if period < 3600 else 604800):
            raise _invalid("Period * EvaluationPeriods must be at most 1 day (7 days for periods of an hour or more)")
        return {"arn": self.arn("cloudwatch", f"alarm:{name}")}

    def _alarm_metrics(self, inputs: dict, anomaly_band: bool) -> Any:
        """One metric, or metric math: never both. Returns the period the alarm evaluates."""
        queries = inputs.get("metricQueries") or []
        single = {k: inputs.get(k) for k in ("metricName", "namespace", "dimensions", "period", "statistic",
                                             "extendedStatistic", "unit") if inputs.get(k) is not None}
        if queries and single:
            raise _invalid(f"{', '.join(sorted(single))} should not be set if list of Metrics is set")
        if not queries:
            if "metricName" not in single:
                raise _invalid("MetricName must not be null")
            if ("statistic" in single) == ("extendedStatistic" in single):
                raise _invalid("specify either Statistic or ExtendedStatistic, not both and not neither")
            if known(single.get("statistic")) and single.get("statistic") not in ALARM_STATISTICS:
                raise _invalid(f"Statistic {single['statistic']!r}")
            if known(single.get("extendedStatistic")) and not EXTENDED_STATISTIC.fullmatch(single["extendedStatistic"]):
                raise _invalid(f"ExtendedStatistic {single['extendedStatistic']!r}")
            _check_namespace(single.get("namespace"))
            _check_dimensions(single.get("dimensions"))
            if "period" not in single:
                raise _invalid("Period must not be null")
            _check_period(single.get("period"), "Period")
            return single.get("period")
        return _check_metric_queries(queries, anomaly_band)

    # CloudWatch PutDashboard.

    def _dashboard(self, step, previous, inputs, name) -> dict:
        name = inputs.get("dashboardName")
        check_name(DASHBOARD_NAME, name)
        body = inputs.get("dashboardBody")
        if known(body):
            problems = dashboard_problems(body)
            if problems:
                raise AwsRefusal("InvalidParameterInput: The dashboard body is invalid, there are "
                                 f"{len(problems)} validation errors: {json.dumps(problems)}")
        # Dashboards are global: no Region in their ARN.
        return {"name": name, "id": name, "dashboardArn": f"arn:{self.partition}:cloudwatch::{self.account_id}:"
                                                          f"dashboard/{name}"}


def _check_metric_queries(queries: list[dict], anomaly_band: bool) -> Any:
    if len(queries) > ALARM_MAX_METRIC_QUERIES:
        raise _invalid(f"at most {ALARM_MAX_METRIC_QUERIES} metric queries")
    ids = [q.get("id") for q in queries]
    if len(set(ids)) != len(ids) or not all(known(i) and ALARM_QUERY_ID.fullmatch(i) for i in ids):
        raise _invalid(f"metric query ids {ids} must be unique, start with a lower-case letter, and hold only "
                       "letters, digits and _")
    # An anomaly-detection alarm returns both the band and its metric; any other exactly one answer.
    # The AWS provider sends false for a query that does not say.
    if not anomaly_band and sum(1 for q in queries if q.get("returnData")) != 1:
        raise _invalid("Exactly one element of the metrics list should return data.")
    metrics = [q for q in queries if q.get("metric")]
    if len(metrics) > ALARM_MAX_METRICS_IN_MATH or len(queries) - len(metrics) > ALARM_MAX_METRICS_IN_MATH:
        raise _invalid(f"at most {ALARM_MAX_METRICS_IN_MATH} metrics and {ALARM_MAX_METRICS_IN_MATH} expressions")
    periods = set()
    for query in queries:
        if bool(query.get("metric")) == bool(query.get("expression")):
            raise _invalid(f"metric query {query.get('id')}: specify either Expression or MetricStat but not both")
        if query.get("expression"):
            # Ids are the lower-case words of an expression (its functions are upper case); a quoted
            # SEARCH string is not read here.
            expression = query["expression"]
            words = set() if "'" in expression or '"' in expression else set(re.findall(r"\b[a-z]\w*\b", expression))
            unknown = words - set(ids)
            if unknown:
                raise _invalid(f"Error in expression {query['id']!r}: Unrecognized metric ids {sorted(unknown)}")
            continue
        metric = query["metric"]
        if not metric.get("metricName") or metric.get("period") is None or not metric.get("stat"):
            raise _invalid(f"metric query {query['id']}: MetricStat needs Metric, Period and Stat")
        _check_namespace(metric.get("namespace"))
        _check_stat(metric["stat"], f"metric query {query['id']}: Stat")
        _check_period(metric["period"], f"metric query {query['id']}: Period")
        _check_dimensions(metric.get("dimensions"))
        periods.add(metric["period"])
    return min(periods) if periods else None


_WIDGET_REQUIRED = {"metric": ("region",), "log": ("region", "query"), "text": ("markdown",), "alarm": ("alarms",),
                    "explorer": ("metrics",)}


def dashboard_problems(body: str) -> list[dict]:
    """What PutDashboard's validation reports for a body, as {dataPath, message}."""
    try:
        document = json.loads(body)
    except ValueError:
        return [{"dataPath": "", "message": "Should be valid JSON"}]
    widgets = document.get("widgets") if isinstance(document, dict) else None
    if not isinstance(widgets, list):
        return [{"dataPath": "", "message": "Should have required property 'widgets'"}]
    if len(widgets) > DASHBOARD_MAX_WIDGETS:
        return [{"dataPath": "/widgets", "message": f"Should NOT have more than {DASHBOARD_MAX_WIDGETS} items"}]
    problems = []
    for index, widget in enumerate(widgets):
        problems += [{"dataPath": f"/widgets/{index}{where}", "message": message}
                     for where, message in _widget_problems(widget)]
    return problems


def _widget_problems(widget: dict) -> list[tuple[str, str]]:
    kind = widget.get("type")
    if kind not in DASHBOARD_WIDGET_TYPES:
        return [("/type", f"Should be equal to one of the allowed values {list(DASHBOARD_WIDGET_TYPES)}")]
    problems = []
    for key, low, high in (("x", 0, DASHBOARD_COLUMNS - 1), ("width", 1, DASHBOARD_COLUMNS), ("height", 1, 1000),
                           ("y", 0, None)):
        value = widget.get(key)
        if value is not None and (not isinstance(value, int) or value < low or (high is not None and value > high)):
            problems.append((f"/{key}", f"Should be >= {low}" + (f" and <= {high}" if high is not None else "")))
    if ("x" in widget) != ("y" in widget):
        problems.append(("", "Should have both x and y, or neither"))
    properties = widget.get("properties")
    if not isinstance(properties, dict):
        return [*problems, ("", "Should have required property 'properties'")]
    problems += [("/properties", f"Should have required property '{key}'") for key in _WIDGET_REQUIRED[kind]
                 if key not in properties]
    if kind == "metric":
        problems += _metric_widget_problems(properties)
    if kind == "alarm" and not 1 <= len(properties.get("alarms") or []) <= 100:
        problems.append(("/properties/alarms", "Should have 1..100 alarm ARNs"))
    return problems


def _metric_widget_problems(properties: dict) -> list[tuple[str, str]]:
    metrics = properties.get("metrics")
    if metrics is None and "annotations" not in properties:
        return [("/properties", "Should have required property 'metrics'")]
    problems = []
    period = properties.get("period")
    if period is not None and (period < 60 or period % 60):
        problems.append(("/properties/period", "Should be a multiple of 60"))
    for row, entry in enumerate(metrics or []):
        where = f"/properties/metrics/{row}"
        if not isinstance(entry, list) or not entry:
            problems.append((where, "Should be array"))
            continue
        rendering = entry[-1] if isinstance(entry[-1], dict) else {}
        names = entry[:-1] if rendering else entry
        if "id" in rendering and not ALARM_QUERY_ID.fullmatch(str(rendering["id"])):
            problems.append((f"{where}/id", "Should start with a lower-case letter"))
        if "expression" in rendering:
            if names:
                problems.append((where, "An expression row holds only its options object"))
            continue
        if len(names) < 2 or len(names) % 2 or not all(isinstance(n, str) and n for n in names):
            problems.append((where, "Should be [Namespace, MetricName, DimensionName, DimensionValue, …, {options}]"))
    return problems
