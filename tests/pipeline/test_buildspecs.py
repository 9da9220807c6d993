"""The CodeBuild buildspecs of pipeline/: valid, complete, and in step with the program that runs them.

Every file and module a command names exists; every variable a buildspec reads is set by its CodeBuild
project or by the pipeline action that starts it (both read from the prod stack's real program run); every
#{Namespace.VAR} the pipeline references is exported by the action of that namespace; and no secret is in
plain text anywhere.
"""

import ast
import importlib
import json
import re
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from components.container_image import image_build
from components.pipeline import BUILDSPECS
from components.scan_gate import PACKAGE
from tests.conftest import PROJECT_DIR

PIPELINE_TYPE = "aws:codepipeline/pipeline:Pipeline"
PROJECT_TYPE = "aws:codebuild/project:Project"
# CodeBuild's phases, in the order it runs them.
CODEBUILD_PHASES = ["install", "pre_build", "build", "post_build"]
NEEDED_PHASES = {"build": {"install", "pre_build", "build"}, "deploy": {"install", "build"},
                 "release": {"install", "build"}}
# Set by the shell or by CodeBuild itself in every build.
SHELL_AND_CODEBUILD = {"HOME", "PATH", "PWD", "OLDPWD", "SHELL", "USER", "IFS", "RANDOM", "AWS_REGION",
                       "AWS_DEFAULT_REGION"}
# What each buildspec is known to read: the parser below must find at least these.
KNOWN_READS = {"build": {"APP", "PLATFORM", "REPOSITORY_URL"}, "deploy": {"PULUMI_STACK", "IMAGE_DIGEST"},
               "release": set()}
# Token-looking text: a Pulumi access token, AWS access key ids, GitHub tokens, private keys.
SECRET_PATTERNS = [re.compile(p) for p in (r"pul-[0-9a-f]{40}", r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
                                           r"\bgh[pousr]_[A-Za-z0-9]{36}\b", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
                                           r"aws_secret_access_key\s*=")]
SECRET_NAMES = re.compile(r"TOKEN|SECRET|PASSWORD|PRIVATE|CREDENTIAL")


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


def docker_run(stage: str) -> list[str]:
    [command] = [c for c in commands(stage) if shlex.split(c)[:2] == ["docker", "run"]]
    return shlex.split(command)


def reads(stage: str) -> set[str]:
    """Variables the buildspec's commands expand, less those it assigns itself and the shell's own."""
    text = "\n".join(commands(stage))
    expanded = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))
    return expanded - assigned(stage) - SHELL_AND_CODEBUILD - {n for n in expanded if n.startswith("CODEBUILD_")}


def assigned(stage: str) -> set[str]:
    return {name for command in commands(stage)
            for name in re.findall(r"(?:^|[\s;&|(])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=", command)}


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


# --- What the prod stack's program run declares -------------------------------------------------------------

def projects_by_stage(run) -> dict:
    by_buildspec = {p.inputs["source"]["buildspec"]: p for p in run.of_type(PROJECT_TYPE)}
    return {stage: by_buildspec[path] for stage, path in BUILDSPECS.items()}


def project_variables(run, stage: str) -> dict[str, dict]:
    return {v["name"]: v for v in projects_by_stage(run)[stage].inputs["environment"].get("environmentVariables", [])}


def actions(run) -> list[dict]:
    """The pipeline's actions, stage by stage."""
    return [action for stage in run.one(PIPELINE_TYPE).inputs["stages"] for action in stage["actions"]]


def action_of(run, stage: str) -> dict:
    """The pipeline action that runs the stage's CodeBuild project."""
    name = projects_by_stage(run)[stage].inputs["name"]
    [action] = [a for a in actions(run) if a["provider"] == "CodeBuild" and a["configuration"]["ProjectName"] == name]
    return action


def action_variables(run, stage: str) -> dict[str, dict]:
    return {v["name"]: v for v in json.loads(action_of(run, stage)["configuration"].get("EnvironmentVariables", "[]"))}


# --- The files --------------------------------------------------------------------------------------------

