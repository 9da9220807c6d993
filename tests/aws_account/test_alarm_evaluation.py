"""CloudWatch alarm evaluation (aws_account/alarm_evaluation.py) against the examples of the CloudWatch User Guide.
Prod's own rollback alarms played through a canary minute by minute are test_alarm_evaluation_rollback.py."""

from datetime import datetime, timezone

import pytest

from aws_account.alarm_evaluation import (ALARM, INSUFFICIENT_DATA, OK, MetricStore, evaluate_alarm, evaluation_range,
                                          low_sample_minimum)
from aws_account.metric_math import metric_math

NAMESPACE, METRIC, DIMENSIONS = "Rehearsal", "Latency", {"Service": "api"}
BREACHING, WITHIN = 10.0, 1.0  # against the threshold 5
RETAIN = "Retain current state"
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


def at(hour: int, minute: int, second: int = 0) -> float:
    return datetime(2026, 3, 12, hour, minute, second, tzinfo=timezone.utc).timestamp()


def alarm(**changes) -> dict:
    """A single-metric alarm as the Pulumi program registers one (camelCase, numbers as floats): Maximum over
    5 minutes greater than 5, 3 out of 3. A change to None leaves the input out."""
    inputs = {"namespace": NAMESPACE, "metricName": METRIC, "dimensions": DIMENSIONS, "period": 300.0,
              "statistic": "Maximum", "comparisonOperator": "GreaterThanThreshold", "threshold": 5.0,
              "evaluationPeriods": 3.0, "datapointsToAlarm": 3.0, **changes}
    return {key: value for key, value in inputs.items() if value is not None}


def one_minute(**changes) -> dict:
    return alarm(period=60.0, evaluationPeriods=1.0, datapointsToAlarm=1.0, **changes)


def store_of(pattern: str, watched: dict, now: float) -> MetricStore:
    """The datapoints of the page's tables, oldest first, one per period of the evaluation range at `now`:
    X breaching, 0 within the threshold, - missing."""
    store = MetricStore()
    starts = evaluation_range(watched, now)
    assert len(starts) == len(pattern.split())
    for start, mark in zip(starts, pattern.split()):
        if mark != "-":
            store.put(NAMESPACE, METRIC, DIMENSIONS, start + 30, BREACHING if mark == "X" else WITHIN)
    return store


def states_minute_by_minute(watched: dict, store: MetricStore, start: float, minutes: int) -> list[str]:
    state, states = INSUFFICIENT_DATA, []
    for minute in range(minutes):
        state = evaluate_alarm(watched, store, start + 60 * minute, state).state
        states.append(state)
    return states


# CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data", section "How alarm state is evaluated
# when data is missing" (the same text since 2020; read in awsdocs/amazon-cloudwatch-user-guide,
# doc_source/AlarmThatSendsEmail.md, May 2023). Evaluation Periods 3, evaluation range 5, period 5 minutes; the five
# most recent datapoints, oldest first, then the state under MISSING, IGNORE, BREACHING, NOT BREACHING.
THREE_OUT_OF_THREE = [
    ("0 - X - X", OK, OK, OK, OK),
    ("0 - - - -", OK, OK, OK, OK),
    ("- - - - -", INSUFFICIENT_DATA, RETAIN, ALARM, OK),
    ("0 X X - X", ALARM, ALARM, ALARM, ALARM),
    ("- - X - -", ALARM, RETAIN, ALARM, OK),  # "premature alarm state"
]
TWO_OUT_OF_THREE = [
    ("0 - X - X", ALARM, ALARM, ALARM, ALARM),
    ("0 0 X 0 X", ALARM, ALARM, ALARM, ALARM),
    ("0 - X - -", OK, OK, ALARM, OK),
    ("- - - - 0", OK, OK, ALARM, OK),
    ("- - - X -", ALARM, RETAIN, ALARM, OK),
]
# Rows of the 2018-2019 revisions of the same tables: the page now only says such a recent lone breach "does not go
# immediately into ALARM state"; these say what it goes to instead.
EARLIER_ROWS = [
    (3, "- - - - X", INSUFFICIENT_DATA, RETAIN, ALARM, OK),
    (3, "X - - - -", ALARM, RETAIN, ALARM, OK),
    (2, "- - - - X", INSUFFICIENT_DATA, RETAIN, ALARM, OK),
]


def table_cases(rows: list[tuple]) -> list:
    return [pytest.param(row[0], row[1], treatment, expected, id=f"{row[0]}of3 {row[1]} {treatment}")
            for row in rows for treatment, expected in zip(TREATMENTS, row[2:])]


