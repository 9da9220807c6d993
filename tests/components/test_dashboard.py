"""The stack's dashboard: a body CloudWatch accepts (widget types, the 24-column grid without
overlaps, metric rows, regions), the alarms' thresholds drawn, and every section a reader needs."""

import json

import pytest

from aws_account.monitoring import dashboard_problems
from components.dashboard import layout

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


def _body(run) -> dict:
    return json.loads(run.one(DASHBOARD).inputs["dashboardBody"])


def _cells(widget: dict) -> set[tuple[int, int]]:
    return {(x, y) for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_body_is_one_cloudwatch_accepts(request, stack):
    run = request.getfixturevalue(f"{stack}_run")
    body = run.one(DASHBOARD).inputs["dashboardBody"]
    assert dashboard_problems(body) == []
    assert run.one(DASHBOARD).inputs["dashboardName"] == f"lambdakit-{stack}"


def test_widgets_tile_the_24_column_grid_without_overlapping(any_stack_run):
    widgets = _body(any_stack_run)["widgets"]
    taken: set = set()
    for widget in widgets:
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24
        cells = _cells(widget)
        assert not cells & taken, widget["properties"].get("title")
        taken |= cells


def test_every_metric_and_log_widget_is_in_the_stacks_region(any_stack_run):
    widgets = _body(any_stack_run)["widgets"]
    assert {w["type"] for w in widgets} == {"text", "alarm", "metric", "log"}
    assert {w["properties"]["region"] for w in widgets if w["type"] in ("metric", "log")} == {"eu-west-1"}


def test_each_alarm_has_a_widget_with_its_threshold_drawn(any_stack_run):
    widgets = _body(any_stack_run)["widgets"]
    alarms = any_stack_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")  # the api's and the scan gate's
    for alarm in (a.inputs for a in alarms):
        drawn = [w for w in widgets if w["type"] == "metric" and any(
            line["value"] == alarm["threshold"] and line["label"].startswith("alarm")
            for line in w["properties"].get("annotations", {}).get("horizontal", []))]
        assert drawn, alarm["name"]
    threshold_lines = [line for w in widgets if w["type"] == "metric"
                       for line in w["properties"].get("annotations", {}).get("horizontal", [])
                       if line["label"].startswith("alarm")]
    assert len(threshold_lines) == len(alarms)
    states = [w for w in widgets if w["type"] == "alarm"]
    assert sorted(arn for w in states for arn in w["properties"]["alarms"]) == sorted(a.state["arn"] for a in alarms)


def test_metric_rows_name_real_lambda_metrics_on_the_live_alias(prod_run):
    rows = [row for w in _body(prod_run)["widgets"] if w["type"] == "metric" for row in w["properties"]["metrics"]]
    lambda_rows = [row for row in rows if row[0] == "AWS/Lambda" and "lambdakit-prod-scan-gate" not in row]
    names = {row[1] for row in lambda_rows}
    assert {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions", "UrlRequestCount",
            "Url4xxCount", "Url5xxCount", "UrlRequestLatency", "ProvisionedConcurrencyUtilization",
            "ProvisionedConcurrencySpilloverInvocations"} <= names
    for row in lambda_rows:
        dimensions = dict(zip(row[2:-1:2], row[3:-1:2]))
        assert dimensions["FunctionName"] == "lambdakit-prod-api"
        if row[1] != "ConcurrentExecutions":
            assert dimensions["Resource"] == "lambdakit-prod-api:live"
    durations = {row[-1]["stat"] for row in lambda_rows if row[1] == "Duration"}
    assert durations == {"p50", "p95", "p99"}


def test_log_widgets_run_the_saved_queries_on_the_functions_group(any_stack_run):
    log_group = any_stack_run.under("api").one("aws:cloudwatch/logGroup:LogGroup").inputs["name"]
    queries = {q.inputs["queryString"]
               for q in any_stack_run.under("api").of_type("aws:cloudwatch/queryDefinition:QueryDefinition")}
    logs = [w["properties"]["query"] for w in _body(any_stack_run)["widgets"]
            if w["type"] == "log" and f"'{log_group}'" in w["properties"]["query"]]
    assert {q.removeprefix(f"SOURCE '{log_group}' | ") for q in logs} == queries


def test_layout_starts_each_section_on_a_new_row_and_wraps_at_24_columns():
    section = [{"type": "text", "width": 24, "height": 2, "properties": {}}] + [
        {"type": "metric", "width": 8, "height": 6, "properties": {}} for _ in range(4)]
    placed = layout([section, section[:2]])
    assert [(w["x"], w["y"]) for w in placed] == [(0, 0), (0, 2), (8, 2), (16, 2), (0, 8), (0, 14), (0, 16)]
