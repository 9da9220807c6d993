"""The usage a plan cannot know: how busy the stack's functions and its pipeline are, and how often people look at
its logs. Stack settings (`usage*` in Pulumi.yaml, where the defaults are), checked by settings.py against the
bounds here and read by the offline preview and by the pack from the stack's configuration.

A stack of several functions (`<project>:functions`, an object of each function's settings by its short name) may
set a function's own `usageRequestsPerMonth`, `usageAverageDurationMs` and `usageLogBytesPerRequest`; what a
function does not set is the stack-wide value.
"""

import json
from dataclasses import dataclass, fields, replace
from typing import Any, Callable, Mapping, Optional


@dataclass(frozen=True)
class FunctionUsage:
    """One function's own usage settings; None: not set for it (the stack-wide value applies)."""

    requests_per_month: Optional[int] = None
    average_duration_ms: Optional[int] = None
    log_bytes_per_request: Optional[int] = None


@dataclass(frozen=True)
class Usage:
    """One month of use. Each field is the stack setting named in SETTINGS."""

    requests_per_month: int        # calls to each function that serves traffic
    average_duration_ms: int       # billed duration of one call (with its init when it starts cold)
    log_bytes_per_request: int     # what one call writes to its log group (Lambda's records included)
    pipeline_runs_per_month: int   # runs of the delivery pipeline (each pushes and scans an image)
    build_minutes_per_run: int     # average minutes of each CodeBuild build one run starts
    build_log_bytes_per_minute: int  # what a build writes to its log group per minute
    artifact_mb_per_run: int       # what one run stores in the artifact bucket (the source zip)
    free_tier: bool                # count the account's always-free allowances (alone in its account)
    busy_hours_per_day: int = 24   # the hours of a day the traffic comes in (24: spread over the whole day)
    dashboard_views_per_month: int = 300   # dashboard loads and refreshes (each runs its log widgets' queries)
    log_query_runs_per_month: int = 30     # runs of each saved Logs Insights query
    log_query_hours: int = 24              # the time range one run of a saved query scans
    scan_minutes_per_run: int = 5          # minutes the scan gate waits for ECR's scan, each pipeline run
    # Each function's own settings, by its short name (`<project>:functions`); empty when the stack sets none.
    functions: tuple[tuple[str, FunctionUsage], ...] = ()

    def scaled(self, factor: int) -> "Usage":
        """The same month with `factor` times the traffic (the stack's and each function's own requests)."""
        return replace(self, requests_per_month=self.requests_per_month * factor, functions=tuple(
            (name, replace(own, requests_per_month=own.requests_per_month * factor)
             if own.requests_per_month is not None else own) for name, own in self.functions))

    def own(self, short_name: str) -> FunctionUsage:
        """A function's own settings (all None when the stack sets none for it)."""
        return dict(self.functions).get(short_name, FunctionUsage())


# Stack setting -> (field, least, most): one place for what each setting may be.
SETTINGS = {
    "usageRequestsPerMonth": ("requests_per_month", 0, 10**12),
    "usageAverageDurationMs": ("average_duration_ms", 1, 900_000),  # Lambda's longest timeout
    "usageLogBytesPerRequest": ("log_bytes_per_request", 0, 10**7),
    "usagePipelineRunsPerMonth": ("pipeline_runs_per_month", 0, 100_000),
    "usageBuildMinutesPerRun": ("build_minutes_per_run", 1, 2160),  # CodeBuild's longest build timeout
    "usageBuildLogBytesPerMinute": ("build_log_bytes_per_minute", 0, 10**9),
    "usageArtifactMbPerRun": ("artifact_mb_per_run", 0, 10**5),
    "usageFreeTier": ("free_tier", None, None),
    "usageBusyHoursPerDay": ("busy_hours_per_day", 1, 24),
    "usageDashboardViewsPerMonth": ("dashboard_views_per_month", 0, 10**7),
    "usageLogQueryRunsPerMonth": ("log_query_runs_per_month", 0, 10**7),
    "usageLogQueryHours": ("log_query_hours", 1, 24 * 366),
    "usageScanMinutesPerRun": ("scan_minutes_per_run", 1, 1440),  # CodePipeline ends a Lambda action after 24 h
}
# Settings newer than the stack files may be: when absent, each is its default (Usage's, as Pulumi.yaml will say).
DEFAULTS = {key: next(f.default for f in fields(Usage) if f.name == SETTINGS[key][0])
            for key in ("usageBusyHoursPerDay", "usageDashboardViewsPerMonth", "usageLogQueryRunsPerMonth",
                        "usageLogQueryHours", "usageScanMinutesPerRun")}
# The usage settings a function of `<project>:functions` may set for itself, and the field each sets.
FUNCTION_SETTINGS = {key: SETTINGS[key][0]
                     for key in ("usageRequestsPerMonth", "usageAverageDurationMs", "usageLogBytesPerRequest")}
FUNCTIONS_KEY = "functions"
assert {f for f, _, _ in SETTINGS.values()} == {f.name for f in fields(Usage)} - {"functions"}


def _read(key: str, value: Any) -> Any:
    """The setting's value when it is within its bounds; `ValueError` otherwise."""
    _, least, most = SETTINGS[key]
    if least is None:
        if not isinstance(value, bool):
            raise ValueError(key)
    elif isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise ValueError(key)
    return value


def _functions(text: Optional[str]) -> tuple[tuple[str, FunctionUsage], ...]:
    """Each function's own usage settings from `<project>:functions` (JSON text); the other keys of a function's
    settings are the program's, not the estimate's."""
    if text is None:
        return ()
    functions = json.loads(text)
    if not isinstance(functions, Mapping):
        raise ValueError(FUNCTIONS_KEY)
    own = []
    for name, settings in sorted(functions.items()):
        if not isinstance(settings, Mapping):
            raise ValueError(FUNCTIONS_KEY)
        values = {field: _read(key, settings[key]) for key, field in FUNCTION_SETTINGS.items()
                  if settings.get(key) is not None}
        if values:
            own.append((name, FunctionUsage(**values)))
    return tuple(own)


def usage_from_config(value_of: Callable[[str], Optional[str]]) -> Optional[Usage]:
    """The usage in a stack's configuration (`value_of(key)` is the setting's text, as the CLI passes config),
    or None when any setting is missing or unreadable: the estimate is then partial, never a guess. The settings
    in DEFAULTS may be absent (their default applies); each function's own settings come from `functions`."""
    values = {}
    try:
        for key, (field, _, _) in SETTINGS.items():
            text = value_of(key)
            if text is None and key in DEFAULTS:
                continue
            values[field] = _read(key, json.loads(text) if text is not None else None)
        values["functions"] = _functions(value_of(FUNCTIONS_KEY))
    except ValueError:  # json's errors are ValueErrors too
        return None
    return Usage(**values)
