"""What the pipeline's tests read of a program run: the pipeline, its actions and their variables, its projects, a
role's statements; and the stacks they run besides prod as it is."""

import json
from pathlib import Path

import yaml

from offline.engine import ProgramRun
from offline.rehearsal.checkout import Commit, NewFunction, check_out
from offline.rehearsal.scenarios import ROLLBACK_TOGETHER
from tests.conftest import PROJECT_DIR, run_stack

PIPELINE, PROJECT = "aws:codepipeline/pipeline:Pipeline", "aws:codebuild/project:Project"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
ACCOUNT, REGION = "123456789012", "eu-west-1"


def pipeline(run: ProgramRun) -> dict:
    return run.one(PIPELINE).inputs


def actions_by_name(run: ProgramRun) -> dict[str, dict]:
    """Every action of the pipeline by its name (no two stages here share one)."""
    return {action["name"]: action for stage in pipeline(run)["stages"] for action in stage["actions"]}


def variables(action: dict) -> dict[str, str]:
    """A CodeBuild action's EnvironmentVariables, by name (all plain text)."""
    declared = json.loads(action["configuration"]["EnvironmentVariables"])
    assert {variable["type"] for variable in declared} == {"PLAINTEXT"}
    return {variable["name"]: variable["value"] for variable in declared}


def projects(run: ProgramRun) -> dict[str, dict]:
    """The CodeBuild projects by the stage part of their name (test, build, deploy, release)."""
    return {p.inputs["name"].rsplit("-", 1)[1]: p.inputs for p in run.of_type(PROJECT)}


def functions(run: ProgramRun) -> list[str]:
    return sorted(run.exports["functions"])


def role_statements(run: ProgramRun, role_name: str) -> list[dict]:
    """Every Allow and Deny of a role: its inline policy and the managed ones attached to it."""
    role = {r.state["name"]: r for r in run.of_type(ROLE)}[role_name]
    documents = [p.inputs["policy"] for p in run.of_type(ROLE_POLICY) if p.inputs["role"] == role.state["id"]]
    attached = {a.inputs["policyArn"] for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.inputs["role"] == role_name}
    documents += [p.inputs["policy"] for p in run.of_type("aws:iam/policy:Policy") if p.state["arn"] in attached]
    return [s for document in documents for s in json.loads(document)["Statement"]]


def with_function_setting(function: str, key: str, value) -> dict:
    """Overrides that give one of prod's functions a setting of its own, the others as Pulumi.prod.yaml has them."""
    entries = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]["lambdakit:functions"]
    return {"functions": {**entries, function: {**(entries[function] or {}), key: value}}}


def _stack_of(commit: Commit, into: Path) -> ProgramRun:
    return run_stack("prod", project_dir=check_out(PROJECT_DIR, "prod", commit, 0, into))


def stack_with_rollback_together(into: Path) -> ProgramRun:
    """prod, from a copy of the program built with the opt-in stage rollback (as the rehearsal builds it)."""
    return _stack_of(Commit("roll back together", changes_code=lambda function: False, edits=(ROLLBACK_TOGETHER,)),
                     into)


def stack_with_stages_of_at_most(into: Path, actions: int) -> ProgramRun:
    """prod, from a copy of the program whose CodePipeline took at most `actions` actions a stage."""
    return _stack_of(Commit("a smaller CodePipeline", changes_code=lambda function: False, edits=((
        "aws_limits.py", "PIPELINE_MAX_ACTIONS_PER_STAGE = 50", f"PIPELINE_MAX_ACTIONS_PER_STAGE = {actions}"),)),
        into)


def stack_with_new_function(into: Path, name: str) -> ProgramRun:
    """prod with one more scheduled function, a copy of the worker."""
    return _stack_of(Commit("a new function", changes_code=lambda function: False, new_function=NewFunction(
        name, "worker", {"schedule": "rate(1 hour)", "functionUrlAuthType": "OFF"})), into)