@pytest.mark.parametrize("datapoints_to_alarm, pattern, treatment, expected",
                         table_cases([(3, *row) for row in THREE_OUT_OF_THREE])
                         + table_cases([(2, *row) for row in TWO_OUT_OF_THREE]) + table_cases(EARLIER_ROWS))
def test_the_documented_missing_data_tables(datapoints_to_alarm, pattern, treatment, expected):
    watched = alarm(datapointsToAlarm=float(datapoints_to_alarm), treatMissingData=treatment)
    store = store_of(pattern, watched, at(10, 31))
    for previous in (OK, ALARM):
        evaluation = evaluate_alarm(watched, store, at(10, 31), previous)
        assert evaluation.state == (previous if expected == RETAIN else expected), evaluation.reason
    assert [{None: "-", BREACHING: "X", WITHIN: "0"}[value] for value in evaluation.datapoints] == pattern.split()


def test_the_state_reason_names_the_breaching_datapoints_newest_first():
    watched = alarm(datapointsToAlarm=2.0)
    evaluation = evaluate_alarm(watched, store_of("0 0 X 0 X", watched, at(10, 31)), at(10, 31))
    assert evaluation.breaching == 2
    assert evaluation.reason == (
        "Threshold Crossed: 2 out of the last 3 datapoints [10.0 (12/03/26 10:25:00), 10.0 (12/03/26 10:15:00)] "
        "were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).")


def test_a_reason_says_which_missing_datapoints_were_filled_in():
    watched = alarm(treatMissingData="breaching")
    evaluation = evaluate_alarm(watched, store_of("0 - - - -", watched, at(10, 31)), at(10, 31))
    assert (evaluation.state, evaluation.breaching) == (OK, 2)
    assert evaluation.reason == (
        "Threshold Crossed: 1 out of the last 3 datapoints [1.0 (12/03/26 10:05:00)] was not greater than the "
        "threshold (5.0), with 2 missing datapoints treated as [Breaching] (minimum 1 datapoint for ALARM -> OK "
        "transition).")
    empty = evaluate_alarm(watched, MetricStore(), at(10, 31))
    assert empty.reason == ("Threshold Crossed: no datapoints were received for 5 periods and 3 missing datapoints "
                            "were treated as [Breaching].")


def test_three_out_of_three_as_in_the_guides_figure():
    """"Alarm evaluation": breaching in periods 3 to 5 is ALARM; period 6 dips below, OK; a lone breach in period 9
    leaves it OK."""
    store = MetricStore()
    for minute, value in enumerate([WITHIN, WITHIN, BREACHING, BREACHING, BREACHING, WITHIN, WITHIN, WITHIN,
                                    BREACHING, WITHIN]):
        store.put(NAMESPACE, METRIC, DIMENSIONS, at(10, minute, 30), value)
    watched = alarm(period=60.0)
    # Each period is judged once it is over and its metrics are in: period k (from 10:00) at 10:(k + 1).
    assert states_minute_by_minute(watched, store, at(10, 2), 10) == [OK, OK, OK, OK, ALARM, OK, OK, OK, OK, OK]


@pytest.mark.parametrize("datapoints_to_alarm, expected", [(2.0, ALARM), (3.0, OK)])
def test_m_out_of_n_breaches_need_not_be_consecutive(datapoints_to_alarm, expected):
    watched = alarm(datapointsToAlarm=datapoints_to_alarm)
    assert evaluate_alarm(watched, store_of("0 0 X 0 X", watched, at(10, 31)), at(10, 31)).state == expected


def test_ignore_keeps_the_state_while_missing_goes_insufficient():
    store = MetricStore()
    for minute in range(3):
        store.put(NAMESPACE, METRIC, DIMENSIONS, at(10, minute, 30), BREACHING)
    # 3 breaching minutes, then nothing, judged from 10:02 to 10:11: 1 then 2 breaches are too few and too recent,
    # 3 are ALARM at 10:04; from 10:07 the oldest breach is old enough for missing to stay ALARM ("premature alarm
    # state"); the range of 5 minutes is empty from 10:09.
    missing = states_minute_by_minute(alarm(period=60.0), store, at(10, 2), 10)
    assert missing == [INSUFFICIENT_DATA] * 2 + [ALARM] * 5 + [INSUFFICIENT_DATA] * 3
    ignoring = states_minute_by_minute(alarm(period=60.0, treatMissingData="ignore"), store, at(10, 2), 10)
    assert ignoring == [INSUFFICIENT_DATA] * 2 + [ALARM] * 8


