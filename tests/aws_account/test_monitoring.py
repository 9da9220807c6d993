"""The simulated account's monitoring refuses what AWS refuses, and accepts what AWS accepts.

Each test asks for one thing CloudWatch PutMetricAlarm or PutDashboard refuses, checks the simulation's refusal
and its AWS error, and asks for the nearest thing AWS accepts, so that a simulation that refused everything, or
nothing, fails here. The rules and their sources are in the services' API references (botocore's service
models) and the errors AWS is seen to return.

Where AWS's behaviour is not obvious, the test names its source.
"""

import copy
import json

import pytest

from aws_account.monitoring import dashboard_problems
from components.dashboard import alarm_widget, dashboard_body
from components.monitoring import AlarmThresholds, FunctionMonitoringArgs, alarm_specs
from tests.aws_account.steps import ACCOUNT, refused, register, with_keys

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
TOPIC_ARN = f"arn:aws:sns:eu-west-1:{ACCOUNT}:alarms"
GROUP = "/aws/lambda/fn"


# CloudWatch PutMetricAlarm.

SINGLE_ALARM = {
    "name": "fn-errors", "comparisonOperator": "GreaterThanThreshold", "threshold": 1, "evaluationPeriods": 5,
    "datapointsToAlarm": 3, "treatMissingData": "notBreaching", "namespace": "AWS/Lambda", "metricName": "Errors",
    "dimensions": {"FunctionName": "fn", "Resource": "fn:live"}, "statistic": "Sum", "period": 60,
    "alarmActions": [TOPIC_ARN], "okActions": [TOPIC_ARN],
}
RATE = "IF(FILL(events, 0) >= 3, 100 * FILL(events, 0) / total, 0)"
LIVE = {"FunctionName": "fn", "Resource": "fn:live"}


def math_queries(expression: str = RATE, events_id: str = "events") -> list[dict]:
    return [
        {"id": events_id, "returnData": False, "label": "errors",
         "metric": {"namespace": "AWS/Lambda", "metricName": "Errors", "dimensions": LIVE, "stat": "Sum",
                    "period": 60}},
        {"id": "total", "returnData": False,
         "metric": {"namespace": "AWS/Lambda", "metricName": "Invocations", "dimensions": LIVE, "stat": "Sum",
                    "period": 60}},
        {"id": "rate", "expression": expression, "label": "Errors per invocation (%)", "returnData": True},
    ]


MATH_ALARM = {
    "name": "fn-error-rate", "comparisonOperator": "GreaterThanThreshold", "threshold": 5, "evaluationPeriods": 5,
    "datapointsToAlarm": 3, "treatMissingData": "notBreaching", "metricQueries": math_queries(),
    "alarmActions": [TOPIC_ARN], "okActions": [TOPIC_ARN],
}


@pytest.mark.parametrize("inputs", [SINGLE_ALARM, MATH_ALARM], ids=["single metric", "metric math"])
def test_a_valid_alarm_gets_its_arn(cloud, inputs):
    outputs = register(cloud, ALARM, "a", inputs)
    assert outputs["arn"] == f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:{inputs['name']}"


