"""Monitoring coverage, through the real pack process: a function without an error alarm or an
init-duration alarm (each with an action) is refused; the program's own resources pass."""

import pytest
from pulumi.runtime import rpc

from lambda_logs import INIT_DURATION, log_metrics

FUNCTION = "aws:lambda/function:Function"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
POLICY = "lambda-monitoring-coverage"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:alarms"
FN = "app-prod-api"
JSON_FUNCTION = {"name": FN, "loggingConfig": {"logFormat": "JSON", "systemLogLevel": "INFO",
                                                "logGroup": f"/aws/lambda/{FN}"}}


def init_filter(log_format: str = "JSON", log_group: str = f"/aws/lambda/{FN}") -> tuple:
    metric = log_metrics(log_format)[INIT_DURATION]
    return (FILTER, "init", {"logGroupName": log_group, "pattern": metric.pattern, "metricTransformation": {
        "name": metric.metric_name, "namespace": f"lambdakit/{FN}", "value": metric.value}})


def init_alarm(**changes) -> tuple:
    return (ALARM, "init", {"namespace": f"lambdakit/{FN}", "metricName": INIT_DURATION, "extendedStatistic": "p95",
                            "alarmActions": [TOPIC], **changes})


def error_alarm(function_name: str = FN, **changes) -> tuple:
    """An error-rate alarm as the program writes it: metric math over Errors and Invocations."""
    dimensions = {"FunctionName": function_name, "Resource": f"{function_name}:live"}
    return (ALARM, "errors", {"alarmActions": [TOPIC], "metricQueries": [
        {"id": "events", "returnData": False,
         "metric": {"namespace": "AWS/Lambda", "metricName": "Errors", "dimensions": dimensions, "stat": "Sum"}},
        {"id": "total", "returnData": False,
         "metric": {"namespace": "AWS/Lambda", "metricName": "Invocations", "dimensions": dimensions, "stat": "Sum"}},
        {"id": "rate", "expression": "100 * events / total", "returnData": True}], **changes})


def coverage(pack, resources):
    return [f.message for f in pack.analyze_stack(resources) if f.policy == POLICY]


@pytest.mark.parametrize("log_format", ["JSON", "Text"])
def test_a_watched_function_passes(pack, log_format):
    function = JSON_FUNCTION if log_format == "JSON" else {"name": FN, "loggingConfig": {"logFormat": "Text"}}
    assert coverage(pack, [(FUNCTION, "api", function), init_filter(log_format), init_alarm(), error_alarm()]) == []


def test_a_function_without_alarms_is_refused_for_both(pack):
    [errors, init] = [f for f in pack.analyze_stack([(FUNCTION, "api", JSON_FUNCTION)]) if f.policy == POLICY]
    assert (errors.enforcement_level, errors.severity) == ("mandatory", "high")
    assert "no alarm (with an action) on AWS/Lambda Errors for FunctionName=app-prod-api" in errors.message
    assert "no alarm (with an action) on its init duration" in init.message
    assert errors.urn.endswith("aws:lambda/function:Function::api")


@pytest.mark.parametrize("resources, missing", [
    ([error_alarm("another-function"), init_filter(), init_alarm()], "AWS/Lambda Errors"),
    ([error_alarm(alarmActions=[]), init_filter(), init_alarm()], "AWS/Lambda Errors"),  # nobody hears it
    ([error_alarm(actionsEnabled=False), init_filter(), init_alarm()], "AWS/Lambda Errors"),
    ([error_alarm(), init_alarm()], "init duration"),  # no filter makes the metric
    ([error_alarm(), init_filter(log_group="/aws/lambda/other"), init_alarm()], "init duration"),
    ([error_alarm(), init_filter(), init_alarm(metricName="ColdStarts")], "init duration"),
    ([error_alarm(), init_filter(), init_alarm(alarmActions=None)], "init duration"),
])
def test_an_alarm_that_does_not_watch_this_function_does_not_count(pack, resources, missing):
    [message] = coverage(pack, [(FUNCTION, "api", JSON_FUNCTION), *resources])
    assert missing in message


def test_a_filter_that_counts_cold_starts_is_not_an_init_duration(pack):
    cold_starts = log_metrics("JSON")["ColdStarts"]
    counting = (FILTER, "init", {"logGroupName": f"/aws/lambda/{FN}", "pattern": cold_starts.pattern,
                                 "metricTransformation": {"name": INIT_DURATION, "namespace": f"lambdakit/{FN}",
                                                          "value": cold_starts.value}})
    [message] = coverage(pack, [(FUNCTION, "api", JSON_FUNCTION), counting, init_alarm(), error_alarm()])
    assert "init duration" in message


def test_system_log_level_warn_hides_the_report(pack):
    quiet = {**JSON_FUNCTION, "loggingConfig": {**JSON_FUNCTION["loggingConfig"], "systemLogLevel": "WARN"}}
    [message] = coverage(pack, [(FUNCTION, "api", quiet), init_filter(), init_alarm(), error_alarm()])
    assert "logs at system level WARN" in message


def test_each_requirement_can_be_turned_off(pack):
    with pack.configured('{"lambda-monitoring-coverage": {"requireInitDurationAlarm": false}}'):
        assert coverage(pack, [(FUNCTION, "api", JSON_FUNCTION), error_alarm()]) == []
    with pack.configured('{"lambda-monitoring-coverage": {"requireErrorAlarm": false}}'):
        assert coverage(pack, [(FUNCTION, "api", JSON_FUNCTION), init_filter(), init_alarm()]) == []


def test_an_unknown_function_name_is_reported_as_not_run(pack):
    [finding] = [f for f in pack.analyze_stack([(FUNCTION, "api", {"name": rpc.UNKNOWN})]) if f.policy == POLICY]
    assert finding.enforcement_level == "advisory" and f"can't run policy '{POLICY}'" in finding.message
