"""ScheduledTrigger in a program of its own (a zip function, its `live` alias, the stack's boundary and the trigger),
run on the mock engine against the simulated account: what it creates, and what IAM then lets each role do."""

import json
from pathlib import Path

import pytest

from aws_account.account import SimulatedCloud
from aws_account.authority import Authority
from aws_account.iam_policy import Policy, Request, evaluate
from components.scheduled_trigger import DEAD_LETTER_RETENTION_SECONDS, SCHEDULER_INPUT, _alias_parts
from offline.engine import run_program
from offline.stack_config import StackConfig
from tests.conftest import PROJECT_DIR

FUNCTION = "lambdakit-dev-worker"
ACCOUNT = "123456789012"
ALIAS_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{FUNCTION}:live"
QUEUE_ARN = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:{FUNCTION}-dlq"
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:lambdakit-dev-alarms"
SETTINGS = {"schedule_expression": "cron(0 6 * * ? *)", "schedule_timezone": "Europe/Paris",
            "schedule_retry_attempts": 3, "schedule_max_event_age_seconds": 3600, "async_retry_attempts": 1}
PROGRAM = f'''
import pulumi
import pulumi_aws as aws

from components.function_basics import FunctionLogs, function_log_group, function_role
from components.role_boundary import RoleBoundary, RoleBoundaryArgs
from components.scheduled_trigger import ScheduledTrigger, ScheduledTriggerArgs

settings = pulumi.Config("test").require_object("trigger")
boundary = RoleBoundary("boundary", RoleBoundaryArgs(stack_prefix="lambdakit-dev"))
logs = FunctionLogs(retention_days=7, level="INFO", format="JSON")
log_group = function_log_group("worker", "{FUNCTION}", logs, {{}}, None)
role, role_policy = function_role("worker", "{FUNCTION}", log_group, {{}}, None, boundary.policy_arn)
function = aws.lambda_.Function(
    "worker", name="{FUNCTION}", package_type="Zip", runtime="python3.12", handler="app.handler",
    code=pulumi.AssetArchive({{"app.py": pulumi.FileAsset("{PROJECT_DIR / 'functions' / 'worker' / 'app.py'}")}}),
    role=role.arn, publish=True, opts=pulumi.ResourceOptions(depends_on=[role_policy, log_group]))
alias = aws.lambda_.Alias("worker", name="live", function_name=function.name, function_version=function.version)
ScheduledTrigger("worker-schedule", ScheduledTriggerArgs(
    function_name="{FUNCTION}", alias_arn=alias.arn, function_role_name=role.name, topic_arn="{TOPIC}",
    role_boundary_arn=boundary.policy_arn, tags={{"app": "worker"}}, **settings))
'''


def run(folder: Path, cloud: SimulatedCloud, **changes):
    (folder / "__main__.py").write_text(PROGRAM)
    config = StackConfig("lambdakit", "dev", {"aws:region": "eu-west-1",
                                              "test:trigger": json.dumps({**SETTINGS, **changes})})
    return run_program(folder, config, cloud)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    cloud = SimulatedCloud()
    return run(tmp_path_factory.mktemp("trigger"), cloud), cloud


def _one(run_, typ: str, name_ends: str = ""):
    [found] = [r for r in run_.of_type(typ) if r.name.endswith(name_ends)]
    return found


def _statements(document: str) -> dict:
    return {s["Sid"]: s for s in json.loads(document)["Statement"]}


def test_every_part_is_the_components_child(deployed):
    run_, _ = deployed
    [component] = [r for r in run_.resources if r.type == "lambdakit:trigger:ScheduledTrigger"]
    children = {r.type for r in run_.resources if r.parent == component.urn}
    assert children == {"aws:sqs/queue:Queue", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy",
                        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
                        "aws:scheduler/schedule:Schedule", "aws:cloudwatch/metricAlarm:MetricAlarm"}


def test_the_dead_letter_queue_is_encrypted_by_sqs_and_keeps_letters_two_weeks(deployed):
    queue = _one(deployed[0], "aws:sqs/queue:Queue").inputs
    assert (queue["name"], queue["sqsManagedSseEnabled"]) == (f"{FUNCTION}-dlq", True)
    assert "kmsMasterKeyId" not in queue  # SSE-KMS would need every sender granted the key too
    assert queue["messageRetentionSeconds"] == DEAD_LETTER_RETENTION_SECONDS == 1209600


def test_the_schedule_runs_the_live_alias_on_time_with_its_retries_and_queue(deployed):
    run_, _ = deployed
    schedule = _one(run_, "aws:scheduler/schedule:Schedule").inputs
    role = _one(run_, "aws:iam/role:Role", "-scheduler").state
    assert (schedule["name"], schedule["groupName"], schedule["state"]) == (FUNCTION, "default", "ENABLED")
    assert (schedule["scheduleExpression"], schedule["scheduleExpressionTimezone"]) == ("cron(0 6 * * ? *)",
                                                                                      "Europe/Paris")
    assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}
    target = schedule["target"]
    assert (target["arn"], target["roleArn"]) == (ALIAS_ARN, role["arn"])
    assert json.loads(target["input"]) == SCHEDULER_INPUT
    assert target["retryPolicy"] == {"maximumRetryAttempts": 3, "maximumEventAgeInSeconds": 3600}
    assert target["deadLetterConfig"] == {"arn": QUEUE_ARN}


