"""CloudWatch metric alarms, evaluated as CloudWatch evaluates them, on a simulated clock.

A release rehearsal feeds a MetricStore with what Lambda would publish minute by minute, then asks
evaluate_alarm (or first_alarm_time) what an alarm registered by the Pulumi program would say, and when.
Each rule below cites the CloudWatch User Guide page it follows:
  [evaluation]  "Alarm evaluation" (formerly a section of "Using Amazon CloudWatch alarms"): M out of N,
                one evaluation a minute.
  [missing]     "Configuring how CloudWatch alarms treat missing data": "How alarm state is evaluated when
                data is missing" and "Avoiding premature transitions to alarm state".
  [window]      "Alarm evaluation window": the sliding window (the default) and the wall clock window.
  [percentiles] "Percentile-based alarms and low data samples", and PutMetricAlarm's
                EvaluateLowSampleCountPercentile.
  [math]        "Using metric math": arithmetic, comparison, IF and FILL over time series.
"""

import math
import operator
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import accumulate
from typing import Any, Callable, Mapping, Optional

from aws_account.metric_math import Series, Value, as_series, metric_math

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"

# [missing] CloudWatch "attempts to retrieve a higher number of data points than the number specified as
# Evaluation Periods"; how many more "depends on the length of the alarm period" and is not published. The
# page's examples retrieve 5 for 3 evaluation periods: this simulation always retrieves 2 more.
EXTRA_DATAPOINTS_RETRIEVED = 2
# [evaluation] "For any period of one minute or longer, an alarm is evaluated every minute."
EVALUATION_INTERVAL_SECONDS = 60
# Lambda "sends metric data to CloudWatch in 1-minute intervals" (Lambda guide, "Using CloudWatch metrics with
# Lambda"): a minute's metrics leave once the minute is over, so the evaluation at that minute's end does not
# have them yet. The simulation counts a period only once this long has passed since it ended.
DEFAULT_INGESTION_DELAY_SECONDS = 60

_COMPARISONS = {"GreaterThanThreshold": ("greater than", operator.gt),
                "GreaterThanOrEqualToThreshold": ("greater than or equal to", operator.ge),
                "LessThanThreshold": ("less than", operator.lt),
                "LessThanOrEqualToThreshold": ("less than or equal to", operator.le)}
_PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d+)?)")


class MetricStore:
    """Raw datapoints as CloudWatch receives them: a value and how many samples had it (PutMetricData's
    Values and Counts; Lambda publishes one sample per invocation, aggregated per minute)."""

    def __init__(self) -> None:
        self._samples: dict[tuple, list[tuple[float, float, int]]] = {}

    def put(self, namespace: str, name: str, dimensions: Mapping[str, str], timestamp: float, value: float, *,
            count: int = 1) -> None:
        if count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        self._samples.setdefault(_metric_key(namespace, name, dimensions), []).append((timestamp, float(value), count))

    def statistic(self, namespace: str, name: str, dimensions: Mapping[str, str], start: float, end: float,
                  stat: str) -> Optional[float]:
        """`stat` over the samples timestamped in [start, end) of the metric with exactly these dimensions (each
        combination of dimensions is its own metric); None when there is none."""
        samples = sorted((value, count) for timestamp, value, count in
                         self._samples.get(_metric_key(namespace, name, dimensions), []) if start <= timestamp < end)
        return _aggregate(samples, stat) if samples else None


def _metric_key(namespace: str, name: str, dimensions: Mapping[str, str]) -> tuple:
    return namespace, name, frozenset(dimensions.items())


def _aggregate(samples: list[tuple[float, int]], stat: str) -> float:
    """`stat` of (value, count) samples sorted by value."""
    total = sum(count for _, count in samples)
    summed = sum(value * count for value, count in samples)
    simple = {"SampleCount": float(total), "Sum": summed, "Average": summed / total,
              "Minimum": samples[0][0], "Maximum": samples[-1][0]}
    if stat in simple:
        return simple[stat]
    # Nearest rank: the least value with at least rank % of the samples at or below it. CloudWatch does not
    # publish its estimator; this one is exact on the values a rehearsal feeds.
    needed = max(1, math.ceil(total * _percentile_rank(stat) / 100))
    return next(value for (value, _), seen in zip(samples, accumulate(count for _, count in samples))
                if seen >= needed)


