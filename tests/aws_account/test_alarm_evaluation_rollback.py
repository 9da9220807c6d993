"""Prod's rollback alarms (components/canary_release.py), as the program registers them, judging a release minute by
minute under CloudWatch's alarm evaluation (aws_account/alarm_evaluation.py, checked against the CloudWatch User
Guide in test_alarm_evaluation.py): the api's, whose users call its URL (the hand computations below are for its
10 % canary), and the worker's, on its own alias."""

import copy
from datetime import datetime, timezone
from typing import Optional

import pytest

from aws_account.alarm_evaluation import MetricStore, first_alarm_time
from aws_account.metric_math import metric_math
from components.canary_release import ROLLBACK_ALARMS

CANARY_START = datetime(2026, 3, 12, 10, 0, tzinfo=timezone.utc).timestamp()


def _release(run, name: str) -> dict:
    """Function `name`'s live alias's dimensions, its canary (minutes, share) and its rollback alarms by key."""
    parts = run.under(name)
    alias = parts.one("aws:lambda/alias:Alias").inputs
    function = alias["functionName"]
    alarms = {inputs["name"]: inputs for inputs in
              (registration.inputs for registration in parts.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))}
    watched = parts.one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs["alarmConfiguration"]["alarms"]
    canary = parts.one("aws:codedeploy/deploymentConfig:DeploymentConfig").inputs
    canary = canary["trafficRoutingConfig"]["timeBasedCanary"]
    return {"dimensions": {"FunctionName": function, "Resource": f"{function}:{alias['name']}"},
            "minutes": canary["interval"], "share": canary["percentage"] / 100, "watched": watched,
            "alarms": {key: alarms[name] for key in ROLLBACK_ALARMS if (name := f"{function}-{key}") in watched}}


@pytest.fixture(scope="module")
def prod(prod_run):
    return _release(prod_run, "api")


def play_release(dimensions: dict, calls_per_minute: int, new_share: float, failure_ms: float) -> MetricStore:
    """What Lambda publishes on the live alias for 20 minutes from CANARY_START while a new version that fails half
    its calls (each taking failure_ms) takes new_share of them; every other call succeeds in 120 ms."""
    store = MetricStore()
    failing = int(calls_per_minute * new_share) // 2
    fine = calls_per_minute - failing
    for minute in range(20):
        for name, value, count in (("Invocations", 1.0, calls_per_minute), ("Errors", 1.0, failing),
                                   ("Errors", 0.0, fine), ("UrlRequestCount", 1.0, calls_per_minute),
                                   ("Url5xxCount", 1.0, failing), ("Url5xxCount", 0.0, fine),
                                   ("Duration", failure_ms, failing), ("Duration", 120.0, fine)):
            if count:
                store.put("AWS/Lambda", name, dimensions, CANARY_START + 60 * minute + 30, value, count=count)
    return store


def minutes_until_alarm(alarm_inputs: dict, store: MetricStore) -> Optional[float]:
    fired = first_alarm_time(alarm_inputs, store, CANARY_START, CANARY_START + 20 * 60)
    return None if fired is None else (fired - CANARY_START) / 60


def metric_dimensions(alarm_inputs: dict) -> list[dict]:
    queries = alarm_inputs.get("metricQueries") or [{"metric": alarm_inputs}]
    return [query["metric"]["dimensions"] for query in queries if query.get("metric")]


def test_the_rollback_alarms_watch_the_live_alias(prod):
    assert set(prod["alarms"]) == set(ROLLBACK_ALARMS) - {"failed-runs"}
    for key, inputs in prod["alarms"].items():
        assert metric_dimensions(inputs) and all(d == prod["dimensions"] for d in metric_dimensions(inputs)), key


def test_the_workers_release_is_judged_by_its_own_alarms_on_its_own_alias(prod_run, prod):
    """The worker's canary (half its calls, Pulumi.prod.yaml) rolls back on the worker's alarms, on the worker's
    alias, never on the api's; it has no URL, so no URL alarm."""
    worker = _release(prod_run, "worker")
    assert worker["dimensions"] == {"FunctionName": "lambdakit-prod-worker", "Resource": "lambdakit-prod-worker:live"}
    assert worker["share"] == 0.5 and prod["share"] == 0.1
    assert set(worker["alarms"]) == set(ROLLBACK_ALARMS) - {"url-5xx-rate", "error-rate"}
    assert all(name.startswith("lambdakit-prod-worker-") for name in worker["watched"])
    for key, inputs in worker["alarms"].items():
        assert metric_dimensions(inputs) and all(d == worker["dimensions"] for d in metric_dimensions(inputs)), key


