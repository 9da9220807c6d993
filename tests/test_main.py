"""The whole program per stack: the properties each stack really sets."""

import subprocess
import sys

import pytest
from google.protobuf import json_format
from pulumi.runtime import rpc

from tests.conftest import PROJECT_DIR, PUSHED_IMAGE_BYTES

FUNCTIONS = ("api", "worker")  # both stacks' functions: Pulumi.dev.yaml and Pulumi.prod.yaml list them


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_function_runs_the_pushed_image_by_digest_on_arm64(any_stack_run, name):
    """Each function runs its own image, pushed to its own repository."""
    parts = any_stack_run.under(name)
    function = parts.one("aws:lambda/function:Function").inputs
    image = parts.one("docker:index/image:Image")
    assert function["packageType"] == "Image"
    assert function["architectures"] == ["arm64"]
    assert function["imageUri"] == image.state["repoDigest"]
    repository, digest = function["imageUri"].split("@")
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64
    assert repository == parts.one("aws:ecr/repository:Repository").state["repositoryUrl"]
    assert function["tags"]["lambdakit:image-size-bytes"] == str(PUSHED_IMAGE_BYTES)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_image_is_built_for_the_functions_platform(any_stack_run, name):
    build = any_stack_run.under(name).one("docker:index/image:Image").inputs["build"]
    assert build["platform"] == "linux/arm64"
    assert build["context"] == f"functions/{name}"  # relative: the same on every machine, so no diff


@pytest.mark.parametrize("stack, memory, timeout, reserved, retention, log_level", [
    ("dev", 1024, 30, 10, 7, "DEBUG"),  # a ceiling under dev's public URL
    ("prod", 2048, 15, 50, 90, "INFO"),
])
def test_sizes_limits_and_logging_per_stack(request, stack, memory, timeout, reserved, retention, log_level):
    run = request.getfixturevalue(f"{stack}_run")
    function = run.under("api").one("aws:lambda/function:Function").inputs
    assert (function["memorySize"], function["timeout"], function["reservedConcurrentExecutions"]) == (
        memory, timeout, reserved)
    assert function["ephemeralStorage"] == {"size": 512}
    assert function["tracingConfig"] == {"mode": "Active"}
    assert function["publish"] is True
    assert function["environment"]["variables"]["ENVIRONMENT"] == stack
    assert function["environment"]["variables"]["LOG_LEVEL"] == log_level
    assert function["loggingConfig"]["applicationLogLevel"] == log_level
    log_group = run.under("api").one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert log_group["name"] == f"/aws/lambda/{function['name']}"
    assert log_group["retentionInDays"] == retention
    assert function["loggingConfig"]["logGroup"] == log_group["name"]


def test_dev_is_disposable(dev_run):
    repositories = [r.inputs for r in dev_run.of_type("aws:ecr/repository:Repository")]
    assert len(repositories) == len(FUNCTIONS)
    for repository in repositories:
        assert repository["imageTagMutability"] == "MUTABLE", repository["name"]
        assert repository["forceDelete"] is True, repository["name"]
    assert dev_run.of_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig") == []
    assert dev_run.under("api").one("aws:lambda/function:Function").inputs["environment"]["variables"]["FEATURE_ECHO"] == "on"


def test_prod_is_guarded(prod_run):
    repositories = [r.inputs for r in prod_run.of_type("aws:ecr/repository:Repository")]
    assert len(repositories) == len(FUNCTIONS)
    for repository in repositories:
        assert repository["imageTagMutability"] == "IMMUTABLE", repository["name"]
        assert repository["forceDelete"] is False, repository["name"]
    # Warm environments for the api's users; the scheduled worker has none (Pulumi.prod.yaml).
    provisioned = prod_run.one("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig").inputs
    alias = prod_run.under("api").one("aws:lambda/alias:Alias")
    assert provisioned["functionName"] == alias.inputs["functionName"] == "lambdakit-prod-api"
    assert provisioned["qualifier"] == alias.inputs["name"] == "live"
    assert provisioned["provisionedConcurrentExecutions"] == 2
    assert provisioned["provisionedConcurrentExecutions"] <= prod_run.under("api").one(
        "aws:lambda/function:Function").inputs["reservedConcurrentExecutions"]


