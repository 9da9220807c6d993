"""The usage settings as the CLI passes stack config (text, JSON-encoded), and the region the prices are for."""

import pytest

from policies.cost.stack import region_of, stack_inputs
import json

from policies.cost.usage import DEFAULTS, SETTINGS, FunctionUsage, Usage, usage_from_config

CONFIG = {
    "usageRequestsPerMonth": "3000000",
    "usageAverageDurationMs": "120",
    "usageLogBytesPerRequest": "1000",
    "usagePipelineRunsPerMonth": "40",
    "usageBuildMinutesPerRun": "6",
    "usageBuildLogBytesPerMinute": "20000",
    "usageArtifactMbPerRun": "5",
    "usageFreeTier": "true",
}
USAGE = Usage(requests_per_month=3_000_000, average_duration_ms=120, log_bytes_per_request=1000,
              pipeline_runs_per_month=40, build_minutes_per_run=6, build_log_bytes_per_minute=20_000,
              artifact_mb_per_run=5, free_tier=True)


def read(**changes):
    """The usage of CONFIG with some settings changed (None: not set)."""
    config = {**CONFIG, **changes}
    return usage_from_config(config.get)


def test_reads_every_setting():
    assert read() == USAGE
    assert read(usageFreeTier="false").free_tier is False


@pytest.mark.parametrize("key", sorted(set(SETTINGS) - set(DEFAULTS)))
def test_missing_setting_gives_no_usage(key):
    assert read(**{key: None}) is None


def test_settings_newer_than_the_stack_files_take_their_defaults_when_absent():
    """Issue 24's settings (busy hours, dashboard views, saved query runs, scan minutes) are read with their
    defaults until the stack settings declare them."""
    assert DEFAULTS == {"usageBusyHoursPerDay": 24, "usageDashboardViewsPerMonth": 300,
                        "usageLogQueryRunsPerMonth": 30, "usageLogQueryHours": 24, "usageScanMinutesPerRun": 5}
    assert read() == USAGE and USAGE.busy_hours_per_day == 24 and USAGE.scan_minutes_per_run == 5
    given = read(usageBusyHoursPerDay="10", usageDashboardViewsPerMonth="0", usageLogQueryRunsPerMonth="4",
                 usageLogQueryHours="168", usageScanMinutesPerRun="12")
    assert (given.busy_hours_per_day, given.dashboard_views_per_month, given.log_query_runs_per_month,
            given.log_query_hours, given.scan_minutes_per_run) == (10, 0, 4, 168, 12)


@pytest.mark.parametrize("key, text", [("usageBusyHoursPerDay", "0"), ("usageBusyHoursPerDay", "25"),
                                       ("usageScanMinutesPerRun", "0"), ("usageLogQueryHours", "0"),
                                       ("usageDashboardViewsPerMonth", "-1")])
def test_a_new_setting_out_of_bounds_gives_no_usage(key, text):
    assert read(**{key: text}) is None


FUNCTIONS = {"api": {"memoryMb": 2048, "usageRequestsPerMonth": 3000000, "usageAverageDurationMs": 120},
             "worker": {"schedule": "rate(5 minutes)", "functionUrlAuthType": "OFF", "usageAverageDurationMs": 300},
             "webhook": {"memoryMb": 1024}}


def test_each_functions_own_usage_comes_from_the_functions_setting():
    usage = read(functions=json.dumps(FUNCTIONS))
    assert usage.functions == (("api", FunctionUsage(3_000_000, 120, None)),
                               ("worker", FunctionUsage(None, 300, None)))
    assert usage.own("webhook") == FunctionUsage() and usage.own("missing") == FunctionUsage()
    assert read().functions == ()  # no `functions`: one function, the stack-wide usage


@pytest.mark.parametrize("functions", ['"api"', "[1]", '{"api": 3}', '{"api": {"usageAverageDurationMs": 0}}',
                                       '{"api": {"usageRequestsPerMonth": "many"}}', "{"])
def test_a_functions_setting_the_estimate_cannot_read_gives_no_usage(functions):
    assert read(functions=functions) is None


def test_scaled_multiplies_each_functions_own_requests_too():
    scaled = read(functions=json.dumps(FUNCTIONS)).scaled(10)
    assert scaled.own("api").requests_per_month == 30_000_000 and scaled.own("worker").requests_per_month is None


@pytest.mark.parametrize("key, text", [
    ("usageAverageDurationMs", "0"), ("usageAverageDurationMs", "900001"),    # 1 ms .. Lambda's 15 min
    ("usageRequestsPerMonth", "-1"), ("usageRequestsPerMonth", str(10 ** 12 + 1)),
    ("usageBuildMinutesPerRun", "0"), ("usageBuildMinutesPerRun", "2161"),    # 1 .. CodeBuild's 36 h
    ("usagePipelineRunsPerMonth", "100001"),
])
def test_setting_out_of_bounds_gives_no_usage(key, text):
    assert read(**{key: text}) is None


@pytest.mark.parametrize("key, text, value", [
    ("usageAverageDurationMs", "1", 1), ("usageAverageDurationMs", "900000", 900_000),
    ("usageRequestsPerMonth", "0", 0), ("usageBuildMinutesPerRun", "2160", 2160),
])
def test_setting_at_its_bounds_is_read(key, text, value):
    field = SETTINGS[key][0]
    assert getattr(read(**{key: text}), field) == value


@pytest.mark.parametrize("key, text", [
    ("usageRequestsPerMonth", "1.5"), ("usageRequestsPerMonth", "1e6"),  # not whole
    ("usageRequestsPerMonth", "true"),                                 # a bool is no count
    ("usageRequestsPerMonth", '"100"'), ("usageRequestsPerMonth", "null"),
    ("usageRequestsPerMonth", "lots"), ("usageRequestsPerMonth", ""),    # not JSON
    ("usageFreeTier", "1"), ("usageFreeTier", '"true"'), ("usageFreeTier", "True"),
])
def test_setting_of_the_wrong_type_gives_no_usage(key, text):
    assert read(**{key: text}) is None


def test_scaled_multiplies_the_requests_only():
    scaled = USAGE.scaled(10)
    assert scaled == Usage(**{**USAGE.__dict__, "requests_per_month": 30_000_000})
    assert USAGE.requests_per_month == 3_000_000


@pytest.mark.parametrize("config, environ, region", [
    ({"aws:region": "eu-west-1"}, {"AWS_REGION": "us-east-1"}, "eu-west-1"),
    ({}, {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "eu-west-1"}, "us-east-1"),
    ({}, {"AWS_DEFAULT_REGION": "eu-west-1"}, "eu-west-1"),
    ({}, {}, ""),
])
def test_region_as_the_provider_picks_it(config, environ, region):
    assert region_of(config.get, environ) == region


def test_stack_inputs_read_the_projects_settings_and_its_regions_prices():
    config = {"aws:region": "us-east-1", **{f"lambdakit:{key}": text for key, text in CONFIG.items()}}
    usage, prices = stack_inputs(config.get, "lambdakit", {})
    assert usage == USAGE
    assert prices.region == "us-east-1" and "kms.key" in prices.prices
    assert stack_inputs(config.get, "other-project", {})[0] is None
