"""What a played scenario came to, and the checks of it: each returns None when the scenario came to what it must,
else what went otherwise."""

from dataclasses import dataclass, field
from typing import Callable, Optional

from aws_account.account import SimulatedCloud
from offline.rehearsal.ending import CANCELED
from offline.rehearsal.execution import Execution
from offline.rehearsal.timeline import Timeline

Check = Callable[["Played"], Optional[str]]


@dataclass
class Played:
    executions: list[Execution]
    timeline: Timeline
    cloud: SimulatedCloud
    settings: object  # the commit's StackSettings
    images_before: dict[str, str] = field(default_factory=dict)  # function name -> imageUri before the commit


def served(function) -> bool:
    """A function with a URL: people call it, often enough for its rate alarms to judge a canary."""
    return function.has_url


def unserved(function) -> bool:
    return not function.has_url


def no_function(function) -> bool:
    return False


def ended(status: str, stage: str = "") -> Check:
    def check(played: Played) -> Optional[str]:
        last = played.executions[-1]
        if last.status != status or (stage and last.stage != stage):
            return f"the execution ended {last.status} at {last.stage} ({last.reason}); expected {status}" + \
                (f" at {stage}" if stage else "")
        return None
    return check


def all_of(*checks: Check) -> Check:
    return lambda played: next((problem for check in checks if (problem := check(played))), None)


def picked(played: Played, which: Callable[[object], bool]) -> list:
    return [function for function in played.settings.functions if which(function)]


def live(played: Played, function_name: str) -> dict:
    return next(r.outputs for r in played.cloud._resources_of("aws:lambda/alias:Alias")
                if r.outputs["functionName"] == function_name)


def deployed_image(played: Played, function_name: str) -> str:
    """The imageUri the function runs in the account now."""
    return next(r.outputs["imageUri"] for r in played.cloud._resources_of("aws:lambda/function:Function")
                if r.outputs["name"] == function_name)


def live_runs_newest(which: Callable[[object], bool]) -> Check:
    """Each picked function's alias runs, all on it, the version the last `up` left it with: its release stands."""
    def check(played: Played) -> Optional[str]:
        functions = picked(played, which)
        if not functions:
            return "the stack has no such function to release"
        for function in functions:
            alias, newest = live(played, function.function_name), played.executions[-1].versions.get(
                function.function_name)
            if alias["functionVersion"] != newest or (alias.get("routingConfig") or {}).get("additionalVersionWeights"):
                return (f"{function.function_name}'s live alias runs {alias['functionVersion']} "
                        f"({alias.get('routingConfig')}), not all on {newest}")
        return None
    return check


def rolled_back_in_time(which: Callable[[object], bool]) -> Check:
    """In the newest execution of a commit (not a stage's rollback), each picked function's canary was rolled back
    by an alarm that fired while it ran."""
    def check(played: Played) -> Optional[str]:
        pushed = next(e for e in reversed(played.executions) if e.kind == "STANDARD")
        for function in picked(played, which):
            canary = pushed.canaries.get(function.function_name)
            if canary is None or not canary.rolled_back:
                return f"the failing version of {function.function_name} was not rolled back"
            if late := [name for name, minute in canary.alarms_fired.items() if minute >= canary.canary_end]:
                return f"alarms fired after the canary's end: {late}"
        return None
    return check


def rolled_back_alone(failing: Callable[[object], bool], standing: Callable[[object], bool]) -> Check:
    """The execution failed at its canaries: each failing function was rolled back in time, and each standing one's
    release stands."""
    return all_of(ended("Failed", "Canary"), rolled_back_in_time(failing), live_runs_newest(standing))


def kept(which: Callable[[object], bool]) -> Check:
    """Each picked function's image was not built again and it runs what it ran: nothing of it was released."""
    def check(played: Played) -> Optional[str]:
        last = played.executions[-1]
        for function in picked(played, which) or [None]:
            if function is None:
                return "the stack has no such function to keep"
            image = deployed_image(played, function.function_name)
            if function.name in last.pushed or image != played.images_before[function.function_name]:
                return f"{function.function_name}'s image was built again ({image})"
            if function.function_name in last.canaries:
                return f"{function.function_name} was released though nothing of it changed"
        return None
    return check


def nothing_deployed(played: Played) -> Optional[str]:
    deployed = [e for e in played.timeline.entries if e.stage in ("Deploy", "Canary")]
    return f"{len(deployed)} Deploy or Canary steps ran" if deployed else None


def has(typ: str, **match) -> Check:
    def check(played: Played) -> Optional[str]:
        found = [r for r in played.cloud._resources_of(typ) if all(r.outputs.get(k) == v for k, v in match.items())]
        return None if found else f"no {typ} with {match} in the account"
    return check


def lacks_role(suffix: str) -> Check:
    def check(played: Played) -> Optional[str]:
        name = f"{played.settings.stack_prefix}-{suffix}"
        found = [r for r in played.cloud._resources_of("aws:iam/role:Role") if r.outputs["name"] == name]
        return f"the role {name} exists" if found else None
    return check


def function_roles_keep_boundary(played: Played) -> Optional[str]:
    roles = {r.outputs["name"]: r.outputs for r in played.cloud._resources_of("aws:iam/role:Role")}
    lost = [f.function_name for f in played.settings.functions if not roles[f.function_name].get("permissionsBoundary")]
    return f"the roles of {lost} lost their boundary" if lost else None


def rolled_back_together(played: Played) -> Optional[str]:
    """The failed execution's Deploy stage ran again as a rollback to the first execution, and every function runs
    that execution's image again, all of its traffic on it."""
    first, last = played.executions[0], played.executions[-1]
    if (last.kind, last.status) != ("ROLLBACK", "Succeeded"):
        return f"the last execution is a {last.kind} one that ended {last.status} ({last.reason})"
    for function in played.settings.functions:
        image = deployed_image(played, function.function_name)
        if not image.endswith("@" + first.digests[function.name]):
            return f"{function.function_name} runs {image}, not the first execution's image"
    return live_runs_newest(lambda function: True)(played)


def restarted(played: Played) -> Optional[str]:
    statuses = [e.status for e in played.executions]
    if statuses != ["Cancelled", "Succeeded"]:
        return f"executions ended {statuses}; expected a Cancelled one and the new one it started Succeeded"
    if CANCELED not in played.executions[0].notified:
        return "nobody was told of the cancelled execution"
    return None
