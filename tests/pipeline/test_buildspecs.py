"""The CodeBuild buildspecs of pipeline/: valid, complete, and in step with the program that runs them.

Every file and module a command names exists; the tests run once (their own project) and each function's image is
built by the program's rules; the Deploy stage sets only the array setting the project declares, the way the Pulumi
CLI takes an array, and reads an output the program exports; no secret is in plain text anywhere. What each buildspec
reads and exports, and what the actions pass each other: test_pipeline_variables.py.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.container_image import image_build
from components.pipeline import BUILDSPECS
from components.pipeline_stages import IMAGE_DIGESTS_SETTING
from pipeline.deploy_stage import function_versions
from tests.conftest import PROJECT_DIR
from tests.pipeline.buildspecs import (CODEBUILD_PHASES, action_variables, actions, actions_of, all_words, assigned,
                                       buildspec, commands, docker_run, following, modules, named_files,
                                       project_variables, projects_by_stage, words)

NEEDED_PHASES = {"test": {"build"}, "build": {"install", "build"}, "deploy": {"install", "build"},
                 "release": {"install", "build"}}
# Token-looking text: a Pulumi access token, AWS access key ids, GitHub tokens, private keys.
SECRET_PATTERNS = [re.compile(p) for p in (r"pul-[0-9a-f]{40}", r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
                                           r"\bgh[pousr]_[A-Za-z0-9]{36}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
                                           r"aws_secret_access_key\s*=")]
SECRET_NAMES = re.compile(r"TOKEN|SECRET|PASSWORD|PRIVATE|CREDENTIAL")


# --- The files --------------------------------------------------------------------------------------------

def test_the_program_names_four_buildspecs_and_each_exists():
    assert set(BUILDSPECS) == {"test", "build", "deploy", "release"}
    for path in BUILDSPECS.values():
        assert (PROJECT_DIR / path).is_file(), path
        assert Path(path).parent == Path("pipeline")


@pytest.mark.parametrize("stage", sorted(NEEDED_PHASES))
def test_each_buildspec_is_version_0_2_with_the_phases_it_needs(stage):
    spec = buildspec(stage)
    assert isinstance(spec, dict)
    assert str(spec["version"]) == "0.2"
    assert set(spec["phases"]) <= set(CODEBUILD_PHASES)
    assert NEEDED_PHASES[stage] <= set(spec["phases"])
    for phase in NEEDED_PHASES[stage]:
        assert spec["phases"][phase]["commands"], f"{stage}: {phase} runs nothing"
        assert all(isinstance(c, str) and c.strip() for c in spec["phases"][phase]["commands"])


def test_every_file_a_command_names_exists():
    named = set().union(*(named_files(stage) for stage in BUILDSPECS))
    assert {"pipeline/install-pulumi.sh", "requirements.txt", "pipeline/requirements.txt", "policies/requirements.txt",
            ".ci/install"} <= named
    for path in named:
        assert (PROJECT_DIR / path).is_file(), path


def test_every_pipeline_module_a_command_runs_exists_and_runs_as_python_m(tmp_path):
    run = set().union(*(modules(stage) for stage in BUILDSPECS))
    assert run == {"pipeline.push_image", "pipeline.release", "pipeline.deploy_stage"}
    for module in sorted(run):
        assert (PROJECT_DIR / (module.replace(".", "/") + ".py")).is_file()
        helped = subprocess.run([sys.executable, "-m", module, "--help"], cwd=PROJECT_DIR, capture_output=True,
                                text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
        assert helped.returncode == 0, helped.stderr
        assert helped.stdout.startswith(f"usage: python -m {module}")


# --- The Deploy stage: one `pulumi up`, every digest in the array setting ------------------------------------

def test_the_deploy_stage_runs_the_policy_pack_the_project_holds():
    assert following("deploy", "--policy-pack") == ["policies"]
    assert (PROJECT_DIR / "policies" / "PulumiPolicy.yaml").is_file()


def test_the_deploy_stage_sets_only_the_array_setting_the_project_declares_and_before_its_up():
    """Through `pulumi config rm` and `set-all --path` (pipeline/deploy_stage.py), never `pulumi up -c`, which would
    take the whole array as one string."""
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    [setting] = following("deploy", "--setting")
    namespace, key = setting.split(":")
    assert (namespace, key) == (project["name"], IMAGE_DIGESTS_SETTING)
    assert project["config"][key]["type"] == "array" and project["config"][key]["items"] == {"type": "string"}
    assert following("deploy", "--config") == following("deploy", "-c") == []
    build = buildspec("deploy")["phases"]["build"]["commands"]
    up = next(i for i, command in enumerate(build) if command.startswith("pulumi up "))
    assert any("pipeline.deploy_stage digests" in command for command in build[:up])


def test_the_deploy_stage_reads_an_output_the_program_exports(prod_run):
    [command] = [c for c in commands("deploy") if "pulumi stack output" in c]
    assert words(command.split("$(", 1)[1].rstrip(")"))[:7] == [
        "pulumi", "stack", "output", "--stack", "$PULUMI_STACK", "functions", "--json"]
    assert "pipeline.deploy_stage versions" in command
    # What the Canary actions get as FUNCTION_VERSIONS: each function's published version (pipeline/release.py).
    assert function_versions(prod_run.exports["functions"]) == {
        outputs["functionName"]: outputs["functionVersion"] for outputs in prod_run.exports["functions"].values()}


# --- The Build stage: the README's tests once, then the image the program would build, per function ---------

def test_the_readme_test_command_is_make_test():
    lines = (PROJECT_DIR / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Run the tests"))
    command = next(line for line in lines[start + 1:] if line.startswith("    "))
    assert command.strip() == "make test"
    assert re.search(r"^test:", (PROJECT_DIR / "Makefile").read_text(), re.MULTILINE)


def test_the_tests_run_in_their_own_build_once_before_any_image(prod_run):
    inner = docker_run("test")[-1]  # what `bash -c` runs in the container
    assert [step.strip() for step in inner.split("&&")][-2:] == ["bash .ci/install", "make test"]
    assert not any("make" in words(c) for c in commands("build"))
    assert any("pipeline.push_image" in c for c in commands("build"))
    [test] = actions_of(prod_run, "test")
    images = actions_of(prod_run, "build")
    assert len(images) == len(prod_run.exports["functions"]) == 2
    assert {a.get("runOrder", 1) for a in images} == {test.get("runOrder", 1) + 1}


def test_the_tests_run_with_the_guard_that_fails_rather_than_skips_the_image_tests():
    """tests/conftest.py skips the image tests where Docker cannot run them, except under CI: the Build is a gate."""
    run = docker_run("test")
    assert "CI=true" in [run[i + 1] for i, word in enumerate(run[:-1]) if word in ("--env", "-e")]


def test_the_test_container_mounts_the_checkout_and_no_venv_of_the_host():
    """A venv made on Amazon Linux inside the checkout names paths that do not exist in the Debian container; the
    test build makes none, so `make test` makes its own there."""
    run = docker_run("test")
    workdir = run[run.index("--workdir") + 1]
    volumes = [run[i + 1] for i, word in enumerate(run) if word in ("--volume", "-v")]
    assert f"$PWD:{workdir}" in volumes
    assert not any(" -m venv " in c for c in commands("test"))


def test_the_builds_that_run_docker_are_privileged_and_native_for_the_platform(prod_run):
    projects = {stage: registration.inputs for stage, registration in projects_by_stage(prod_run).items()}
    assert "docker" in all_words("test")  # and push_image runs docker build and push
    assert {stage for stage, project in projects.items() if project["environment"]["privilegedMode"]} == {
        "test", "build", "deploy"}  # the deploy: pulumi-docker's provider needs the daemon privileged mode starts
    assert {project["environment"]["type"] for project in projects.values()} == {"ARM_CONTAINER"}
    assert {action_variables(a)["PLATFORM"]["value"] for a in actions_of(prod_run, "build")} == {"linux/arm64"}
    for stage in ("deploy", "release"):
        assert "docker" not in all_words(stage)


def test_each_image_is_the_dockerfile_the_program_builds_for_that_function(prod_run):
    built = sorted((image.inputs["build"]["dockerfile"], image.inputs["build"]) for image in
                   prod_run.of_type("docker:index/image:Image"))
    wanted = []
    for action in actions_of(prod_run, "build"):
        given = {name: variable["value"] for name, variable in action_variables(action).items()}
        build = image_build(Path("functions", given["APP"]), given["PLATFORM"], {})
        assert (PROJECT_DIR / build["dockerfile"]).is_file()
        assert build["dockerfile"] == f"functions/{given['APP']}/Dockerfile"
        assert given["REPOSITORY_URL"] == prod_run.exports["functions"][given["APP"]]["repositoryUrl"]
        wanted.append((build["dockerfile"], build))
    assert sorted(wanted) == built


def test_every_base_image_comes_from_ecr_public_pinned_by_digest():
    """Docker Hub limits anonymous pulls per address and CodeBuild's builds share addresses (HTTP 429 now and then);
    ECR Public mirrors Docker's official images under the same digests."""
    for dockerfile in sorted(PROJECT_DIR.glob("functions/*/Dockerfile")):
        bases = re.findall(r"^ARG \w+_IMAGE=(\S+)$", dockerfile.read_text(), re.MULTILINE)
        assert bases, dockerfile
        for base in bases:
            assert re.fullmatch(r"public\.ecr\.aws/docker/library/[a-z0-9.-]+:[\w.-]+@sha256:[0-9a-f]{64}", base), base