def test_a_breach_counts_once_its_period_is_over_and_its_metrics_arrived():
    watched = one_minute(treatMissingData="notBreaching")
    store = MetricStore()
    store.put(NAMESPACE, METRIC, DIMENSIONS, at(10, 5, 30), BREACHING)  # in the minute 10:05-10:06
    assert evaluate_alarm(watched, store, at(10, 5, 59), OK, ingestion_delay_seconds=0).state == OK  # not over
    assert evaluate_alarm(watched, store, at(10, 6), OK, ingestion_delay_seconds=0).state == ALARM
    assert evaluate_alarm(watched, store, at(10, 6, 59), OK).state == OK  # over, but Lambda's metrics are not in
    assert evaluate_alarm(watched, store, at(10, 7), OK).state == ALARM


def test_periods_slide_with_the_minute_unless_the_window_is_the_wall_clocks():
    def clock(starts: list[float]) -> list[str]:
        return [datetime.fromtimestamp(start, timezone.utc).strftime("%H:%M") for start in starts]

    # At 10:08, what is over and in is up to 10:07 ("Alarm evaluation window").
    assert clock(evaluation_range(alarm(), at(10, 8))) == ["09:42", "09:47", "09:52", "09:57", "10:02"]
    wall_clock = alarm(evaluationWindow={"wallClockWindow": {}})
    assert clock(evaluation_range(wall_clock, at(10, 8))) == ["09:40", "09:45", "09:50", "09:55", "10:00"]
    with pytest.raises(NotImplementedError, match="Europe/Paris"):
        evaluation_range(alarm(evaluationWindow={"wallClockWindow": {"timezone": "Europe/Paris"}}), at(10, 8))


@pytest.mark.parametrize("comparison, value, expected", [
    ("GreaterThanThreshold", 5.0, OK), ("GreaterThanThreshold", 5.5, ALARM),
    ("GreaterThanOrEqualToThreshold", 5.0, ALARM), ("GreaterThanOrEqualToThreshold", 4.5, OK),
    ("LessThanThreshold", 5.0, OK), ("LessThanThreshold", 4.5, ALARM),
    ("LessThanOrEqualToThreshold", 5.0, ALARM), ("LessThanOrEqualToThreshold", 5.5, OK),
])
def test_each_comparison_at_the_threshold(comparison, value, expected):
    store = MetricStore()
    store.put(NAMESPACE, METRIC, DIMENSIONS, at(10, 5, 30), value)
    assert evaluate_alarm(one_minute(comparisonOperator=comparison), store, at(10, 7)).state == expected


@pytest.mark.parametrize("comparison", ["LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold",
                                        "GreaterThanUpperThreshold"])
def test_anomaly_band_alarms_are_refused_by_name(comparison):
    with pytest.raises(NotImplementedError, match=comparison):
        evaluate_alarm(one_minute(comparisonOperator=comparison), MetricStore(), at(10, 7))


@pytest.mark.parametrize("stat, minimum", [("p95", 200), ("p99", 1000), ("p99.9", 10000), ("p50", 20), ("p10", 100)])
def test_how_many_samples_a_percentile_needs(stat, minimum):
    """"Percentile-based alarms and low data samples": 10/(1-percentile) from 0.5 up, 10/percentile below."""
    assert low_sample_minimum(stat) == minimum


@pytest.mark.parametrize("setting, samples, expected", [
    ("ignore", 199, OK), ("ignore", 200, ALARM), ("evaluate", 199, ALARM), (None, 199, ALARM)])
def test_a_percentile_alarm_on_too_few_samples(setting, samples, expected):
    watched = one_minute(statistic=None, extendedStatistic="p95", evaluateLowSampleCountPercentiles=setting)
    store = MetricStore()
    store.put(NAMESPACE, METRIC, DIMENSIONS, at(10, 5, 30), BREACHING, count=samples)
    evaluation = evaluate_alarm(watched, store, at(10, 7), OK)
    assert evaluation.state == expected
    assert ("fewer than 200" in evaluation.reason) == (expected == OK)


def test_statistics_over_a_period():
    store = MetricStore()
    store.put(NAMESPACE, METRIC, DIMENSIONS, at(10, 0), 120.0, count=95)
    store.put(NAMESPACE, METRIC, DIMENSIONS, at(10, 0, 59), 15000.0, count=5)
    store.put(NAMESPACE, METRIC, DIMENSIONS, at(10, 1), 99999.0)  # the next minute
    store.put(NAMESPACE, METRIC, {"Service": "api", "Version": "2"}, at(10, 0), 99999.0)  # another metric

    def stat(name: str):
        return store.statistic(NAMESPACE, METRIC, DIMENSIONS, at(10, 0), at(10, 1), name)

    assert [stat(name) for name in ("SampleCount", "Sum", "Minimum", "Maximum", "Average")] == [
        100.0, 95 * 120.0 + 5 * 15000.0, 120.0, 15000.0, (95 * 120.0 + 5 * 15000.0) / 100]
    assert [stat(name) for name in ("p95", "p95.1", "p50")] == [120.0, 15000.0, 120.0]
    assert store.statistic(NAMESPACE, METRIC, DIMENSIONS, at(10, 2), at(10, 3), "Sum") is None
    with pytest.raises(NotImplementedError, match="tm99"):
        stat("tm99")