@pytest.mark.parametrize("refused_changes, accepted_changes, message", [
    ({"period": 45}, {"period": 30}, "Period 45 must be 10, 20, 30 or a multiple of 60"),
    ({"extendedStatistic": "p95"}, {"statistic": None, "extendedStatistic": "p95"},
     "specify either Statistic or ExtendedStatistic, not both and not neither"),
    ({"statistic": None}, {"statistic": "Maximum"}, "specify either Statistic or ExtendedStatistic"),
    ({"statistic": None, "extendedStatistic": "p101"}, {"statistic": None, "extendedStatistic": "tm99"},
     "ExtendedStatistic 'p101'"),
    ({"statistic": None, "extendedStatistic": "banana"}, {"statistic": None, "extendedStatistic": "p99.9"},
     "ExtendedStatistic 'banana'"),
    ({"statistic": "Median"}, {"statistic": "SampleCount"}, "Statistic 'Median'"),
    ({"evaluationPeriods": 2, "datapointsToAlarm": 3}, {"evaluationPeriods": 3, "datapointsToAlarm": 3},
     "DatapointsToAlarm must be less than or equal to EvaluationPeriods"),
    ({"period": 60, "evaluationPeriods": 1441, "datapointsToAlarm": 1},
     {"period": 60, "evaluationPeriods": 1440, "datapointsToAlarm": 1}, "at most 1 day"),
    ({"period": 3600, "evaluationPeriods": 169, "datapointsToAlarm": 1},
     {"period": 3600, "evaluationPeriods": 168, "datapointsToAlarm": 1}, "7 days for periods of an hour or more"),
    ({"treatMissingData": "zero"}, {"treatMissingData": "missing"}, "TreatMissingData 'zero'"),
    ({"alarmActions": [TOPIC_ARN] * 6}, {"alarmActions": [TOPIC_ARN] * 5}, "alarmActions: at most 5 actions"),
    ({"okActions": ["alarms"]}, {"okActions": [TOPIC_ARN]}, "okActions: an action is not an ARN"),
    ({"comparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"},
     {"comparisonOperator": "LessThanOrEqualToThreshold"},
     "ComparisonOperators for ranges require ThresholdMetricId to be set"),
    ({"comparisonOperator": "Above"}, {"comparisonOperator": "GreaterThanOrEqualToThreshold"},
     "ComparisonOperator 'Above'"),
    ({"threshold": None}, {"threshold": 0}, "Threshold is required for an alarm on a static threshold"),
    ({"name": "a" * 256}, {"name": "a" * 255}, "ValidationException: CloudWatch alarm name"),
    ({"name": "fn\terrors"}, {"name": "fn errors (live) é"}, "CloudWatch alarm name"),
    ({"alarmDescription": "d" * 1025}, {"alarmDescription": "d" * 1024}, "AlarmDescription is longer than 1024"),
    ({"metricName": None}, {"metricName": "Throttles"}, "MetricName must not be null"),
    ({"namespace": ":Lambda"}, {"namespace": "AWS/Lambda"}, "Namespace ':Lambda'"),
    ({"dimensions": {f"D{i}": "v" for i in range(31)}}, {"dimensions": {f"D{i}": "v" for i in range(30)}},
     "at most 30 dimensions"),
], ids=["period 45", "statistic and extended", "no statistic", "p101", "banana", "statistic Median",
        "datapoints over evaluations", "over a day", "over seven days", "missing data zero", "six actions",
        "action not an ARN", "band without threshold metric", "unknown comparison", "no threshold",
        "name 256", "name with a tab", "description 1025", "no metric", "namespace with a colon",
        "31 dimensions"])
def test_put_metric_alarm_single_metric_limits(cloud, refused_changes, accepted_changes, message):
    with refused(message):
        register(cloud, ALARM, "refused", with_keys(SINGLE_ALARM, refused_changes))
    assert register(cloud, ALARM, "accepted", with_keys(SINGLE_ALARM, accepted_changes))["arn"]


def test_an_alarm_on_an_aws_namespace_is_accepted(cloud):
    """Alarms may watch AWS's own namespaces (only a metric filter may not publish into them)."""
    for namespace, metric in (("AWS/Lambda", "Errors"), ("AWS/SNS", "NumberOfNotificationsFailed")):
        alarm = with_keys(SINGLE_ALARM, {"name": f"{namespace}-{metric}", "namespace": namespace, "metricName": metric})
        assert register(cloud, ALARM, metric, alarm)["arn"].endswith(f":alarm:{namespace}-{metric}")


def _with_return_data(flags: tuple) -> list[dict]:
    return [{**query, "returnData": flag} for query, flag in zip(math_queries(), flags)]