def test_lambda_retries_failed_runs_then_sends_them_to_the_same_queue(deployed):
    config = _one(deployed[0], "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs
    assert (config["functionName"], config["qualifier"], config["maximumRetryAttempts"]) == (FUNCTION, "live", 1)
    assert config["maximumEventAgeInSeconds"] == 21600
    assert config["destinationConfig"] == {"onFailure": {"destination": QUEUE_ARN}}


def test_the_scheduler_role_trusts_scheduler_for_this_accounts_default_group_only(deployed):
    role = _one(deployed[0], "aws:iam/role:Role", "-scheduler").inputs
    [statement] = json.loads(role["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule-group/default"}}
    assert role["name"] == f"{FUNCTION}-scheduler"
    assert role["permissionsBoundary"].endswith(":policy/lambdakit-dev-role-boundary")


def test_each_role_is_granted_exactly_its_part(deployed):
    run_, _ = deployed
    scheduler = _statements(_one(run_, "aws:iam/rolePolicy:RolePolicy", "-scheduler").inputs["policy"])
    assert {sid: (s["Action"], s["Resource"]) for sid, s in scheduler.items()} == {
        "InvokeTheLiveAlias": ("lambda:InvokeFunction", ALIAS_ARN),
        "DeliverUndeliveredRuns": ("sqs:SendMessage", QUEUE_ARN)}
    grant = _one(run_, "aws:iam/rolePolicy:RolePolicy", "-on-failure")
    assert grant.inputs["role"] == FUNCTION
    assert {sid: (s["Action"], s["Resource"]) for sid, s in _statements(grant.inputs["policy"]).items()} == {
        "SendFailedRuns": ("sqs:SendMessage", QUEUE_ARN)}
    # Lambda checks the function's role before it takes the destination: the configuration waits for the grant.
    config = _one(run_, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    assert grant.urn in config.dependencies


@pytest.mark.parametrize("role, action, resource, allowed", [
    (f"{FUNCTION}-scheduler", "lambda:InvokeFunction", ALIAS_ARN, True),
    (f"{FUNCTION}-scheduler", "lambda:InvokeFunction", ALIAS_ARN.rsplit(":", 1)[0], False),  # not the bare function
    (f"{FUNCTION}-scheduler", "lambda:InvokeFunction", ALIAS_ARN.replace(":live", ":$LATEST"), False),
    (f"{FUNCTION}-scheduler", "sqs:SendMessage", QUEUE_ARN, True),
    (f"{FUNCTION}-scheduler", "sqs:ReceiveMessage", QUEUE_ARN, False),
    (FUNCTION, "sqs:SendMessage", QUEUE_ARN, True),
    (FUNCTION, "sqs:SendMessage", QUEUE_ARN.replace("worker", "api"), False),
    (FUNCTION, "lambda:InvokeFunction", ALIAS_ARN, False),
])
def test_what_iam_lets_each_role_do(deployed, role, action, resource, allowed):
    authority = Authority(deployed[1])
    assert authority.decide(authority.role(role), action, resource).allowed is allowed


def test_only_this_accounts_scheduler_may_assume_the_role(deployed):
    authority, role = Authority(deployed[1]), f"arn:aws:iam::{ACCOUNT}:role/{FUNCTION}-scheduler"
    group = f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule-group/default"
    assert authority.assume("scheduler", role, source_arn=group).allowed
    assert not authority.assume("scheduler", role, source_arn=group.replace(ACCOUNT, "210987654321"),
                                source_account="210987654321").allowed
    assert not authority.assume("events", role, source_arn=group).allowed


def test_nothing_granted_lies_outside_the_boundary(deployed):
    run_, _ = deployed
    boundary = Policy("boundary", json.loads(_one(run_, "aws:iam/policy:Policy").inputs["policy"]))
    for grant in run_.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(grant.inputs["policy"])["Statement"]:
            for action in [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]:
                request = Request(f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", action,
                                  statement["Resource"].replace("*", "x"))
                assert evaluate(request, [boundary]).allowed, (grant.name, action)


def test_the_alarm_pages_on_one_visible_dead_letter_and_not_on_an_idle_queue(deployed):
    alarm = _one(deployed[0], "aws:cloudwatch/metricAlarm:MetricAlarm").inputs
    assert alarm["name"] == f"{FUNCTION}-dead-letters"
    assert (alarm["namespace"], alarm["metricName"], alarm["dimensions"]) == (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": f"{FUNCTION}-dlq"})
    assert (alarm["statistic"], alarm["period"], alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (
        "Maximum", 300, 1, 1)
    assert (alarm["comparisonOperator"], alarm["threshold"], alarm["treatMissingData"]) == (
        "GreaterThanThreshold", 0, "notBreaching")
    assert alarm["alarmActions"] == alarm["okActions"] == [TOPIC]


def test_changed_retries_update_the_schedule_and_the_config(tmp_path):
    cloud = SimulatedCloud()
    run(tmp_path, cloud)
    again = run(tmp_path, cloud, schedule_retry_attempts=0, async_retry_attempts=2, schedule_expression="rate(1 hour)")
    schedule = _one(again, "aws:scheduler/schedule:Schedule").state
    assert schedule["target"]["retryPolicy"]["maximumRetryAttempts"] == 0
    assert schedule["scheduleExpression"] == "rate(1 hour)"
    assert _one(again, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").state[
        "maximumRetryAttempts"] == 2


def test_the_alias_arn_gives_the_function_and_the_alias():
    assert _alias_parts(ALIAS_ARN) == (FUNCTION, "live")
    with pytest.raises(ValueError, match="not a Lambda alias ARN"):
        _alias_parts(ALIAS_ARN.rsplit(":", 1)[0])
