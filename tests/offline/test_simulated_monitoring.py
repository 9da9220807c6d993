"""The simulated account's monitoring services refuse what AWS refuses, and accept what AWS accepts.

Each test asks for one thing AWS refuses (CloudWatch PutMetricAlarm and PutDashboard, CloudWatch Logs
PutMetricFilter and PutQueryDefinition, SNS CreateTopic and Subscribe, KMS CreateKey and CreateAlias),
checks the simulation's refusal and its AWS error, and asks for the nearest thing AWS accepts, so that
a simulation that refused everything, or nothing, fails here. The rules and their sources are in the
services' API references (botocore's service models) and the errors AWS is seen to return.

Where AWS's behaviour is not obvious, the test names its source.
"""

import copy
import json
import re

import pytest

from components.dashboard import alarm_widget, dashboard_body
from components.monitoring import AlarmThresholds, FunctionMonitoringArgs, alarm_specs
from lambda_logs import log_metrics, saved_queries
from offline.refusals import AwsRefusal
from offline.simulated_aws import SimulatedCloud
from offline.simulated_monitoring import dashboard_problems
from tests.offline.steps import register

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
QUERY = "aws:cloudwatch/queryDefinition:QueryDefinition"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"

ACCOUNT = "123456789012"
TOPIC_ARN = f"arn:aws:sns:eu-west-1:{ACCOUNT}:alarms"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
GROUP = "/aws/lambda/fn"



def refused(message: str):
    """pytest.raises for an AwsRefusal whose message holds `message` literally."""
    return pytest.raises(AwsRefusal, match=re.escape(message))


def changed(base: dict, changes: dict) -> dict:
    """`base` with `changes` applied; a change to None removes the key."""
    result = {**copy.deepcopy(base), **changes}
    return {key: value for key, value in result.items() if value is not None}


@pytest.fixture
def cloud():
    return SimulatedCloud()


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
        register(cloud, ALARM, "refused", changed(SINGLE_ALARM, refused_changes))
    assert register(cloud, ALARM, "accepted", changed(SINGLE_ALARM, accepted_changes))["arn"]


def test_an_alarm_on_an_aws_namespace_is_accepted(cloud):
    """Alarms may watch AWS's own namespaces (only a metric filter may not publish into them)."""
    for namespace, metric in (("AWS/Lambda", "Errors"), ("AWS/SNS", "NumberOfNotificationsFailed")):
        alarm = changed(SINGLE_ALARM, {"name": f"{namespace}-{metric}", "namespace": namespace, "metricName": metric})
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
        register(cloud, ALARM, "refused", changed(MATH_ALARM, refused_changes))
    assert register(cloud, ALARM, "accepted", MATH_ALARM)["arn"]


def test_metric_math_ids_may_hold_letters_digits_and_underscores(cloud):
    queries = math_queries(RATE.replace("events", "errors_1m"), events_id="errors_1m")
    assert register(cloud, ALARM, "a", changed(MATH_ALARM, {"metricQueries": queries}))["arn"]


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
        register(cloud, ALARM, "a", changed(SINGLE_ALARM, {"period": None}))


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
        edited = changed(body["widgets"][widget], changes)
        if properties:
            edited["properties"] = changed(edited["properties"], properties)
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


# CloudWatch Logs PutMetricFilter and PutQueryDefinition.

FILTER_INPUTS = {
    "name": "fn-ColdStarts", "logGroupName": GROUP, "pattern": '{ $.type = "platform.initStart" }',
    "metricTransformation": {"name": "ColdStarts", "namespace": "lambdakit/fn", "value": "1", "unit": "Count"},
}


def metric_filter(pattern: str = None, **transformation) -> dict:
    """FILTER_INPUTS with another pattern and its transformation changed (None removes a key)."""
    inputs = copy.deepcopy(FILTER_INPUTS)
    if pattern is not None:
        inputs["pattern"] = pattern
    inputs["metricTransformation"] = changed(inputs["metricTransformation"], transformation)
    return inputs


@pytest.fixture
def group(cloud) -> str:
    register(cloud, LOG_GROUP, "g", {"name": GROUP, "retentionInDays": 30})
    return GROUP


def test_a_metric_filter_needs_its_log_group_first(cloud):
    with refused("ResourceNotFoundException: The specified log group does not exist"):
        register(cloud, FILTER, "f", FILTER_INPUTS)
    register(cloud, LOG_GROUP, "g", {"name": GROUP})
    assert register(cloud, FILTER, "f", FILTER_INPUTS)["name"] == "fn-ColdStarts"