@pytest.mark.parametrize("stack, auth, public_grants, cors", [
    ("dev", "NONE", 2, {"allowOrigins": ["*"], "allowMethods": ["GET", "POST"],
                         "allowHeaders": ["content-type"], "maxAge": 300}),
    ("prod", "AWS_IAM", 0, {"allowOrigins": ["https://app.example.com"], "allowMethods": ["GET", "POST"],
                            "allowHeaders": ["content-type", "authorization", "x-amz-date", "x-amz-security-token",
                                             "x-amz-content-sha256"], "maxAge": 300}),
])
def test_the_function_url_sits_on_the_live_alias(request, stack, auth, public_grants, cors):
    run = request.getfixturevalue(f"{stack}_run")
    url = run.one("aws:lambda/functionUrl:FunctionUrl").inputs
    assert url["authorizationType"] == auth
    assert url["qualifier"] == "live"
    assert url["cors"] == cors
    permissions = run.of_type("aws:lambda/permission:Permission")
    assert len(permissions) == public_grants
    assert all(p.inputs["principal"] == "*" and p.inputs["qualifier"] == "live" for p in permissions)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_alias_points_at_the_published_version(any_stack_run, name):
    alias = any_stack_run.under(name).one("aws:lambda/alias:Alias").inputs
    function = any_stack_run.under(name).one("aws:lambda/function:Function").state
    assert alias["functionVersion"] == function["version"]
    assert alias["functionName"] == function["name"]


PIPELINE_EXPORTS = {"pipelineName", "connectionArn", "connectionConsole", "pulumiTokenSecretArn"}


def test_exports_are_what_a_user_needs(any_stack_run):
    exports = any_stack_run.exports
    with_pipeline = bool(any_stack_run.of_type("aws:codepipeline/pipeline:Pipeline"))
    budgets = any_stack_run.of_type("aws:budgets/budget:Budget")
    assert set(exports) == {"functions", "alarmTopicArn", "dashboardName", "dashboardNames",
                            *((*PIPELINE_EXPORTS, "scanGateFunctionName") if with_pipeline else ()),
                            *(["budgetName"] if budgets else ())}
    assert [exports["budgetName"]] == [b.inputs["name"] for b in budgets] if budgets else "budgetName" not in exports
    if with_pipeline:  # the gate exists only where a pipeline calls it
        assert exports["scanGateFunctionName"] == any_stack_run.under("scan-gate").one(
            "aws:lambda/function:Function").inputs["name"]
    assert exports["alarmTopicArn"] == any_stack_run.one("aws:sns/topic:Topic").state["arn"]
    assert exports["dashboardName"] == any_stack_run.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardName"]
    assert exports["dashboardNames"] == [exports["dashboardName"]]  # two functions fill one page


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_exports_its_own_name_alias_version_image_and_repository(any_stack_run, name):
    exported = any_stack_run.exports["functions"]
    assert set(exported) == set(FUNCTIONS)
    own, parts = exported[name], any_stack_run.under(name)
    function = parts.one("aws:lambda/function:Function")
    assert set(own) == {"functionName", "functionUrl", "functionUrlAuthType", "aliasArn", "functionVersion",
                        "imageUri", "repositoryUrl"}
    assert own["functionName"] == function.inputs["name"]
    assert own["functionVersion"] == function.state["version"]
    assert own["aliasArn"] == parts.one("aws:lambda/alias:Alias").state["arn"]
    assert own["aliasArn"].endswith(f"{function.inputs['name']}:live")
    assert own["imageUri"] == function.inputs["imageUri"]
    assert own["repositoryUrl"] == parts.one("aws:ecr/repository:Repository").state["repositoryUrl"]


def test_only_a_function_with_a_url_exports_one(any_stack_run):
    api, worker = (any_stack_run.exports["functions"][name] for name in FUNCTIONS)
    url = any_stack_run.under("api").one("aws:lambda/functionUrl:FunctionUrl")
    assert api["functionUrl"] == url.state["functionUrl"] and api["functionUrl"].startswith("https://")
    assert api["functionUrlAuthType"] == url.inputs["authorizationType"]
    # The scheduled worker (functionUrlAuthType OFF) has no URL: `make validate --stack` finds nothing to call.
    assert (worker["functionUrl"], worker["functionUrlAuthType"]) == (None, None)


