"""What the pipeline's actions hand each other, read from the prod stack's program run: every variable a buildspec
or a pipeline/ command reads is set by its project or by each action that runs it; every #{Namespace.NAME} an
action references is exported by an action that runs before it (an earlier stage, or a lower run order of its own);
each command imports only what its buildspec installs."""

import ast
import importlib
import json
import re
import sys
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from components.pipeline import BUILDSPECS
from components.scan_gate import PACKAGE
from pipeline.deploy_stage import function_versions
from tests.conftest import PROJECT_DIR
from tests.pipeline.buildspecs import (PIPELINE_TYPE, PROJECT_TYPE, action_variables, actions_of, assigned, buildspec,
                                       modules, named_files, project_variables, reads)

# What each buildspec is known to read: the parser must find at least these.
KNOWN_READS = {"test": set(), "build": {"APP", "PLATFORM", "REPOSITORY_URL"}, "deploy": {"PULUMI_STACK"},
               "release": set()}
# What the pipeline/ commands read from their environment, by the buildspec that runs them.
COMMAND_READS = {"deploy": {"IMAGE_DIGESTS"},
                 "release": {"FUNCTION_NAME", "ALIAS", "FUNCTION_VERSIONS", "APPLICATION", "DEPLOYMENT_GROUP"}}


def _environment_reads(stage: str) -> set[str]:
    """The variables the stage's pipeline/ modules read: os.environ.get("NAME") and environ("NAME")."""
    return {name for module in modules(stage)
            for name in re.findall(r"environ(?:\.get)?\(\"([A-Z_]+)\"", (PROJECT_DIR / (module.replace(".", "/") +
                                                                                       ".py")).read_text())}


@pytest.mark.parametrize("stage", sorted(BUILDSPECS))
def test_every_variable_a_build_reads_is_set_for_each_of_its_actions(prod_run, stage):
    read = reads(stage) | _environment_reads(stage)
    assert KNOWN_READS[stage] | COMMAND_READS.get(stage, set()) <= read
    for action in actions_of(prod_run, stage):
        available = set(project_variables(prod_run, stage)) | set(action_variables(action))
        assert read <= available, f"{action['name']} leaves {sorted(read - available)} unset"


def test_project_and_action_variables_do_not_override_each_other(prod_run):
    for stage in BUILDSPECS:
        for action in actions_of(prod_run, stage):
            assert not set(project_variables(prod_run, stage)) & set(action_variables(action))


@pytest.mark.parametrize("stage", sorted(BUILDSPECS))
def test_every_exported_variable_is_assigned_by_the_buildspec(stage):
    exported = (buildspec(stage).get("env") or {}).get("exported-variables", [])
    assert set(exported) <= assigned(stage)


def test_each_canary_releases_its_own_functions_version_from_the_deploys_export(prod_run, monkeypatch):
    import pipeline.release as release
    # A #{Namespace.NAME} is resolved by CodePipeline before the build starts: here, what PulumiUp exports.
    versions = json.dumps(function_versions(prod_run.exports["functions"]))
    called = []
    monkeypatch.setattr(release.boto3, "client", lambda service: service)
    monkeypatch.setattr(release, "release", lambda *args: called.append(args) or (True, "released"))
    for action in actions_of(prod_run, "release"):
        given = {name: variable["value"] for name, variable in action_variables(action).items()}
        assert given["FUNCTION_VERSIONS"] == "#{Deploy.FUNCTION_VERSIONS}"
        for name in COMMAND_READS["release"]:
            monkeypatch.setenv(name, versions if given[name].startswith("#{") else given[name])
        assert release.main([]) == 0
    groups = {g.inputs["appName"]: g.inputs["deploymentGroupName"]
              for g in prod_run.of_type("aws:codedeploy/deploymentGroup:DeploymentGroup")}
    assert called == [("lambda", "codedeploy", outputs["functionName"], "live", outputs["functionVersion"],
                       outputs["functionName"], groups[outputs["functionName"]])
                      for outputs in prod_run.exports["functions"].values()]


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
        request = gate.parse_parameters(json.dumps({"repositoryName": "lambdakit-prod-api", "function": "api",
                                                    "imageDigest": "sha256:" + "a" * 64}))
        return set(gate.output_variables(verdict, request))
    finally:
        for name in ("app", "scan_findings"):
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def test_every_namespace_reference_is_exported_by_an_action_that_runs_before(prod_run, scan_gate_outputs):
    stages = prod_run.one(PIPELINE_TYPE).inputs["stages"]
    when = {a["name"]: (index, a.get("runOrder", 1)) for index, stage in enumerate(stages) for a in stage["actions"]}
    by_namespace = {a["namespace"]: a for stage in stages for a in stage["actions"] if a.get("namespace")}
    buildspecs = {p.inputs["name"]: p.inputs["source"]["buildspec"] for p in prod_run.of_type(PROJECT_TYPE)}
    stage_of = {path: stage for stage, path in BUILDSPECS.items()}
    references = []
    for stage in stages:
        for action in stage["actions"]:
            for value in action["configuration"].values():
                for namespace, variable in re.findall(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_]+)\}", value):
                    references.append((namespace, variable))
                    exporter = by_namespace[namespace]
                    assert when[exporter["name"]] < when[action["name"]], f"{action['name']} reads {namespace} first"
                    if exporter["provider"] == "CodeBuild":
                        spec = buildspec(stage_of[buildspecs[exporter["configuration"]["ProjectName"]]])
                        assert variable in spec["env"]["exported-variables"], (namespace, variable)
                    else:
                        assert exporter["provider"] == "Lambda" and exporter["name"].startswith("Scan-")
                        assert variable in scan_gate_outputs, (namespace, variable)
    assert sorted(references) == [("Deploy", "FUNCTION_VERSIONS")] * 2 + [
        ("Image-api", "IMAGE_DIGEST"), ("Image-worker", "IMAGE_DIGEST"),
        ("Scan1", "entry"), ("Scan2", "entry")]


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


def imported(module_file, seen: set) -> set[str]:
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


@pytest.mark.parametrize("stage, calls_aws", [("build", True), ("deploy", False), ("release", True)])
def test_each_pipeline_command_imports_only_what_its_buildspec_installs(stage, calls_aws):
    installed = requirement_closure([f for f in named_files(stage) if f.endswith(".txt")])
    providers = metadata.packages_distributions()
    for module in modules(stage):
        names = imported(PROJECT_DIR / (module.replace(".", "/") + ".py"), set())
        assert ("boto3" in names) is calls_aws
        for name in names - set(sys.stdlib_module_names):
            assert {canonicalize_name(d) for d in providers.get(name, [])} & installed, (
                f"{module} imports {name}, which {BUILDSPECS[stage]} does not install")