DIMENSIONS = {"Type": "$.type", "Kind": "$.record.initializationType", "Phase": "$.record.phase"}


@pytest.mark.parametrize("bad, good, message", [
    (metric_filter('{ $.type = }'), metric_filter('{ $.type = "x" }'), "Invalid metric filter pattern"),
    (metric_filter('{ $.type = "platform.initStart" '), metric_filter('{ $.type = "platform.initStart" }'),
     "Invalid metric filter pattern (a JSON pattern must end with })"),
    (metric_filter("[type, latency", value="$latency"), metric_filter("[type, latency]", value="$latency"),
     "Invalid metric filter pattern"),
    (metric_filter("[type, latency]", value="$duration"), metric_filter("[type, latency]", value="$latency"),
     "metric value '$duration' is not a number or a field of the pattern"),
    (metric_filter(dimensions={"Type": "$.type"}, defaultValue="0"), metric_filter(dimensions={"Type": "$.type"}),
     "dimensions and default value are mutually exclusive properties"),
    (metric_filter("ERROR", dimensions={"Type": "$.type"}), metric_filter("ERROR", defaultValue="0"),
     "The specified filter pattern does not support dimensions"),
    (metric_filter(dimensions={**DIMENSIONS, "Fn": "$.fn"}), metric_filter(dimensions=DIMENSIONS),
     "at most 3 dimensions"),
    (metric_filter(unit="Millis"), metric_filter(unit="Milliseconds"), "unit 'Millis' is not a CloudWatch unit"),
    (metric_filter(namespace="AWS/Lambda"), metric_filter(namespace="lambdakit/fn"),
     "ValidationException: metric namespace 'AWS/Lambda'"),
    (metric_filter(name="Cold:Starts"), metric_filter(name="Cold-Starts"), "metric name 'Cold:Starts'"),
    (metric_filter(value="1" * 101), metric_filter(value="1" * 100), "metricValue must be 1..100 characters"),
    (metric_filter("x" * 1025), metric_filter("x" * 1024), "filterPattern is longer than 1024"),
], ids=["unparsable JSON pattern", "unclosed JSON pattern", "unclosed delimited pattern", "value not a field",
        "dimensions with a default", "dimensions on a term pattern", "4 dimensions", "unit Millis",
        "AWS/ namespace", "metric name with a colon", "value of 101 characters", "pattern of 1025 characters"])
def test_put_metric_filter_limits(cloud, group, bad, good, message):
    with refused(message):
        register(cloud, FILTER, "refused", bad)
    assert register(cloud, FILTER, "accepted", good)


def test_a_log_group_holds_at_most_100_metric_filters(cloud, group):
    for index in range(100):
        register(cloud, FILTER, f"f{index}", {**FILTER_INPUTS, "name": f"filter-{index}"})
    with refused("LimitExceededException: at most 100 metric filters per log group"):
        register(cloud, FILTER, "f100", {**FILTER_INPUTS, "name": "filter-100"})
    # Changing one of the hundred adds none; another group has room of its own.
    assert register(cloud, FILTER, "f99", metric_filter('{ $.type = "platform.report" }') | {"name": "filter-99"})
    register(cloud, LOG_GROUP, "other", {"name": "/aws/lambda/other"})
    assert register(cloud, FILTER, "f100", {**FILTER_INPUTS, "name": "filter-100", "logGroupName": "/aws/lambda/other"})


@pytest.mark.parametrize("log_format", ["JSON", "Text"])
def test_the_projects_own_metric_filters_are_accepted(cloud, group, log_format):
    for metric in log_metrics(log_format).values():
        register(cloud, FILTER, metric.metric_name, {
            "name": f"fn-{metric.metric_name}", "logGroupName": group, "pattern": metric.pattern,
            "metricTransformation": {"name": metric.metric_name, "namespace": "lambdakit/fn", "value": metric.value,
                                     "unit": metric.unit}})
    assert sum(r.type == FILTER for r in cloud.resources.values()) == len(log_metrics(log_format))


@pytest.mark.parametrize("query, message", [
    ("x" * 10001, "queryString must be 1..10000 characters"), ("", "queryString must be 1..10000 characters"),
], ids=["10001 characters", "empty"])
def test_put_query_definition_length(cloud, query, message):
    with refused(message):
        register(cloud, QUERY, "q", {"name": "fn/errors", "queryString": query, "logGroupNames": [GROUP]})
    accepted = register(cloud, QUERY, "q", {"name": "fn/errors", "queryString": "x" * 10000, "logGroupNames": [GROUP]})
    assert accepted["queryDefinitionId"]


