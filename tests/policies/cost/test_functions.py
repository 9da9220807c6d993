"""Lambda and what calls it (policies/cost/functions.py): requests and duration on demand and on provisioned
environments, ephemeral storage, X-Ray traces, provisioned concurrency, schedules and each function's own usage."""

import math

import pytest
from pytest import approx

from policies.cost.model import project
from policies.cost.plan import FUNCTION, PIPELINE, PROVISIONED_CONCURRENCY, UNKNOWN, Resource
from policies.cost.usage import FunctionUsage
from tests.policies.cost.builders import (ACCOUNT, PRICES, REGION, charge, function, invoke, kms_key, line, pipeline,
                                          priced, provisioned, resource, schedule, served, source, stack_function,
                                          url, usage)


# Lambda on demand.

@pytest.mark.parametrize("architecture, requests_usd, duration_usd", [
    # 1,000,000 requests × $1/M = $1; 1,000,000 × 0.1 s × 2 GB = 200,000 GB-s × $0.00001 = $2
    ("arm64", 1.00, 2.00),
    # 1,000,000 requests × $2/M = $2; 200,000 GB-s × $0.00002 = $4
    ("x86_64", 2.00, 4.00),
])
def test_function_reached_through_its_url_serves_the_usage_requests(architecture, requests_usd, duration_usd):
    item = line(priced(served(architectures=[architecture])), FUNCTION)
    assert [c.usd for c in item.charges] == [approx(requests_usd), approx(duration_usd)]
    assert "1,000,000 requests (through its URL)" in item.basis


def test_function_without_architecture_or_memory_runs_x86_64_with_128_mb():
    # Lambda's defaults: x86_64, 128 MB. $2 of requests + 1,000,000 × 0.1 s × 0.125 GB = 12,500 GB-s × $0.00002 = $0.25
    fn = resource(FUNCTION, "fn", {"name": "fn", "packageType": "Image"})
    assert line(priced([fn, url()]), FUNCTION).usd == approx(2.25)


def test_function_nothing_calls_costs_nothing_and_says_why():
    item = line(priced([function()]), FUNCTION)
    assert item.usd == 0
    assert item.basis == "no requests (nothing in this stack calls it)"


def test_function_a_pipeline_invokes_runs_once_a_run_for_at_most_its_timeout():
    # 10 runs × 1 invocation (1 minute of scan) = 10 requests × $1/M = $0.00001;
    # 10 × 60 s (its timeout) × 0.25 GB = 150 GB-s × $0.00001 = $0.0015; URL traffic is not its
    gate = function("gate", memorySize=256, timeout=60)
    item = line(priced([gate, pipeline(source(), invoke("gate"))]), FUNCTION, "gate")
    assert item.usd == approx(0.00151)
    assert "10 requests (1 action a pipeline run, called about once a minute for its 1 minutes)" in item.basis


def test_issue_24_a_gate_that_waits_for_the_scan_is_called_again_each_minute_and_its_action_bills_the_wait():
    """The scan gate answers at once and CodePipeline calls it again while ECR scans: its action bills until the
    scan is done, not one minute."""
    # 10 runs × 6 minutes of scan = 60 calls × $1/M = $0.00006; 60 × 60 s × 0.25 GB = 900 GB-s × $0.00001 = $0.009
    gate = function("gate", memorySize=256, timeout=60)
    result = priced([gate, pipeline(source(), invoke("gate"))], usage(scan_minutes_per_run=6))
    assert line(result, FUNCTION, "gate").usd == approx(0.00906)
    # Per run: source 1 + the gate's 6 = 7 action minutes; 10 runs × 7 = 70 × $0.002 = $0.14
    assert line(result, PIPELINE, "delivery").usd == approx(0.14)


# Provisioned concurrency.

def test_provisioned_concurrency_config_bills_count_by_memory_all_month():
    # 2 environments × 2 GB × 2,628,000 s (730 h) × $0.000004 = $42.048
    item = line(priced([*served(), provisioned(2)]), PROVISIONED_CONCURRENCY)
    assert item.usd == approx(42.048)
    assert item.basis == "2 × 2048 MB × 730 h provisioned, arm64"


def test_provisioned_config_takes_the_architecture_of_its_function():
    # 2 × 2 GB × 2,628,000 s × $0.000005 (x86_64) = $52.56
    item = line(priced([*served(architectures=["x86_64"]), provisioned(2)]), PROVISIONED_CONCURRENCY)
    assert item.usd == approx(52.56)


def test_calls_that_fit_the_provisioned_environments_run_at_the_provisioned_duration_price():
    # Busy on average: 1,000,000 × 0.1 s / 2,628,000 s = 0.038 environments ≤ 2 provisioned: all calls on them.
    # $1 of requests + 200,000 GB-s × $0.000008 = $1.60; no on-demand duration.
    item = line(priced([*served(), provisioned(2)]), FUNCTION)
    assert [c.usd for c in item.charges] == [approx(1.00), approx(1.60)]
    assert "on provisioned environments" in item.charges[1].basis