@pytest.mark.parametrize("refused_changes, message", [
    ({"metricName": "Errors", "statistic": "Sum"}, "metricName, statistic should not be set if list of Metrics is set"),
    ({"period": 60}, "period should not be set if list of Metrics is set"),
    ({"metricQueries": _with_return_data((False, True, True))},
     "Exactly one element of the metrics list should return data."),
    ({"metricQueries": _with_return_data((False, False, False))},
     "Exactly one element of the metrics list should return data."),
    ({"metricQueries": [{k: v for k, v in q.items() if k != "returnData"} for q in math_queries()]},
     "Exactly one element of the metrics list should return data."),  # the provider sends false when unset
    ({"metricQueries": math_queries(RATE.replace("events", "M1"), events_id="M1")},
     "must be unique, start with a lower-case letter"),
    ({"metricQueries": math_queries(RATE.replace("total", "invocations"))},
     "Error in expression 'rate': Unrecognized metric ids ['invocations']"),
    ({"metricQueries": [*math_queries(), math_queries()[1]]}, "must be unique"),
    ({"metricQueries": [{**math_queries()[0], "expression": "events * 2"}, *math_queries()[1:]]},
     "specify either Expression or MetricStat but not both"),
    ({"metricQueries": [{**math_queries()[0], "metric": {**math_queries()[0]["metric"], "period": 45}},
                        *math_queries()[1:]]}, "metric query events: Period 45"),
    ({"metricQueries": [{**math_queries()[0], "metric": {**math_queries()[0]["metric"], "stat": "p101"}},
                        *math_queries()[1:]]}, "metric query events: Stat 'p101'"),
    ({"evaluationPeriods": 1441, "datapointsToAlarm": 1}, "at most 1 day"),
], ids=["with metricName and statistic", "with period", "two return data", "no return data",
        "return data left to its default", "id M1", "unknown id in the expression", "id twice",
        "expression and metric", "metric period 45", "metric stat p101", "metric period over a day"])
def test_put_metric_alarm_metric_math_limits(cloud, refused_changes, message):
    with refused(message):
        register(cloud, ALARM, "refused", with_keys(MATH_ALARM, refused_changes))
    assert register(cloud, ALARM, "accepted", MATH_ALARM)["arn"]


def test_metric_math_ids_may_hold_letters_digits_and_underscores(cloud):
    queries = math_queries(RATE.replace("events", "errors_1m"), events_id="errors_1m")
    assert register(cloud, ALARM, "a", with_keys(MATH_ALARM, {"metricQueries": queries}))["arn"]


def test_an_anomaly_detection_alarm_returns_both_the_metric_and_its_band(cloud):
    # pulumi_aws cloudwatch/metric_alarm.py's anomaly example; cdklabs/cdk-monitoring-constructs#426.
    alarm = {
        "name": "fn-duration-anomaly", "comparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
        "evaluationPeriods": 3, "thresholdMetricId": "ad1",
        "metricQueries": [
            {"id": "m1", "returnData": True,
             "metric": {"namespace": "AWS/Lambda", "metricName": "Duration", "dimensions": LIVE, "stat": "p95",
                        "period": 300}},
            {"id": "ad1", "expression": "ANOMALY_DETECTION_BAND(m1, 2)", "returnData": True},
        ],
    }
    assert register(cloud, ALARM, "a", alarm)["arn"]


def test_a_single_metric_alarm_needs_a_period(cloud):
    # "Period must not be null": hashicorp/terraform-provider-aws#32227.
    with refused("Period"):
        register(cloud, ALARM, "a", with_keys(SINGLE_ALARM, {"period": None}))


# CloudWatch PutDashboard.

