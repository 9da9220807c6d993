"""ContainerFunction: a least-privilege role, a managed log group created first, no dead letters,
the URL's CORS and its public grants."""

import hashlib
import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from components.container_function import cors_allow_headers


def _statements(run) -> list[dict]:
    return json.loads(run.under("api").one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]


def test_role_is_trusted_by_lambda_only_and_named_after_the_function(any_stack_run):
    role = any_stack_run.under("api").one("aws:iam/role:Role").inputs
    trust = json.loads(role["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]
    assert role["name"] == any_stack_run.under("api").one("aws:lambda/function:Function").inputs["name"]


def test_every_iam_statement_is_scoped(any_stack_run):
    log_group = any_stack_run.under("api").one("aws:cloudwatch/logGroup:LogGroup").state
    granted = {(tuple(s["Action"]), s["Resource"]) for s in _statements(any_stack_run)}
    assert granted == {
        (("logs:CreateLogStream", "logs:PutLogEvents"), f"{log_group['arn']}:log-stream:*"),
        (("xray:PutTraceSegments", "xray:PutTelemetryRecords"), "*"),
    }
    assert all(s["Effect"] == "Allow" for s in _statements(any_stack_run))
    assert not any("*" in action for s in _statements(any_stack_run) for action in s["Action"])


def test_role_policy_is_attached_to_the_functions_role(any_stack_run):
    role = any_stack_run.under("api").one("aws:iam/role:Role")
    assert any_stack_run.under("api").one("aws:iam/rolePolicy:RolePolicy").inputs["role"] == role.state["name"]
    assert any_stack_run.under("api").one("aws:lambda/function:Function").inputs["role"] == role.state["arn"]


@pytest.mark.parametrize("prerequisite", ["aws:cloudwatch/logGroup:LogGroup", "aws:iam/rolePolicy:RolePolicy",
                                          "aws:ecr/repositoryPolicy:RepositoryPolicy"])
def test_function_waits_for_its_log_group_permissions_and_pull_grant(any_stack_run, prerequisite):
    function = any_stack_run.under("api").one("aws:lambda/function:Function")
    assert any_stack_run.under("api").one(prerequisite).urn in function.dependencies


def test_no_dead_letter_queue_for_a_synchronously_invoked_function(any_stack_run):
    """Function URL calls are synchronous: Lambda would never send anything to a DLQ."""
    assert any_stack_run.of_type("aws:sqs/queue:Queue") == []
    assert "deadLetterConfig" not in any_stack_run.under("api").one("aws:lambda/function:Function").inputs
    assert not any(a.startswith("sqs:") for s in _statements(any_stack_run) for a in s["Action"])


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
