"""The monthly cost estimate under the offline preview's plan: the model's figures (policies/cost), laid out."""

from collections import defaultdict
from typing import Any, Optional

from google.protobuf import json_format
from pulumi.runtime import rpc

from offline.engine import ProgramRun
from offline.policy_engine import PolicyReport, stack_properties
from policies.cost.estimate import Estimate, LineItem, Projection
from policies.cost.plan import Resource


def _unsecret(value: Any) -> Any:
    """Secrets as their values, as the pack's deserialiser hands them to a policy."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _unsecret(value.get("value"))
        return {k: _unsecret(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecret(v) for v in value]
    return value


def planned_resources(run: ProgramRun, report: PolicyReport) -> list[Resource]:
    """The resources as the pack's stack policies see them, so the preview prices what the pack judges."""
    return [Resource(r.type, r.name, _unsecret(json_format.MessageToDict(stack_properties(r, report))), r.urn,
                     {prop: tuple(urns) for prop, urns in r.property_dependencies.items()})
            for r in run.resources]


def _usd(value: Optional[float]) -> str:
    if value is None:
        return "unknown"
    return "<0.01" if 0 < value < 0.005 else f"{value:,.2f}"


PIPELINE = "aws:codepipeline/pipeline:Pipeline"


def _usage_lines(estimate: Estimate) -> list[str]:
    """The usage the estimate assumes: the pipeline's only when the stack has one, each function's own settings."""
    usage = estimate.usage
    if usage is None:
        return ["  usage: the stack's usage* settings are missing, so nothing that depends on them is priced"]
    free = "the account's free tier counted" if usage.free_tier else "free tier not counted"
    traffic = "all day" if usage.busy_hours_per_day == 24 else f"in {usage.busy_hours_per_day} busy hours a day"
    parts = [f"{usage.requests_per_month:,} requests a month to a function's URL, {traffic}, × "
             f"{usage.average_duration_ms} ms, {usage.log_bytes_per_request:,} B logged each"]
    if any(item.type == PIPELINE for item in estimate.items):
        parts.append(f"{usage.pipeline_runs_per_month} pipeline runs × {usage.build_minutes_per_run} min a build, "
                     f"{usage.scan_minutes_per_run} min of scan")
    parts.append(f"dashboard viewed {usage.dashboard_views_per_month:,} times, each saved query run "
                 f"{usage.log_query_runs_per_month:,} times over {usage.log_query_hours} h")
    lines = [f"  usage: {'; '.join(parts)}; {free}"]
    for name, own in usage.functions:
        settings = [f"{own.requests_per_month:,} requests" if own.requests_per_month is not None else "",
                    f"{own.average_duration_ms} ms" if own.average_duration_ms is not None else "",
                    f"{own.log_bytes_per_request:,} B logged" if own.log_bytes_per_request is not None else ""]
        lines.append(f"    function {name}: {', '.join(s for s in settings if s)}")
    return lines


def _rows(estimate: Estimate) -> list[tuple[str, str, str]]:
    """(USD, what, basis): each billed item, dearest first (unknown ones first of all), then the free ones
    by type; ties by name, so that the engine's order of registration (its threads') never shows."""
    billed = sorted((i for i in estimate.items if i.charges),
                    key=lambda i: (i.usd is not None, -(i.usd or 0), i.label))
    rows = [(_usd(i.usd), i.label, i.basis) for i in billed]
    free: dict[str, list[LineItem]] = defaultdict(list)
    for item in estimate.items:
        if not item.charges:
            free[item.type].append(item)
    return rows + [("free", f"{items[0].kind} ×{len(items)}", items[0].note)
                   for _, items in sorted(free.items())]


def _heading(estimate: Estimate) -> str:
    region = estimate.region or "(no region)"
    if estimate.prices_as_of is None:
        return f"Monthly cost estimate: {region}, no prices for this region in policies/cost/prices.json"
    return f"Monthly cost estimate: {region}, prices of {estimate.prices_as_of} (policies/cost/prices.json)"


def _totals(projection: Projection) -> list[str]:
    """The total, first-year, x86_64 and traffic lines: a partial total of which nothing known costs anything is
    unknown (0.00 would pass for a figure)."""
    planned, x86 = projection.planned.known_total, projection.on_x86_64.known_total
    note = projection.planned.partial_note + ("; the rest costs nothing" if planned is None else "")
    total = f"total ({note})" if note else "total"
    first_year = projection.planned.first_year_total
    settling = ([f"  {_usd(first_year):>10}  before its keys' first rotation (each of a key's first two rotations "
                 "adds $1 a month)"] if planned is not None and planned - first_year >= 0.005 else [])
    if planned is None or x86 is None:
        versus_x86 = ""
    else:
        saving = x86 - planned
        versus_x86 = f": arm64 saves {_usd(saving)} a month" + (f" ({saving / x86:.0%})" if x86 else "")
    traffic = [f"  {_usd(e.known_total):>10}  at {factor}× the traffic" for factor, e in projection.by_traffic.items()]
    return [f"  {_usd(planned):>10}  {total}", *settling, f"  {_usd(x86):>10}  the same stack on x86_64{versus_x86}",
            *traffic]


def _missing_prices(estimate: Estimate) -> list[str]:
    """How to get the prices the table lacks for the estimate's region."""
    if not any(item.no_price for item in estimate.unknown):
        return []
    region = estimate.region
    lacks = (f"has no prices for {region}" if estimate.prices_as_of is None
             else f"lacks some prices for {region} (the items above say which)")
    return [f"  policies/cost/prices.json {lacks}. To look them up: make prices ARGS=\"--region {region}\"",
            "  (it asks the AWS Price List API, so it needs AWS credentials allowed pricing:GetProducts), "
            "then preview again."]


def _copied_prices(estimate: Estimate) -> list[str]:
    """Which figures are another region's, since the estimate's own region's were not seen."""
    regions = sorted({c.copied_from for item in estimate.copied_prices for c in item.charges if c.copied_from})
    if not regions:
        return []
    return [f"  [price: {' or '.join(regions)}'s] marks {len(estimate.copied_prices)} lines priced at "
            f"{' or '.join(regions)}'s figure: {estimate.region}'s was not seen when prices.json was made. "
            f'make prices ARGS="--region {estimate.region}" reads them.']


def render_cost(projection: Projection) -> str:
    planned = projection.planned
    rows = _rows(planned)
    width = max(len(what) for _, what, _ in rows)
    lines = [_heading(planned), *_usage_lines(planned), f"  {'USD/month':>10}  {'resource':{width}}  basis"]
    lines += [f"  {usd:>10}  {what:{width}}  {basis}" for usd, what, basis in rows]
    lines += ["  " + "-" * 10, *_totals(projection), *_missing_prices(planned), *_copied_prices(planned)]
    return "\n".join(lines)
