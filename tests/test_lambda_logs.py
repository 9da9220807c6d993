"""The metric filters that count and time cold starts, run over real Lambda log lines in both formats,
with the evaluator that tests/aws_account/test_filter_pattern.py checks against AWS's own examples."""

import json

import pytest

from aws_account.filter_pattern import FilterPattern
from lambda_logs import COLD_STARTS, INIT_DURATION, LOG_FORMATS, PROVISIONED_INITS, log_metrics, saved_queries
from tests.conftest import DATA_DIR


def _events(log_format: str) -> dict[str, list[str]]:
    return json.loads((DATA_DIR / "logs" / f"lambda-{log_format.lower()}-format.json").read_text())


def _published(log_format: str, metric: str, group: str) -> list[float]:
    """What the metric filter publishes over one group of log events, in order."""
    log_metric = log_metrics(log_format)[metric]
    pattern = FilterPattern.parse(log_metric.pattern)
    values = [pattern.metric_value(event, log_metric.value) for event in _events(log_format)[group]]
    return [v for v in values if v is not None]


@pytest.mark.parametrize("group, cold_starts, init_ms, provisioned", [
    ("on-demand cold start (nodejs18, eu-west-3, 2024)", [1], [174.055], []),
    ("on-demand cold start, then a warm invocation (nodejs22, eu-central-1, 2026)", [1], [463.512], []),
    ("failed init (timeout)", [], [], []),
    ("provisioned-concurrency init (shaped by the telemetry schema reference; no capture found)", [], [], [1]),
    ("this project's application lines (functions/api/app.py)", [], [], []),
])
def test_json_format_counts_on_demand_inits_and_times_what_requests_waited(group, cold_starts, init_ms, provisioned):
    assert _published("JSON", COLD_STARTS, group) == cold_starts
    assert _published("JSON", INIT_DURATION, group) == init_ms
    assert _published("JSON", PROVISIONED_INITS, group) == provisioned


@pytest.mark.parametrize("group, cold_starts, init_ms", [
    ("cold start, no tracing", [1], [261.91]),
    ("cold start, X-Ray active", [1], [229.40]),
    ("warm, X-Ray active", [], []),
    ("other platform lines", [], []),  # INIT_REPORT carries "Init Duration" too, but is not a REPORT
])
def test_text_format_reads_init_duration_from_the_report_line(group, cold_starts, init_ms):
    assert _published("Text", COLD_STARTS, group) == cold_starts
    assert _published("Text", INIT_DURATION, group) == init_ms


def test_text_logs_cannot_tell_provisioned_inits_apart():
    assert PROVISIONED_INITS not in log_metrics("Text")


@pytest.mark.parametrize("log_format", LOG_FORMATS)
def test_every_pattern_is_valid_and_its_value_comes_from_it(log_format):
    for metric in log_metrics(log_format).values():
        assert len(metric.pattern) <= 1024  # PutMetricFilter's limit
        FilterPattern.parse(metric.pattern).check_value(metric.value)


@pytest.mark.parametrize("log_format", LOG_FORMATS)
def test_saved_queries_fit_logs_insights_limits(log_format):
    queries = saved_queries(log_format)
    assert set(queries) == {"cold-starts", "errors"}
    assert all(0 < len(text) <= 10000 for text in queries.values())  # PutQueryDefinition's limit
