"""The monthly cost estimate under the offline preview's plan: the model's figures (policies/cost), laid out."""

from collections import defaultdict
from typing import Any, Optional

from google.protobuf import json_format
from pulumi.runtime import rpc

from offline.engine import ProgramRun
from offline.policy_engine import PolicyReport, stack_properties
from policies.cost.model import Estimate, LineItem, Projection
from policies.cost.plan import Resource
from policies.cost.usage import Usage


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


def _usage_line(usage: Optional[Usage]) -> str:
    if usage is None:
        return "  usage: the stack's usage* settings are missing, so nothing that depends on them is priced"
    free = "the account's free tier counted" if usage.free_tier else "free tier not counted"
    return (f"  usage: {usage.requests_per_month:,} requests a month × {usage.average_duration_ms} ms, "
            f"{usage.log_bytes_per_request:,} B logged each; {usage.pipeline_runs_per_month} pipeline runs × "
            f"{usage.build_minutes_per_run} min a build; {free}")


def _rows(estimate: Estimate) -> list[tuple[str, str, str]]:
    """(USD, what, basis): each billed item, dearest first (unknown ones first of all), then the free ones
    by type."""
    billed = sorted((i for i in estimate.items if i.charges), key=lambda i: (i.usd is not None, -(i.usd or 0)))
    rows = [(_usd(i.usd), i.label, i.basis) for i in billed]
    free: dict[str, list[LineItem]] = defaultdict(list)
    for item in estimate.items:
        if not item.charges:
            free[item.type].append(item)
    return rows + [("free", f"{items[0].kind} ×{len(items)}", items[0].note) for items in free.values()]


def render_cost(projection: Projection) -> str:
    planned = projection.planned
    rows = _rows(planned)
    width = max(len(what) for _, what, _ in rows)
    lines = [f"Monthly cost estimate: {planned.region or '(no region)'}, prices of {planned.prices_as_of} "
             "(policies/cost/prices.json)", _usage_line(planned.usage),
             f"  {'USD/month':>10}  {'resource':{width}}  basis"]
    lines += [f"  {usd:>10}  {what:{width}}  {basis}" for usd, what, basis in rows]
    partial = f" ({planned.partial_note})" if planned.partial else ""
    x86 = projection.on_x86_64.total
    saving = x86 - planned.total
    lines += ["  " + "-" * 10,
              f"  {_usd(planned.total):>10}  total{partial}",
              f"  {_usd(x86):>10}  the same stack on x86_64: arm64 saves {_usd(saving)} a month"
              + (f" ({saving / x86:.0%})" if x86 else "")]
    lines += [f"  {_usd(e.total):>10}  at {factor}× the traffic" for factor, e in projection.by_traffic.items()]
    return "\n".join(lines)
