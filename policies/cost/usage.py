"""The usage a plan cannot know: how busy the stack's functions and its pipeline are. Stack settings
(`usage*` in Pulumi.yaml, where the defaults are), checked by settings.py against the bounds here and
read by the offline preview and by the pack from the stack's configuration.
"""

import json
from dataclasses import dataclass, fields, replace
from typing import Callable, Optional


@dataclass(frozen=True)
class Usage:
    """One month of use. Each field is the stack setting named in its metadata."""

    requests_per_month: int        # calls to each function that serves traffic
    average_duration_ms: int       # billed duration of one call (with its init when it starts cold)
    log_bytes_per_request: int     # what one call writes to its log group (Lambda's records included)
    pipeline_runs_per_month: int   # runs of the delivery pipeline (each pushes and scans an image)
    build_minutes_per_run: int     # average minutes of each CodeBuild build one run starts
    build_log_bytes_per_minute: int  # what a build writes to its log group per minute
    artifact_mb_per_run: int       # what one run stores in the artifact bucket (the source zip)
    free_tier: bool                # count the account's always-free allowances (alone in its account)

    def scaled(self, factor: int) -> "Usage":
        """The same month with `factor` times the traffic."""
        return replace(self, requests_per_month=self.requests_per_month * factor)


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
}
assert {f for f, _, _ in SETTINGS.values()} == {f.name for f in fields(Usage)}


def usage_from_config(value_of: Callable[[str], Optional[str]]) -> Optional[Usage]:
    """The usage in a stack's configuration (`value_of(key)` is the setting's text, as the CLI passes config),
    or None when any setting is missing or unreadable: the estimate is then partial, never a guess."""
    values = {}
    for key, (field, least, most) in SETTINGS.items():
        text = value_of(key)
        try:
            value = json.loads(text) if text is not None else None
        except ValueError:
            return None
        if least is None:
            if not isinstance(value, bool):
                return None
        elif isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            return None
        values[field] = value
    return Usage(**values)