def _percentile_rank(stat: str) -> float:
    if match := _PERCENTILE.fullmatch(stat):
        return float(match.group(1))
    raise NotImplementedError(f"statistic {stat!r} is not simulated: Sum, Average, Minimum, Maximum, SampleCount "
                              "and percentiles (pNN, pNN.N) are")


def low_sample_minimum(stat: str) -> float:
    """[percentiles] A percentile is not statistically significant on fewer samples than this in a period:
    10/(1-percentile) from 0.5 up (1000 for p99), 10/percentile below."""
    fraction = _percentile_rank(stat) / 100
    return round(10 / (1 - fraction) if fraction >= 0.5 else 10 / fraction, 6)  # round: 10/(1-0.99) is 1000.000…9


@dataclass(frozen=True)
class AlarmEvaluation:
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    datapoints: Series  # the evaluation range, oldest first, None = missing
    breaching: int  # how many of the datapoints judged (missing ones filled in included) count as breaching
    reason: str  # CloudWatch-style StateReason


@dataclass(frozen=True)
class _Verdict:
    state: str
    judged: list[int]  # the real datapoints judged, as indexes in the evaluation range
    filled: int  # missing datapoints filled in by treatMissingData
    filled_as: str  # Breaching | NonBreaching, when filled
    breaching: int
    rule: str  # count | premature | unknown | kept


def evaluate_alarm(alarm: Mapping[str, Any], store: MetricStore, now: float,
                   previous_state: str = INSUFFICIENT_DATA, *,
                   ingestion_delay_seconds: float = DEFAULT_INGESTION_DELAY_SECONDS) -> AlarmEvaluation:
    """The state `alarm` (a MetricAlarm's inputs, as the Pulumi program registers them) takes when evaluated
    at `now`, coming from `previous_state`."""
    words, crosses = _comparison(alarm)
    starts = evaluation_range(alarm, now, ingestion_delay_seconds)
    values = _watched_series(alarm, store, starts)
    threshold = float(alarm["threshold"])
    periods = int(alarm["evaluationPeriods"])
    needed = int(alarm.get("datapointsToAlarm") or periods)
    breaches = [None if value is None else crosses(value, threshold) for value in values]
    verdict = _judge(breaches, periods, needed, alarm.get("treatMissingData") or "missing", previous_state)
    if too_few := _too_few_samples(alarm, store, starts, verdict.judged):
        return AlarmEvaluation(previous_state, values, verdict.breaching,
                               f"{too_few} The state stays {previous_state} (low sample counts are ignored).")
    reason = _reason(verdict, values, breaches, starts, f"{words} the threshold ({threshold})", periods, needed)
    return AlarmEvaluation(verdict.state, values, verdict.breaching, reason)


def first_alarm_time(alarm: Mapping[str, Any], store: MetricStore, start: float, end: float, step: float = 60, *,
                     initial_state: str = INSUFFICIENT_DATA,
                     ingestion_delay_seconds: float = DEFAULT_INGESTION_DELAY_SECONDS) -> Optional[float]:
    """When `alarm`, evaluated every `step` seconds from `start` to `end` (both included), is first in ALARM;
    None if it never is. Each evaluation starts from the state the one before left."""
    state, moment = initial_state, start
    while moment <= end:
        state = evaluate_alarm(alarm, store, moment, state, ingestion_delay_seconds=ingestion_delay_seconds).state
        if state == ALARM:
            return moment
        moment += step
    return None


def evaluation_range(alarm: Mapping[str, Any], now: float,
                     ingestion_delay_seconds: float = DEFAULT_INGESTION_DELAY_SECONDS) -> list[float]:
    """The starts of the periods `alarm` reads when evaluated at `now`, oldest first: evaluationPeriods plus
    EXTRA_DATAPOINTS_RETRIEVED periods, each over and at least ingestion_delay_seconds old."""
    period = _period(alarm)
    visible_until = now - ingestion_delay_seconds
    window = alarm.get("evaluationWindow") or {}
    if "wallClockWindow" in window:
        if (zone := (window["wallClockWindow"] or {}).get("timezone") or "UTC") != "UTC":
            raise NotImplementedError(f"a wall clock window in time zone {zone} is not simulated")
        # [window] "aligned to clock boundaries that match the period"; weeks start on Mondays (1970-01-05).
        origin = 4 * 86400 if period == 7 * 86400 else 0
        end = origin + math.floor((visible_until - origin) / period) * period
    else:
        # [window] the default sliding window "advances each time the alarm is evaluated", every minute: a
        # one-hour period reads 13:07-14:07, then 13:08-14:08.
        end = math.floor(visible_until / EVALUATION_INTERVAL_SECONDS) * EVALUATION_INTERVAL_SECONDS
    count = int(alarm["evaluationPeriods"]) + EXTRA_DATAPOINTS_RETRIEVED
    return [end - period * back for back in range(count, 0, -1)]