def test_calls_beyond_the_provisioned_environments_spill_over_to_on_demand():
    # 2,628,000 requests × 2 s = 2 environments busy on average, 1 provisioned: 1/2 of the calls on it.
    # requests: 2,628,000 × $1/M = $2.628
    # on demand: 1,314,000 × 2 s × 1 GB = 2,628,000 GB-s × $0.00001 = $26.28
    # provisioned: 1,314,000 × 2 s × 1 GB = 2,628,000 GB-s × $0.000008 = $21.024
    result = priced([*served(memorySize=1024), provisioned(1)],
                    usage(requests_per_month=2_628_000, average_duration_ms=2000))
    item = line(result, FUNCTION)
    assert [c.usd for c in item.charges] == [approx(2.628), approx(26.28), approx(21.024)]
    assert item.charges[1].basis.startswith("1,314,000 × 2000 ms")


def test_provisioned_environments_without_traffic_still_cost_their_month():
    result = priced([*served(), provisioned(2)], usage(requests_per_month=0))
    assert line(result, PROVISIONED_CONCURRENCY).usd == approx(42.048)
    assert line(result, FUNCTION).usd == 0
    assert result.total == approx(42.048)


def test_free_tier_never_covers_provisioned_concurrency():
    # Config: 2 × 2 GB × 2,628,000 s × $0.000004 = $42.048; calls on it: 200,000 GB-s × $0.000008 = $1.60
    result = priced([*served(), provisioned(2)], usage(free_tier=True))
    assert line(result, PROVISIONED_CONCURRENCY).usd == approx(42.048)
    assert charge(line(result, FUNCTION), "on provisioned environments").usd == approx(1.60)


def test_free_tier_does_not_apply_to_a_function_with_provisioned_concurrency():
    # As in the spill-over test: $2.628 + $26.28 + $21.024 = $49.932, free tier or not
    result = priced([*served(memorySize=1024), provisioned(1)],
                    usage(requests_per_month=2_628_000, average_duration_ms=2000, free_tier=True))
    assert line(result, FUNCTION).usd == approx(49.932)


def test_provisioned_count_not_known_leaves_the_rest_summed():
    result = priced([*served(), provisioned(UNKNOWN), kms_key()])
    assert line(result, PROVISIONED_CONCURRENCY).usd is None
    # Which calls run on provisioned environments depends on the count too.
    assert line(result, FUNCTION).usd is None
    assert result.partial and result.total == approx(1.00)


# Ephemeral storage.

def test_ephemeral_storage_above_512_mb_is_billed_while_running():
    # (2560 - 512) / 1024 = 2 GB × 1,000,000 × 0.1 s = 200,000 GB-s × $0.0000001 = $0.02
    item = line(priced(served(ephemeralStorage={"size": 2560})), FUNCTION)
    assert charge(item, "/tmp").usd == approx(0.02)
    assert item.usd == approx(3.02)


def test_ephemeral_storage_of_512_mb_is_included():
    assert len(line(priced(served()), FUNCTION).charges) == 2


# X-Ray.

def recorded(requests: float, busy_seconds: float) -> float:
    """X-Ray's default sampling of calls arriving at random (Poisson) over `busy_seconds`: a second with a call
    (probability 1 - e^-r at r calls a second) records its first, and 5% of the rest are recorded."""
    first = busy_seconds * (1 - math.exp(-requests / busy_seconds))
    return first + 0.05 * (requests - first)


@pytest.mark.parametrize("requests, busy_hours, traces", [
    # 1,000,000 calls over the month's 2,628,000 s: r = 0.3805 a second, 1 - e^-r = 0.3165 of the seconds hold one
    (1_000_000, 24, recorded(1_000_000, 2_628_000)),    # 831,742 + 5% × 168,258 = 840,155 traces
    (12_628_000, 24, recorded(12_628_000, 2_628_000)),  # r = 4.805: 2,606,484 + 5% × 10,021,516 = 3,107,560
    # 12 busy hours a day: the same calls in 1,314,000 s, r = 0.761: fewer seconds hold a call, fewer are first
    (1_000_000, 12, recorded(1_000_000, 1_314_000)),    # 700,122 + 5% × 299,878 = 715,116
])
def test_issue_24_active_tracing_records_the_default_sampling_of_the_traffics_shape(requests, busy_hours, traces):
    """Issue 24: the 1-a-second reservoir was counted for every second of the month, as if calls came evenly."""
    item = line(priced(served(tracingConfig={"mode": "Active"}),
                       usage(requests_per_month=requests, busy_hours_per_day=busy_hours)), FUNCTION)
    assert charge(item, "traces recorded").usd == approx(traces * 0.000005)  # $5 a million


