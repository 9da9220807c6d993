"""The release rehearsal: each scenario played through the simulated account as the principals that make the calls,
and what each must come to. Most of these fail on the pipeline as it was before the rehearsal existed (the note of
issue 21 lists the calls refused then). What the stack's two functions do side by side: test_rehearse_functions.py."""

import json
import subprocess
import sys

import pytest

from aws_account.authority import Authority
from offline import rehearse
from offline.rehearsal.scenarios import SCENARIOS
from tests.conftest import PROJECT_DIR
from tests.offline.rehearsed import calls as _calls
from tests.offline.rehearsed import played  # noqa: F401 (the fixture)

PREFIX = "lambdakit-prod"


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_comes_to_what_it_must(played, name):
    assert SCENARIOS[name].check(played(name)) is None


@pytest.mark.parametrize("name", ["clean-release", "settings-change", "first-run", "enhanced-scanning",
                                  "one-function-changes", "one-of-two-fails", "failing-scheduled-version", "new-function",
                                  "rollback-together"])
def test_a_good_release_meets_no_refusal(played, name):
    """Whether a release stands or is rolled back by an alarm, no principal is refused a call."""
    assert [f"{e.principal} {e.what}: {e.by}" for e in played(name).timeline.denied()] == []


def test_the_refresh_reads_every_managed_policy_as_the_deploy_role(played):
    """Defect 1: `pulumi up --refresh` reads each aws:iam/policy:Policy with GetPolicy and GetPolicyVersion."""
    run = played("clean-release")
    policies = [r.outputs["arn"] for r in run.cloud._resources_of("aws:iam/policy:Policy")]
    assert len(policies) == 5  # the deploy role's four and the roles' boundary
    for action in ("iam:GetPolicy", "iam:GetPolicyVersion"):
        read = {e.what.split(" ", 1)[1] for e in _calls(run, "Deploy", action) if e.outcome == "allowed"}
        assert set(policies) <= read, action
    assert all(e.principal == f"role/{PREFIX}-deploy" for e in _calls(run, "Deploy", "iam:GetPolicy"))


def test_a_canary_and_tag_change_is_delivered_without_touching_the_pipelines_roles(played):
    """Defect 2: the release role's policy names no deployment configuration, and the pipeline's own roles carry
    only the fixed tags, so neither PutRolePolicy nor TagRole is asked of them."""
    run = played("settings-change")
    pipeline_roles = {f"arn:aws:iam::123456789012:role/{PREFIX}-{stage}"
                      for stage in ("pipeline", "test", "build", "deploy", "release")}
    changed = [e.what for e in run.timeline.entries if e.stage == "Deploy"
               and e.what.split(" ")[0] in ("iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole")
               and e.what.split(" ")[1] in pipeline_roles]
    assert changed == []
    tagged = [r for r in run.cloud._resources_of("aws:lambda/function:Function")
              if (r.outputs.get("tags") or {}).get("cost-centre") == "payments"]
    assert len(tagged) == 3  # the two functions and the scan gate
    assert _calls(run, "Deploy", "codedeploy:CreateDeploymentConfig")


def test_the_first_run_after_a_laptop_up_has_a_docker_daemon_for_the_laptops_image(played):
    """Defect 3: the state holds the laptop's docker images; the Deploy removes them, with the privileged project's
    daemon."""
    run = played("first-run")
    assert run.cloud._resources_of("docker:index/image:Image") == []
    project = next(r.outputs for r in run.cloud._resources_of("aws:codebuild/project:Project")
                   if r.outputs["name"] == f"{PREFIX}-deploy")
    assert project["environment"]["privilegedMode"] is True


def test_a_pipeline_change_cancels_the_run_and_eventbridge_starts_the_next(played):
    """Defect 4: the run that updates its own pipeline ends Cancelled; the topic is told; the restart rule's role
    (assumed by EventBridge for that rule only) starts a new run, which releases the commit."""
    run = played("pipeline-change")
    cancelled, restarted = run.executions
    assert (cancelled.status, cancelled.stage) == ("Cancelled", "Deploy")
    assert cancelled.canaries == {}  # no alias moved in the cancelled run
    assert cancelled.notified == ["codepipeline-pipeline-pipeline-execution-canceled"]
    assume = [e for e in run.timeline.entries if e.stage == "Restart" and e.what.startswith("sts:AssumeRole")]
    assert [(e.principal, e.outcome) for e in assume] == [("events.amazonaws.com", "allowed")]
    assert [e.outcome for e in _calls(run, "Restart", "codepipeline:StartPipelineExecution")] == ["allowed"]
    assert restarted.status == "Succeeded"
    assert {name: canary.released for name, canary in restarted.canaries.items()} == {
        f"{PREFIX}-api": True, f"{PREFIX}-worker": True}


def test_a_failing_version_is_rolled_back_before_the_canary_ends(played):
    """Defect 5: the rollback alarms fire while the canary holds 10% (CloudWatch's periods and delay counted)."""
    run = played("failing-version")
    canary = run.executions[-1].canaries[f"{PREFIX}-api"]
    assert canary.rolled_back and not canary.released
    assert set(canary.alarms_fired) == {f"{PREFIX}-api-error-rate", f"{PREFIX}-api-url-5xx-rate"}
    assert all(minute < canary.canary_end for minute in canary.alarms_fired.values())
    alias = next(r.outputs for r in run.cloud._resources_of("aws:lambda/alias:Alias")
                 if r.outputs["functionName"] == f"{PREFIX}-api")
    assert alias["functionVersion"] == "1" and not alias.get("routingConfig")