ALARM_ARN = f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:fn-errors"
DASHBOARD_BODY = {"widgets": [
    {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {
        "title": "Errors", "region": "eu-west-1", "view": "timeSeries", "period": 60, "metrics": [
            ["AWS/Lambda", "Errors", "FunctionName", "fn", "Resource", "fn:live", {"stat": "Sum", "id": "errors"}],
            [".", "Invocations", ".", ".", ".", ".", {"stat": "Sum", "id": "total", "visible": False}],
            [{"expression": "100 * errors / total", "label": "error rate", "id": "rate"}]],
        "annotations": {"horizontal": [{"label": "alarm", "value": 5}]}}},
    {"type": "text", "x": 12, "y": 0, "width": 12, "height": 2, "properties": {"markdown": "## fn"}},
    {"type": "log", "x": 0, "y": 6, "width": 24, "height": 6, "properties": {
        "region": "eu-west-1", "title": "errors", "query": f"SOURCE '{GROUP}' | filter level = 'ERROR'"}},
    {"type": "alarm", "x": 0, "y": 12, "width": 24, "height": 3, "properties": {"alarms": [ALARM_ARN]}},
]}


def test_a_valid_dashboard_body_has_no_problems():
    assert dashboard_problems(json.dumps(DASHBOARD_BODY)) == []


def _edit(widget: int, properties: dict = None, **changes):
    """A change to one widget of a body: its own keys, and keys of its `properties` (None removes a key)."""
    def apply(body: dict) -> dict:
        body = copy.deepcopy(body)
        edited = with_keys(body["widgets"][widget], changes)
        if properties:
            edited["properties"] = with_keys(edited["properties"], properties)
        body["widgets"][widget] = edited
        return body
    return apply


ODD_ROW = ["AWS/Lambda", "Errors", "FunctionName", {"stat": "Sum"}]


@pytest.mark.parametrize("bad, good, path, message", [
    (_edit(0, width=25), _edit(0, x=0, width=24), "/widgets/0/width", "Should be >= 1 and <= 24"),
    (_edit(0, x=24), _edit(0, x=23, width=1), "/widgets/0/x", "Should be >= 0 and <= 23"),
    (_edit(0, height=0), _edit(0, height=1000), "/widgets/0/height", "Should be >= 1 and <= 1000"),
    (_edit(0, y=-1), _edit(0, y=0), "/widgets/0/y", "Should be >= 0"),
    (_edit(1, y=None), _edit(1, x=None, y=None), "/widgets/1", "Should have both x and y, or neither"),
    (_edit(0, properties={"region": None}), _edit(0, properties={"region": "us-east-1"}), "/widgets/0/properties",
     "Should have required property 'region'"),
    (_edit(2, properties={"query": None}), _edit(2, properties={"view": "bar"}), "/widgets/2/properties",
     "Should have required property 'query'"),
    (_edit(1, properties={"markdown": None}), _edit(1, properties={"markdown": ""}), "/widgets/1/properties",
     "Should have required property 'markdown'"),
    (_edit(0, type="graph"), _edit(0, type="metric"), "/widgets/0/type",
     "Should be equal to one of the allowed values"),
    (_edit(0, properties={"metrics": [ODD_ROW]}), _edit(0, properties={"metrics": [ODD_ROW[:2] + ODD_ROW[3:]]}),
     "/widgets/0/properties/metrics/0", "Should be [Namespace, MetricName, DimensionName, DimensionValue"),
    (_edit(0, properties={"metrics": [["AWS/Lambda", "Errors", {"id": "M1"}]]}),
     _edit(0, properties={"metrics": [["AWS/Lambda", "Errors", {"id": "m1"}]]}),
     "/widgets/0/properties/metrics/0/id", "Should start with a lower-case letter"),
    (_edit(0, properties={"metrics": [["AWS/Lambda", "Errors", {"expression": "m1"}]]}),
     _edit(0, properties={"metrics": [[{"expression": "SUM(METRICS())"}]]}),
     "/widgets/0/properties/metrics/0", "An expression row holds only its options object"),
    (_edit(3, properties={"alarms": []}), _edit(3, properties={"alarms": [ALARM_ARN] * 100}),
     "/widgets/3/properties/alarms", "Should have 1..100 alarm ARNs"),
    (_edit(3, properties={"alarms": [ALARM_ARN] * 101}), _edit(3, properties={"alarms": [ALARM_ARN] * 2}),
     "/widgets/3/properties/alarms", "Should have 1..100 alarm ARNs"),
    (_edit(0, properties={"period": 45}), _edit(0, properties={"period": 120}), "/widgets/0/properties/period",
     "Should be a multiple of 60"),
], ids=["width 25", "x 24", "height 0", "y -1", "x without y", "metric widget without region",
        "log widget without query", "text widget without markdown", "unknown widget type", "odd dimension list",
        "id M1", "expression row with a metric", "alarm widget without alarms", "101 alarms", "period 45"])
