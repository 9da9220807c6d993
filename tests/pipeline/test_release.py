"""`python -m pipeline.release`: one Canary action's CodeDeploy canary of its function's version, taken from the
versions the PulumiUp action exports for every function.

Lambda and CodeDeploy are botocore's Stubber, which checks every request against the service's model and
answers as the service does. botocore's waiter sleeps between its polls: the tests replace its sleep with a
recorder, so they never wait, and check how long it would have waited.
"""

import hashlib
import json
import math
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import boto3
import botocore.waiter
import pytest
from botocore.stub import Stubber

import pipeline.release as release

ACCOUNT = "123456789012"
FUNCTION, ALIAS, APPLICATION, GROUP = "lambdakit-prod-api", "live", "lambdakit-prod-api", "live"
CONFIG = "lambdakit-prod-api-canary-10pct-5min"
DEPLOYMENT = "d-7XK2M9Q4A"
ROLLBACK = "d-Q81ZC3LWB"
CREATED = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
CANARY = {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}
ALARM_MESSAGE = ("One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, "
                 "and the affected deployments have been stopped. Activated alarms: <lambdakit-prod-api-error-rate>")


def client(service: str):
    return boto3.client(service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture
def aws():
    """Lambda and CodeDeploy under Stubber; every queued answer must have been asked for."""
    lambda_client, codedeploy = client("lambda"), client("codedeploy")
    with Stubber(lambda_client) as lambda_stub, Stubber(codedeploy) as codedeploy_stub:
        yield SimpleNamespace(lambda_client=lambda_client, codedeploy=codedeploy, lambda_stub=lambda_stub,
                              codedeploy_stub=codedeploy_stub)
        lambda_stub.assert_no_pending_responses()
        codedeploy_stub.assert_no_pending_responses()


@pytest.fixture
def sleeps(monkeypatch) -> list:
    """What botocore's waiter would have slept between polls, in seconds; it sleeps not at all."""
    slept = []
    monkeypatch.setattr(botocore.waiter, "time", SimpleNamespace(sleep=slept.append))
    return slept


class Captured:
    """Equal to anything; keeps what it was compared with (a request parameter checked afterwards)."""

    value = None

    def __eq__(self, other) -> bool:
        self.value = other
        return True


def alias_points_at(stub: Stubber, version: str) -> None:
    stub.add_response("get_alias", {
        "AliasArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{FUNCTION}:{ALIAS}", "Name": ALIAS,
        "FunctionVersion": version, "Description": "", "RevisionId": str(uuid.uuid4())},
        {"FunctionName": FUNCTION, "Name": ALIAS})


def deployment(status: str, **extra) -> dict:
    """GetDeployment as CodeDeploy answers it for a Lambda deployment of the group."""
    return {"deploymentInfo": {
        "applicationName": APPLICATION, "deploymentGroupName": GROUP, "deploymentConfigName": CONFIG,
        "deploymentId": DEPLOYMENT, "status": status, "createTime": CREATED, "creator": "user",
        "computePlatform": "Lambda", "deploymentStyle": {"deploymentType": "BLUE_GREEN",
                                                         "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "revision": {"revisionType": "AppSpecContent"}, **extra}}


def deployment_config(routing: dict, name: str = CONFIG) -> dict:
    return {"deploymentConfigInfo": {"deploymentConfigId": str(uuid.uuid4()), "deploymentConfigName": name,
                                     "createTime": CREATED, "computePlatform": "Lambda",
                                     "trafficRoutingConfig": routing}}


def started(stub: Stubber, revision: Captured, routing: dict = CANARY) -> None:
    """CodeDeploy takes the deployment, then says which configuration it runs with and how that shifts."""
    stub.add_response("create_deployment", {"deploymentId": DEPLOYMENT}, {
        "applicationName": APPLICATION, "deploymentGroupName": GROUP,
        "description": f"{FUNCTION}:{ALIAS} from version 6 to 7", "revision": revision})
    stub.add_response("get_deployment", deployment("Created"), {"deploymentId": DEPLOYMENT})
    stub.add_response("get_deployment_config", deployment_config(routing), {"deploymentConfigName": CONFIG})


def polled(stub: Stubber, *answers: dict) -> None:
    for answer in answers:
        stub.add_response("get_deployment", answer, {"deploymentId": DEPLOYMENT})


def run(aws, target: str = "7"):
    return release.release(aws.lambda_client, aws.codedeploy, FUNCTION, ALIAS, target, APPLICATION, GROUP)


# --- The AppSpec -------------------------------------------------------------------------------------------

def test_the_appspec_moves_one_functions_alias_between_versions():
    spec = json.loads(release.appspec(FUNCTION, ALIAS, "6", "7"))
    assert spec == {"version": 0.0, "Resources": [{FUNCTION: {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Name": FUNCTION, "Alias": ALIAS, "CurrentVersion": "6", "TargetVersion": "7"}}}]}


# --- release -----------------------------------------------------------------------------------------------

def test_nothing_is_started_when_the_alias_already_runs_the_target(aws, sleeps):
    alias_points_at(aws.lambda_stub, "7")
    succeeded, message = run(aws)
    assert succeeded
    assert message == f"{FUNCTION}:{ALIAS} already runs version 7; nothing to release"
    assert sleeps == []


def test_a_successful_canary_starts_one_deployment_and_waits_for_it(aws, sleeps, capsys):
    revision = Captured()
    alias_points_at(aws.lambda_stub, "6")
    started(aws.codedeploy_stub, revision)
    polled(aws.codedeploy_stub, deployment("InProgress"), deployment("InProgress"), deployment("Succeeded"))

    assert run(aws) == (True, f"{FUNCTION}:{ALIAS} now runs version 7 (deployment {DEPLOYMENT})")

    assert revision.value["revisionType"] == "AppSpecContent"
    content = revision.value["appSpecContent"]["content"]
    assert revision.value["appSpecContent"]["sha256"] == hashlib.sha256(content.encode()).hexdigest()
    assert json.loads(content) == json.loads(release.appspec(FUNCTION, ALIAS, "6", "7"))
    assert sleeps == [release.POLL_SECONDS] * 2
    assert f"deployment {DEPLOYMENT}: {FUNCTION}:{ALIAS} from version 6 to 7" in capsys.readouterr().out


@pytest.mark.parametrize("status, rollback, rolled_back", [
    ("Failed", {"rollbackDeploymentId": ROLLBACK, "rollbackMessage": f"Rollback deployment {ROLLBACK} succeeded"},
     " and was rolled back"),
    ("Stopped", None, ""),
])
def test_a_deployment_that_fails_fails_the_release_with_codedeploys_reason(aws, sleeps, status, rollback, rolled_back):
    alias_points_at(aws.lambda_stub, "6")
    started(aws.codedeploy_stub, Captured())
    ended = deployment(status, errorInformation={"code": "ALARM_ACTIVE", "message": ALARM_MESSAGE},
                       **({"rollbackInfo": rollback} if rollback else {}))
    polled(aws.codedeploy_stub, deployment("InProgress"), ended, ended)  # the waiter's polls, then the reason

    succeeded, message = run(aws)

    assert not succeeded
    assert message == f"deployment {DEPLOYMENT} ended {status}{rolled_back}: ALARM_ACTIVE: {ALARM_MESSAGE}"
    assert sleeps == [release.POLL_SECONDS]


def test_the_wait_ends_after_the_canary_and_a_margin(aws, sleeps):
    """A deployment that never ends: the release gives up after the canary's minutes plus MARGIN_MINUTES, and
    stops it with a rollback rather than leave a canary running that nothing watches."""
    alias_points_at(aws.lambda_stub, "6")
    started(aws.codedeploy_stub, Captured())
    polls = math.ceil((5 + release.MARGIN_MINUTES) * 60 / release.POLL_SECONDS)
    polled(aws.codedeploy_stub, *[deployment("InProgress")] * polls)
    aws.codedeploy_stub.add_response("stop_deployment", {"status": "Pending", "statusMessage": "stopping"},
                                     {"deploymentId": DEPLOYMENT, "autoRollbackEnabled": True})
    polled(aws.codedeploy_stub, deployment("Stopped"))  # the reason, read after the stop

    succeeded, message = run(aws)

    assert not succeeded
    assert message.startswith(f"deployment {DEPLOYMENT} ended Stopped: ")
    assert sleeps == [release.POLL_SECONDS] * (polls - 1)
    assert sum(sleeps) == (5 + release.MARGIN_MINUTES) * 60 - release.POLL_SECONDS


def test_every_call_the_release_makes_is_one_its_role_may_make(aws, sleeps, prod_run):
    called = []
    for stubbed in (aws.lambda_client, aws.codedeploy):
        prefix = stubbed.meta.service_model.signing_name
        stubbed.meta.events.register("before-parameter-build",
                                     lambda model, prefix=prefix, **_: called.append(f"{prefix}:{model.name}"))
    alias_points_at(aws.lambda_stub, "6")
    started(aws.codedeploy_stub, Captured())
    polled(aws.codedeploy_stub, deployment("Succeeded"))
    assert run(aws)[0]

    [policy] = [p for p in prod_run.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"].endswith("-release")]
    statements = json.loads(policy.inputs["policy"])["Statement"]
    allowed = {a for s in statements if s["Effect"] == "Allow" for a in ([s["Action"]] if isinstance(
        s["Action"], str) else s["Action"])}
    assert set(called) == {"lambda:GetAlias", "codedeploy:CreateDeployment", "codedeploy:GetDeployment",
                           "codedeploy:GetDeploymentConfig"}
    assert set(called) <= allowed, f"the release role may not {sorted(set(called) - allowed)}"


# --- canary_minutes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("routing, minutes", [
    (CANARY, 5),
    ({"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 25, "canaryInterval": 15}}, 15),
    ({"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 3}}, 30),
    ({"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 30, "linearInterval": 2}}, 8),
    ({"type": "AllAtOnce"}, 0),
])
def test_canary_minutes_is_how_long_the_configuration_shifts(aws, routing, minutes):
    aws.codedeploy_stub.add_response("get_deployment_config", deployment_config(routing),
                                     {"deploymentConfigName": CONFIG})
    assert release.canary_minutes(aws.codedeploy, CONFIG) == minutes


def test_the_configuration_is_the_one_the_deployment_runs_with(aws):
    aws.codedeploy_stub.add_response("get_deployment", deployment("Created"), {"deploymentId": DEPLOYMENT})
    assert release.deployment_config_name(aws.codedeploy, DEPLOYMENT) == CONFIG


# --- main --------------------------------------------------------------------------------------------------

VERSIONS = json.dumps({FUNCTION: "7", "lambdakit-prod-worker": "3"})
VARIABLES = {"FUNCTION_NAME": FUNCTION, "ALIAS": ALIAS, "FUNCTION_VERSIONS": VERSIONS, "APPLICATION": APPLICATION,
             "DEPLOYMENT_GROUP": GROUP}


@pytest.fixture
def environment(monkeypatch):
    """A Canary action's variables, as CodeBuild passes them; the tests take some away or change them."""
    for name, value in VARIABLES.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def no_clients(monkeypatch):
    monkeypatch.setattr(release.boto3, "client", lambda *args, **kwargs: pytest.fail("no AWS call on bad input"))


@pytest.mark.parametrize("variable, option", [("FUNCTION_NAME", "function"), ("ALIAS", "alias"),
                                              ("FUNCTION_VERSIONS", "versions"), ("APPLICATION", "application"),
                                              ("DEPLOYMENT_GROUP", "deployment_group")])
def test_main_refuses_a_missing_variable(environment, capsys, variable, option):
    environment.delenv(variable)
    no_clients(environment)
    with pytest.raises(SystemExit) as exited:
        release.main([])
    assert exited.value.code == 2
    assert f"missing: {option}" in capsys.readouterr().err


@pytest.mark.parametrize("versions, said", [
    ("#{Deploy.FUNCTION_VERSIONS}", "is not JSON (was it resolved by CodePipeline?)"),
    (json.dumps({"lambdakit-prod-worker": "3"}), f"has no version of {FUNCTION} (it has lambdakit-prod-worker)"),
    (json.dumps([FUNCTION]), f"has no version of {FUNCTION} (it has nothing)"),
    (json.dumps({FUNCTION: "$LATEST"}), "'$LATEST', not a published version number"),
    (json.dumps({FUNCTION: "7a"}), "'7a', not a published version number"),
    (json.dumps({FUNCTION: "-1"}), "'-1', not a published version number"),
    (json.dumps({FUNCTION: "0"}), "'0', not a published version number"),
])
def test_main_refuses_versions_that_hold_no_published_version_of_its_function(environment, capsys, versions, said):
    environment.setenv("FUNCTION_VERSIONS", versions)
    no_clients(environment)
    with pytest.raises(SystemExit) as exited:
        release.main([])
    assert exited.value.code == 2
    assert said in capsys.readouterr().err


def test_each_function_takes_its_own_version_from_the_same_export():
    assert release.target_version(VERSIONS, FUNCTION) == "7"
    assert release.target_version(VERSIONS, "lambdakit-prod-worker") == "3"
    assert release.target_version(json.dumps({FUNCTION: 12}), FUNCTION) == "12"  # a number is a version too


def test_main_exits_0_with_the_outcome_on_stdout(environment, aws, sleeps, capsys):
    environment.setattr(release.boto3, "client", {"lambda": aws.lambda_client, "codedeploy": aws.codedeploy}.get)
    alias_points_at(aws.lambda_stub, "7")
    assert release.main([]) == 0
    assert "already runs version 7" in capsys.readouterr().out


def test_main_exits_1_with_codedeploys_reason_on_stderr(environment, aws, sleeps, capsys):
    environment.setattr(release.boto3, "client", {"lambda": aws.lambda_client, "codedeploy": aws.codedeploy}.get)
    alias_points_at(aws.lambda_stub, "6")
    started(aws.codedeploy_stub, Captured())
    ended = deployment("Failed", errorInformation={"code": "ALARM_ACTIVE", "message": ALARM_MESSAGE},
                       rollbackInfo={"rollbackDeploymentId": ROLLBACK})
    polled(aws.codedeploy_stub, ended, ended)
    assert release.main([]) == 1
    assert f"ended Failed and was rolled back: ALARM_ACTIVE: {ALARM_MESSAGE}" in capsys.readouterr().err