def test_the_program_names_three_buildspecs_and_each_exists():
    assert set(BUILDSPECS) == {"build", "deploy", "release"}
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
    assert run == {"pipeline.push_image", "pipeline.release"}
    for module in sorted(run):
        assert (PROJECT_DIR / (module.replace(".", "/") + ".py")).is_file()
        helped = subprocess.run([sys.executable, "-m", module, "--help"], cwd=PROJECT_DIR, capture_output=True,
                                text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
        assert helped.returncode == 0, helped.stderr
        assert helped.stdout.startswith(f"usage: python -m {module}")


def test_the_deploy_stage_runs_the_policy_pack_the_project_holds():
    found = words(" ".join(commands("deploy")))
    packs = [following for word, following in zip(found, found[1:]) if word == "--policy-pack"]
    assert packs == ["policies"]
    assert (PROJECT_DIR / "policies" / "PulumiPolicy.yaml").is_file()


def test_the_deploy_stage_sets_only_settings_the_project_declares():
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    found = words(" ".join(commands("deploy")))
    settings = [following.split("=", 1)[0] for word, following in zip(found, found[1:]) if word in ("--config", "-c")]
    assert settings == [f"{project['name']}:imageDigest"]
    for setting in settings:
        namespace, key = setting.split(":")
        assert namespace == project["name"]
        assert key in project["config"]


def test_the_deploy_stage_reads_an_output_the_program_exports(prod_run):
    [command] = [c for c in commands("deploy") if "pulumi stack output" in c]
    output = shlex.split(command.split("$(", 1)[1].rstrip(")"))[-1]
    assert output == "functionVersion"
    # What the Traffic stage gets as TARGET_VERSION: a published version's number (pipeline/release.py).
    assert str(prod_run.exports[output]).isdigit()


# --- The Build stage: the README's tests, then the image the program would build -------------------------------

def test_the_readme_test_command_is_make_test():
    lines = (PROJECT_DIR / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Run the tests"))
    command = next(line for line in lines[start + 1:] if line.startswith("    "))
    assert command.strip() == "make test"
    assert re.search(r"^test:", (PROJECT_DIR / "Makefile").read_text(), re.MULTILINE)


def test_the_build_runs_the_readme_tests_in_a_container_before_it_pushes():
    phases = buildspec("build")["phases"]
    pre_build = " ".join(phases["pre_build"]["commands"])
    inner = shlex.split(pre_build)[-1]  # what `bash -c` runs in the container
    steps = [step.strip() for step in inner.split("&&")]
    assert steps[-2:] == ["bash .ci/install", "make test"]
    assert not any("push_image" in c for c in phases["pre_build"]["commands"])
    assert any("pipeline.push_image" in c for c in phases["build"]["commands"])


def test_the_build_runs_the_tests_with_the_guard_that_fails_rather_than_skips_the_image_tests():
    """tests/conftest.py skips the image tests where Docker cannot run them, except under CI: the Build is a gate."""
    run = docker_run("build")
    assert "CI=true" in [run[i + 1] for i, word in enumerate(run[:-1]) if word in ("--env", "-e")]


def test_the_test_container_mounts_the_checkout_and_hides_the_hosts_venvs():
    """The install phase makes venvs on Amazon Linux inside the checkout; their interpreter links and script
    shebangs name paths that do not exist in the Debian container, so each must be hidden there."""
    run = docker_run("build")
    workdir = run[run.index("--workdir") + 1]
    volumes = [run[i + 1] for i, word in enumerate(run) if word in ("--volume", "-v")]
    assert f"$PWD:{workdir}" in volumes
    host_venvs = {words(c)[words(c).index("venv") + 1] for c in buildspec("build")["phases"]["install"]["commands"]
                  if " -m venv " in c}
    assert host_venvs == {"venv"}
    for venv in host_venvs:
        assert f"{workdir}/{venv}" in volumes, f"{venv} of the host is visible to the test container"


def test_the_build_project_is_privileged_and_native_for_the_platform(prod_run):
    """The build runs Docker (privileged) and builds the function's platform natively (an arm64 host)."""
    project = projects_by_stage(prod_run)["build"].inputs
    assert any("docker" in words(c) for c in commands("build"))
    assert project["environment"]["privilegedMode"] is True
    assert project["environment"]["type"] == "ARM_CONTAINER"
    assert action_variables(prod_run, "build")["PLATFORM"]["value"] == "linux/arm64"
    for stage in ("deploy", "release"):
        assert not any("docker" in words(c) for c in commands(stage))
    # The deploy runs no docker command, but pulumi-docker's provider needs the daemon that privileged mode starts.
    assert projects_by_stage(prod_run)["deploy"].inputs["environment"]["privilegedMode"] is True
    assert projects_by_stage(prod_run)["release"].inputs["environment"]["privilegedMode"] is False


def test_the_dockerfile_the_build_uses_is_the_programs_and_exists(prod_run):
    variables = action_variables(prod_run, "build")
    app, platform = variables["APP"]["value"], variables["PLATFORM"]["value"]
    build = image_build(Path("functions", app), platform, {})
    assert (PROJECT_DIR / build["dockerfile"]).is_file()
    assert build["dockerfile"] == f"functions/{app}/Dockerfile"
    assert prod_run.one("docker:index/image:Image").inputs["build"] == build


def test_every_base_image_comes_from_ecr_public_pinned_by_digest():
    """Docker Hub limits anonymous pulls per address and CodeBuild's builds share addresses (HTTP 429 now and then);
    ECR Public mirrors Docker's official images under the same digests."""
    for dockerfile in sorted(PROJECT_DIR.glob("functions/*/Dockerfile")):
        bases = re.findall(r"^ARG \w+_IMAGE=(\S+)$", dockerfile.read_text(), re.MULTILINE)
        assert bases, dockerfile
        for base in bases:
            assert re.fullmatch(r"public\.ecr\.aws/docker/library/[a-z0-9.-]+:[\w.-]+@sha256:[0-9a-f]{64}", base), base


# --- Variables: what each buildspec reads is set, what the pipeline references is exported -------------------

@pytest.mark.parametrize("stage", sorted(BUILDSPECS))
def test_every_variable_a_buildspec_reads_is_set_for_its_build(prod_run, stage):
    read = reads(stage)
    assert KNOWN_READS[stage] <= read
    available = set(project_variables(prod_run, stage)) | set(action_variables(prod_run, stage))
    assert read <= available, f"{BUILDSPECS[stage]} reads {sorted(read - available)}, which nothing sets"


def test_project_and_action_variables_do_not_override_each_other(prod_run):
    for stage in BUILDSPECS:
        assert not set(project_variables(prod_run, stage)) & set(action_variables(prod_run, stage))


@pytest.mark.parametrize("stage", sorted(BUILDSPECS))
def test_every_exported_variable_is_assigned_by_the_buildspec(stage):
    exported = buildspec(stage)["env"].get("exported-variables", [])
    assert set(exported) <= assigned(stage)


def test_the_release_command_finds_every_argument_in_the_traffic_actions_variables(prod_run, monkeypatch):
    import pipeline.release as release
    given = {name: v["value"] for name, v in action_variables(prod_run, "release").items()}
    for name in ("FUNCTION_NAME", "ALIAS", "TARGET_VERSION", "APPLICATION", "DEPLOYMENT_GROUP"):
        monkeypatch.delenv(name, raising=False)
    for name, value in given.items():
        # A #{Namespace.VAR} is resolved by CodePipeline before the build starts: here, a published version.
        monkeypatch.setenv(name, "7" if value.startswith("#{") else value)
    calls = []
    monkeypatch.setattr(release.boto3, "client", lambda service: service)
    monkeypatch.setattr(release, "release", lambda *args: calls.append(args) or (True, "released"))
    assert release.main([]) == 0
    group = prod_run.one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs
    alias = prod_run.one("aws:lambda/alias:Alias").inputs
    assert calls == [("lambda", "codedeploy", alias["functionName"], alias["name"], "7", group["appName"],
                      group["deploymentGroupName"])]
    assert given["TARGET_VERSION"] == "#{Deploy.FUNCTION_VERSION}"


@pytest.fixture
def scan_gate_outputs(tmp_path, monkeypatch) -> set[str]:
    """The output variables the scan gate sets when an image passes, from functions/scan-gate/app.py itself."""
    for name, source in PACKAGE.items():
        (tmp_path / name).write_bytes((PROJECT_DIR / source).read_bytes())
    for name, value in {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(tmp_path))
    saved = {name: sys.modules.pop(name) for name in ("app", "scan_findings") if name in sys.modules}
    try:
        gate = importlib.import_module("app")
        verdict = gate.Verdict(gate.Outcome.PASS, "no finding fails the gate", {})
        request = gate.GateRequest("lambdakit-prod-api", "sha256:" + "a" * 64, "", gate.Thresholds(), 1800)
        return set(gate.output_variables(verdict, request))
    finally:
        for name in ("app", "scan_findings"):
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def test_every_namespace_reference_is_exported_by_an_earlier_action(prod_run, scan_gate_outputs):
    run_actions = actions(prod_run)
    projects = {p.inputs["name"]: p.inputs["source"]["buildspec"] for p in prod_run.of_type(PROJECT_TYPE)}
    buildspecs = {path: stage for stage, path in BUILDSPECS.items()}
    references = []
    for position, action in enumerate(run_actions):
        for value in action["configuration"].values():
            for namespace, variable in re.findall(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_]+)\}", value):
                references.append((namespace, variable))
                [source] = [i for i, a in enumerate(run_actions) if a.get("namespace") == namespace]
                assert source < position, f"#{{{namespace}.{variable}}} is read before {namespace} runs"
                exporter = run_actions[source]
                if exporter["provider"] == "CodeBuild":
                    stage = buildspecs[projects[exporter["configuration"]["ProjectName"]]]
                    assert variable in buildspec(stage)["env"]["exported-variables"], (namespace, variable)
                else:
                    assert (exporter["provider"], namespace) == ("Lambda", "Scan")
                    assert variable in scan_gate_outputs, (namespace, variable)
    assert sorted(references) == [("Build", "IMAGE_DIGEST"), ("Deploy", "FUNCTION_VERSION"), ("Scan", "imageDigest")]


