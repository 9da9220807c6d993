"""Several functions per stack: each folder under functions/ with a Dockerfile is a function, its settings under
lambdakit:functions.<name> over the stack's; every mistake names the function and the key before anything exists."""

import shutil

import pytest

from settings import SettingsError
from tests.conftest import PROJECT_DIR

FUNCTION = "aws:lambda/function:Function"
API_AND_WORKER = {"api": {}, "worker": {"schedule": "rate(1 hour)", "functionUrlAuthType": "OFF"}}


def _with(**worker) -> dict:
    return {"functions": {"api": {}, "worker": {**API_AND_WORKER["worker"], **worker}}}


def _problems(stack_runner, overrides: dict, stack: str = "dev") -> list[str]:
    with pytest.raises(SettingsError) as stopped:
        stack_runner(stack, overrides)
    return [line.strip() for line in str(stopped.value).splitlines()[1:]]


INVALID = [
    (_with(memoryMb=64), "lambdakit:functions.worker.memoryMb = 64: must be 128..10240 MB"),
    (_with(reservedConcurrency=1, provisionedConcurrency=2),
     "lambdakit:functions.worker.provisionedConcurrency = 2: must be at most reservedConcurrency (1)"),
    (_with(memorySize=512), "lambdakit:functions.worker.memorySize = 512: no setting reads this key; did you mean "
                            "memoryMb?"),
    (_with(functionUrlAuthType="PRIVATE"),
     'lambdakit:functions.worker.functionUrlAuthType = "PRIVATE": must be one of AWS_IAM, NONE, OFF'),
    (_with(corsAllowOrigins=["https://app.example.com"]),
     'lambdakit:functions.worker.corsAllowOrigins = ["https://app.example.com"]: the function has no URL '
     "(functionUrlAuthType OFF), so no browser can call it"),
    (_with(environment=["AWS_REGION=us-east-1"]),
     'lambdakit:functions.worker.environment = ["FEATURE_ECHO=on", "AWS_REGION=us-east-1"]: AWS_REGION is reserved '
     "by Lambda or set by this program"),
    (_with(timeoutSeconds=10, usageAverageDurationMs=20000),
     "lambdakit:functions.worker.usageAverageDurationMs = 20000: must be at most the function's timeout, "
     "timeoutSeconds (10 s = 10000 ms)"),
    ({"functions": {"api": {}, "worker": API_AND_WORKER["worker"], "web": {}}},
     "lambdakit:functions.web: there is no folder functions/web/ with a Dockerfile; there are: api, worker"),
    ({"functions": {"api": {}}},
     "functions/worker/ has a Dockerfile but lambdakit:functions has no worker: add `worker: {}` under it (the "
     "stack's values) or remove the folder"),
    ({"functions": {"api": {}, "worker": API_AND_WORKER["worker"], "deploy": {}}},
     "lambdakit:functions.deploy: names one of the stack's own roles or functions (pipeline, test, build, deploy, "
     "release, restart, scan-gate); rename the folder under functions/"),
    ({"functions": {"api": {}, "worker": API_AND_WORKER["worker"], "Web_1": {}}},
     "lambdakit:functions.Web_1: must be a lower-case folder name under functions/ (letters, digits, -; 1..31 "
     "characters)"),
    ({"functions": {"api": "small", "worker": API_AND_WORKER["worker"]}},
     'lambdakit:functions.api = "small": must be an object of the function\'s own settings'),
    ({"functions": []}, "lambdakit:functions = []: must map each function's folder name to its own settings (an "
                        "empty object {} takes the stack's)"),
    ({**_with(), "imageDigests": ["web=sha256:" + "ab" * 32]},
     "lambdakit:imageDigests names web, which is not a function of the stack"),
]


@pytest.mark.parametrize("overrides, problem", INVALID, ids=[p.split(":", 1)[1][:60] for _, p in INVALID])
def test_a_bad_function_setting_names_the_function_and_the_key(stack_runner, overrides, problem):
    assert _problems(stack_runner, overrides) == [problem]


def test_a_schedule_aws_would_refuse_is_named_before_anything_exists(stack_runner):
    [problem] = _problems(stack_runner, _with(schedule="every 5 minutes"))
    assert problem.startswith('lambdakit:functions.worker.schedule = "every 5 minutes": ')