def _comparison(alarm: Mapping[str, Any]) -> tuple:
    """The static threshold comparisons; the others (LessThanLowerOrGreaterThanUpperThreshold, ...) compare with
    an anomaly detection band."""
    if (comparison := alarm["comparisonOperator"]) not in _COMPARISONS or alarm.get("thresholdMetricId"):
        raise NotImplementedError(f"{comparison}: anomaly detection band alarms are not simulated")
    return _COMPARISONS[comparison]


def _period(alarm: Mapping[str, Any]) -> int:
    if not alarm.get("metricQueries"):
        return int(alarm["period"])
    # [math] alarms on math expressions: "Each metric must be using the same period."
    periods = {int(query["metric"]["period"]) for query in alarm["metricQueries"] if query.get("metric")}
    if len(periods) != 1:
        raise ValueError(f"the metrics of a math alarm must share one period, not {sorted(periods)}")
    return periods.pop()


def _watched_series(alarm: Mapping[str, Any], store: MetricStore, starts: list[float]) -> Series:
    queries = alarm.get("metricQueries")
    if not queries:
        return _metric_series(_single_metric(alarm), store, starts, _period(alarm))
    returned = [query["id"] for query in queries if query.get("returnData", True)]
    if len(returned) != 1:
        raise ValueError(f"exactly one metric query must return data, not {returned}")
    results = _QueryResults(queries, lambda metric: _metric_series(metric, store, starts, _period(alarm)))
    return as_series(results[returned[0]])


def _single_metric(alarm: Mapping[str, Any]) -> dict:
    return {"namespace": alarm["namespace"], "metricName": alarm["metricName"], "unit": alarm.get("unit"),
            "dimensions": alarm.get("dimensions"), "stat": alarm.get("extendedStatistic") or alarm["statistic"]}


def _metric_series(metric: Mapping[str, Any], store: MetricStore, starts: list[float], period: int,
                   stat: Optional[str] = None) -> Series:
    if metric.get("unit"):
        raise NotImplementedError("a metric's unit is not simulated: the store keeps no units")
    return [store.statistic(metric["namespace"], metric["metricName"], metric.get("dimensions") or {}, start,
                            start + period, stat or metric["stat"]) for start in starts]


class _QueryResults(dict):
    """Each metric query's series by id, computed when first asked for (an expression may use another's)."""

    def __init__(self, queries: list[Mapping[str, Any]], metric_series: Callable[[Mapping[str, Any]], Series]):
        super().__init__()
        self.queries, self.metric_series = {query["id"]: query for query in queries}, metric_series

    def __contains__(self, query_id: object) -> bool:
        return query_id in self.queries

    def __missing__(self, query_id: str) -> Value:
        query = self.queries[query_id]
        self[query_id] = (self.metric_series(query["metric"]) if query.get("metric")
                          else metric_math(query["expression"], self))
        return self[query_id]


