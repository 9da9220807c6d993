"""The releases a rehearsal plays, and what each must come to. Every scenario starts from a person's first `pulumi up`
of the stack (from a laptop, with administrator credentials); then the pipeline delivers one commit."""

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

from aws_account.account import SimulatedCloud
from offline.engine import _working_directory, run_program
from offline.rehearsal.canary import Traffic
from offline.rehearsal.checkout import Commit, NewFunction, check_out, stack_config
from offline.rehearsal.checks import (Played, all_of, ended, function_roles_keep_boundary, has, kept, lacks_role,
                                      live_runs_newest, no_function, nothing_deployed, restarted, rolled_back_alone,
                                      rolled_back_in_time, rolled_back_together, served, unserved)
from offline.rehearsal.delivery import PipelineRun
from offline.rehearsal.ending import restart_if_cancelled, rolls_back
from offline.rehearsal.execution import Execution
from offline.rehearsal.timeline import Timeline
from offline.stack_config import read_settings
from policies.cost import schedule as schedule_expression

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
# The opt-in that rolls a failed Deploy stage back as a whole (DeliveryPipelineArgs.rollback_together), in the program
# of every checkout, the laptop's first `up` included: a stage rolls back only to an execution that ran on the same
# pipeline structure.
ROLLBACK_TOGETHER = ("Pulumi.prod.yaml", "  lambdakit:pipelineCanaryMinutes: 10\n",
                     "  lambdakit:pipelineCanaryMinutes: 10\n  lambdakit:pipelineRollbackTogether: true\n")
# A second scheduled function, started from the worker's code, with the stack's values but its schedule and URL.
_NEW_FUNCTION = NewFunction("reports", "worker", {"schedule": "rate(1 hour)", "functionUrlAuthType": "OFF"})
_NO_BOUNDARY = ("components/function_basics.py",
                'service_role(name, function_name, "lambda", tags, parent, boundary_arn)',
                'service_role(name, function_name, "lambda", tags, parent, None)')


@dataclass(frozen=True)
class Scenario:
    title: str
    commit: Commit
    expect: str  # what must happen, for people
    check: Callable[[Played], Optional[str]]  # None when it came to what it must, else what went otherwise
    findings: dict[str, int] = field(default_factory=dict)  # what ECR's scan finds in each image the commit pushes
    failure_percent: int = 0  # of the calls to the new version of each function `failing` picks
    failing: Callable[[object], bool] = no_function
    before: Optional[Commit] = None  # a commit the pipeline delivers first (its new code does not fail)
    standing: tuple[tuple[str, str, str], ...] = ()  # edits in every checkout, the laptop's first `up` included


