"""The releases a rehearsal plays, and what each must come to. Every scenario starts from a person's first `pulumi up`
of the stack (from a laptop, with administrator credentials); then the pipeline delivers one commit."""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from aws_account.account import SimulatedCloud
from offline.engine import run_program
from offline.rehearsal.canary import Traffic
from offline.rehearsal.checkout import Commit, check_out, stack_config
from offline.rehearsal.delivery import Execution, PipelineRun
from offline.rehearsal.timeline import Timeline
from offline.stack_config import read_settings

PUSHED_IMAGE_BYTES = 56_500_000  # what ECR reports for the function's image (README, "The image")
MINUTES_PER_MONTH = 30 * 24 * 60


def _hostile_role(name: str, actions: object) -> str:
    """Program lines a hostile commit appends: a role of the stack, without its boundary, allowed `actions`."""
    return (f"import json\nimport pulumi_aws as _aws\n"
            f"_role = _aws.iam.Role({name!r}, name=f\"{{settings.stack_prefix}}-{name}\", assume_role_policy=json.dumps("
            f"{{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': "
            f"{{'Service': 'lambda.amazonaws.com'}}, 'Action': 'sts:AssumeRole'}}]}}))\n"
            f"_aws.iam.RolePolicy({name!r}, role=_role.id, policy=json.dumps({{'Version': '2012-10-17', 'Statement': "
            f"[{{'Effect': 'Allow', 'Action': {actions!r}, 'Resource': '*'}}]}}))\n")


# A role with every IAM action; one with named actions (which the pack lets through) that IAM must refuse for
# lacking the stack's boundary; and a commit that takes the boundary away from the function's role.
_HOSTILE_ROLE = _hostile_role("takeover", "iam:*")
_UNBOUNDED_ROLE = _hostile_role("unbounded", ["iam:CreateUser", "iam:CreateAccessKey", "iam:AttachUserPolicy"])
_NO_BOUNDARY = ("components/function_basics.py",
                'service_role(name, function_name, "lambda", tags, parent, boundary_arn)',
                'service_role(name, function_name, "lambda", tags, parent, None)')


@dataclass
class Played:
    executions: list[Execution]
    timeline: Timeline
    cloud: SimulatedCloud
    settings: object  # the commit's StackSettings


@dataclass(frozen=True)
class Scenario:
    title: str
    commit: Commit
    expect: str  # what must happen, for people
    check: Callable[[Played], Optional[str]]  # None when it came to what it must, else what went otherwise
    findings: dict[str, int] = field(default_factory=dict)  # what ECR's scan of the pushed image finds
    failure_percent: int = 0  # of the new version's calls


def _ended(status: str, stage: str = "") -> Callable[[Played], Optional[str]]:
    def check(played: Played) -> Optional[str]:
        last = played.executions[-1]
        if last.status != status or (stage and last.stage != stage):
            return f"the execution ended {last.status} at {last.stage} ({last.reason}); expected {status}" + \
                (f" at {stage}" if stage else "")
        return None
    return check


def _all(*checks: Callable[[Played], Optional[str]]) -> Callable[[Played], Optional[str]]:
    return lambda played: next((problem for check in checks if (problem := check(played))), None)


def _live_runs_newest(played: Played) -> Optional[str]:
    alias = next(r.outputs for r in played.cloud._resources_of("aws:lambda/alias:Alias")
                 if r.outputs["functionName"] == played.settings.function_name)
    newest = played.executions[-1].version
    if alias["functionVersion"] != newest or (alias.get("routingConfig") or {}).get("additionalVersionWeights"):
        return f"the live alias runs {alias['functionVersion']} ({alias.get('routingConfig')}), not all on {newest}"
    return None


def _rolled_back_in_time(played: Played) -> Optional[str]:
    canary = played.executions[-1].canary
    if canary is None or not canary.rolled_back:
        return "the failing version was not rolled back"
    late = [name for name, minute in canary.alarms_fired.items() if minute >= canary.canary_end]
    return f"alarms fired after the canary's end: {late}" if late else None


def _nothing_deployed(played: Played) -> Optional[str]:
    deployed = [e for e in played.timeline.entries if e.stage in ("Deploy", "Canary")]
    return f"{len(deployed)} Deploy or Canary steps ran" if deployed else None


def _has(typ: str, **match) -> Callable[[Played], Optional[str]]:
    def check(played: Played) -> Optional[str]:
        found = [r for r in played.cloud._resources_of(typ) if all(r.outputs.get(k) == v for k, v in match.items())]
        return None if found else f"no {typ} with {match} in the account"
    return check


def _lacks_role(suffix: str) -> Callable[[Played], Optional[str]]:
    def check(played: Played) -> Optional[str]:
        name = f"{played.settings.stack_prefix}-{suffix}"
        found = [r for r in played.cloud._resources_of("aws:iam/role:Role") if r.outputs["name"] == name]
        return f"the role {name} exists" if found else None
    return check


def _function_role_keeps_boundary(played: Played) -> Optional[str]:
    role = next(r.outputs for r in played.cloud._resources_of("aws:iam/role:Role")
                if r.outputs["name"] == played.settings.function_name)
    return None if role.get("permissionsBoundary") else "the function's role lost its boundary"


def _restarted(played: Played) -> Optional[str]:
    statuses = [e.status for e in played.executions]
    if statuses != ["Cancelled", "Succeeded"]:
        return f"executions ended {statuses}; expected a Cancelled one and the new one it started Succeeded"
    if "codepipeline-pipeline-pipeline-execution-canceled" not in played.executions[0].notified:
        return "nobody was told of the cancelled execution"
    return None


