"""FunctionMonitoring per stack, under the mock engine: each alarm's metric, dimensions, statistic,
period, threshold, comparison and actions; the metric filters on the function's log group; the
saved queries."""

import math

import pytest

from lambda_logs import log_metrics, saved_queries

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
QUERY = "aws:cloudwatch/queryDefinition:QueryDefinition"
MONITORING = "lambdakit:monitoring:FunctionMonitoring$"  # in the URN of each alarm FunctionMonitoring makes

# key: (metrics read as namespace/name[stat], per alias?, period, threshold, comparison); OWN is the
# function's own namespace, where its metric filters publish.
PROD_ALARMS = {
    "init-duration": (["OWN/InitDuration[p95]"], None, 300, 2000, "GreaterThanThreshold"),
    "cold-start-rate": (["OWN/ColdStarts[Sum]", "AWS/Lambda/Invocations[Sum]"], True, 300, 20,
                        "GreaterThanThreshold"),
    # A canary's rollback alarms are judged minute by minute on a stack whose alias CodeDeploy shifts.
    "error-rate": (["AWS/Lambda/Errors[Sum]", "AWS/Lambda/Invocations[Sum]"], True, 60, 1, "GreaterThanThreshold"),
    "throttles": (["AWS/Lambda/Throttles[Sum]"], True, 60, 0, "GreaterThanThreshold"),
    "duration": (["AWS/Lambda/Duration[p95]"], True, 60, 12000, "GreaterThanThreshold"),  # 80% of 15 s
    "url-5xx-rate": (["AWS/Lambda/Url5xxCount[Sum]", "AWS/Lambda/UrlRequestCount[Sum]"], True, 60, 1,
                     "GreaterThanThreshold"),
    # The reservation covers every version: judged on the function. 80% of 50.
    "concurrency": (["AWS/Lambda/ConcurrentExecutions[Maximum]"], False, 60, 40, "GreaterThanOrEqualToThreshold"),
    "spillover-rate": (["AWS/Lambda/ProvisionedConcurrencySpilloverInvocations[Sum]", "AWS/Lambda/Invocations[Sum]"],
                       True, 300, 10, "GreaterThanThreshold"),
}
# No provisioned concurrency in dev: no spillover to alarm on.
DEV_ALARMS = {key: value for key, value in PROD_ALARMS.items() if key != "spillover-rate"} | {
    "cold-start-rate": (PROD_ALARMS["cold-start-rate"][0], True, 300, 50, "GreaterThanThreshold"),
    "error-rate": (PROD_ALARMS["error-rate"][0], True, 300, 5, "GreaterThanThreshold"),
    "duration": (["AWS/Lambda/Duration[p95]"], True, 60, 24000, "GreaterThanThreshold"),  # 80% of 30 s
    "url-5xx-rate": (PROD_ALARMS["url-5xx-rate"][0], True, 300, 5, "GreaterThanThreshold"),
    # The ceiling under dev's public URL: 80% of 10.
    "concurrency": (PROD_ALARMS["concurrency"][0], False, 60, 8, "GreaterThanOrEqualToThreshold"),
}


def _read(alarm: dict) -> list[tuple[str, dict, int]]:
    """(namespace/name[stat], dimensions, period) of every metric the alarm reads."""
    if alarm.get("metricName"):
        stat = alarm.get("statistic") or alarm.get("extendedStatistic")
        return [(f"{alarm['namespace']}/{alarm['metricName']}[{stat}]", alarm.get("dimensions") or {}, alarm["period"])]
    return [(f"{m['namespace']}/{m['metricName']}[{m['stat']}]", m.get("dimensions") or {}, m["period"])
            for q in alarm["metricQueries"] if (m := q.get("metric"))]


