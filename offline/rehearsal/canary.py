"""The Canary actions: for each function, the release build starts a CodeDeploy deployment; CodeDeploy, with the
function's own role, gives the new version the canary's share of the alias, watches that function's deployment group
alarms minute by minute while the new version's calls become CloudWatch datapoints, and either rolls back (an alarm
in ALARM while it runs) or gives the new version all the traffic when the canary's minutes are over.

The canaries of one run go on side by side on one clock (run_canaries), each with its own traffic, metrics and
alarms: one function's rollback is its own."""

import math
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
    """What callers send one function's alias each minute (a schedule's few calls as a fraction), and how the new
    version answers."""

    calls_per_minute: float
    new_version_failure_percent: int = 0
    duration_ms: float = 120.0
    through_url: bool = True  # the calls come through the function's URL (its UrlRequestCount and Url5xxCount)


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


def _half_up(value: float) -> int:
    return math.floor(value + 0.5)


def calls_in_minute(rate: float, minute: int) -> int:
    """The whole calls of minute `minute` (from 0) at `rate` a minute: a schedule every five minutes calls once in
    every fifth minute."""
    return math.floor((minute + 1) * rate + 1e-9) - math.floor(minute * rate + 1e-9)


def shares(calls: int, percent: int, failure_percent: int) -> tuple[int, int]:
    """The new version's calls in a minute, and how many of them fail (whole calls, halves rounded up: the one call
    of a quiet minute goes to the new version at a 50% canary)."""
    new = _half_up(calls * percent / 100)
    return new, _half_up(new * failure_percent / 100)


def _emit(store: MetricStore, release: Release, traffic: Traffic, minute: int, at: float) -> None:
    """One minute of Lambda's metrics on the alias (FunctionName, Resource = function:alias), as Lambda publishes
    them: an invocation (and a URL request) per call, an error (and a 5xx) per failed one."""
    dimensions = {"FunctionName": release.function_name, "Resource": f"{release.function_name}:{release.alias}"}
    calls = calls_in_minute(traffic.calls_per_minute, minute)
    new, failed = shares(calls, release.percent, traffic.new_version_failure_percent)
    metrics = [("Invocations", 1, calls), ("Errors", 1, failed), ("Errors", 0, calls - failed), ("Throttles", 0, calls),
               ("Duration", traffic.duration_ms, calls)]
    if traffic.through_url:
        metrics += [("UrlRequestCount", 1, calls), ("Url5xxCount", 1, failed), ("Url5xxCount", 0, calls - failed)]
    for name, value, count in metrics:
        if count > 0:
            store.put(LAMBDA, name, dimensions, at, value, count=count)


class CanaryRun:
    """One function's canary, a minute at a time: begin(), then emit() and after_minute() until it has ended."""

    def __init__(self, authority: Authority, timeline: Timeline, release: Release, traffic: Traffic):
        self.authority, self.timeline, self.release, self.traffic = authority, timeline, release, traffic
        self.codedeploy: Optional[Principal] = None
        self.store = MetricStore()
        self.states = {alarm["name"]: INSUFFICIENT_DATA for alarm in release.alarms}
        self.outcome = CanaryOutcome(False)
        self._minute = 0

    def _call(self, action: str, resource: str) -> None:
        verdict = self.timeline.call(STAGE, self.authority.decide(self.codedeploy, action, resource))
        if not verdict.allowed:
            raise AwsRefusal(verdict.message())

    def _shift(self, version: str, weights: Optional[dict]) -> None:
        release = self.release
        self._call("lambda:GetAlias", release.function_arn)
        self._call("lambda:UpdateAlias", release.function_arn)
        self.authority.cloud.shift_alias(release.function_name, release.alias, version, weights)

    def begin(self) -> bool:
        """CodeDeploy assumes the function's role and gives the new version its share; False when it cannot."""
        release, timeline = self.release, self.timeline
        assumed = timeline.call(STAGE, self.authority.assume("codedeploy", release.role_arn,
                                                             release.deployment_group_arn))
        if not assumed.allowed:
            self.outcome.refused = assumed.message()
            return False
        self.codedeploy = self.authority.role(release.role_arn.rsplit("/", 1)[-1])
        self.outcome.canary_end = timeline.minute + release.minutes
        try:
            self._call("lambda:GetProvisionedConcurrencyConfig", f"{release.function_arn}:{release.alias}")
            self._shift(release.old_version, {release.new_version: release.percent / 100})
        except AwsRefusal as refusal:
            self.outcome.refused = str(refusal)
            return False
        timeline.event(STAGE, "codedeploy", f"{release.function_name} version {release.new_version} takes "
                                            f"{release.percent:g}% of {release.alias}",
                       f"the canary ends at {clock(self.outcome.canary_end)}")
        return True

    def emit(self) -> None:
        """This minute's calls, as the metrics Lambda publishes for them."""
        _emit(self.store, self.release, self.traffic, self._minute, self.timeline.epoch_seconds)
        self._minute += 1

    def _poll_alarms(self) -> bool:
        """CodeDeploy reads the group's alarms; True when one is in ALARM."""
        now, fired = self.timeline.epoch_seconds, self.outcome.alarms_fired
        for alarm in self.release.alarms:
            self._call("cloudwatch:DescribeAlarms", alarm["arn"])
            state = evaluate_alarm(alarm, self.store, now, self.states[alarm["name"]])
            self.states[alarm["name"]] = state.state
            if state.state == ALARM and alarm["name"] not in fired:
                fired[alarm["name"]] = self.timeline.minute
                self.timeline.event(STAGE, "cloudwatch", f"alarm {alarm['name']} is in ALARM", state.reason)
        return bool(fired)

    def after_minute(self) -> bool:
        """CodeDeploy's look at the deployment once the minute is over; True when the deployment has ended."""
        release, timeline, outcome = self.release, self.timeline, self.outcome
        try:
            if self._poll_alarms():
                for name, minute in outcome.alarms_fired.items():
                    timeline.event(STAGE, "codedeploy", f"{name} fired at {clock(minute)}, "
                                                        f"{clock(outcome.canary_end - minute)[1:]} before the "
                                                        f"canary's end ({clock(outcome.canary_end)})")
                self._shift(release.old_version, None)
                timeline.event(STAGE, "codedeploy", f"rolled back: {release.function_name}:{release.alias} is version "
                                                    f"{release.old_version} again", "DEPLOYMENT_STOP_ON_ALARM")
                outcome.rolled_back = True
                return True
            if timeline.minute < outcome.canary_end:
                return False
            self._shift(release.new_version, None)
        except AwsRefusal as refusal:
            outcome.refused = str(refusal)
            return True
        timeline.event(STAGE, "codedeploy", f"{release.function_name} version {release.new_version} takes all the "
                                            f"traffic of {release.alias}")
        outcome.released = True
        return True


def run_canaries(runs: list[CanaryRun], timeline: Timeline) -> None:
    """The run's canaries side by side: each minute every running one gets its calls, the clock moves on, and
    CodeDeploy looks at each deployment; until every one has ended."""
    running = [run for run in runs if run.begin()]
    while running:
        for run in running:
            run.emit()
        timeline.advance(POLL_MINUTES)
        running = [run for run in running if not run.after_minute()]