@pytest.mark.parametrize("log_format", ["JSON", "Text"])
def test_the_projects_saved_queries_are_accepted(cloud, log_format):
    for key, text in saved_queries(log_format).items():
        assert register(cloud, QUERY, key, {"name": f"fn/{key}", "queryString": text, "logGroupNames": [GROUP]})


def test_a_query_definition_names_valid_log_groups(cloud):
    with refused("log group name 'aws/lambda/fn'"):
        register(cloud, QUERY, "q", {"name": "fn/errors", "queryString": "fields @message",
                                     "logGroupNames": ["aws/lambda/fn"]})


# SNS.

@pytest.mark.parametrize("name, fifo", [("alarms.v2", False), ("x.fifo", False), ("x", True), ("t" * 257, False),
                                        ("alarm topic", False)],
                         ids=["dot", ".fifo on a standard topic", "FIFO without .fifo", "257 characters", "space"])
def test_create_topic_refuses_the_name(cloud, name, fifo):
    with refused("InvalidParameter: Invalid parameter: Topic Name"):
        register(cloud, TOPIC, "t", {"name": name, "fifoTopic": fifo})


@pytest.mark.parametrize("name, fifo", [("lambdakit-dev_alarms", False), ("x.fifo", True), ("t" * 256, False)],
                         ids=["standard", "FIFO", "256 characters"])
def test_create_topic_accepts_the_name(cloud, name, fifo):
    assert register(cloud, TOPIC, "t", {"name": name, "fifoTopic": fifo})["arn"] == \
        f"arn:aws:sns:eu-west-1:{ACCOUNT}:{name}"