# "Using metric math": the examples of its comparison operators and of IF (None where the page has -).
M1, M2 = [30.0, 20.0, 0.0, 0.0], [20.0, None, 20.0, None]
CONDITION, TRUE_SERIES = [1.0, 1.0, 0.0, 0.0, None], [30.0, None, 0.0, 0.0, 30.0]
FALSE_SERIES = [0.0, 0.0, 20.0, None, 20.0]


@pytest.mark.parametrize("expression, series, expected", [
    ("(metric1 < metric2)", {"metric1": M1, "metric2": M2}, [0, 0, 1, 0]),
    ("(metric1 >= 30)", {"metric1": M1}, [1, 0, 0, 0]),
    ("(metric1 > 15 AND metric2 > 15)", {"metric1": M1, "metric2": M2}, [1, 0, 0, 0]),
    ("IF(metric1, metric2, metric3)", {"metric1": CONDITION, "metric2": TRUE_SERIES, "metric3": FALSE_SERIES},
     [30, 0, 20, None, None]),
    ("IF(metric1, 5, metric3)", {"metric1": CONDITION, "metric3": FALSE_SERIES}, [5, 5, 20, None, None]),
    ("IF(metric1, metric2, 5)", {"metric1": CONDITION, "metric2": TRUE_SERIES}, [30, 0, 5, 5, None]),
    # "Missing values in a time series are treated as 0"; a division by zero drops the datapoint.
    ("m1 + m2", {"m1": [1.0, None, None], "m2": [2.0, 3.0, None]}, [3, 3, None]),
    ("100 * m1 / m2", {"m1": [1.0, 1.0, None], "m2": [4.0, 0.0, 2.0]}, [25, None, 0]),
    ("-m1 - 1", {"m1": [1.0, None]}, [-2, None]),
    ("FILL(m1, 0)", {"m1": [None, 2.0]}, [0, 2]),
    ("FILL(m1, m2)", {"m1": [None, None, 1.0], "m2": [7.0, None, 9.0]}, [7, None, 1]),
])
def test_metric_math_as_documented(expression, series, expected):
    assert metric_math(expression, series) == expected


def test_a_math_alarm_reads_its_metrics_over_its_periods_and_watches_the_one_returned():
    def metric(period: float = 60.0) -> dict:
        return {"namespace": NAMESPACE, "metricName": METRIC, "dimensions": DIMENSIONS, "period": period, "stat": "Sum"}

    queries = [{"id": "calls", "metric": metric(), "returnData": False},
               {"id": "doubled", "expression": "calls * 2", "returnData": False},
               {"id": "watched", "expression": "doubled + calls", "returnData": True}]
    watched = {"comparisonOperator": "GreaterThanThreshold", "threshold": 5.0, "evaluationPeriods": 1.0,
               "metricQueries": queries}
    store = MetricStore()
    store.put(NAMESPACE, METRIC, DIMENSIONS, at(10, 5, 10), 1.0)
    store.put(NAMESPACE, METRIC, DIMENSIONS, at(10, 5, 50), 1.0)
    evaluation = evaluate_alarm(watched, store, at(10, 7))
    assert (evaluation.datapoints, evaluation.state) == ([None, None, 6.0], ALARM)
    with pytest.raises(ValueError, match="share one period"):
        evaluate_alarm({**watched, "metricQueries": [*queries, {"id": "other", "metric": metric(300.0),
                                                                 "returnData": False}]}, store, at(10, 7))
    with pytest.raises(ValueError, match="exactly one"):
        evaluate_alarm({**watched, "metricQueries": [{**query, "returnData": True} for query in queries]}, store,
                       at(10, 7))
    with pytest.raises(NotImplementedError, match="unit"):
        evaluate_alarm(one_minute(unit="Milliseconds"), store, at(10, 7))


@pytest.mark.parametrize("expression, error, named", [
    ("RATE(m1)", NotImplementedError, "RATE"), ("ANOMALY_DETECTION_BAND(m1)", NotImplementedError, "ANOMALY"),
    ("FILL(m1, REPEAT)", NotImplementedError, "REPEAT"), ("m1 + errors", ValueError, "errors"),
    ("m1 ^ 2", ValueError, r"\^"), ("(m1", ValueError, r"\)"),
])
def test_metric_math_refuses_what_it_does_not_know(expression, error, named):
    with pytest.raises(error, match=named):
        metric_math(expression, {"m1": [1.0]})
