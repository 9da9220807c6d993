"""Logs and metrics (policies/cost/logs.py): log groups, metric filters, alarms, and the Logs Insights scans of
dashboards and saved queries."""

import math
from dataclasses import replace

import pytest
from pytest import approx

from policies.cost.plan import FUNCTION, PIPELINE, UNKNOWN, Resource
from tests.policies.cost.builders import (ALARM, DASHBOARD, LOG_GROUP, METRIC_FILTER, RATE, alarm, build,
                                          build_project, charge, dashboard, dashboard_with, function, invoke, kms_key,
                                          line, log_group, log_widget, metric_filter, pipeline, priced, provisioned,
                                          query, resource, served, source, usage)


# Log groups.

def test_lambda_log_group_ingests_requests_times_bytes_and_stores_its_retention():
    # 1,048,576 requests × 1,024 B = 2^30 B = 1 GiB × $0.50 = $0.50 ingested;
    # kept 365 days = 365 / 30.4167 = 12 months' worth: 12 GB × $0.10 = $1.20 stored
    result = priced([*served(), log_group("/aws/lambda/fn")],
                    usage(requests_per_month=1_048_576, log_bytes_per_request=1024))
    assert [c.usd for c in line(result, LOG_GROUP, "logs").charges] == [approx(0.50), approx(1.20)]


def test_build_log_group_ingests_build_minutes_times_bytes_a_minute():
    # 8 runs × 1 build × 4 min = 32 build minutes × 32 MiB = 1 GiB × $1.00 = $1.00 ingested;
    # 12 GB × $0.10 = $1.20 stored
    result = priced([build_project("build"), pipeline(source(), build("build")), log_group("/aws/codebuild/build")],
                    usage(pipeline_runs_per_month=8, build_minutes_per_run=4, build_log_bytes_per_minute=2 ** 25))
    item = line(result, LOG_GROUP, "logs")
    assert [c.usd for c in item.charges] == [approx(1.00), approx(1.20)]
    assert "from 32 build minutes" in item.basis


def test_log_group_kept_forever_is_unknown():
    item = line(priced([*served(), log_group("/aws/lambda/fn", retention=None)]), LOG_GROUP, "logs")
    assert item.usd is None and "keeps logs forever" in item.basis


def test_log_group_nothing_writes_to_costs_nothing():
    item = line(priced([*served(), log_group("/aws/lambda/other")]), LOG_GROUP, "logs")
    assert item.usd == 0 and item.basis == "nothing in this stack writes to it"


# Metrics and alarms.

def test_metric_filter_publishes_one_custom_metric():
    assert line(priced([metric_filter()]), METRIC_FILTER, "cold-starts").usd == approx(0.30)  # 1 × $0.30


def test_metric_filter_with_dimensions_is_unknown():
    item = line(priced([metric_filter(dimensions={"path": "$.path"})]), METRIC_FILTER, "cold-starts")
    assert item.usd is None and "one metric per value" in item.basis


@pytest.mark.parametrize("props, usd", [
    ({"metricName": "Throttles", "namespace": "AWS/Lambda", "period": 60, "statistic": "Sum"}, 0.10),  # 1 × $0.10
    ({"metricName": "Throttles", "namespace": "AWS/Lambda", "period": 10, "statistic": "Sum"}, 0.30),  # 1 × $0.30 high res
    ({"metricQueries": [query(300), query(300, "Invocations"), RATE]}, 0.20),  # 2 metrics (not the expression) × $0.10
    ({"metricQueries": [query(30), query(300, "Invocations"), RATE]}, 0.60),   # one period < 60 s: 2 × $0.30
])
def test_alarm_is_billed_per_metric_at_its_resolution(props, usd):
    assert line(priced([alarm(**props)]), ALARM, "alarm").usd == approx(usd)


@pytest.mark.parametrize("period, usd", [("10", 0.30), ("60", 0.10), (" 300 ", 0.10)])
def test_an_alarm_period_given_as_its_text_is_read_as_the_number(period, usd):
    """Issue 26: a program passing config strings straight through sends "60"; the model compared it with 60."""
    props = {"metricName": "Throttles", "namespace": "AWS/Lambda", "period": period, "statistic": "Sum"}
    assert line(priced([alarm(**props)]), ALARM, "alarm").usd == approx(usd)


