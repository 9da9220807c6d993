"""Logs and metrics: log groups (what their writers send them, what they keep), metric filters (the hours their
metric is published in), alarms, and the Logs Insights scans of dashboards' log widgets and saved queries."""

import re
from dataclasses import dataclass
from typing import Any

from . import wire
from .delivery import build_hours, build_minutes
from .estimate import Charge
from .functions import called_hours, calls_of, provisioned_environments
from .meter import DAYS_PER_MONTH, GIB, HOURS_PER_MONTH, Context, Pricer, amount, data_size, plural
from .plan import Resource, Unpriced, known

# A dashboard whose body sets no time range shows the last 3 hours (CloudWatch's default).
DASHBOARD_DEFAULT_HOURS = 3
# A metric filter counting provisioned inits publishes only when Lambda initialises provisioned environments.
_PROVISIONED_INITS = re.compile(r"provisioned-concurrency")
_SOURCE = re.compile(r"SOURCE\s+(?:'([^']*)'|\"([^\"]*)\"|([^\s|]+))")
_DURATION = re.compile(r"-P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


@dataclass(frozen=True)
class _Writes:
    """What a log group's writers send it in a month."""
    function_bytes: float
    build_bytes: float
    build_minutes: float
    bytes_each: tuple[int, ...]  # what one call writes, for each function that is called
    hours: float                 # hours of the month something writes to it
    provisioned: bool            # a writer has provisioned environments

    @property
    def total(self) -> float:
        return self.function_bytes + self.build_bytes


def _writes(functions: list[Resource], builds: list[Resource], context: Context) -> _Writes:
    usage = context.need_usage()
    calls = [calls_of(f, context) for f in functions]
    minutes = sum(build_minutes(p, context) for p in builds)
    return _Writes(
        function_bytes=sum(c.per_month * c.log_bytes_each for c in calls),
        build_bytes=minutes * usage.build_log_bytes_per_minute, build_minutes=minutes,
        bytes_each=tuple(sorted({c.log_bytes_each for c in calls if c.per_month})),
        hours=min(HOURS_PER_MONTH, sum(called_hours(c, context) for c in calls)
                  + sum(build_hours(p, context) for p in builds)),
        provisioned=any(provisioned_environments(f, context) for f in functions))


def _log_group(group: Resource, context: Context) -> list[Charge]:
    functions, builds = context.plan.log_writers(group)
    if not functions and not builds:
        return [Charge(0.0, "nothing in this stack writes to it")]
    writes = _writes(functions, builds, context)
    charges = []
    if writes.function_bytes:
        each = " or ".join(f"{b:,}" for b in writes.bytes_each)
        charges.append(context.meter.charge("logs.lambda-ingestion", writes.function_bytes / GIB,
                                            f"{data_size(writes.function_bytes / GIB)} a month from Lambda "
                                            f"({each} B a request)"))
    if writes.build_bytes:
        charges.append(context.meter.charge("logs.ingestion", writes.build_bytes / GIB,
                                            f"{data_size(writes.build_bytes / GIB)} a month from "
                                            f"{writes.build_minutes:,.0f} build minutes"))
    retention = group.number("retentionInDays", 0)
    if not retention:
        raise Unpriced("it keeps logs forever, so its storage grows every month")
    stored_gb = writes.total / GIB * retention / DAYS_PER_MONTH  # months of logs kept
    charges.append(context.meter.charge("logs.storage", stored_gb,
                                        f"{data_size(stored_gb)} stored ({retention:.0f} days' worth, before compression)"))
    return charges


def _publishing_hours(metric_filter: Resource, context: Context) -> tuple[float, str]:
    """The hours of a month a metric filter can publish in, and why. With no default value it publishes only when a
    log line matches: at most in the hours its log group is written in, and a filter counting provisioned inits
    only where provisioned environments are (Lambda initialises them again every few hours: every hour, at most)."""
    name = metric_filter.get("logGroupName")
    urn = next(iter(metric_filter.links.get("logGroupName", ())), "")
    functions, builds = context.plan.writers_of(name, urn)
    if not functions and not builds:
        if context.plan.log_group_named(name) or urn:
            return 0.0, "nothing in this stack writes to its log group"
        return HOURS_PER_MONTH, "its log group is not this stack's: as if written every hour"
    writes = _writes(functions, builds, context)
    pattern = metric_filter.text("pattern") or ""
    has_default = metric_filter.get("metricTransformation.defaultValue") is not None
    if _PROVISIONED_INITS.search(pattern) and not has_default:
        if not writes.provisioned:
            return 0.0, "it counts provisioned inits, and no function writing there has provisioned concurrency"
        return HOURS_PER_MONTH, "provisioned environments are initialised again every few hours: every hour at most"
    if not writes.hours:
        return 0.0, "nothing in this stack calls what writes to its log group"
    default = "; with a default value, whenever its log group is written" if has_default else \
        ", at most in the hours its log group is written"
    return writes.hours, f"it publishes when a log line matches{default}"


def _metric_filter(metric_filter: Resource, context: Context) -> list[Charge]:
    if metric_filter.get("metricTransformation.dimensions"):
        raise Unpriced("its dimensions make one metric per value they take")
    hours, why = _publishing_hours(metric_filter, context)
    if not hours:
        return [Charge(0.0, f"1 custom metric that publishes nothing: {why}")]
    # Custom metrics are billed per hour in which they are published ($0.30 a month is 730 such hours).
    return [context.meter.charge("cloudwatch.metric", hours / HOURS_PER_MONTH,
                                 f"1 custom metric published in {hours:,.0f} of {HOURS_PER_MONTH} hours ({why})")]


def _alarm(alarm: Resource, context: Context) -> list[Charge]:
    queries = alarm.mappings("metricQueries")
    metrics = 1 if alarm.get("metricName") else sum(1 for q in queries if q.get("metric"))
    query_metrics = [wire.mapping(known(q.get("metric")), f"a metric query's metric of {alarm.name}") or {}
                     for q in queries]
    periods = [alarm.number("period", 0)] + [wire.number(known(m.get("period")), f"a metric's period of {alarm.name}")
                                             for m in query_metrics]
    high_resolution = any(p and p < 60 for p in periods)
    key = "cloudwatch.alarm-high-resolution" if high_resolution else "cloudwatch.alarm"
    return [context.meter.charge(key, metrics, f"{metrics} metric{'s' * (metrics > 1)} "
                                               f"({'high' if high_resolution else 'standard'} resolution)")]


def _scanned_gb(groups: list[str], hours: float, context: Context) -> float:
    """What one Logs Insights query over the last `hours` of these log groups scans: the bytes written in that time,
    taken in the busy hours (where the traffic, and people looking at it, are)."""
    usage = context.need_usage()
    busy_in_range = min(hours, usage.busy_hours_per_day) if hours <= 24 else hours * usage.busy_hours_per_day / 24
    share = min(1.0, busy_in_range / context.busy_hours)
    total = 0.0
    for name in groups:
        functions, builds = context.plan.writers_of(name)
        if not functions and not builds and not context.plan.log_group_named(name):
            raise Unpriced(f"it scans {name}, a log group this stack does not write")
        total += _writes(functions, builds, context).total / GIB * share
    return total


def _range_hours(start: Any, what: str) -> float:
    """A dashboard's time range in hours: its relative `start` (-PT3H, -P7D), else CloudWatch's default."""
    if start is None:
        return DASHBOARD_DEFAULT_HOURS
    duration = _DURATION.fullmatch(start) if isinstance(start, str) else None
    if not duration or not any(duration.groups()):
        raise Unpriced(f"{what} has a fixed time range ({start!r}): what its log widgets scan depends on when")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in duration.groups())
    return weeks * 168 + days * 24 + hours + minutes / 60 + seconds / 3600


