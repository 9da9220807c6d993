"""ContainerFunction: a least-privilege role, a managed log group created first, dead letters."""

import json

import pytest


def _statements(run) -> list[dict]:
    return json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]


def test_role_is_trusted_by_lambda_only(any_stack_run):
    trust = json.loads(any_stack_run.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]


def test_every_iam_statement_is_scoped(any_stack_run):
    log_group = any_stack_run.one("aws:cloudwatch/logGroup:LogGroup").state
    queue = any_stack_run.one("aws:sqs/queue:Queue").state
    granted = {(tuple(s["Action"]), s["Resource"]) for s in _statements(any_stack_run)}
    assert granted == {
        (("logs:CreateLogStream", "logs:PutLogEvents"), f"{log_group['arn']}:log-stream:*"),
        (("xray:PutTraceSegments", "xray:PutTelemetryRecords"), "*"),
        (("sqs:SendMessage",), queue["arn"]),
    }
    assert all(s["Effect"] == "Allow" for s in _statements(any_stack_run))
    assert not any("*" in action for s in _statements(any_stack_run) for action in s["Action"])


def test_role_policy_is_attached_to_the_functions_role(any_stack_run):
    role = any_stack_run.one("aws:iam/role:Role")
    assert any_stack_run.one("aws:iam/rolePolicy:RolePolicy").inputs["role"] == role.state["name"]
    assert any_stack_run.one("aws:lambda/function:Function").inputs["role"] == role.state["arn"]


@pytest.mark.parametrize("prerequisite", ["aws:cloudwatch/logGroup:LogGroup", "aws:iam/rolePolicy:RolePolicy"])
def test_function_waits_for_its_log_group_and_permissions(any_stack_run, prerequisite):
    function = any_stack_run.one("aws:lambda/function:Function")
    assert any_stack_run.one(prerequisite).urn in function.dependencies


def test_failed_async_events_go_to_an_encrypted_queue(any_stack_run):
    queue = any_stack_run.one("aws:sqs/queue:Queue")
    function = any_stack_run.one("aws:lambda/function:Function").inputs
    assert function["deadLetterConfig"] == {"targetArn": queue.state["arn"]}
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


def test_public_url_grants_both_calls_aws_requires(dev_run):
    grants = {p.inputs["action"]: p.inputs for p in dev_run.of_type("aws:lambda/permission:Permission")}
    assert grants["lambda:InvokeFunctionUrl"]["functionUrlAuthType"] == "NONE"
    assert grants["lambda:InvokeFunction"]["invokedViaFunctionUrl"] is True