def test_dashboard_body_problems(bad, good, path, message):
    problems = dashboard_problems(json.dumps(bad(DASHBOARD_BODY)))
    assert [p["dataPath"] for p in problems] == [path]
    assert problems[0]["message"].startswith(message)
    assert dashboard_problems(json.dumps(good(DASHBOARD_BODY))) == []


@pytest.mark.parametrize("body, message", [
    ("{not json", "Should be valid JSON"), ("[]", "Should have required property 'widgets'"),
    (json.dumps({"widgets": [{"type": "text", "properties": {"markdown": "x"}}] * 501}),
     "Should NOT have more than 500 items"),
], ids=["not JSON", "no widgets", "501 widgets"])
def test_dashboard_body_as_a_whole(body, message):
    assert [p["message"] for p in dashboard_problems(body)] == [message]
    assert dashboard_problems(json.dumps({"widgets": []})) == []  # an empty dashboard is valid


@pytest.mark.parametrize("name, body, message", [
    ("fn.dashboard", json.dumps(DASHBOARD_BODY), "ValidationException: CloudWatch dashboard name 'fn.dashboard'"),
    ("d" * 256, json.dumps(DASHBOARD_BODY), "CloudWatch dashboard name"),
    ("fn-dashboard", "{not json",
     'InvalidParameterInput: The dashboard body is invalid, there are 1 validation errors: '
     '[{"dataPath": "", "message": "Should be valid JSON"}]'),
    ("fn-dashboard", json.dumps(_edit(0, width=25)(DASHBOARD_BODY)), '"dataPath": "/widgets/0/width"'),
], ids=["name with a dot", "name 256", "invalid JSON", "invalid widget"])
def test_put_dashboard_refuses(cloud, name, body, message):
    with refused(message):
        register(cloud, DASHBOARD, "d", {"dashboardName": name, "dashboardBody": body})


def test_put_dashboard_accepts_a_valid_one_as_a_global_resource(cloud):
    outputs = register(cloud, DASHBOARD, "d", {"dashboardName": "Fn_dashboard-1", "dashboardBody": json.dumps(
        DASHBOARD_BODY)})
    assert outputs["dashboardArn"] == f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/Fn_dashboard-1"


THRESHOLDS = AlarmThresholds(init_duration_ms=1500, cold_start_percent=10, error_percent=2, throttles=0,
                             duration_percent_of_timeout=80, concurrency_percent_of_reserved=90, spillover_percent=5,
                             url5xx_percent=1)


@pytest.mark.parametrize("log_format", ["JSON", "Text"])
def test_the_projects_alarm_widgets_are_a_valid_dashboard(log_format):
    args = FunctionMonitoringArgs(function_name="fn", alias_name="live", log_group_name=GROUP, log_format=log_format,
                                  timeout_seconds=30, reserved_concurrency=10, provisioned_concurrency=2,
                                  thresholds=THRESHOLDS, topic_arn=TOPIC_ARN)
    widgets = [alarm_widget(spec) for spec in alarm_specs(args)]
    assert dashboard_problems(dashboard_body("eu-west-1", [widgets])) == []