def test_enhanced_scanning_is_switched_on_by_the_deploy_role(played):
    """Defect 6: ECR enables Inspector with the caller's own permissions."""
    run = played("enhanced-scanning")
    for action in ("ecr:PutRegistryScanningConfiguration", "inspector2:Enable", "inspector2:ListAccountPermissions"):
        assert [e.outcome for e in _calls(run, "Deploy", action)][:1] == ["allowed"], action


def test_a_critical_finding_stops_at_scan_and_nothing_is_deployed(played):
    """Only the new image carries the finding: its Scan action fails, the other's passes, and the stage fails."""
    run = played("critical-finding")
    assert [e.stage for e in run.timeline.entries if e.stage in ("Deploy", "Canary")] == []
    assert _calls(run, "Scan", "codepipeline:PutJobFailureResult")[0].outcome == "allowed"
    verdicts = {e.what.split(":")[0]: e.what.split(": ")[1] for e in run.timeline.entries
                if e.stage == "Scan" and e.what.startswith("Scan-") and "WAIT" not in e.what}
    assert verdicts == {"Scan-api": "FAIL", "Scan-worker": "PASS"}
    assert run.executions[-1].reason == "Scan: Scan-api failed: the scan gate found what it fails on"


@pytest.mark.parametrize("name, refused, by", [
    ("hostile-role", "the policy pack blocked the update: iam-no-wildcard-actions", ""),
    ("hostile-unbounded-role", "iam:CreateRole", "because no identity-based policy allows the iam:CreateRole action"),
    ("hostile-boundary", "iam:DeleteRolePermissionsBoundary", "with an explicit deny in an identity-based policy"),
])
def test_a_hostile_commit_is_refused(played, name, refused, by):
    """Defect 8: no role of the stack without the boundary; no boundary removed; no "*" past the pack."""
    run = played(name)
    assert refused in run.executions[-1].reason
    assert by in run.executions[-1].reason
    if name == "hostile-boundary":
        assert "TheBoundaryStays" in run.executions[-1].reason


def test_services_assume_their_roles_for_this_accounts_resources_only(played):
    """Defect 9: CodeBuild, CodeDeploy and EventBridge send the account and the resource they act for; the trust
    policies hold them to this account's."""
    run = played("pipeline-change")
    assumed = [e for e in run.timeline.entries if e.what.startswith("sts:AssumeRole")]
    assert {e.principal for e in assumed} >= {"codebuild.amazonaws.com", "codedeploy.amazonaws.com",
                                              "events.amazonaws.com", "codepipeline.amazonaws.com"}
    assert all(e.outcome == "allowed" for e in assumed)
    roles = {r.outputs["name"]: json.loads(r.inputs["assumeRolePolicy"])
             for r in run.cloud._resources_of("aws:iam/role:Role")}
    for name in (f"{PREFIX}-test", f"{PREFIX}-build", f"{PREFIX}-deploy", f"{PREFIX}-api-codedeploy",
                 f"{PREFIX}-worker-codedeploy", f"{PREFIX}-restart"):
        assert roles[name]["Statement"][0]["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}, name


def test_another_accounts_project_cannot_use_the_build_role(played):
    """The confused deputy: CodeBuild acting for another account's project is refused by the trust policy."""
    authority = Authority(played("clean-release").cloud)
    for role in (f"{PREFIX}-build", f"{PREFIX}-restart"):
        arn = f"arn:aws:iam::123456789012:role/{role}"
        service = "codebuild" if role.endswith("build") else "events"
        own = f"arn:aws:codebuild:eu-west-1:123456789012:project/{role}" if service == "codebuild" else \
            f"arn:aws:events:eu-west-1:123456789012:rule/{role}"
        assert authority.assume(service, arn, own).allowed
        theirs = authority.assume(service, arn, own.replace("123456789012", "999999999999"), "999999999999")
        assert not theirs.allowed and "no resource-based policy allows the sts:AssumeRole" in theirs.message()


def test_the_timeline_says_when_who_what_and_by_what(played, capsys):
    assert rehearse.main(["--stack", "prod", "--scenario", "hostile-unbounded-role"]) == rehearse.EXIT_AS_EXPECTED
    out = capsys.readouterr().out
    denied = next(line for line in out.splitlines() if "DENIED" in line)
    assert denied.split()[:4] == ["+0:06:00", "Deploy", f"role/{PREFIX}-deploy", "DENIED"]
    assert f"iam:CreateRole arn:aws:iam::123456789012:role/{PREFIX}-unbounded" in denied
    assert "by User: arn:aws:sts::123456789012:assumed-role/lambdakit-prod-deploy/rehearsal is not authorized" in out
    assert "as expected" in out


def test_a_stack_without_a_pipeline_or_an_unknown_scenario_is_a_usage_error(capsys):
    assert rehearse.main(["--stack", "dev"]) == rehearse.EXIT_ERROR
    said = capsys.readouterr()
    assert "has no pipeline" in said.err and said.out == ""  # told before any scenario starts
    with pytest.raises(SystemExit) as usage:
        rehearse.main(["--scenario", "nope"])
    assert usage.value.code == rehearse.EXIT_ERROR


def test_python_m_offline_without_a_command_is_a_usage_error():
    finished = subprocess.run([sys.executable, "-m", "offline"], cwd=PROJECT_DIR, capture_output=True, text=True,
                              timeout=60)
    assert finished.returncode == rehearse.EXIT_ERROR
    assert "usage: python -m offline {preview,rehearse}" in finished.stderr and "Traceback" not in finished.stderr
    helped = subprocess.run([sys.executable, "-m", "offline", "--help"], cwd=PROJECT_DIR, capture_output=True,
                            text=True, timeout=60)
    assert helped.returncode == 0 and helped.stdout.startswith("usage: python -m offline")
