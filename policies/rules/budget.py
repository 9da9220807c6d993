"""The stack's estimated monthly cost stays within its budget.

The estimate is cost/'s, the one the offline preview prints: the planned resources, the stack's usage*
settings and the dated prices of its region. The budget is the pack config's maxMonthlyUsd, else the limit
of the monthly USD budget the stack plans in AWS Budgets. A partial estimate (values only the update will
know) blocks only when what is known already exceeds the budget. A stack within its budget as far as the estimate
knows, whose estimate leaves out what it cannot price (a type the model has no price for, a region the price table
lacks, a cost the plan does not bound), has a budget the rule cannot verify: it says so, naming them, as an
advisory, or at the policy's own level with blockWhenUnpriced.
"""

import os
from typing import Any, Mapping, Optional, Sequence

import pulumi
from pulumi_policy import (EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs,
                           StackValidationPolicy)
from pulumi_policy.proxy import UnknownValueError

from cost.estimate import Estimate
from cost.model import estimate
from cost.plan import UNKNOWN, Resource, Unpriced
from cost.stack import stack_inputs
from cost.wire import Malformed
from rules.common import schema

BUDGET = "aws:budgets/budget:Budget"
LARGEST_SHOWN = 3

UNPRICED_SHOWN = 8  # resource types named in the message

_BUDGET = schema(maxMonthlyUsd={
    "type": "number", "exclusiveMinimum": 0,
    "description": "Most the stack may cost a month, in USD, as estimated before the update; unset: the limit of "
                   "the stack's own monthly AWS budget, if it plans one."}, blockWhenUnpriced={
    "type": "boolean", "default": False,
    "description": "A stack within its budget as far as the estimate knows, whose estimate leaves out resources it "
                   "cannot price (types the cost model has no price for, a region prices.json lacks, a cost the plan "
                   "does not bound), is reported at the policy's own level instead of as advisory: a budget that "
                   "cannot be verified does not pass."})


def _wire(value: Any) -> Any:
    """pulumi_policy's proxies raise on a value not known yet; the model wants Pulumi's sentinel in its place,
    so one unknown makes one item unknown instead of stopping the rule."""
    if isinstance(value, Mapping):
        keys: Sequence = list(value)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        keys = range(len(value))
    else:
        return value
    plain = {}
    for key in keys:
        try:
            plain[key] = _wire(value[key])
        except UnknownValueError:
            plain[key] = UNKNOWN
    return plain if isinstance(value, Mapping) else list(plain.values())


def planned(resource: PolicyResource) -> Resource:
    return Resource(resource.resource_type, resource.name, _wire(resource.props), resource.urn,
                    {prop: tuple(d.urn for d in deps) for prop, deps in resource.property_dependencies.items()})


def _stack_budget(resources: list[Resource]) -> Optional[tuple[float, str]]:
    """The smallest monthly USD limit among the budgets the stack plans, and which budget sets it; a limit not
    known yet sets none."""
    limits = [(limit, f"the limit of the stack's AWS budget {b.props.get('name', b.name)}")
              for b in resources if b.type == BUDGET and b.props.get("timeUnit") == "MONTHLY"
              and b.props.get("limitUnit") == "USD" and (limit := _known_limit(b)) is not None]
    return min(limits) if limits else None


def _known_limit(budget: Resource) -> Optional[float]:
    try:
        return budget.number("limitAmount")
    except Unpriced:
        return None


def _largest(total: Estimate) -> str:
    return ", ".join(f"{item.label} {item.usd:.2f}" for item in total.largest(LARGEST_SHOWN))


def _require_readable(total: Estimate, budget: float) -> None:
    """Within the budget so far: that is a verdict only if no item is unknown for a value that cannot be read
    (an item not known until the update is a preview's blind spot, judged at the update)."""
    if total.unreadable:
        unread = "; ".join(f"{item.label}: {item.basis.removeprefix('unknown: ')}" for item in total.unreadable)
        raise Malformed(f"the estimate, {total.total:.2f} USD a month without them, lacks items whose values cannot "
                        f"be read ({unread}), so whether the stack stays within its budget of {budget:.2f} USD "
                        "cannot be told")


def _unverified(total: Estimate, budget: float, source: str) -> Optional[str]:
    """Why the budget cannot be verified although the known total is within it; None when it can."""
    unpriced = total.unverifiable
    if not unpriced:
        return None
    types = total.unpriced_types
    named = ", ".join(types[:UNPRICED_SHOWN]) + (f" and {len(types) - UNPRICED_SHOWN} more" if len(types) >
                                                 UNPRICED_SHOWN else "")
    reasons = []
    if types:
        reasons.append(f"resources of {len(types)} type{'s' * (len(types) != 1)} the cost model has no price for "
                       f"({named})")
    no_price = total.unknown_of("price")
    if no_price:
        reasons.append(f"{len(no_price)} item{'s' * (len(no_price) != 1)} with no price for {total.region} in "
                       f"prices.json (make prices ARGS=\"--region {total.region}\" adds them)")
    for item in total.unknown_of("bound", "usage"):
        reasons.append(f"{item.label}: {item.basis.removeprefix('unknown: ')}")
    known = f"{total.total:.2f} USD a month" if total.known_total is not None else "nothing known"
    return (f"the stack's budget of {budget:.2f} USD ({source}) cannot be verified: the estimate, {known} in "
            f"{total.region}, leaves out {'; '.join(reasons)}. Price them by hand against the budget, or set "
            "blockWhenUnpriced to refuse a budget that cannot be verified.")


def _monthly_budget(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = [planned(r) for r in args.resources]
    config = args.get_config() or {}
    limit = ((float(config["maxMonthlyUsd"]), "maxMonthlyUsd") if config.get("maxMonthlyUsd") is not None
             else _stack_budget(resources))
    if limit is None:
        return  # no budget to hold the stack to
    # The CLI hands every analyzer the stack's configuration (PULUMI_CONFIG), defaults from Pulumi.yaml included.
    usage, prices = stack_inputs(pulumi.runtime.get_config, os.environ.get("PULUMI_PROJECT", ""), os.environ)
    total = estimate(resources, usage, prices)
    budget, source = limit
    if total.total <= budget:
        _require_readable(total, budget)
        unverified = _unverified(total, budget, source)
        if unverified:
            (report if config.get("blockWhenUnpriced") else getattr(report, "advisory", report))(unverified)
        return
    known = f"at least {total.total:.2f} ({total.partial_note})" if total.partial else f"{total.total:.2f}"
    report(f"the stack's estimate is {known} USD a month in {total.region} (prices of {total.prices_as_of}), over "
           f"its budget of {budget:.2f} USD ({source}). Largest: {_largest(total)}. Raise the budget, or change what "
           "costs (the preview lists every item with its basis).")


stack_monthly_budget = StackValidationPolicy(
    name="stack-monthly-budget",
    description="The stack's estimated monthly cost (the preview's estimate) is within its budget.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=_BUDGET,
    validate=_monthly_budget,
)