SCENARIOS: dict[str, Scenario] = {
    "clean-release": Scenario(
        "A clean release", Commit("change the function's code"),
        "the new version takes 100% of the live alias's traffic after the canary",
        _all(_ended("Succeeded"), _live_runs_newest)),
    "failing-version": Scenario(
        "A version that fails half of its calls", Commit("a change that breaks half of the calls"),
        "a rollback alarm fires during the canary; CodeDeploy rolls the alias back; the execution fails",
        _all(_ended("Failed", "Canary"), _rolled_back_in_time), failure_percent=50),
    "critical-finding": Scenario(
        "An image with a CRITICAL finding", Commit("a dependency with a critical vulnerability"),
        "the scan gate fails the execution at Scan; nothing is deployed",
        _all(_ended("Failed", "Scan"), _nothing_deployed), findings={"CRITICAL": 1}),
    "settings-change": Scenario(
        "A settings change", Commit("a wider canary, a tag, more memory", changes_code=False, settings={
            "pipelineCanaryPercent": 20, "extraTags": ["cost-centre=payments"], "memoryMb": 3008}),
        "the pipeline applies the new canary, the tag and the memory",
        _all(_ended("Succeeded"), _has("aws:lambda/function:Function", memorySize=3008),
             _has("aws:codedeploy/deploymentConfig:DeploymentConfig",
                  deploymentConfigName="lambdakit-prod-api-canary-20pct-10min"))),
    "pipeline-change": Scenario(
        "A commit that changes the pipeline itself", Commit("rename the Build action", edits=(("components/pipeline.py", '("Image", "Build",',
                                                                    '("BuildImage", "Build",'),)),
        "the execution that updates its own pipeline ends Cancelled; the topic is told; EventBridge starts a new "
        "execution, which releases the commit", _restarted),
    "first-run": Scenario(
        "The first pipeline run after a laptop `up`", Commit("nothing new", changes_code=False),
        "the Deploy stage's `up` removes the laptop-built image from the state (pulumi-docker needs its daemon) and "
        "the execution succeeds", _ended("Succeeded")),
    "enhanced-scanning": Scenario(
        "Enhanced scanning switched on through the pipeline", Commit(
            "ecrEnhancedScanning: SCAN_ON_PUSH", changes_code=False, settings={"ecrEnhancedScanning": "SCAN_ON_PUSH"}),
        "the deploy role sets the registry's scanning and enables Inspector",
        _all(_ended("Succeeded"),
             _has("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration", scanType="ENHANCED"))),
    "hostile-role": Scenario(
        "A hostile commit: a new role with iam:*", Commit("a role with iam:*", changes_code=False,
                                                           program_lines=_HOSTILE_ROLE),
        "the Deploy stage refuses it (the pack, or IAM: no role without the stack's boundary); no such role exists",
        _all(_ended("Failed", "Deploy"), _lacks_role("takeover"))),
    "hostile-unbounded-role": Scenario(
        "A hostile commit: a new role without the stack's boundary", Commit(
            "a role that may create users", changes_code=False, program_lines=_UNBOUNDED_ROLE),
        "IAM refuses to create a role without the stack's boundary; no such role exists",
        _all(_ended("Failed", "Deploy"), _lacks_role("unbounded"))),
    "hostile-boundary": Scenario(
        "A hostile commit: the function's role without its boundary", Commit(
            "drop the boundary", changes_code=False, edits=(_NO_BOUNDARY,)),
        "IAM refuses to take the boundary off the role; the role keeps it",
        _all(_ended("Failed", "Deploy"), _function_role_keeps_boundary)),
}


def check_rehearsable(project_dir: Path, stack: str):
    """The stack's settings; raises (a setting's error, AwsRefusal for an unknown Region, or ValueError) unless they
    are valid and give the stack a pipeline."""
    settings, region = read_settings(project_dir, stack)
    SimulatedCloud(region=region)  # the provider refuses a Region it does not know
    if not settings.has_pipeline:
        raise ValueError(f"the stack {stack} has no pipeline (lambdakit:pipelineRepository is empty)")
    return settings


def play(project_dir: Path, stack: str, scenario: Scenario, work_dir: Optional[Path] = None) -> Played:
    """The stack's first `up` from a laptop, then one pushed commit through the pipeline (and the execution its
    cancellation starts, if one does)."""
    with tempfile.TemporaryDirectory(dir=work_dir) as into:
        base = check_out(project_dir, stack, Commit("the stack as it is", changes_code=False), 0, Path(into))
        base_config = stack_config(base, stack)
        cloud = SimulatedCloud(region=base_config.values.get("aws:region", "us-east-1"),
                               image_size_bytes=PUSHED_IMAGE_BYTES)
        run_program(base, base_config, cloud)
        timeline = Timeline()
        timeline.event("Setup", "deployer", "the stack's first `pulumi up`, from a laptop")
        checkout = check_out(project_dir, stack, scenario.commit, 1, Path(into))
        settings = check_rehearsable(checkout, stack)
        traffic = Traffic(max(1, round(settings.usage_requests_per_month / MINUTES_PER_MONTH)),
                          scenario.failure_percent, settings.usage_average_duration_ms)
        executions: list[Execution] = []
        while len(executions) < 2:
            timeline.event("Source", "codepipeline", f"execution {len(executions) + 1}: {scenario.commit.title}")
            run = PipelineRun(cloud, settings, checkout, timeline, scenario.findings, traffic)
            executions.append(run.run(stack_config(checkout, stack)))
            if executions[-1].status != "Cancelled" or not run.restart_if_cancelled():
                break
        return Played(executions, timeline, cloud, settings)
