"""What the pipeline's tests read of the buildspecs (pipeline/buildspec-*.yml) and of the prod stack's pipeline: each
buildspec's commands and the words the shell makes of them, the variables they read and set, the files and modules
they name; each CodeBuild project and the actions that run it, with their variables."""

import json
import re
import shlex

import yaml

from components.pipeline import BUILDSPECS
from tests.conftest import PROJECT_DIR

PIPELINE_TYPE = "aws:codepipeline/pipeline:Pipeline"
PROJECT_TYPE = "aws:codebuild/project:Project"
# CodeBuild's phases, in the order it runs them.
CODEBUILD_PHASES = ["install", "pre_build", "build", "post_build"]
# Set by the shell or by CodeBuild itself in every build.
SHELL_AND_CODEBUILD = {"HOME", "PATH", "PWD", "OLDPWD", "SHELL", "USER", "IFS", "RANDOM", "AWS_REGION",
                       "AWS_DEFAULT_REGION"}


def buildspec(stage: str) -> dict:
    return yaml.safe_load((PROJECT_DIR / BUILDSPECS[stage]).read_text())


def commands(stage: str) -> list[str]:
    """Every command of the buildspec, phase by phase in CodeBuild's order."""
    phases = buildspec(stage)["phases"]
    return [command for phase in CODEBUILD_PHASES for command in (phases.get(phase) or {}).get("commands", [])]


def words(command: str) -> list[str]:
    """The command's words as the shell splits them, with those of any `bash -c "..."` it runs."""
    found = shlex.split(command)
    for index, word in enumerate(found[:-2]):
        if word in ("bash", "sh") and found[index + 1] == "-c":
            found += words(found[index + 2])
    return found


def all_words(stage: str) -> list[str]:
    return [word for command in commands(stage) for word in words(command)]


def docker_run(stage: str) -> list[str]:
    [command] = [c for c in commands(stage) if shlex.split(c)[:2] == ["docker", "run"]]
    return shlex.split(command)


def assigned(stage: str) -> set[str]:
    return {name for command in commands(stage)
            for name in re.findall(r"(?:^|[\s;&|(])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=", command)}


def reads(stage: str) -> set[str]:
    """Variables the buildspec's commands expand, less those it assigns itself and the shell's own."""
    text = "\n".join(commands(stage))
    expanded = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))
    return expanded - assigned(stage) - SHELL_AND_CODEBUILD - {n for n in expanded if n.startswith("CODEBUILD_")}


def named_files(stage: str) -> set[str]:
    """The project files the commands name: requirement files (-r), scripts run with bash."""
    named = set()
    for command in commands(stage):
        found = words(command)
        for word, following in zip(found, found[1:]):
            if word == "-r" or (word == "bash" and following != "-c"):
                named.add(following)
    return named


def modules(stage: str) -> set[str]:
    return {m for c in commands(stage) for m in re.findall(r"python3?\s+-m\s+([\w.]+)", c) if m.startswith("pipeline.")}


def following(stage: str, option: str) -> list[str]:
    """The words that follow `option` in the buildspec's commands."""
    found = all_words(stage)
    return [after for word, after in zip(found, found[1:]) if word == option]


# --- What the prod stack's program run declares -------------------------------------------------------------

def projects_by_stage(run) -> dict:
    by_buildspec = {p.inputs["source"]["buildspec"]: p for p in run.of_type(PROJECT_TYPE)}
    return {stage: by_buildspec[path] for stage, path in BUILDSPECS.items()}


def project_variables(run, stage: str) -> dict[str, dict]:
    return {v["name"]: v for v in projects_by_stage(run)[stage].inputs["environment"].get("environmentVariables", [])}


def actions(run) -> list[dict]:
    """The pipeline's actions, stage by stage, each stage's in run order."""
    stages = run.one(PIPELINE_TYPE).inputs["stages"]
    return [action for stage in stages for action in sorted(stage["actions"], key=lambda a: a.get("runOrder", 1))]


def actions_of(run, stage: str) -> list[dict]:
    """The pipeline actions that run the stage's CodeBuild project (one per function for build and release)."""
    name = projects_by_stage(run)[stage].inputs["name"]
    return [a for a in actions(run) if a["provider"] == "CodeBuild" and a["configuration"]["ProjectName"] == name]


def action_variables(action: dict) -> dict[str, dict]:
    return {v["name"]: v for v in json.loads(action["configuration"].get("EnvironmentVariables", "[]"))}