def test_every_child_has_a_component_parent(any_stack_run):
    components = {r.urn for r in any_stack_run.resources if not r.custom}
    with_pipeline = bool(any_stack_run.of_type("aws:codepipeline/pipeline:Pipeline"))
    assert {r.type for r in any_stack_run.resources if not r.custom} == {
        "lambdakit:service:LambdaService", "lambdakit:image:ContainerImage", "lambdakit:function:ContainerFunction",
        "lambdakit:trigger:ScheduledTrigger",  # the worker's schedule, on both stacks
        "lambdakit:notifications:AlarmTopic", "lambdakit:monitoring:FunctionMonitoring",
        "lambdakit:dashboard:StackDashboard", "lambdakit:iam:RoleBoundary",
        *(("lambdakit:scan:ScanGate", "lambdakit:delivery:CanaryRelease", "lambdakit:delivery:DeliveryPipeline")
          if with_pipeline else ()),
        *(("lambdakit:cost:StackBudget",) if any_stack_run.of_type("aws:budgets/budget:Budget") else ())}
    assert all(r.parent in components for r in any_stack_run.resources if r.custom)
    # Each function's parts belong to its own LambdaService.
    services = {r.urn: r.name for r in any_stack_run.resources if r.type == "lambdakit:service:LambdaService"}
    assert sorted(services.values()) == sorted(FUNCTIONS)
    for r in any_stack_run.resources:
        if r.type in ("lambdakit:image:ContainerImage", "lambdakit:function:ContainerFunction",
                      "lambdakit:trigger:ScheduledTrigger", "lambdakit:delivery:CanaryRelease"):
            assert services.get(r.parent) == r.name.removesuffix("-release"), r.urn


def test_a_second_up_with_nothing_changed_plans_no_change(stack_runner):
    """Compared as the engine receives them: only the registry password differs between two runs,
    it travels as a secret, and pulumi-docker leaves it out of the Image's diff."""
    first, second = stack_runner("prod"), stack_runner("prod")
    later = {r.urn: json_format.MessageToDict(r.wire_inputs) for r in second.resources}
    assert set(later) == {r.urn for r in first.resources}
    for resource in first.resources:
        before, after = json_format.MessageToDict(resource.wire_inputs), later[resource.urn]
        if resource.type == "docker:index/image:Image":
            password_before = before["registry"].pop("password")
            password_after = after["registry"].pop("password")
            assert password_before[rpc._special_sig_key] == rpc._special_secret_sig
            assert password_before["value"] != password_after["value"]  # the token really is fresh
        assert before == after, resource.urn


def test_a_run_exports_only_what_its_own_program_exported(stack_runner):
    """The mock engine keeps its root stack from one run to the next: a dev run after a prod run must not
    report prod's pipeline exports as its own."""
    assert "pipelineName" in stack_runner("prod").exports
    assert "pipelineName" not in stack_runner("dev").exports


# --- the program run by python itself, outside any engine (issue 22) ------------------------------------------------

@pytest.mark.parametrize("interpreter", [[sys.executable], [sys.executable, "-S"]],
                         ids=["with the SDK", "without the SDK, as python3 outside the venv"])
def test_run_directly_the_program_says_how_it_is_run(interpreter):
    finished = subprocess.run([*interpreter, "__main__.py"], cwd=PROJECT_DIR, capture_output=True, text=True,
                              timeout=60)
    assert finished.returncode == 2 and "Traceback" not in finished.stderr
    assert "__main__.py is a Pulumi program: the Pulumi CLI runs it" in finished.stderr
    assert "`pulumi preview` or `pulumi up`" in finished.stderr and "`make preview STACK=dev`" in finished.stderr


def test_the_language_host_s_way_of_running_it_gets_past_the_guard():
    """What the CLI's pulumi-language-python-exec does before it runs the file: configure the SDK with the engine's
    monitor address. Given no stack config here, the program stops at its settings: past the guard. (The mock
    engine's way, set_mocks, is every other test of the program.)"""
    launcher = ("import runpy, pulumi.runtime as runtime\n"
                "runtime.configure(runtime.Settings(monitor='127.0.0.1:1', engine=None, project='lambdakit', "
                "stack='dev', parallel=1, dry_run=True))\n"
                "runpy.run_path('__main__.py', run_name='__main__')")
    finished = subprocess.run([sys.executable, "-c", launcher], cwd=PROJECT_DIR, capture_output=True, text=True,
                              timeout=60)
    assert "is a Pulumi program" not in finished.stderr
    assert "settings.SettingsError: invalid stack settings" in finished.stderr
