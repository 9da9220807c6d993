"""ContainerFunction: a least-privilege role, a managed log group created first, no dead letters,
the URL's CORS and its public grants."""

import hashlib
import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from components.container_function import cors_allow_headers
from offline.engine import ProgramRun


FUNCTIONS = ("api", "worker")
PULL_GRANT = "aws:ecr/repositoryPolicy:RepositoryPolicy"


def _function(run, name: str) -> ProgramRun:
    """The resources of one function's ContainerFunction: not its image's, trigger's or release's (a role of its own)."""
    return ProgramRun([r for r in run.under(name).resources
                       if r.parent.endswith(f"lambdakit:function:ContainerFunction::{name}")], run.exports)


def _statements(run, name: str) -> list[dict]:
    return json.loads(_function(run, name).one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_role_is_trusted_by_lambda_only_and_named_after_the_function(any_stack_run, name):
    role = _function(any_stack_run, name).one("aws:iam/role:Role").inputs
    trust = json.loads(role["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]
    assert role["name"] == _function(any_stack_run, name).one("aws:lambda/function:Function").inputs["name"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_iam_statement_is_scoped(any_stack_run, name):
    log_group = _function(any_stack_run, name).one("aws:cloudwatch/logGroup:LogGroup").state
    granted = {(tuple(s["Action"]), s["Resource"]) for s in _statements(any_stack_run, name)}
    assert granted == {
        (("logs:CreateLogStream", "logs:PutLogEvents"), f"{log_group['arn']}:log-stream:*"),
        (("xray:PutTraceSegments", "xray:PutTelemetryRecords"), "*"),
    }
    assert all(s["Effect"] == "Allow" for s in _statements(any_stack_run, name))
    assert not any("*" in action for s in _statements(any_stack_run, name) for action in s["Action"])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_role_policy_is_attached_to_the_functions_role(any_stack_run, name):
    parts = _function(any_stack_run, name)
    role = parts.one("aws:iam/role:Role")
    assert parts.one("aws:iam/rolePolicy:RolePolicy").inputs["role"] == role.state["name"]
    assert parts.one("aws:lambda/function:Function").inputs["role"] == role.state["arn"]


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("prerequisite", ["aws:cloudwatch/logGroup:LogGroup", "aws:iam/rolePolicy:RolePolicy",
                                          PULL_GRANT])
def test_function_waits_for_its_log_group_permissions_and_pull_grant(any_stack_run, prerequisite, name):
    function = _function(any_stack_run, name).one("aws:lambda/function:Function")
    # Its own: the log group and policy of its ContainerFunction, the pull grant on its own image's repository.
    owner = any_stack_run.under(name) if prerequisite == PULL_GRANT else _function(any_stack_run, name)
    assert owner.one(prerequisite).urn in function.dependencies


def test_no_dead_letter_queue_for_a_synchronously_invoked_function(any_stack_run):
    """Function URL calls are synchronous: Lambda would never send anything to a DLQ."""
    assert any_stack_run.under("api").of_type("aws:sqs/queue:Queue") == []
    assert "deadLetterConfig" not in _function(any_stack_run, "api").one("aws:lambda/function:Function").inputs
    assert not any(a.startswith("sqs:") for s in _statements(any_stack_run, "api") for a in s["Action"])
    # The scheduled worker's failed runs go to its trigger's on-failure destination, not to a DLQ of the function.
    assert "deadLetterConfig" not in _function(any_stack_run, "worker").one("aws:lambda/function:Function").inputs


def test_the_worker_has_its_own_role_logs_and_alias_and_no_url(any_stack_run):
    """The second function's ContainerFunction: named after it throughout, and no URL (functionUrlAuthType OFF)."""
    stack = "lambdakit-" + any_stack_run.resources[0].urn.split("::")[0].removeprefix("urn:pulumi:")
    api, worker = _function(any_stack_run, "api"), _function(any_stack_run, "worker")
    assert worker.one("aws:lambda/function:Function").inputs["name"] == f"{stack}-worker"
    assert worker.one("aws:iam/role:Role").inputs["name"] == f"{stack}-worker"
    assert worker.one("aws:cloudwatch/logGroup:LogGroup").inputs["name"] == f"/aws/lambda/{stack}-worker"
    assert worker.one("aws:lambda/alias:Alias").inputs["functionName"] == f"{stack}-worker"
    # functionUrlAuthType OFF: no URL and no grant to call one, while the api keeps its URL.
    assert worker.of_type("aws:lambda/functionUrl:FunctionUrl") == []
    assert worker.of_type("aws:lambda/permission:Permission") == []
    assert len(api.of_type("aws:lambda/functionUrl:FunctionUrl")) == 1


def test_public_url_grants_are_the_programs_under_the_providers_statement_ids(dev_run):
    grants = {p.inputs["statementId"]: p for p in dev_run.of_type("aws:lambda/permission:Permission")}
    assert set(grants) == {"FunctionURLAllowPublicAccess", "FunctionURLAllowInvokeAction"}
    assert grants["FunctionURLAllowPublicAccess"].inputs["action"] == "lambda:InvokeFunctionUrl"
    assert grants["FunctionURLAllowPublicAccess"].inputs["functionUrlAuthType"] == "NONE"
    assert grants["FunctionURLAllowInvokeAction"].inputs["action"] == "lambda:InvokeFunction"
    assert grants["FunctionURLAllowInvokeAction"].inputs["invokedViaFunctionUrl"] is True
    url = dev_run.one("aws:lambda/functionUrl:FunctionUrl")
    # Created before the URL, so the provider finds the ids taken and adds no copies of its own.
    assert {g.urn for g in grants.values()} <= set(url.dependencies)


def _browser_signed_headers() -> set[str]:
    """The headers a SigV4-signed request carries, as botocore signs it with temporary credentials;
    browser signers (aws4fetch, the SDK for JavaScript) also send the body's hash."""
    request = AWSRequest("POST", "https://abc.lambda-url.eu-west-1.on.aws/", data=b"{}",
                         headers={"content-type": "application/json",
                                  "x-amz-content-sha256": hashlib.sha256(b"{}").hexdigest()})
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret", "session-token"), "lambda", "eu-west-1").add_auth(request)
    return {name.lower() for name in request.headers.keys()}


def test_a_signed_browser_request_passes_the_preflight_of_an_aws_iam_url(prod_run):
    cors = prod_run.one("aws:lambda/functionUrl:FunctionUrl").inputs["cors"]
    assert set(cors["allowHeaders"]) == _browser_signed_headers() == {
        "content-type", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"}


def test_an_unsigned_url_allows_only_the_content_type():
    assert cors_allow_headers("NONE") == ["content-type"]