def test_a_value_that_cannot_be_read_makes_its_item_unknown_and_is_counted_apart():
    result = priced([kms_key(), alarm(metricName="Errors", period="a minute")])
    item = line(result, ALARM, "alarm")
    assert item.usd is None and item.unreadable and not item.no_price
    assert item.basis == "unknown: period of alarm is 'a minute' (a string), not a number"
    assert result.partial_note == "partial: 1 item with a value the model cannot read"
    assert result.total == approx(1.00)


def test_alarm_whose_query_period_is_unknown_is_unknown():
    result = priced([alarm(metricQueries=[query(UNKNOWN), RATE]), kms_key()])
    assert line(result, ALARM, "alarm").usd is None
    assert result.total == approx(1.00)


# Issue 24: metric filters publish only in the hours a log line can match.

def filtered(*metric_filters: Resource, provisioned_count: int = 0, called: bool = True, **use) -> list:
    """The function fn (reached through its URL unless not `called`), its log group, and the filters on it."""
    resources = [*(served() if called else [function()]), log_group("/aws/lambda/fn"), *metric_filters]
    return resources + ([provisioned(provisioned_count)] if provisioned_count else [])


PROVISIONED_INITS = '{ $.type = "platform.initStart" && $.record.initializationType = "provisioned-concurrency" }'


def test_issue_24_a_metric_filter_on_a_function_nothing_calls_publishes_nothing():
    item = line(priced(filtered(metric_filter(), called=False)), METRIC_FILTER, "cold-starts")
    assert item.usd == 0
    assert "publishes nothing: nothing in this stack calls what writes to its log group" in item.basis


def test_issue_24_a_provisioned_inits_filter_publishes_only_where_environments_are_provisioned():
    counting = resource(METRIC_FILTER, "provisioned-inits", {**metric_filter().props, "pattern": PROVISIONED_INITS})
    assert line(priced(filtered(counting)), METRIC_FILTER, "provisioned-inits").usd == 0
    # With 2 provisioned environments Lambda initialises them again every few hours: every hour at most, $0.30
    assert line(priced(filtered(counting, provisioned_count=2)), METRIC_FILTER, "provisioned-inits").usd == approx(0.30)


def test_issue_24_a_metric_filter_publishes_in_the_hours_its_function_is_called():
    # 1,000,000 calls all day: 1,370 an hour, every one of the 730 hours has one: $0.30
    assert line(priced(filtered(metric_filter())), METRIC_FILTER, "cold-starts").usd == approx(0.30)
    # 1,000 calls over 8 busy hours a day (243.3 h a month): 4.11 an hour, 1 - e^-4.11 = 98.4% of those hours have
    # one: 239.3 h of 730 × $0.30 = $0.0984
    busy = 8 / 24 * 730
    hours = busy * (1 - math.exp(-1000 / busy))
    result = priced(filtered(metric_filter()), usage(requests_per_month=1000, busy_hours_per_day=8))
    assert line(result, METRIC_FILTER, "cold-starts").usd == approx(0.30 * hours / 730)


def test_issue_24_a_metric_filter_with_a_default_value_publishes_whenever_its_log_group_is_written():
    with_default = metric_filter(defaultValue="0")
    counting = resource(METRIC_FILTER, "provisioned-inits", {**with_default.props, "pattern": PROVISIONED_INITS})
    assert line(priced(filtered(counting)), METRIC_FILTER, "provisioned-inits").usd == approx(0.30)


def test_a_metric_filter_on_a_log_group_outside_the_stack_is_priced_as_always_published():
    outside = resource(METRIC_FILTER, "elsewhere", {**metric_filter().props, "logGroupName": "/other/app"})
    item = line(priced([outside]), METRIC_FILTER, "elsewhere")
    assert item.usd == approx(0.30) and "not this stack's" in item.basis