# --- Secrets ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(p.name for p in (PROJECT_DIR / "pipeline").iterdir() if p.is_file()))
def test_no_pipeline_file_holds_a_token(path):
    text = (PROJECT_DIR / "pipeline" / path).read_text()
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(text), f"{path}: {pattern.pattern}"


@pytest.mark.parametrize("stage", sorted(BUILDSPECS))
def test_no_buildspec_sets_the_pulumi_token(stage):
    spec = buildspec(stage)
    assert "PULUMI_ACCESS_TOKEN" not in assigned(stage)
    assert not re.search(r"PULUMI_ACCESS_TOKEN\s*[:=]", (PROJECT_DIR / BUILDSPECS[stage]).read_text())
    for section in ("variables", "parameter-store", "secrets-manager"):
        assert "PULUMI_ACCESS_TOKEN" not in ((spec.get("env") or {}).get(section) or {})


def test_the_deploy_project_reads_the_token_from_the_stacks_secret(prod_run):
    secret = prod_run.one("aws:secretsmanager/secret:Secret")
    token = project_variables(prod_run, "deploy")["PULUMI_ACCESS_TOKEN"]
    assert token["type"] == "SECRETS_MANAGER"
    assert token["value"] == secret.state["arn"] == prod_run.exports["pulumiTokenSecretArn"]
    assert all("PULUMI_ACCESS_TOKEN" not in action_variables(a) for a in actions(prod_run) if a["provider"] == "CodeBuild")


def test_the_deploy_stage_updates_this_projects_stack(prod_run):
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["name"]
    stack = project_variables(prod_run, "deploy")["PULUMI_STACK"]
    assert stack.get("type", "PLAINTEXT") == "PLAINTEXT"
    assert stack["value"].split("/")[1:] == [project, "prod"]


def test_no_secret_looking_variable_is_plain_text(prod_run):
    seen = []
    given = [project_variables(prod_run, stage) for stage in BUILDSPECS]
    given += [action_variables(a) for a in actions(prod_run) if a["provider"] == "CodeBuild"]
    for variables in given:
        for name, variable in variables.items():
            if SECRET_NAMES.search(name):
                seen.append(name)
                assert variable.get("type") in ("SECRETS_MANAGER", "PARAMETER_STORE"), name
            for pattern in SECRET_PATTERNS:
                assert not pattern.search(str(variable["value"])), name
    assert seen == ["PULUMI_ACCESS_TOKEN"]