def test_the_stack_values_are_every_functions_defaults_and_its_own_win(dev_run, prod_run):
    functions = {f.inputs["name"]: f.inputs for f in prod_run.of_type(FUNCTION) if "scan-gate" not in f.inputs["name"]}
    api, worker = functions["lambdakit-prod-api"], functions["lambdakit-prod-worker"]
    assert (api["memorySize"], api["timeout"], api["reservedConcurrentExecutions"]) == (2048, 15, 50)
    assert (worker["memorySize"], worker["timeout"], worker["reservedConcurrentExecutions"]) == (1024, 60, 2)
    # The environment adds to the stack's: dev's FEATURE_ECHO reaches both.
    for function in dev_run.of_type(FUNCTION):
        assert function.inputs["environment"]["variables"]["FEATURE_ECHO"] == "on"


def test_provisioned_concurrency_and_urls_are_per_function(prod_run):
    provisioned = prod_run.of_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
    assert [p.inputs["functionName"] for p in provisioned] == ["lambdakit-prod-api"]
    urls = prod_run.of_type("aws:lambda/functionUrl:FunctionUrl")
    assert [u.inputs["functionName"] for u in urls] == ["lambdakit-prod-api"]


def test_the_single_function_stack_of_before_still_deploys_unchanged(stack_runner, tmp_path):
    """A stack file without lambdakit:functions, in a project with one folder: today's keys, one function `app`."""
    copy = tmp_path / "lambdakit"
    shutil.copytree(PROJECT_DIR, copy, ignore=shutil.ignore_patterns(".git", "venv", "__pycache__", "worker",
                                                                     ".pytest_cache"))
    run = stack_runner("prod", {"functions": None, "provisionedConcurrency": 2}, project_dir=copy)
    [function] = [f for f in run.of_type(FUNCTION) if "scan-gate" not in f.inputs["name"]]
    assert function.inputs["name"] == "lambdakit-prod-api"
    # Its parts now belong to the function's LambdaService (aliased from the stack, so nothing is replaced).
    component = next(r for r in run.resources if r.urn == function.parent)
    assert component.type == "lambdakit:function:ContainerFunction"
    assert component.parent.endswith("lambdakit:service:LambdaService::api")
    provisioned = run.one("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
    assert provisioned.inputs["provisionedConcurrentExecutions"] == 2


def test_an_app_that_names_no_folder_is_named_with_the_folders_there_are(stack_runner):
    assert _problems(stack_runner, {"functions": None, "app": "web"}) == [
        'lambdakit:app = "web": must name a folder under functions/ with a Dockerfile (there are: api, worker), or '
        "set lambdakit:functions"]


def test_an_app_beside_a_folder_it_does_not_name_is_told_to_list_both(stack_runner):
    """The single-function user who adds a second folder moves to lambdakit:functions: the message says how."""
    assert _problems(stack_runner, {"functions": None, "app": "api"}) == [
        "functions/worker/ has a Dockerfile but lambdakit:functions has no worker: add `worker: {}` under it (the "
        "stack's values) or remove the folder"]


def test_a_third_function_needs_only_a_folder_and_its_settings(stack_runner, tmp_path):
    copy = tmp_path / "lambdakit"
    shutil.copytree(PROJECT_DIR, copy, ignore=shutil.ignore_patterns(".git", "venv", "__pycache__", ".pytest_cache"))
    shutil.copytree(copy / "functions" / "api", copy / "functions" / "webhook")
    run = stack_runner("prod", {"functions": {**API_AND_WORKER, "webhook": {"memoryMb": 256}}}, project_dir=copy)
    names = sorted(f.inputs["name"] for f in run.of_type(FUNCTION))
    assert names == ["lambdakit-prod-api", "lambdakit-prod-scan-gate", "lambdakit-prod-webhook",
                     "lambdakit-prod-worker"]
    for kind in ("aws:ecr/repository:Repository", "aws:lambda/alias:Alias",
                 "aws:codedeploy/deploymentGroup:DeploymentGroup"):
        assert len(run.of_type(kind)) == 3, kind
    webhook_alarms = [a for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
                      if a.inputs["name"].startswith("lambdakit-prod-webhook-")]
    assert len(webhook_alarms) >= 5