SCENARIOS: dict[str, Scenario] = {
    "clean-release": Scenario(
        "A clean release", Commit("change every function's code"),
        "every function's new version takes 100% of its live alias's traffic after its canary",
        all_of(ended("Succeeded"), live_runs_newest(lambda function: True))),
    "failing-version": Scenario(
        "A version that fails half of its calls", Commit("a change that breaks half of the calls", changes_code=served),
        "a rollback alarm fires during the canary; CodeDeploy rolls the alias back; the execution fails; the "
        "functions the commit did not change keep their images, and nothing of them is released",
        all_of(ended("Failed", "Canary"), rolled_back_in_time(served), kept(unserved)),
        failure_percent=50, failing=served),
    "one-of-two-fails": Scenario(
        "Two new versions, one failing half of its calls", Commit("new code for every function; the one with a "
                                                                  "URL breaks half of its calls"),
        "the failing function's canary is rolled back; the other's canary runs to its end and its release stands; "
        "the execution fails",
        rolled_back_alone(served, unserved), failure_percent=50, failing=served),
    "failing-scheduled-version": Scenario(
        "Two new versions, the scheduled one failing every run", Commit("new code for every function; the one "
                                                                        "without a URL fails every run"),
        "the failed-runs alarm fires during the scheduled function's canary and rolls it back; the other "
        "function's release stands; the execution fails",
        rolled_back_alone(unserved, served), failure_percent=100, failing=unserved),
    "one-function-changes": Scenario(
        "A commit that changes one function", Commit("change the function without a URL", changes_code=unserved),
        "the unchanged function's image is not built again and keeps its digest, and nothing of it is released; "
        "the changed one is built, scanned and released",
        all_of(ended("Succeeded"), kept(served), live_runs_newest(unserved))),
    "rollback-together": Scenario(
        "Opted in: one failing function rolls every function back", Commit(
            "new code for every function; the one with a URL breaks half of its calls"),
        "after a clean release, the next one's failing canary fails the Deploy stage, and CodePipeline rolls the "
        "stage back to the clean release: one `pulumi up` with its digests, and every function's canary of them",
        all_of(rolled_back_in_time(served), rolled_back_together), failure_percent=50, failing=served,
        before=Commit("change every function's code"), standing=(ROLLBACK_TOGETHER,)),
    "critical-finding": Scenario(
        "An image with a CRITICAL finding", Commit("a dependency with a critical vulnerability", changes_code=served),
        "the scan gate fails that image's Scan action and the execution at Scan; nothing is deployed",
        all_of(ended("Failed", "Scan"), nothing_deployed), findings={"CRITICAL": 1}),
    "settings-change": Scenario(
        "A settings change", Commit("a wider canary, a tag, more memory", changes_code=no_function, settings={
            "pipelineCanaryPercent": 20, "extraTags": ["cost-centre=payments"], "memoryMb": 3008}),
        "the pipeline applies the new canary, the tag and the memory to the functions that take the stack's values",
        all_of(ended("Succeeded"), has("aws:lambda/function:Function", memorySize=3008),
             has("aws:codedeploy/deploymentConfig:DeploymentConfig",
                  deploymentConfigName="lambdakit-prod-api-canary-20pct-10min"))),
    "pipeline-change": Scenario(
        "A commit that changes the pipeline itself", Commit("rename the Test action", edits=((
            "components/pipeline_stages.py", 'TEST_ACTION, DEPLOY_ACTION, DEPLOY_NAMESPACE = "Test",',
            'TEST_ACTION, DEPLOY_ACTION, DEPLOY_NAMESPACE = "Tests",'),)),
        "the execution that updates its own pipeline ends Cancelled; the topic is told; EventBridge starts a new "
        "execution, which releases the commit", restarted),
    "first-run": Scenario(
        "The first pipeline run after a laptop `up`", Commit("nothing new", changes_code=no_function),
        "the Deploy stage's `up` removes the laptop-built images from the state (pulumi-docker needs its daemon) and "
        "the execution succeeds", all_of(ended("Succeeded"), kept(lambda function: True))),
    "new-function": Scenario(
        "A commit that adds a scheduled function", Commit("add a function that runs hourly", changes_code=no_function,
                                                          new_function=_NEW_FUNCTION),
        "the deploy role creates all of the new function (its repository and first image, the function, its role, "
        "schedule, scheduler role, dead-letter queue, retries, alarms and release) and the pipeline's new actions, "
        "which cancels the run; the restarted run builds, scans and deploys every function, the new one included",
        all_of(restarted, has("aws:scheduler/schedule:Schedule", name=f"lambdakit-prod-{_NEW_FUNCTION.name}"),
             live_runs_newest(lambda function: function.name == _NEW_FUNCTION.name))),
    "enhanced-scanning": Scenario(
        "Enhanced scanning switched on through the pipeline", Commit(
            "ecrEnhancedScanning: SCAN_ON_PUSH", changes_code=no_function,
            settings={"ecrEnhancedScanning": "SCAN_ON_PUSH"}),
        "the deploy role sets the registry's scanning and enables Inspector",
        all_of(ended("Succeeded"),
             has("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration", scanType="ENHANCED"))),
    "hostile-role": Scenario(
        "A hostile commit: a new role with iam:*", Commit("a role with iam:*", changes_code=no_function,
                                                           program_lines=_HOSTILE_ROLE),
        "the Deploy stage refuses it (the pack, or IAM: no role without the stack's boundary); no such role exists",
        all_of(ended("Failed", "Deploy"), lacks_role("takeover"))),
    "hostile-unbounded-role": Scenario(
        "A hostile commit: a new role without the stack's boundary", Commit(
            "a role that may create users", changes_code=no_function, program_lines=_UNBOUNDED_ROLE),
        "IAM refuses to create a role without the stack's boundary; no such role exists",
        all_of(ended("Failed", "Deploy"), lacks_role("unbounded"))),
    "hostile-boundary": Scenario(
        "A hostile commit: the functions' roles without their boundary", Commit(
            "drop the boundary", changes_code=no_function, edits=(_NO_BOUNDARY,)),
        "IAM refuses to take the boundary off a role; the roles keep it",
        all_of(ended("Failed", "Deploy"), function_roles_keep_boundary)),
}