KEY_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
    {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
     "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}]})


def test_a_topic_encrypted_with_an_existing_key(cloud):
    key = register(cloud, KEY, "k", {"policy": KEY_POLICY, "deletionWindowInDays": 30})
    for form in (key["arn"], key["keyId"], "alias/aws/sns"):
        assert register(cloud, TOPIC, f"t-{form}", {"name": "alarms", "kmsMasterKeyId": form})["arn"] == TOPIC_ARN


def test_a_topic_naming_a_key_that_does_not_exist_is_created(cloud):
    # KMSNotFoundException is an error of Publish only (botocore's sns model); getmoto/moto#3389.
    missing = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    assert register(cloud, TOPIC, "t", {"name": "alarms", "kmsMasterKeyId": missing})["arn"] == TOPIC_ARN


@pytest.fixture
def topic(cloud) -> str:
    return register(cloud, TOPIC, "t", {"name": "alarms"})["arn"]


def test_an_email_subscription_needs_an_address_and_waits_for_confirmation(cloud, topic):
    with refused("InvalidParameter: Invalid parameter: Email address 'not-an-address'"):
        register(cloud, SUBSCRIPTION, "s", {"topic": topic, "protocol": "email", "endpoint": "not-an-address"})
    subscription = register(cloud, SUBSCRIPTION, "s", {"topic": topic, "protocol": "email",
                                                        "endpoint": "oncall@example.com"})
    assert subscription["pendingConfirmation"] is True
    assert subscription["arn"].startswith(f"{TOPIC_ARN}:")


def test_a_subscription_needs_its_topic(cloud, topic):
    with refused("NotFound: Topic does not exist"):
        register(cloud, SUBSCRIPTION, "s", {"topic": f"{TOPIC_ARN}-gone", "protocol": "email",
                                            "endpoint": "oncall@example.com"})
    assert register(cloud, SUBSCRIPTION, "s", {"topic": topic, "protocol": "email", "endpoint": "oncall@example.com"})


# KMS.

@pytest.mark.parametrize("days", [5, 6, 31])
def test_a_key_deletion_window_is_7_to_30_days(cloud, days):
    with refused(f"ValidationException: PendingWindowInDays {days} must be 7..30"):
        register(cloud, KEY, "k", {"policy": KEY_POLICY, "deletionWindowInDays": days})
    for accepted in (7, 30):
        assert register(cloud, KEY, f"k{accepted}", {"policy": KEY_POLICY, "deletionWindowInDays": accepted})["arn"]


def _policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


CLOUDWATCH_USES_KEY = {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                       "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}


@pytest.mark.parametrize("policy", [
    _policy(CLOUDWATCH_USES_KEY),
    _policy({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:Decrypt", "Resource": "*"}),
    _policy({"Effect": "Deny", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}),
    _policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "kms:*",
             "Resource": "*"}),
], ids=["only a service", "root may only decrypt", "root denied", "another account's root"])
def test_a_key_policy_must_not_lock_the_account_out(cloud, policy):
    with refused("MalformedPolicyDocumentException: The new key policy will not allow you to update the key policy"):
        register(cloud, KEY, "k", {"policy": policy})
    assert register(cloud, KEY, "bypassed", {"policy": policy, "bypassPolicyLockoutSafetyCheck": True})["arn"]


@pytest.mark.parametrize("policy", [
    KEY_POLICY,
    _policy({"Effect": "Allow", "Principal": {"AWS": [ROOT]}, "Action": ["kms:PutKeyPolicy"], "Resource": "*"},
            CLOUDWATCH_USES_KEY),
], ids=["root kms:*", "root kms:PutKeyPolicy"])
def test_a_key_policy_that_keeps_the_account_in_is_accepted(cloud, policy):
    key = register(cloud, KEY, "k", {"policy": policy})
    assert key["arn"] == f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key['keyId']}"


def test_a_key_policy_that_lets_the_caller_itself_administer_the_key_is_accepted(cloud):
    # CreateKey: the policy "must allow the calling principal to make a subsequent PutKeyPolicy request".
    caller = f"arn:aws:iam::{ACCOUNT}:user/deployer"  # SimulatedCloud's getCallerIdentity
    assert register(cloud, KEY, "k", {"policy": _policy(
        {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "kms:*", "Resource": "*"})})["arn"]


@pytest.mark.parametrize("name", ["alias/aws/x", "no-prefix", "alias/", "alias/with space", "alias/" + "a" * 251],
                         ids=["reserved alias/aws/", "no alias/ prefix", "empty", "space", "257 characters"])
def test_create_alias_refuses_the_name(cloud, name):
    with refused("ValidationException: KMS alias name"):
        register(cloud, ALIAS, "a", {"name": name, "targetKeyId": "k"})
    assert register(cloud, ALIAS, "a", {"name": "alias/lambdakit-dev/alarms_1:x", "targetKeyId": "k"})["arn"] == \
        f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/lambdakit-dev/alarms_1:x"


def test_an_alias_name_is_unique_in_the_account(cloud):
    register(cloud, ALIAS, "first", {"name": "alias/alarms", "targetKeyId": "k1"})
    with refused("AlreadyExistsException: An alias with the name alias/alarms already exists"):
        register(cloud, ALIAS, "second", {"name": "alias/alarms", "targetKeyId": "k2"})
    # Updating the first is no second; once it is deleted, the name is free again.
    assert register(cloud, ALIAS, "first", {"name": "alias/alarms", "targetKeyId": "k2"})
    cloud.delete_all_but(set())
    assert register(cloud, ALIAS, "second", {"name": "alias/alarms", "targetKeyId": "k2"})


# AWS Budgets CreateBudget (botocore's budgets model, 2016-10-20, and its CreateBudget documentation).

BUDGET = "aws:budgets/budget:Budget"


def _budget(**changes) -> dict:
    notification = {"notificationType": "ACTUAL", "comparisonOperator": "GREATER_THAN", "threshold": 80,
                    "thresholdType": "PERCENTAGE", "subscriberSnsTopicArns": [TOPIC_ARN]}
    tags = [{"tags": {"key": key, "values": [value], "matchOptions": ["EQUALS"]}}
            for key, value in (("project", "p"), ("stack", "dev"))]
    return changed({"name": "p-dev-monthly", "budgetType": "COST", "timeUnit": "MONTHLY", "limitAmount": "25",
                    "limitUnit": "USD", "metrics": "UnblendedCost", "filterExpression": {"ands": tags},
                    "notifications": [notification, {**notification, "notificationType": "FORECASTED"}]}, changes)


@pytest.fixture
def budget_cloud(cloud):
    register(cloud, TOPIC, "alarms", {"name": "alarms"})
    return cloud


def test_a_budget_is_global_and_named_in_its_arn(budget_cloud):
    state = register(budget_cloud, BUDGET, "budget", _budget())
    assert state["arn"] == f"arn:aws:budgets::{ACCOUNT}:budget/p-dev-monthly"


@pytest.mark.parametrize("name", ["p:dev", "p\\dev", "p/action/dev", "x" * 101])
def test_budget_names_refuse_colons_backslashes_and_action_paths(budget_cloud, name):
    with refused("AWS budget name"):
        register(budget_cloud, BUDGET, "budget", _budget(name=name))
    register(budget_cloud, BUDGET, "budget", _budget(name="p dev/monthly (USD)"))


def test_a_budget_name_is_unique_in_the_account(budget_cloud):
    register(budget_cloud, BUDGET, "first", _budget())
    with refused("DuplicateRecordException"):
        register(budget_cloud, BUDGET, "second", _budget())
    register(budget_cloud, BUDGET, "first", _budget(limitAmount="30"))  # an update of the same budget


@pytest.mark.parametrize("amount", ["25 USD", "1e3", "-5", ""])
def test_the_limit_is_a_plain_decimal(budget_cloud, amount):
    with refused("BudgetLimit.Amount"):
        register(budget_cloud, BUDGET, "budget", _budget(limitAmount=amount))
    register(budget_cloud, BUDGET, "budget", _budget(limitAmount="25.50"))


def test_a_cost_budget_needs_a_limit(budget_cloud):
    with refused("a COST budget needs a BudgetLimit"):
        register(budget_cloud, BUDGET, "budget", _budget(limitAmount=None))


def test_a_filter_expression_needs_a_metric_and_excludes_cost_filters(budget_cloud):
    with refused("a FilterExpression needs Metrics"):
        register(budget_cloud, BUDGET, "budget", _budget(metrics=None))
    with refused("FilterExpression and CostFilters cannot both be given"):
        register(budget_cloud, BUDGET, "budget",
                 _budget(costFilters=[{"name": "TagKeyValue", "values": ["user:stack$dev"]}]))


@pytest.mark.parametrize("expression, problem", [
    ({"tags": {"key": "stack", "values": ["dev"]}, "dimensions": {"key": "SERVICE", "values": ["AWS Lambda"]}},
     "exactly one root"),
    ({"ands": [{"tags": {"key": "stack", "values": []}}, {"tags": {"key": "project", "values": ["p"]}}]},
     "a Tags expression needs at least one value"),
])
def test_filter_expressions_are_held_to_cost_explorers_rules(budget_cloud, expression, problem):
    with refused(problem):
        register(budget_cloud, BUDGET, "budget", _budget(filterExpression=expression))
    register(budget_cloud, BUDGET, "budget", _budget(filterExpression={"tags": {"key": "stack", "values": ["dev"]}}))
    # ABSENT matches resources without the tag: the one tag expression with no values.
    register(budget_cloud, BUDGET, "budget", _budget(filterExpression={"tags": {"key": "stack", "matchOptions": ["ABSENT"]}}))


def test_at_most_five_notifications_none_twice_each_with_a_subscriber(budget_cloud):
    base = _budget()["notifications"][0]
    five = [{**base, "threshold": t} for t in (50, 60, 70, 80, 90)]
    register(budget_cloud, BUDGET, "budget", _budget(notifications=five))
    with refused("at most 5 notifications"):
        register(budget_cloud, BUDGET, "budget", _budget(notifications=five + [{**base, "threshold": 100}]))
    with refused("DuplicateRecordException"):
        register(budget_cloud, BUDGET, "budget", _budget(notifications=[base, dict(base)]))
    with refused("at least one subscriber"):
        register(budget_cloud, BUDGET, "budget", _budget(notifications=[{**base, "subscriberSnsTopicArns": []}]))


def test_one_topic_and_ten_addresses_per_notification_at_most(budget_cloud):
    base = _budget()["notifications"][0]
    emails = [f"ops{n}@example.com" for n in range(10)]
    register(budget_cloud, BUDGET, "budget", _budget(notifications=[{**base, "subscriberEmailAddresses": emails}]))
    for too_many in ({"subscriberEmailAddresses": emails + ["ops10@example.com"]},
                     {"subscriberSnsTopicArns": [TOPIC_ARN, TOPIC_ARN + "-2"]}):
        with refused("at most 1 SNS topic and 10 e-mail subscribers"):
            register(budget_cloud, BUDGET, "budget", _budget(notifications=[{**base, **too_many}]))


def test_thresholds_stay_within_budgets_bounds_and_topics_exist(budget_cloud):
    base = _budget()["notifications"][0]
    with refused("Threshold -1 is outside"):
        register(budget_cloud, BUDGET, "budget", _budget(notifications=[{**base, "threshold": -1}]))
    with refused("no such SNS topic"):
        register(budget_cloud, BUDGET, "budget",
                 _budget(notifications=[{**base, "subscriberSnsTopicArns": [TOPIC_ARN + "-gone"]}]))
