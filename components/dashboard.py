"""StackDashboard: the stack's CloudWatch dashboard, a section per monitored function.

CloudWatch takes at most 500 widgets in one dashboard (DASHBOARD_MAX_WIDGETS) and a function's section holds
about 14, so a stack of many functions gets pages: further dashboards named `<name>-2`, `<name>-3`…, each holding
whole sections, in the functions' order. A stack whose sections fit one dashboard has exactly the one it had.

Each section shows what users feel (invocations, errors, throttles, duration, concurrency, cold starts
and init time, URL answers and latency), one widget per alarm with the alarm's threshold drawn on it (the
function's own, and those its other components make, such as its schedule's dead letters), the saved log
queries and the alarms' states. The body is data built from outputs and serialised once.
"""

import json
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from aws_limits import DASHBOARD_COLUMNS, DASHBOARD_MAX_WIDGETS
from components.monitoring import (AlarmSpec, FunctionMonitoring, Metric, ShownAlarm, lambda_metric,
                                   watched_dimensions, metric_namespace)
from lambda_logs import COLD_STARTS, PROVISIONED_INITS, log_metrics, saved_queries

_WIDE, _THIRD, _HALF = DASHBOARD_COLUMNS, DASHBOARD_COLUMNS // 3, DASHBOARD_COLUMNS // 2


def _entry(metric: Metric, **rendering: Any) -> list:
    """A metric as a dashboard `metrics` row: namespace, name, dimension pairs, then how to draw it."""
    pairs = [part for item in metric.dimensions.items() for part in item]
    label = rendering.pop("label", None) or metric.label or f"{metric.name} {metric.stat}"
    return [metric.namespace, metric.name, *pairs, {"stat": metric.stat, "label": label, **rendering}]


def _metric_widget(title: str, metrics: list, period: int, width: int = _THIRD, **properties: Any) -> dict:
    return {"type": "metric", "width": width, "height": 6,
            "properties": {"title": title, "view": "timeSeries", "period": period, "metrics": metrics, **properties}}


def alarm_widget(spec: AlarmSpec) -> dict:
    """What the alarm judges, drawn with its threshold."""
    if spec.metric is not None:
        metrics = [_entry(spec.metric), *(_entry(m) for m in spec.context)]
    else:
        metrics = [*(_entry(m, id=query_id, visible=False) for query_id, m in spec.inputs.items()),
                   [{"expression": spec.expression, "label": f"{spec.title} ({spec.unit})", "id": "rate"}]]
    lines = [{"label": f"alarm: {spec.threshold:g} {spec.unit}", "value": spec.threshold, "color": "#d62728"},
             *({"label": label, "value": value} for label, value in spec.marks)]
    return _metric_widget(spec.title, metrics, spec.period, annotations={"horizontal": lines})


def shown_alarm_widget(shown: ShownAlarm) -> pulumi.Output[dict]:
    """Another component's alarm, drawn from what it registered: its metric, statistic (never a percentile here),
    period and threshold."""
    alarm = shown.alarm

    def widget(values: list) -> dict:
        namespace, name, dimensions, statistic, period, threshold, evaluation, datapoints = values
        return alarm_widget(AlarmSpec(
            key="", title=shown.title, description="", threshold=threshold, unit=shown.unit, period=int(period),
            evaluation_periods=int(evaluation), datapoints=int(datapoints),
            metric=Metric(namespace, name, dict(dimensions or {}), statistic)))

    return pulumi.Output.all(alarm.namespace, alarm.metric_name, alarm.dimensions, alarm.statistic, alarm.period,
                             alarm.threshold, alarm.evaluation_periods, alarm.datapoints_to_alarm).apply(widget)


def _overview_widgets(monitoring: FunctionMonitoring) -> list[dict]:
    args = monitoring.args
    fn = args.function_name
    live = watched_dimensions(fn, args.alias_name)
    own = metric_namespace(fn)
    widgets = [
        _metric_widget("Invocations, errors, throttles",
                       [_entry(lambda_metric(name, live)) for name in ("Invocations", "Errors", "Throttles")], 60),
        _metric_widget("Cold starts", [
            _entry(Metric(own, name, {}, "Sum", label)) for name, label in
            ((COLD_STARTS, "on-demand inits"), (PROVISIONED_INITS, "provisioned inits (no one waited)"))
            if name in log_metrics(args.log_format)], 300),
    ]
    if args.serves_url:
        widgets.insert(1, _metric_widget("Function URL: answers and latency", [
            *(_entry(lambda_metric(name, live)) for name in ("UrlRequestCount", "Url4xxCount", "Url5xxCount")),
            # Lambda publishes URL latency for Average and Maximum.
            *(_entry(lambda_metric("UrlRequestLatency", live, stat), yAxis="right") for stat in ("Average", "Maximum"))],
            60))
    if args.reserved_concurrency <= 0:  # with a reservation, the concurrency alarm's widget shows it
        widgets.append(_metric_widget("Concurrent executions", [_entry(lambda_metric("ConcurrentExecutions", {"FunctionName": fn},
                                                                                   "Maximum"))], 60))
    if args.provisioned_concurrency > 0:
        widgets.append(_metric_widget("Provisioned concurrency", [
            _entry(lambda_metric("ProvisionedConcurrencyUtilization", live, "Maximum"), label="utilization (max)"),
            _entry(lambda_metric("ProvisionedConcurrencySpilloverInvocations", live), label="spillover invocations", yAxis="right"),
        ], 60, annotations={"horizontal": [{"label": "all provisioned environments busy", "value": 1}]}))
    return widgets