def _log_widget_groups(widget: Any, what: str) -> list[str]:
    properties = wire.mapping(widget.get("properties"), f"a widget's properties in {what}") or {}
    query = wire.text(properties.get("query"), f"a log widget's query in {what}") or ""
    groups = [next(g for g in match.groups() if g is not None) for match in _SOURCE.finditer(query.split("|")[0])
              ] if query.lstrip().startswith("SOURCE") else []
    for segment in query.split("|")[1:]:
        if not segment.strip().startswith("SOURCE"):
            break
        groups += [next(g for g in match.groups() if g is not None) for match in _SOURCE.finditer(segment)]
    if not groups:
        raise Unpriced(f"a log widget of {what} names no log group the model can read")
    return groups


def _dashboard(dashboard: Resource, context: Context) -> list[Charge]:
    charges = [context.meter.charge("cloudwatch.dashboard", 1, "1 dashboard")]
    body = wire.document(dashboard.get("dashboardBody"), f"dashboardBody of {dashboard.name}") or {}
    widgets = [w for w in wire.mappings(body.get("widgets"), f"widgets of {dashboard.name}") if w.get("type") == "log"]
    if not widgets:
        return charges
    usage = context.need_usage()
    hours = _range_hours(body.get("start"), dashboard.name)
    per_view = sum(_scanned_gb(_log_widget_groups(w, dashboard.name), hours, context) for w in widgets)
    views = usage.dashboard_views_per_month
    charges.append(context.meter.charge(
        "logs.insights-scan", views * per_view,
        f"{views:,} views × {plural(len(widgets), 'log widget')} scanning {data_size(per_view)} a view "
        f"(the last {amount(hours)} h of their log groups) with Logs Insights"))
    return charges


def _query_definition(query: Resource, context: Context) -> list[Charge]:
    groups = wire.texts(query.get("logGroupNames"), f"logGroupNames of {query.name}") or []
    if not groups:
        return [Charge(0.0, "names no log group: a run scans the groups chosen then")]
    usage = context.need_usage()
    scanned = _scanned_gb([known(g) for g in groups], usage.log_query_hours, context)
    runs = usage.log_query_runs_per_month
    return [context.meter.charge("logs.insights-scan", runs * scanned,
                                 f"{runs:,} runs × {data_size(scanned)} scanned (the last {usage.log_query_hours} h of "
                                 f"{plural(len(groups), 'log group')}) with Logs Insights")]


PRICERS: dict[str, Pricer] = {
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _metric_filter,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:cloudwatch/queryDefinition:QueryDefinition": _query_definition,
}
