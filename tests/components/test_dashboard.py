"""The stack's dashboard: a body CloudWatch accepts (widget types, the 24-column grid without
overlaps, metric rows, regions), the alarms' thresholds drawn, and every section a reader needs."""

import json
import re
import shutil

import pytest

from aws_account.monitoring import dashboard_problems
from tests.conftest import PROJECT_DIR
from components.dashboard import layout, page_name, pages

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


def _body(run) -> dict:
    return json.loads(run.one(DASHBOARD).inputs["dashboardBody"])


def _section(run, function_name: str) -> list[dict]:
    """The widgets of one function's section, in reading order: its header and what follows until the next header."""
    widgets = sorted(_body(run)["widgets"], key=lambda w: (w["y"], w["x"]))
    headers = [i for i, w in enumerate(widgets) if w["type"] == "text"] + [len(widgets)]
    [start] = [i for i in headers[:-1] if re.match(rf"## {re.escape(function_name)}\b(?!-)",
                                                    widgets[i]["properties"]["markdown"])]
    return widgets[start:headers[headers.index(start) + 1]]


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
    # Every function's, the worker's dead letters (its schedule's) and, with a pipeline, the scan gate's.
    alarms = any_stack_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
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
    rows = [row for w in _section(prod_run, "lambdakit-prod-api") if w["type"] == "metric"
            for row in w["properties"]["metrics"]]
    lambda_rows = [row for row in rows if row[0] == "AWS/Lambda"]
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


def test_the_worker_has_a_section_of_its_own_without_url_widgets(any_stack_run):
    """The worker's row: its metrics on its own live alias, its alarms' states (its schedule's dead letters among
    them), no URL widget; the api's section names none of it."""
    worker = any_stack_run.under("worker").one("aws:lambda/function:Function").inputs["name"]
    api = any_stack_run.under("api").one("aws:lambda/function:Function").inputs["name"]
    section, api_section = _section(any_stack_run, worker), _section(any_stack_run, api)
    assert section and api_section and section[0] != api_section[0]
    rows = [row for w in section if w["type"] == "metric" for row in w["properties"]["metrics"]]
    lambda_rows = [row for row in rows if row[0] == "AWS/Lambda"]
    assert lambda_rows and all(row[3] == worker for row in lambda_rows)
    assert not {"UrlRequestCount", "Url4xxCount", "Url5xxCount", "UrlRequestLatency"} & {
        row[1] for row in rows if len(row) > 1}
    [states] = [w for w in section if w["type"] == "alarm"]
    assert sorted(states["properties"]["alarms"]) == sorted(
        a.state["arn"] for a in any_stack_run.under("worker").of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))
    dead_letters = any_stack_run.under("worker").one("aws:sqs/queue:Queue").inputs["name"]
    [drawn] = [w for w in section if w["type"] == "metric" and any(
        row[:4] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dead_letters]
        for row in w["properties"]["metrics"])]
    assert [line["value"] for line in drawn["properties"]["annotations"]["horizontal"]] == [0]
    assert not any(worker in json.dumps(w) for w in api_section)


def test_pages_take_whole_sections_in_order_up_to_the_widget_limit():
    assert pages([14, 14, 14], most=30) == [[0, 1], [2]]
    assert pages([10, 20, 5], most=30) == [[0, 1], [2]]  # exactly full, then a new page
    assert pages([14] * 35) == [list(range(35))]  # 490 widgets: CloudWatch's 500 hold them
    assert pages([14] * 36) == [list(range(35)), [35]]
    assert pages([40, 3], most=30) == [[0], [1]]  # too large alone: its own page, and CloudWatch says why
    assert [page_name("lambdakit-dev", n) for n in (1, 2, 3)] == ["lambdakit-dev", "lambdakit-dev-2", "lambdakit-dev-3"]


def test_a_stack_of_more_functions_than_one_dashboard_holds_gets_pages(stack_runner, tmp_path):
    """40 functions: about 14 widgets each would be 560 in one dashboard, which CloudWatch refuses; the sections
    go to two, each accepted, every function's section whole on one of them, in the functions' order."""
    copy = tmp_path / "lambdakit"
    shutil.copytree(PROJECT_DIR, copy, ignore=shutil.ignore_patterns(".git", "venv", "tests", "__pycache__"))
    names = [f"fn{index:02d}" for index in range(1, 41)]
    for name in names:
        shutil.copytree(copy / "functions" / "api", copy / "functions" / name)
    for folder in ("api", "worker"):
        shutil.rmtree(copy / "functions" / folder)
    run = stack_runner("dev", {"functions": {name: {} for name in names}, "budgetMonthlyUsd": 400}, project_dir=copy)
    dashboards = sorted(run.of_type(DASHBOARD), key=lambda d: d.inputs["dashboardName"])  # registered in any order
    assert [d.inputs["dashboardName"] for d in dashboards] == ["lambdakit-dev", "lambdakit-dev-2"]
    assert run.exports["dashboardNames"] == ["lambdakit-dev", "lambdakit-dev-2"]
    shown = []
    for dashboard in dashboards:
        body = dashboard.inputs["dashboardBody"]
        assert dashboard_problems(body) == []
        headers = [w["properties"]["markdown"] for w in sorted(json.loads(body)["widgets"], key=lambda w: (w["y"], w["x"]))
                   if w["type"] == "text"]
        shown.append([re.match(r"## lambdakit-dev-(fn\d\d)", header)[1] for header in headers])
    assert shown[0] + shown[1] == names and shown[0] and shown[1]
    first, second = (json.loads(d.inputs["dashboardBody"])["widgets"] for d in dashboards)
    next_section = len(second) // len(shown[1])  # the functions here are alike: their sections are of one size
    assert len(first) <= 500 < len(first) + next_section  # the first page is as full as whole sections make it