def test_issue_24_traces_of_prods_traffic_are_fewer_than_the_reservoir_for_every_second():
    # prod: 3,000,000 calls. Evenly spaced: 2,628,000 + 5% × 372,000 = 2,646,600 recorded, the old figure, now the
    # bound the basis shows; at random all day: r = 1.1416, 1 - e^-r = 0.6807: 1,788,819 + 5% × 1,211,181 = 1,849,378
    item = line(priced(served(tracingConfig={"mode": "Active"}), usage(requests_per_month=3_000_000)), FUNCTION)
    traces = charge(item, "traces recorded")
    assert traces.usd == approx(recorded(3_000_000, 2_628_000) * 0.000005) and traces.usd < 2_646_600 * 0.000005
    assert "at most 2,646,600 were they evenly spaced" in traces.basis


def test_pass_through_tracing_records_nothing():
    assert not [c for c in line(priced(served()), FUNCTION).charges if "traces" in c.basis]


# Several functions: per-function usage, schedules.

def live_alias(function_resource: Resource) -> Resource:
    return resource("aws:lambda/alias:Alias", function_resource.name, {
        "name": "live", "functionName": function_resource.props["name"], "functionVersion": "1"})


def test_a_scheduled_function_is_priced_from_its_schedule_through_its_alias():
    # rate(5 minutes): 730 × 12 = 8,760 calls a month; 200 ms × 0.5 GB = 0.1 GB-s each:
    # 876 GB-s × $0.00001 = $0.00876
    # + 8,760 × $1/M = $0.00876 of requests; the schedule: 8,760 invocations × $1/M = $0.00876
    worker = stack_function("worker", memorySize=512)
    alias = live_alias(worker)
    use = usage(functions=(("worker", FunctionUsage(average_duration_ms=200)),))
    result = priced([worker, alias, schedule("rate(5 minutes)", alias.urn)], use)
    item = line(result, FUNCTION, "worker")
    assert [c.usd for c in item.charges] == [approx(0.00876), approx(0.00876)]
    assert "8,760 requests (rate(5 minutes): 8,760 a month)" in item.basis and "200 ms" in item.basis
    assert line(result, "aws:scheduler/schedule:Schedule", "worker").usd == approx(0.00876)


def test_a_schedule_found_by_the_functions_arn_and_a_disabled_one_invokes_nothing():
    worker = stack_function("worker")
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:lambdakit-prod-worker:live"
    assert line(priced([worker, schedule("rate(1 hour)", arn=arn)]), FUNCTION, "worker").charges[0].usd == \
        approx(730 * 0.000001)
    assert line(priced([worker, schedule("rate(1 hour)", arn=arn, state="DISABLED")]), FUNCTION, "worker").usd == 0


def test_a_functions_own_requests_keep_it_from_its_schedule_and_the_stacks_traffic():
    # its own 50,000 calls × $1/M = $0.05; × 0.1 s × 2 GB = 10,000 GB-s × $0.00001 = $0.10
    worker = stack_function("worker")
    use = usage(functions=(("worker", FunctionUsage(requests_per_month=50_000)),))
    item = line(priced([worker, live_alias(worker), schedule("rate(1 minute)", live_alias(worker).urn)], use),
                FUNCTION, "worker")
    assert item.usd == approx(0.15) and "its own usageRequestsPerMonth" in item.basis


def test_each_function_behind_a_url_takes_its_own_usage_over_the_stacks():
    # api: its own 3,000,000 × $1/M = $3 + 3,000,000 × 0.12 s × 2 GB = 720,000 GB-s × $0.00001 = $7.20
    # admin: the stack's 1,000,000 × 100 ms: $1 + $2
    api, admin = stack_function("api"), stack_function("admin")
    use = usage(functions=(("api", FunctionUsage(requests_per_month=3_000_000, average_duration_ms=120)),))
    result = priced([api, url("lambdakit-prod-api"), admin, url("lambdakit-prod-admin")], use)
    assert line(result, FUNCTION, "api").usd == approx(10.20)
    assert line(result, FUNCTION, "admin").usd == approx(3.00)


def test_traffic_projections_scale_each_functions_own_requests_but_not_schedules():
    api, worker = stack_function("api"), stack_function("worker")
    use = usage(functions=(("api", FunctionUsage(requests_per_month=2_000_000)),))
    resources = [api, url("lambdakit-prod-api"), worker, live_alias(worker),
                 schedule("rate(1 hour)", live_alias(worker).urn)]
    tenfold = project(resources, use, PRICES).by_traffic[10]
    assert line(tenfold, FUNCTION, "api").charges[0].usd == approx(20.00)      # 20,000,000 × $1/M
    assert line(tenfold, FUNCTION, "worker").charges[0].usd == approx(0.00073)  # 730 × $1/M, as at 1×
