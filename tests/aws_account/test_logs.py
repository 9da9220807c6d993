"""CloudWatch Logs in the simulated account refuses what it refuses (PutRetentionPolicy, PutMetricFilter,
PutQueryDefinition), and accepts the project's own metric filters and saved queries."""

import copy

import pytest

from aws_account.refusals import AwsRefusal
from lambda_logs import log_metrics, saved_queries
from tests.aws_account.steps import refused, register, with_keys

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
QUERY = "aws:cloudwatch/queryDefinition:QueryDefinition"
GROUP = "/aws/lambda/fn"


def test_log_retention_must_be_one_cloudwatch_offers(cloud):
    with pytest.raises(AwsRefusal, match="retentionInDays 10"):
        register(cloud, LOG_GROUP, "g", {"name": "/aws/lambda/fn", "retentionInDays": 10})


# PutMetricFilter and PutQueryDefinition.

FILTER_INPUTS = {
    "name": "fn-ColdStarts", "logGroupName": GROUP, "pattern": '{ $.type = "platform.initStart" }',
    "metricTransformation": {"name": "ColdStarts", "namespace": "lambdakit/fn", "value": "1", "unit": "Count"},
}


def metric_filter(pattern: str = None, **transformation) -> dict:
    """FILTER_INPUTS with another pattern and its transformation changed (None removes a key)."""
    inputs = copy.deepcopy(FILTER_INPUTS)
    if pattern is not None:
        inputs["pattern"] = pattern
    inputs["metricTransformation"] = with_keys(inputs["metricTransformation"], transformation)
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