def _judge(breaches: list[Optional[bool]], periods: int, needed: int, treatment: str, previous: str) -> _Verdict:
    """[missing] `needed` (M) out of `periods` (N), over the evaluation range; None = missing."""
    real = [index for index, breach in enumerate(breaches) if breach is not None]
    if len(real) >= periods:
        # Enough real datapoints: the most recent N are judged, the treatment "is not needed and is ignored".
        judged = real[-periods:]
        breaching = sum(breaches[index] for index in judged)
        return _Verdict(ALARM if breaching >= needed else OK, judged, 0, "", breaching, "count")
    breaching = sum(breaches[index] for index in real)
    if treatment in ("breaching", "notBreaching"):
        # All real datapoints are judged; missing ones are filled in "only as few times as possible".
        filled = periods - len(real)
        breaching += filled if treatment == "breaching" else 0
        filled_as = "Breaching" if treatment == "breaching" else "NonBreaching"
        return _Verdict(ALARM if breaching >= needed else OK, real, filled, filled_as, breaching, "count")
    if treatment not in ("missing", "ignore"):
        raise ValueError(f"treatMissingData {treatment!r} is none of missing, ignore, breaching, notBreaching")
    if breaching >= needed:
        return _Verdict(ALARM, real, 0, "", breaching, "count")
    if breaching < len(real):  # a real datapoint within the threshold (the tables' 0 - - - - and - - - - 0)
        return _Verdict(OK, real, 0, "", breaching, "count")
    if treatment == "missing" and real and len(breaches) - real[0] >= needed:
        # "Avoiding premature transitions to alarm state": ALARM once the oldest breaching datapoint is at least
        # M periods old and every later one is breaching or missing (- - X - -); - - - - X may yet turn OK.
        return _Verdict(ALARM, real, 0, "", breaching, "premature")
    # All missing, or breaching too recently: missing goes INSUFFICIENT_DATA, ignore "Retain[s] current state".
    if treatment == "missing":
        return _Verdict(INSUFFICIENT_DATA, real, 0, "", breaching, "unknown")
    return _Verdict(previous, real, 0, "", breaching, "kept")


def _too_few_samples(alarm: Mapping[str, Any], store: MetricStore, starts: list[float], judged: list[int]) -> str:
    """[percentiles] Why a percentile alarm that ignores low sample counts keeps its state ('' when it does not):
    with ignore, "the alarm state does not change during periods with too few data points"."""
    stat = alarm.get("extendedStatistic")
    # Pulumi names it evaluateLowSampleCountPercentiles, PutMetricAlarm EvaluateLowSampleCountPercentile.
    setting = alarm.get("evaluateLowSampleCountPercentiles") or alarm.get("evaluateLowSampleCountPercentile")
    if not stat or setting != "ignore":
        return ""
    counts = _metric_series(_single_metric(alarm), store, starts, _period(alarm), "SampleCount")
    minimum = low_sample_minimum(stat)
    low = [f"{int(counts[index])} ({_when(starts[index])})" for index in judged if counts[index] < minimum]
    return f"Too few samples for {stat}: {', '.join(low)}, fewer than {minimum:g}." if low else ""


def _reason(verdict: _Verdict, values: Series, breaches: list[Optional[bool]], starts: list[float], crossing: str,
            periods: int, needed: int) -> str:
    """A StateReason in CloudWatch's words: datapoints newest first, each dated by its period's start (UTC)."""
    def listed(breaching: bool) -> str:
        return ", ".join(f"{values[index]!r} ({_when(starts[index])})" for index in reversed(verdict.judged)
                         if breaches[index] == breaching)

    if verdict.rule in ("kept", "unknown"):
        late = f" and the breaching ones [{listed(True)}] are too recent to alarm on" if verdict.judged else ""
        unknown = len(values) - len(verdict.judged)
        return (f"{'Missing data is ignored' if verdict.rule == 'kept' else 'Insufficient Data'}: {unknown} of "
                f"{len(values)} datapoints were unknown{late}.")
    if not verdict.judged:
        return (f"Threshold Crossed: no datapoints were received for {len(values)} periods and "
                f"{_count(verdict.filled, 'missing datapoint')} {_were(verdict.filled)} treated as "
                f"[{verdict.filled_as}].")
    out_of = len(verdict.judged) + verdict.filled
    filled = (f", with {_count(verdict.filled, 'missing datapoint')} treated as [{verdict.filled_as}]"
              if verdict.filled else "")
    if verdict.rule == "premature":
        filled = f", and the {_count(len(values) - 1 - verdict.judged[-1], 'datapoint')} since missing"
    alarming = verdict.state == ALARM
    counted = verdict.breaching if alarming else out_of - verdict.breaching
    minimum = _count(needed if alarming else periods - needed + 1, "datapoint")
    return (f"Threshold Crossed: {counted} out of the last {out_of} datapoints [{listed(alarming)}] "
            f"{_were(counted)} {'' if alarming else 'not '}{crossing}{filled} (minimum {minimum} for "
            f"{'OK -> ALARM' if alarming else 'ALARM -> OK'} transition).")


def _when(start: float) -> str:
    return datetime.fromtimestamp(start, timezone.utc).strftime("%d/%m/%y %H:%M:%S")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _were(number: int) -> str:
    return "was" if number == 1 else "were"
