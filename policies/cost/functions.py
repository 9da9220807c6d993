"""Lambda and what calls it: a function's requests and duration (on demand or on provisioned environments),
its ephemeral storage and X-Ray traces, provisioned concurrency, and the schedules that invoke it."""

import math
from dataclasses import dataclass

from . import wire
from .estimate import Charge
from .meter import HOURS_PER_MONTH, SECONDS_PER_MONTH, Context, Pricer, plural
from .plan import FUNCTION, Resource, Unpriced, known
from .schedule import cadence

LAMBDA_FREE_STORAGE_MB = 512  # ephemeral storage up to this is included in the duration price
# X-Ray's default sampling rule: the first request each second, then 5% of the rest.
XRAY_RESERVOIR_PER_SECOND, XRAY_FIXED_RATE = 1, 0.05


def _architecture(function: Resource) -> str:
    # Lambda runs a function that names no architecture on x86_64.
    return known((wire.texts(function.get("architectures"), f"architectures of {function.name}") or ["x86_64"])[0])


def _memory_gb(function: Resource) -> float:
    return function.number("memorySize", 128) / 1024  # Lambda's default memory is 128 MB


@dataclass(frozen=True)
class Calls:
    traffic: float        # calls arriving at random over the busy hours (its URL's, or its own usage's)
    regular: float        # calls one at a time: a schedule's, a pipeline run's
    seconds_each: float
    source: str           # why this many calls
    duration: str         # one call's duration, as the basis shows it
    regular_hours: float  # hours of a month with a regular call
    log_bytes_each: int = 0

    @property
    def per_month(self) -> float:
        return self.traffic + self.regular


def calls_of(function: Resource, context: Context) -> Calls:
    """A function a pipeline invokes runs about once a minute while its action waits (the scan gate answers at once
    and is called again), for at most its timeout; one with its own usageRequestsPerMonth serves those; one with a
    URL serves the stack's traffic and one with schedules their invocations; any other is called by nothing this
    stack knows of."""
    usage, own = context.need_usage(), context.own_usage(function)
    duration_ms = own.average_duration_ms or usage.average_duration_ms
    log_bytes = usage.log_bytes_per_request if own.log_bytes_per_request is None else own.log_bytes_per_request
    per_run = context.plan.runs_per_pipeline_run(function)
    if per_run:
        timeout = function.number("timeout", 3)  # Lambda's default timeout
        calls = per_run * usage.scan_minutes_per_run * usage.pipeline_runs_per_month
        # The actions of one turn (one per function, in one stage) call it at once: they share their hours.
        turns = context.plan.turns_per_pipeline_run(function) * usage.pipeline_runs_per_month
        hours = min(HOURS_PER_MONTH, turns * math.ceil(usage.scan_minutes_per_run / 60))
        return Calls(0, calls, timeout, f" ({plural(per_run, 'action')} a pipeline run, called about once a minute "
                                        f"for its {usage.scan_minutes_per_run} minutes)",
                     f"at most {timeout:.0f} s (its timeout)", hours, log_bytes)
    seconds, duration = duration_ms / 1000, f"{duration_ms} ms"
    if own.requests_per_month is not None:
        return Calls(own.requests_per_month, 0, seconds, " (its own usageRequestsPerMonth)", duration, 0, log_bytes)
    traffic = usage.requests_per_month if context.plan.serves_traffic(function) else 0
    schedules = [cadence(expression, f"scheduleExpression of {holder.name}")
                 for holder, expression in context.plan.schedules_of(function)]
    if not traffic and not schedules:
        return Calls(0, 0, 0, " (nothing in this stack calls it)", "", 0, log_bytes)
    sources = (["through its URL"] if context.plan.serves_traffic(function) else []) + [c.text for c in schedules]
    return Calls(traffic, sum(c.per_month for c in schedules), seconds, f" ({'; '.join(sources)})", duration,
                 min(HOURS_PER_MONTH, sum(c.hours for c in schedules)), log_bytes)


def called_hours(calls: Calls, context: Context) -> float:
    """Hours of a month in which the function is called at least once: its traffic's (calls at random over the busy
    hours) and its regular calls' hours, at most the month."""
    busy = context.busy_hours
    traffic_hours = busy * (1 - math.exp(-calls.traffic / busy)) if calls.traffic else 0.0
    return min(HOURS_PER_MONTH, traffic_hours + calls.regular_hours)


def provisioned_environments(function: Resource, context: Context) -> int:
    return int(sum(c.number("provisionedConcurrentExecutions") for c in context.plan.provisioned_for(function)))