@dataclass(frozen=True)
class Section:
    """One function's widgets, in reading order, without positions; how many there are is known before they are."""
    size: int
    widgets: pulumi.Output[list[dict]]


def function_section(monitoring: FunctionMonitoring) -> Section:
    """The function's widgets: its header, its alarms' states, its metrics, one per alarm, its saved queries."""
    args = monitoring.args
    header = {"type": "text", "width": _WIDE, "height": 2, "properties": {"markdown": (
        f"## {args.function_name}{f' (alias `{args.alias_name}`)' if args.alias_name else ''}\nAlarms go to the stack's SNS topic. Saved Logs "
        f"Insights queries: {', '.join(f'`{args.function_name}/{key}`' for key in saved_queries(args.log_format))}.")}}
    metric_widgets = [*_overview_widgets(monitoring), *(alarm_widget(spec) for spec in monitoring.specs)]
    shown = args.also_shown
    alarm_arns = [*monitoring.alarm_arns.values(), *(s.alarm.arn for s in shown)]

    def with_outputs(values: list) -> list[dict]:
        log_group, arns, shown_widgets = values[0], values[1:1 + len(alarm_arns)], values[1 + len(alarm_arns):]
        logs = [{"type": "log", "width": _HALF, "height": 6,
                 "properties": {"title": f"Saved query {key}", "view": "table",
                                "query": f"SOURCE '{log_group}' | {query}"}}
                for key, query in saved_queries(args.log_format).items()]
        states = {"type": "alarm", "width": _WIDE, "height": 3,
                  "properties": {"title": "Alarms", "alarms": list(arns), "sortBy": "stateUpdatedTimestamp"}}
        return [header, states, *metric_widgets, *shown_widgets, *logs]

    size = 2 + len(metric_widgets) + len(shown) + len(saved_queries(args.log_format))
    return Section(size, pulumi.Output.all(args.log_group_name, *alarm_arns,
                                           *(shown_alarm_widget(s) for s in shown)).apply(with_outputs))


def pages(sizes: list[int], most: int = DASHBOARD_MAX_WIDGETS) -> list[list[int]]:
    """The sections' indexes grouped into dashboards, in order: each page takes whole sections while they fit in
    `most` widgets. (A section larger than a page alone gets one to itself, and CloudWatch refuses it.)"""
    grouped: list[list[int]] = []
    held = most
    for index, size in enumerate(sizes):
        if held + size > most:
            grouped.append([])
            held = 0
        grouped[-1].append(index)
        held += size
    return grouped


def page_name(dashboard_name: str, page: int) -> str:
    """The first page keeps the dashboard's own name; the next are `<name>-2`, `<name>-3`…"""
    return dashboard_name if page == 1 else f"{dashboard_name}-{page}"


def layout(sections: list[list[dict]]) -> list[dict]:
    """Place widgets left to right on the 24-column grid, a new row when one does not fit; every
    section starts on a row of its own."""
    placed, top = [], 0
    for widgets in sections:
        x, row_bottom = 0, top
        for widget in widgets:
            if x + widget["width"] > DASHBOARD_COLUMNS:
                x, top = 0, row_bottom
            placed.append({**widget, "x": x, "y": top})
            x += widget["width"]
            row_bottom = max(row_bottom, top + widget["height"])
        top = row_bottom
    return placed


def dashboard_body(region: str, sections: list[list[dict]]) -> str:
    """The whole body: placed widgets, each metric and log widget in the stack's region."""
    widgets = [{**w, "properties": {**w["properties"], "region": region}} if w["type"] in ("metric", "log") else w
               for w in layout(sections)]
    return json.dumps({"widgets": widgets}, sort_keys=True)


@dataclass(frozen=True)
class StackDashboardArgs:
    dashboard_name: str
    functions: list[FunctionMonitoring]


class StackDashboard(pulumi.ComponentResource):
    dashboard_name: pulumi.Output[str]  # the first page's
    dashboard_names: pulumi.Output[list[str]]  # every page's, in order

    def __init__(self, name: str, args: StackDashboardArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("lambdakit:dashboard:StackDashboard", name, None, opts)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        sections = [function_section(monitoring) for monitoring in args.functions]
        self.dashboards = [
            aws.cloudwatch.Dashboard(
                page_name(name, page), dashboard_name=page_name(args.dashboard_name, page),
                dashboard_body=pulumi.Output.all(region, *(sections[i].widgets for i in indexes)).apply(
                    lambda values: dashboard_body(values[0], list(values[1:]))),
                opts=pulumi.ResourceOptions(parent=self))
            for page, indexes in enumerate(pages([section.size for section in sections]), start=1)]
        self.dashboard_name = self.dashboards[0].dashboard_name
        self.dashboard_names = pulumi.Output.all(*(d.dashboard_name for d in self.dashboards))
        self.register_outputs({"dashboardName": self.dashboard_name, "dashboardNames": self.dashboard_names})