@pytest.mark.parametrize("stack, expected", [("prod", PROD_ALARMS), ("dev", DEV_ALARMS)])
def test_each_alarm_reads_the_right_metric_against_its_threshold(request, stack, expected):
    run = request.getfixturevalue(f"{stack}_run")
    function = f"lambdakit-{stack}-api"
    alarms = {a.inputs["name"].removeprefix(f"{function}-"): a.inputs for a in run.under("api").of_type(ALARM)}
    assert set(alarms) == set(expected)
    for key, (metrics, per_alias, period, threshold, comparison) in expected.items():
        alarm, read = alarms[key], _read(alarms[key])
        assert [name for name, _, _ in read] == [m.replace("OWN", f"lambdakit/{function}") for m in metrics], key
        assert {p for _, _, p in read} == {period}, key
        for name, dimensions, _ in read:
            if name.startswith("AWS/Lambda/"):
                live = {"FunctionName": function, "Resource": f"{function}:live"}
                assert dimensions == (live if per_alias else {"FunctionName": function}), key
            else:
                assert dimensions == {}, key  # a metric filter's metric: per function by its namespace
        assert (alarm["threshold"], alarm["comparisonOperator"]) == (threshold, comparison), key


def test_rates_are_metric_math_over_enough_events(prod_run):
    for alarm in (a.inputs for a in prod_run.of_type(ALARM) if a.inputs.get("metricQueries")):
        [answer] = [q for q in alarm["metricQueries"] if q["returnData"]]
        assert answer["expression"] == "IF(FILL(events, 0) >= 3, 100 * FILL(events, 0) / total, 0)"
        assert {q["id"] for q in alarm["metricQueries"] if not q["returnData"]} == {"events", "total"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_alarm_tells_the_topic_on_alarm_and_on_recovery(request, stack):
    run = request.getfixturevalue(f"{stack}_run")
    topic = run.one("aws:sns/topic:Topic").state["arn"]
    for registration in run.of_type(ALARM):
        alarm = registration.inputs
        assert alarm["alarmActions"] == [topic] and alarm["okActions"] == [topic], alarm["name"]
        assert alarm["treatMissingData"] == "notBreaching", alarm["name"]
        assert "not breaching" in alarm["alarmDescription"], alarm["name"]
        assert len(alarm["alarmDescription"]) <= 1024
        if alarm["name"].endswith("-failed-runs"):  # a scheduled function's: each failed run is one too many
            assert alarm["datapointsToAlarm"] == alarm["evaluationPeriods"] == 1
        elif MONITORING in registration.urn:
            assert 1 < alarm["datapointsToAlarm"] <= alarm["evaluationPeriods"], alarm["name"]
        else:  # the one alarm of the worker's schedule: one dead letter is a run lost for good, and pages at once
            assert alarm["name"] == f"lambdakit-{stack}-worker-dead-letters"


def test_percentile_alarms_judge_the_few_samples_there_are(prod_run):
    percentiles = [a.inputs for a in prod_run.of_type(ALARM) if a.inputs.get("extendedStatistic")]
    assert {a["extendedStatistic"] for a in percentiles} == {"p95"}
    assert all(a["evaluateLowSampleCountPercentiles"] == "evaluate" for a in percentiles)


@pytest.mark.parametrize("stack, log_format", [("dev", "JSON"), ("prod", "JSON"), ("dev", "Text")])
def test_metric_filters_read_the_functions_own_log_group(stack_runner, stack, log_format):
    run = stack_runner(stack, {"logFormat": log_format})
    log_group = run.under("api").one("aws:cloudwatch/logGroup:LogGroup").inputs["name"]
    filters = {f.inputs["metricTransformation"]["name"]: f.inputs for f in run.under("api").of_type(FILTER)}
    assert set(filters) == set(log_metrics(log_format))
    for name, metric in log_metrics(log_format).items():
        assert filters[name]["logGroupName"] == log_group
        assert filters[name]["pattern"] == metric.pattern
        assert filters[name]["metricTransformation"]["value"] == metric.value
        assert filters[name]["metricTransformation"]["namespace"] == f"lambdakit/lambdakit-{stack}-api"
    queries = {q.inputs["name"]: q.inputs for q in run.under("api").of_type(QUERY)}
    assert {name: q["queryString"] for name, q in queries.items()} == {
        f"lambdakit-{stack}-api/{key}": text for key, text in saved_queries(log_format).items()}
    assert all(q["logGroupNames"] == [log_group] for q in queries.values())


def test_the_function_logs_the_records_the_filters_count(any_stack_run):
    logging_config = any_stack_run.under("api").one("aws:lambda/function:Function").inputs["loggingConfig"]
    assert logging_config["logFormat"] == "JSON"
    assert logging_config["systemLogLevel"] == "INFO"  # delivers platform.initStart and platform.report


def test_text_logs_carry_no_levels(stack_runner):
    logging_config = stack_runner("dev", {"logFormat": "Text"}).under("api").one("aws:lambda/function:Function").inputs[
        "loggingConfig"]
    assert logging_config == {"logFormat": "Text", "logGroup": "/aws/lambda/lambdakit-dev-api"}


def test_thresholds_follow_the_settings(stack_runner):
    run = stack_runner("prod", {"alarmInitDurationMs": 1500, "alarmDurationPercentOfTimeout": 50,
                                "alarmConcurrencyPercentOfReserved": 90, "reservedConcurrency": 33})
    thresholds = {a.inputs["name"].removeprefix("lambdakit-prod-api-"): a.inputs["threshold"]
                  for a in run.under("api").of_type(ALARM)}
    assert thresholds["init-duration"] == 1500
    assert thresholds["duration"] == 7500  # half of 15 s
    assert thresholds["concurrency"] == 30  # 90% of 33, rounded up: 29.7 executions cannot happen


@pytest.mark.parametrize("stack, reserved", [("dev", 10), ("prod", 2)])
def test_the_worker_has_its_own_alarms_filters_and_queries_and_none_for_a_url(request, stack, reserved):
    """The scheduled worker is watched like the api, on its own alias, group and namespace, without what only a URL's
    callers feel (it has no URL, and a rarely called function is cold by design); its schedule adds its dead letters."""
    run = request.getfixturevalue(f"{stack}_run")
    function = f"lambdakit-{stack}-worker"
    alarms = {a.inputs["name"].removeprefix(f"{function}-"): a.inputs for a in run.under("worker").of_type(ALARM)}
    assert set(alarms) == {"init-duration", "failed-runs", "throttles", "duration", "concurrency", "dead-letters"}
    live = {"FunctionName": function, "Resource": f"{function}:live"}
    # A run every few minutes never holds the 3 failures a rate needs: any failed run alarms.
    assert (alarms["failed-runs"]["metricName"], alarms["failed-runs"]["threshold"]) == ("Errors", 0)
    for key in ("failed-runs", "throttles", "duration"):
        assert {frozenset(d.items()) for _, d, _ in _read(alarms[key]) if d} == {frozenset(live.items())}, key
    assert alarms["duration"]["threshold"] == 48000  # 80 % of its own 60 s timeout, not the stack's
    assert alarms["concurrency"]["threshold"] == math.ceil(reserved * 0.8)
    log_group = run.under("worker").one("aws:cloudwatch/logGroup:LogGroup").inputs["name"]
    assert log_group == f"/aws/lambda/{function}"
    filters = run.under("worker").of_type(FILTER)
    assert {f.inputs["metricTransformation"]["name"] for f in filters} == set(log_metrics("JSON"))
    assert all(f.inputs["logGroupName"] == log_group for f in filters)
    assert {f.inputs["metricTransformation"]["namespace"] for f in filters} == {f"lambdakit/{function}"}
    assert {q.inputs["name"] for q in run.under("worker").of_type(QUERY)} == {
        f"{function}/{key}" for key in saved_queries("JSON")}
    # None of the api's parts is the worker's.
    assert not any(a.inputs["name"].startswith(f"lambdakit-{stack}-api-") for a in run.under("worker").of_type(ALARM))