def _function(function: Resource, context: Context) -> list[Charge]:
    arch, memory_gb, calls = _architecture(function), _memory_gb(function), calls_of(function, context)
    if not calls.per_month:
        return [Charge(0.0, f"no requests{calls.source}")]
    memory = f"{memory_gb * 1024:.0f} MB, {arch}"
    provisioned = provisioned_environments(function, context)
    # "The Lambda free tier does not apply to functions that have Provisioned Concurrency enabled" (pricing page).
    free_tier = not provisioned
    charges = [context.meter.charge(f"lambda.requests.{arch}", calls.per_month,
                                    f"{calls.per_month:,.0f} requests{calls.source}", free_tier)]
    # Provisioned environments serve calls up to their number at once; the rest spill over to on-demand
    # ones. Traffic is taken as spread evenly over its busy hours.
    busy_seconds = context.busy_hours * 3600
    busy = (calls.traffic / busy_seconds + calls.regular / SECONDS_PER_MONTH) * calls.seconds_each  # busy on average
    on_provisioned = calls.per_month * (min(1.0, provisioned / busy) if provisioned and busy else 0.0)
    on_demand = calls.per_month - on_provisioned
    if on_demand:
        charges.append(context.meter.charge(
            f"lambda.duration.{arch}", on_demand * calls.seconds_each * memory_gb,
            f"{on_demand:,.0f} × {calls.duration} × {memory}", free_tier))
    if on_provisioned:
        charges.append(context.meter.charge(
            f"lambda.provisioned-duration.{arch}", on_provisioned * calls.seconds_each * memory_gb,
            f"{on_provisioned:,.0f} × {calls.duration} × {memory} on provisioned environments"))
    storage_mb = function.number("ephemeralStorage.size", LAMBDA_FREE_STORAGE_MB)
    if storage_mb > LAMBDA_FREE_STORAGE_MB:
        extra_gb = (storage_mb - LAMBDA_FREE_STORAGE_MB) / 1024
        charges.append(context.meter.charge(
            f"lambda.ephemeral-storage.{arch}", calls.per_month * calls.seconds_each * extra_gb,
            f"{storage_mb - LAMBDA_FREE_STORAGE_MB:.0f} MB of /tmp above {LAMBDA_FREE_STORAGE_MB} MB while running"))
    if function.text("tracingConfig.mode") == "Active":
        charges.append(_traces(calls, context))
    return charges


def _traces(calls: Calls, context: Context) -> Charge:
    """X-Ray's default sampling records the first call each second and 5% of the rest. Calls arriving at random
    over the busy hours (a Poisson stream of rate r a second) leave 1 - e^-r seconds with a call to record first;
    calls one at a time (a schedule's) are each recorded. Evenly spaced calls, one in each second first, would be
    the most recorded: the basis shows that bound too."""
    busy_hours = context.need_usage().busy_hours_per_day
    seconds = context.busy_hours * 3600
    rate = calls.traffic / seconds
    first = seconds * (1 - math.exp(-rate))
    traced = first + XRAY_FIXED_RATE * (calls.traffic - first) + calls.regular
    even_first = min(calls.traffic, XRAY_RESERVOIR_PER_SECOND * seconds)
    most = even_first + XRAY_FIXED_RATE * (calls.traffic - even_first) + calls.regular
    if not calls.traffic:
        return context.meter.charge("xray.traces-recorded", traced,
                                    f"{traced:,.0f} traces recorded (X-Ray's default sampling records the first call "
                                    "each second: each of its calls, which come one at a time)")
    shape = "all day" if busy_hours == 24 else f"over {busy_hours} busy hours a day"
    bound = f"; at most {most:,.0f} were they evenly spaced" if most - traced >= 0.5 else ""
    return context.meter.charge("xray.traces-recorded", traced,
                                f"{traced:,.0f} traces recorded (X-Ray's default sampling, the first call each second "
                                f"and 5% of the rest, of calls arriving at random {shape}{bound})")


def _provisioned_concurrency(config: Resource, context: Context) -> list[Charge]:
    function = context.plan.function_of(config)
    if function is None:
        raise Unpriced(f"its function ({config.get('functionName')}) is not in this stack, so its memory is not known")
    count, arch, memory_gb = int(config.number("provisionedConcurrentExecutions")), _architecture(function), \
        _memory_gb(function)
    return [context.meter.charge(
        f"lambda.provisioned.{arch}", count * memory_gb * SECONDS_PER_MONTH,
        f"{count} × {memory_gb * 1024:.0f} MB × {HOURS_PER_MONTH} h provisioned, {arch}")]


def _schedule(schedule: Resource, context: Context) -> list[Charge]:
    if schedule.props.get("state") == "DISABLED":
        return [Charge(0.0, "disabled: it invokes nothing")]
    fires = cadence(schedule.get("scheduleExpression"), f"scheduleExpression of {schedule.name}")
    return [context.meter.charge("scheduler.invocations", fires.per_month,
                                 f"{fires.per_month:,.0f} invocations ({fires.text}); a retry of a failed one is "
                                 "one more")]


PRICERS: dict[str, Pricer] = {
    FUNCTION: _function,
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": _provisioned_concurrency,
    "aws:scheduler/schedule:Schedule": _schedule,
}