# --- Imports: each command runs in the venv its buildspec makes ------------------------------------------------

def requirement_closure(files: list[str]) -> set[str]:
    """The distributions pip installs for these requirement files (pins and their dependencies, as installed)."""
    pending = []
    for path in files:
        for line in (PROJECT_DIR / path).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                pending.append(Requirement(line))
    found: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found.add(name)
        for dependency in metadata.requires(requirement.name) or []:
            dependency = Requirement(dependency)
            if dependency.marker is None or dependency.marker.evaluate({"extra": ""}):
                pending.append(dependency)
    return found


def imported(module_file: Path, seen: set[Path]) -> set[str]:
    """Top-level names of what the module imports, following the project's own modules."""
    if module_file in seen:
        return set()
    seen.add(module_file)
    names = set()
    for node in ast.walk(ast.parse(module_file.read_text())):
        targets = ([a.name for a in node.names] if isinstance(node, ast.Import)
                   else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
        for target in targets:
            parts = target.split(".")
            local = [PROJECT_DIR.joinpath(*parts[:i]) for i in range(1, len(parts) + 1)]
            files = [p / "__init__.py" for p in local if (p / "__init__.py").is_file()]
            files += [p.with_suffix(".py") for p in local if p.with_suffix(".py").is_file()]
            if files:
                for file in files:
                    names |= imported(file, seen)
            else:
                names.add(parts[0])
    return names


@pytest.mark.parametrize("stage", ["build", "release"])
def test_each_pipeline_command_imports_only_what_its_buildspec_installs(stage):
    installed = requirement_closure([f for f in named_files(stage) if f.endswith(".txt")])
    providers = metadata.packages_distributions()
    for module in modules(stage):
        names = imported(PROJECT_DIR / (module.replace(".", "/") + ".py"), set())
        assert "boto3" in names
        for name in names - set(sys.stdlib_module_names):
            assert {canonicalize_name(d) for d in providers.get(name, [])} & installed, (
                f"{module} imports {name}, which {BUILDSPECS[stage]} does not install")


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
        assert "PULUMI_ACCESS_TOKEN" not in (spec["env"].get(section) or {})


def test_the_deploy_project_reads_the_token_from_the_stacks_secret(prod_run):
    secret = prod_run.one("aws:secretsmanager/secret:Secret")
    token = project_variables(prod_run, "deploy")["PULUMI_ACCESS_TOKEN"]
    assert token["type"] == "SECRETS_MANAGER"
    assert token["value"] == secret.state["arn"] == prod_run.exports["pulumiTokenSecretArn"]
    assert "PULUMI_ACCESS_TOKEN" not in action_variables(prod_run, "deploy")


def test_the_deploy_stage_updates_this_projects_stack(prod_run):
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["name"]
    stack = project_variables(prod_run, "deploy")["PULUMI_STACK"]
    assert stack.get("type", "PLAINTEXT") == "PLAINTEXT"
    assert stack["value"].split("/")[1:] == [project, "prod"]


def test_no_secret_looking_variable_is_plain_text(prod_run):
    seen = []
    for stage in BUILDSPECS:
        for name, variable in {**project_variables(prod_run, stage), **action_variables(prod_run, stage)}.items():
            if SECRET_NAMES.search(name):
                seen.append(name)
                assert variable.get("type") in ("SECRETS_MANAGER", "PARAMETER_STORE"), name
            for pattern in SECRET_PATTERNS:
                assert not pattern.search(str(variable["value"])), name
    assert seen == ["PULUMI_ACCESS_TOKEN"]