def check_rehearsable(project_dir: Path, stack: str):
    """The stack's settings; raises (a setting's error, AwsRefusal for an unknown Region, or ValueError) unless they
    are valid and give the stack a pipeline."""
    with _working_directory(project_dir):  # where the CLI runs the program, and the functions' folders are
        settings, region = read_settings(project_dir, stack)
    SimulatedCloud(region=region)  # the provider refuses a Region it does not know
    if not settings.has_pipeline:
        raise ValueError(f"the stack {stack} has no pipeline (lambdakit:pipelineRepository is empty)")
    return settings


def traffic(function, failure_percent: int) -> Traffic:
    """What callers send the function's alias a minute (its schedule's runs, or its expected calls, at least one),
    and the share of them the new version fails."""
    if function.schedule:
        rate = schedule_expression.invocations_per_month(function.schedule) / (
            schedule_expression.AVERAGE_MONTH_SECONDS / 60)
    else:
        rate = max(1, round(function.usage_requests_per_month / MINUTES_PER_MONTH))
    return Traffic(rate, failure_percent, function.usage_average_duration_ms, function.has_url)


def _deliver(cloud, timeline: Timeline, sources: list[Path], checkout: Path, stack: str, scenario: Scenario,
             commit: Commit, executions: list[Execution]) -> object:
    """One pushed commit through the pipeline: its execution, the one its cancellation starts, and the rollback of
    its Deploy stage when the stack asks for one; the commit's settings. `sources` holds each earlier execution's
    checkout."""
    settings = check_rehearsable(checkout, stack)
    failing = scenario.failing if commit is scenario.commit else no_function
    calls = {f.function_name: traffic(f, scenario.failure_percent if failing(f) else 0) for f in settings.functions}
    for _ in range(2):
        timeline.event("Source", "codepipeline", f"execution {len(executions) + 1}: {commit.title}")
        run = PipelineRun(cloud, settings, checkout, timeline, scenario.findings, calls)
        executions.append(run.run(stack_config(checkout, stack)))
        if executions[-1].status != "Cancelled" or not restart_if_cancelled(run):
            break
    if (target := rolls_back(run, executions)) is not None:
        number = executions.index(target)
        source = (sources + [checkout] * (len(executions) - len(sources)))[number]
        timeline.event("Deploy", "codepipeline", f"execution {len(executions) + 1}: the Deploy stage rolls back to "
                                                 f"execution {number + 1}")
        # The rollback releases the earlier source's versions, whose code does not fail.
        sound = {name: replace(given, new_version_failure_percent=0) for name, given in calls.items()}
        rollback = PipelineRun(cloud, check_rehearsable(source, stack), source, timeline, {}, sound)
        executions.append(rollback.run(stack_config(source, stack), rolling_back=target))
    return settings


def play(project_dir: Path, stack: str, scenario: Scenario, work_dir: Optional[Path] = None) -> Played:
    """The stack's first `up` from a laptop, then the pushed commits through the pipeline (the scenario's earlier
    one, if it has one, and its own), each with the executions it comes to."""
    def checked_out(commit: Commit, number: int) -> Path:
        return check_out(project_dir, stack, replace(commit, edits=scenario.standing + commit.edits), number,
                         Path(into))

    with tempfile.TemporaryDirectory(dir=work_dir) as into:
        base = checked_out(Commit("the stack as it is", changes_code=no_function), 0)
        base_config = stack_config(base, stack)
        cloud = SimulatedCloud(region=base_config.values.get("aws:region", "us-east-1"),
                               image_size_bytes=PUSHED_IMAGE_BYTES)
        run_program(base, base_config, cloud)
        images = {r.outputs["name"]: r.outputs.get("imageUri") for r in cloud._resources_of("aws:lambda/function:Function")}
        timeline = Timeline()
        timeline.event("Setup", "deployer", "the stack's first `pulumi up`, from a laptop")
        executions: list[Execution] = []
        checkouts: list[Path] = []  # the source of each execution
        for number, commit in enumerate([c for c in (scenario.before, scenario.commit) if c is not None], 1):
            checkout = checked_out(commit, number)
            settings = _deliver(cloud, timeline, checkouts, checkout, stack, scenario, commit, executions)
            checkouts += [checkout] * (len(executions) - len(checkouts))
        return Played(executions, timeline, cloud, settings, images)