def test_the_scan_gates_actions_of_one_stage_run_at_once_and_share_their_hours():
    """One scan action per function, side by side in the Scan stage: twice the calls and action minutes, but the
    gate's log group is written in the same hours."""
    gate = function("gate", memorySize=256, timeout=60)
    side_by_side = pipeline(source(), invoke("gate"))
    side_by_side = replace(side_by_side, props={**side_by_side.props, "stages": [
        side_by_side.props["stages"][0], {"name": "Scan", "actions": [{**invoke("gate"), "name": "Scan-api"},
                                                                      {**invoke("gate"), "name": "Scan-worker"}]}]})
    one_after_the_other = pipeline(source(), invoke("gate"), invoke("gate"))
    for delivery, hours in ((side_by_side, 10), (one_after_the_other, 20)):
        result = priced([gate, log_group("/aws/lambda/gate", name="gate"), delivery,
                         resource(METRIC_FILTER, "gate-ColdStarts", {**metric_filter().props,
                                                                     "logGroupName": "/aws/lambda/gate"})])
        # 10 runs × 2 actions × 1 minute = 20 calls, whichever way the actions run
        assert "20 requests (2 actions a pipeline run" in line(result, FUNCTION, "gate").basis
        # 10 runs × (source 1 + 2 gate actions × 1) = 30 action minutes × $0.002
        assert line(result, PIPELINE, "delivery").usd == approx(0.06)
        # each run calls the gate in 1 hour when its actions run at once, 2 when one waits for the other
        assert line(result, METRIC_FILTER, "gate-ColdStarts").usd == approx(0.30 * hours / 730), hours


# Issue 24: Logs Insights scans of the dashboard's log widgets and of the saved queries.

LOGGED = [*served(), log_group("/aws/lambda/fn")]  # 1,000,000 calls × 1,024 B = 0.9537 GiB a month


def test_issue_24_the_dashboards_log_widgets_scan_their_groups_on_every_view():
    # 0.9537 GiB a month over 730 h; a view scans the last 3 h (the default range): 0.9537 × 3 / 730 = 0.003919 GiB
    # per widget; 2 widgets × 300 views × 0.003919 = 2.352 GB × $0.01 = $0.0235; the dashboard $3
    per_widget = 1_000_000 * 1024 / 2 ** 30 * 3 / 730
    result = priced([*LOGGED, dashboard_with(log_widget("/aws/lambda/fn"), log_widget("/aws/lambda/fn"))])
    item = line(result, DASHBOARD, "dashboard")
    assert [c.usd for c in item.charges] == [approx(3.00), approx(2 * 300 * per_widget * 0.01)]
    assert "300 views × 2 log widgets" in item.basis


def test_issue_24_a_dashboard_range_and_busy_hours_set_what_a_view_scans():
    # -PT12H over 8 busy hours a day: a view scans 8 busy hours of the 243.3 a month: 0.9537 × 8 / 243.33 GiB
    per_view = 1_000_000 * 1024 / 2 ** 30 * 8 / (8 / 24 * 730)
    result = priced([*LOGGED, dashboard_with(log_widget("/aws/lambda/fn"), start="-PT12H")],
                    usage(busy_hours_per_day=8, dashboard_views_per_month=100))
    assert charge(line(result, DASHBOARD, "dashboard"), "views").usd == approx(100 * per_view * 0.01)


def test_a_dashboard_without_log_widgets_is_three_dollars_and_one_on_a_group_outside_the_stack_is_unknown():
    assert line(priced([dashboard()]), DASHBOARD, "dashboard").usd == approx(3.00)
    item = line(priced([*LOGGED, dashboard_with(log_widget("/other/app"))]), DASHBOARD, "dashboard")
    assert item.usd is None and "/other/app, a log group this stack does not write" in item.basis


def test_issue_24_a_saved_query_scans_its_groups_each_run():
    # 30 runs × the last 24 h: 0.9537 GiB × 24 / 730 = 0.03135 GiB a run; 30 × 0.03135 = 0.9406 GB × $0.01 = $0.0094
    definition = resource("aws:cloudwatch/queryDefinition:QueryDefinition", "errors", {
        "name": "fn/errors", "queryString": "fields @message", "logGroupNames": ["/aws/lambda/fn"]})
    item = line(priced([*LOGGED, definition]), definition.type, "errors")
    assert item.usd == approx(30 * 1_000_000 * 1024 / 2 ** 30 * 24 / 730 * 0.01)
