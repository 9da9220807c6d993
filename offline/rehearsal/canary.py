"""The Canary action: the release build starts a CodeDeploy deployment; CodeDeploy, with its own role, gives the new
version the canary's share of the alias, watches the deployment group's alarms minute by minute while the new
version's calls become CloudWatch datapoints, and either rolls back (an alarm in ALARM while it runs) or gives the
new version all the traffic when the canary's minutes are over."""

from dataclasses import dataclass, field
from typing import Optional

from aws_account.alarm_evaluation import ALARM, INSUFFICIENT_DATA, MetricStore, evaluate_alarm
from aws_account.authority import Authority, Principal
from aws_account.refusals import AwsRefusal
from offline.rehearsal.timeline import Timeline, clock

STAGE = "Canary"
LAMBDA = "AWS/Lambda"
# CodeDeploy documents no polling interval for a deployment group's alarms; it is taken as once a minute, the
# alarms' own evaluation cadence.
POLL_MINUTES = 1


@dataclass(frozen=True)
class Traffic:
    """What callers send the alias each minute, and how the new version answers."""

    calls_per_minute: int
    new_version_failure_percent: int = 0
    duration_ms: float = 120.0


@dataclass
class CanaryOutcome:
    released: bool  # the new version has all the traffic
    rolled_back: bool = False
    alarms_fired: dict[str, float] = field(default_factory=dict)  # alarm name -> minute it was first in ALARM
    canary_end: float = 0.0  # the minute the canary would have ended
    refused: str = ""


@dataclass(frozen=True)
class Release:
    function_name: str
    function_arn: str
    alias: str
    old_version: str
    new_version: str
    percent: int
    minutes: int
    role_arn: str  # CodeDeploy's service role
    deployment_group_arn: str
    alarms: tuple[dict, ...]  # the deployment group's alarms, as the program registered them


def _shares(calls: int, percent: int, failure_percent: int) -> tuple[int, int]:
    """The new version's calls in a minute, and how many of them fail (whole calls, rounded)."""
    new = round(calls * percent / 100)
    return new, round(new * failure_percent / 100)


def _emit(store: MetricStore, release: Release, traffic: Traffic, percent: int, at: float) -> None:
    """One minute of Lambda's metrics on the alias (FunctionName, Resource = function:alias), as Lambda publishes
    them: an invocation and a URL request per call, an error and a 5xx per failed one."""
    dimensions = {"FunctionName": release.function_name, "Resource": f"{release.function_name}:{release.alias}"}
    new, failed = _shares(traffic.calls_per_minute, percent, traffic.new_version_failure_percent)
    calls = traffic.calls_per_minute
    for name, value, count in (("Invocations", 1, calls), ("UrlRequestCount", 1, calls), ("Errors", 1, failed),
                               ("Errors", 0, calls - failed), ("Url5xxCount", 1, failed),
                               ("Url5xxCount", 0, calls - failed), ("Throttles", 0, calls),
                               ("Duration", traffic.duration_ms, calls)):
        if count > 0:
            store.put(LAMBDA, name, dimensions, at, value, count=count)


class CanaryRun:
    def __init__(self, authority: Authority, timeline: Timeline, release: Release, traffic: Traffic):
        self.authority, self.timeline, self.release, self.traffic = authority, timeline, release, traffic
        self.codedeploy: Optional[Principal] = None
        self.store = MetricStore()
        self.states = {alarm["name"]: INSUFFICIENT_DATA for alarm in release.alarms}

    def _call(self, action: str, resource: str) -> None:
        verdict = self.timeline.call(STAGE, self.authority.decide(self.codedeploy, action, resource))
        if not verdict.allowed:
            raise AwsRefusal(verdict.message())

    def _shift(self, version: str, weights: Optional[dict]) -> None:
        release = self.release
        self._call("lambda:GetAlias", release.function_arn)
        self._call("lambda:UpdateAlias", release.function_arn)
        self.authority.cloud.shift_alias(release.function_name, release.alias, version, weights)

    def _poll_alarms(self, outcome: CanaryOutcome) -> bool:
        """CodeDeploy reads the group's alarms; True when one is in ALARM."""
        now = self.timeline.epoch_seconds
        for alarm in self.release.alarms:
            self._call("cloudwatch:DescribeAlarms", alarm["arn"])
            state = evaluate_alarm(alarm, self.store, now, self.states[alarm["name"]])
            self.states[alarm["name"]] = state.state
            if state.state == ALARM and alarm["name"] not in outcome.alarms_fired:
                outcome.alarms_fired[alarm["name"]] = self.timeline.minute
                self.timeline.event(STAGE, "cloudwatch", f"alarm {alarm['name']} is in ALARM", state.reason)
        return bool(outcome.alarms_fired)

    def run(self) -> CanaryOutcome:
        release, timeline = self.release, self.timeline
        assumed = timeline.call(STAGE, self.authority.assume("codedeploy", release.role_arn,
                                                             release.deployment_group_arn))
        if not assumed.allowed:
            return CanaryOutcome(False, refused=assumed.message())
        self.codedeploy = self.authority.role(release.role_arn.rsplit("/", 1)[-1])
        outcome = CanaryOutcome(False, canary_end=timeline.minute + release.minutes)
        try:
            self._call("lambda:GetProvisionedConcurrencyConfig", f"{release.function_arn}:{release.alias}")
            self._shift(release.old_version, {release.new_version: release.percent / 100})
            timeline.event(STAGE, "codedeploy", f"version {release.new_version} takes {release.percent:g}% of "
                                                f"{release.alias}", f"the canary ends at {clock(outcome.canary_end)}")
            while timeline.minute < outcome.canary_end:
                _emit(self.store, release, self.traffic, release.percent, timeline.epoch_seconds)
                timeline.advance(POLL_MINUTES)
                if self._poll_alarms(outcome):
                    for name, minute in outcome.alarms_fired.items():
                        timeline.event(STAGE, "codedeploy", f"{name} fired at {clock(minute)}, "
                                                            f"{clock(outcome.canary_end - minute)[1:]} before the "
                                                            f"canary's end ({clock(outcome.canary_end)})")
                    self._shift(release.old_version, None)
                    timeline.event(STAGE, "codedeploy", f"rolled back: {release.alias} is version "
                                                        f"{release.old_version} again", "DEPLOYMENT_STOP_ON_ALARM")
                    outcome.rolled_back = True
                    return outcome
            self._shift(release.new_version, None)
        except AwsRefusal as refusal:
            outcome.refused = str(refusal)
            return outcome
        timeline.event(STAGE, "codedeploy", f"version {release.new_version} takes all the traffic of {release.alias}")
        outcome.released = True
        return outcome