def test_the_rate_expression_needs_three_events_and_reads_no_traffic_as_zero(prod):
    expression = next(query["expression"] for query in prod["alarms"]["error-rate"]["metricQueries"]
                      if query.get("expression"))
    assert metric_math(expression, {"events": [None, 2.0, 3.0, 50.0, None],
                                    "total": [None, 4.0, 10.0, 100.0, 10.0]}) == [0, 0, 30, 50, 0]


# Hand-computed, with every rollback alarm at 1-minute periods, 3 out of 5, missing data not breaching, and metrics
# in 60 s after their minute: the minutes 10:00, 10:01 and 10:02 all breach once the 10:02 minute is in, at 10:04.
# The canary's 10% of 100 calls a minute is 10 calls, 5 failing: 5% > 1%, and 5 >= MIN_EVENTS (3), so both rates
# breach; p95 of 95 calls at 120 ms and 5 fast failures is 120 ms. At 40 calls a minute the canary gets 4, 2 failing:
# fewer than 3 errors a minute, so the rates stay 0. Nothing throttles.
RELEASES = {
    "canary share failing fast": (100, None, 80.0,
                                  {"error-rate": 4, "url-5xx-rate": 4, "throttles": None, "duration": None}),
    "all traffic timing out": (100, 1.0, 15000.0,
                               {"error-rate": 4, "url-5xx-rate": 4, "throttles": None, "duration": 4}),
    "quiet canary failing fast": (40, None, 80.0,
                                  {"error-rate": None, "url-5xx-rate": None, "throttles": None, "duration": None}),
}


@pytest.mark.parametrize("release", RELEASES)
def test_when_each_rollback_alarm_fires(prod, release):
    calls, share, failure_ms, expected = RELEASES[release]
    for key, inputs in prod["alarms"].items():
        timing = (inputs.get("period") or inputs["metricQueries"][0]["metric"]["period"],
                  inputs["evaluationPeriods"], inputs["datapointsToAlarm"], inputs["treatMissingData"])
        assert timing == (60, 5, 3, "notBreaching"), f"{key}: the hand computation assumed another timing"
    store = play_release(prod["dimensions"], calls, share or prod["share"], failure_ms)
    fired = {key: minutes_until_alarm(inputs, store) for key, inputs in prod["alarms"].items()}
    assert fired == expected
    assert all(minutes is None or minutes < prod["minutes"] for minutes in fired.values())


def test_five_minute_rates_would_fire_after_a_five_minute_canary(prod):
    """The rates' former timing, 5-minute periods 2 out of 3: a sliding window has two periods holding failures at
    10:06, in at 10:07; a wall clock window at 10:10, in at 10:11. Both after the 5-minute canary prod had then."""
    error_rate = copy.deepcopy(prod["alarms"]["error-rate"])
    for query in error_rate["metricQueries"]:
        if query.get("metric"):
            query["metric"]["period"] = 300.0
    error_rate.update(evaluationPeriods=3.0, datapointsToAlarm=2.0)
    store = play_release(prod["dimensions"], 100, prod["share"], 80.0)
    assert minutes_until_alarm(error_rate, store) == 7
    assert minutes_until_alarm({**error_rate, "evaluationWindow": {"wallClockWindow": {}}}, store) == 11


def test_one_failed_scheduled_run_rolls_the_workers_canary_back(prod_run, prod):
    """The worker runs every 5 minutes: a failed run and Lambda's two retries are 3 errors over 3 minutes, which the
    api's rate (3 errors in one period) never sees; the worker's failed-runs alarm fires inside its canary."""
    worker = _release(prod_run, "worker")
    store = MetricStore()
    for minute, failed in ((0, 0.0), (5, 1.0), (6, 1.0), (8, 1.0)):  # the 10:05 run reaches the new version
        for name, value in (("Invocations", 1.0), ("Errors", failed)):
            store.put("AWS/Lambda", name, worker["dimensions"], CANARY_START + 60 * minute + 30, value, count=1)
    fired = minutes_until_alarm(worker["alarms"]["failed-runs"], store)
    assert fired is not None and fired < worker["minutes"]
    as_a_rate = copy.deepcopy(prod["alarms"]["error-rate"])
    for query in as_a_rate["metricQueries"]:
        if query.get("metric"):
            query["metric"]["dimensions"] = worker["dimensions"]
    assert minutes_until_alarm(as_a_rate, store) is None
