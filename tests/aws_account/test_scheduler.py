"""EventBridge Scheduler in the simulated account refuses what Scheduler refuses: names, expressions, time zones,
windows, retry policies, targets that are no templated (or universal) target, a Lambda input that is not JSON, a
FIFO dead-letter queue, and an execution role it cannot assume as this account's schedule group."""

import json

import pytest

from aws_account.scheduler import CANNOT_ASSUME
from components.iam import trust_policy
from components.scheduled_trigger import SCHEDULER_INPUT
from tests.aws_account.steps import (ACCOUNT, ROLE, ROLE_POLICY, STATEMENT, document, done, refused, register,
                                     with_keys)

SCHEDULE = "aws:scheduler/schedule:Schedule"
ROLE_NAME = "worker-scheduler"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
GROUP_ARN = f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule-group/default"
ALIAS_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:worker:live"
QUEUE_ARN = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:worker-dlq"
POLICY = {"role": ROLE_NAME, "policy": document(STATEMENT)}
WAITED = [done(ROLE_POLICY, POLICY)]


def schedule(**target_changes) -> dict:
    target = {"arn": ALIAS_ARN, "roleArn": ROLE_ARN, "input": json.dumps(SCHEDULER_INPUT),
              "retryPolicy": {"maximumRetryAttempts": 3, "maximumEventAgeInSeconds": 3600},
              "deadLetterConfig": {"arn": QUEUE_ARN}}
    return {"name": "worker", "scheduleExpression": "cron(0 6 * * ? *)", "scheduleExpressionTimezone": "Europe/Paris",
            "flexibleTimeWindow": {"mode": "OFF"}, "state": "ENABLED", "target": with_keys(target, target_changes)}


@pytest.fixture
def role(cloud):
    """The execution role as the program makes it: Scheduler may assume it for this account's default group only."""
    register(cloud, ROLE, ROLE_NAME, {"name": ROLE_NAME, "assumeRolePolicy": trust_policy("scheduler", ACCOUNT,
                                                                                         GROUP_ARN)})
    register(cloud, ROLE_POLICY, ROLE_NAME, POLICY)


def test_a_schedule_in_the_default_group(cloud, role):
    state = register(cloud, SCHEDULE, "s", schedule(), WAITED)
    assert state["arn"] == f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule/default/worker"
    assert (state["groupName"], state["id"]) == ("default", "default/worker")


@pytest.mark.parametrize("changes, said", [
    ({"name": "nightly job"}, "EventBridge Scheduler schedule name 'nightly job'"),
    ({"name": "w" * 65}, "must be 1..64 characters"),
    ({"scheduleExpression": "cron(0 6 * * * *)"}, "Invalid Schedule Expression cron(0 6 * * * *): you can't specify"),
    ({"scheduleExpression": "rate(1 hours)"}, "the unit must be singular"),
    ({"scheduleExpressionTimezone": "CET+1"}, "Invalid ScheduleExpressionTimezone CET+1"),
    ({"flexibleTimeWindow": {"mode": "FLEXIBLE"}}, "MaximumWindowInMinutes is required"),
    ({"flexibleTimeWindow": {"mode": "OFF", "maximumWindowInMinutes": 5}}, "not allowed when it is OFF"),
    ({"flexibleTimeWindow": {"mode": "FLEXIBLE", "maximumWindowInMinutes": 1441}}, "MaximumWindowInMinutes 1441"),
    ({"flexibleTimeWindow": {"mode": "LATE"}}, "FlexibleTimeWindow.Mode 'LATE' must be one of OFF, FLEXIBLE"),
    ({"state": "PAUSED"}, "State 'PAUSED'"),
])
def test_what_scheduler_refuses_of_a_schedule(cloud, role, changes, said):
    with refused(said):
        register(cloud, SCHEDULE, "s", {**schedule(), **changes}, WAITED)


@pytest.mark.parametrize("target, said", [
    ({"retryPolicy": {"maximumRetryAttempts": 186}}, "RetryPolicy.MaximumRetryAttempts 186 is outside 0..185"),
    ({"retryPolicy": {"maximumEventAgeInSeconds": 59}}, "RetryPolicy.MaximumEventAgeInSeconds 59 is outside 60..86400"),
    ({"retryPolicy": {"maximumEventAgeInSeconds": 86401}}, "MaximumEventAgeInSeconds 86401"),
    ({"arn": "arn:aws:s3:::worker-reports"}, "neither a templated target's ARN"),
    ({"arn": "arn:aws:lambda:eu-west-1:123456789012:layer:tools:3"}, "not a Lambda function, version or alias ARN"),
    ({"arn": "worker"}, "neither a templated target's ARN"),
    ({"input": "run the worker"}, "must be well-formed JSON"),
    ({"deadLetterConfig": {"arn": QUEUE_ARN + ".fifo"}}, "does not support using a FIFO queue"),
    ({"roleArn": "arn:aws:iam::123456789012:user/someone"}, "is not an IAM role's ARN"),
])
def test_what_scheduler_refuses_of_a_target(cloud, role, target, said):
    with refused(said):
        register(cloud, SCHEDULE, "s", schedule(**target), WAITED)


def test_a_universal_target_and_a_function_version_are_targets_too(cloud, role):
    assert register(cloud, SCHEDULE, "a", schedule(arn="arn:aws:scheduler:::aws-sdk:sqs:sendMessage",
                                                   input="not JSON: only a Lambda target's must be"), WAITED)
    assert register(cloud, SCHEDULE, "b", {**schedule(arn=ALIAS_ARN.replace(":live", ":7")), "name": "b"}, WAITED)


@pytest.mark.parametrize("trust, why", [
    (None, "no role"),
    (trust_policy("lambda", ACCOUNT), "trusts another service"),
    (trust_policy("scheduler", "210987654321", GROUP_ARN.replace(ACCOUNT, "210987654321")), "another account's"),
    # Scheduler names the group, never the schedule: a role held to a schedule's ARN never matches.
    (trust_policy("scheduler", ACCOUNT, f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule/default/worker"),
     "a schedule's ARN"),
    (trust_policy("scheduler", ACCOUNT, GROUP_ARN.replace("default", "nightly")), "another group"),
])
def test_a_role_scheduler_cannot_assume_is_refused(cloud, trust, why):
    if trust is not None:
        register(cloud, ROLE, ROLE_NAME, {"name": ROLE_NAME, "assumeRolePolicy": trust})
        register(cloud, ROLE_POLICY, ROLE_NAME, POLICY)
    with refused(CANNOT_ASSUME):
        register(cloud, SCHEDULE, "s", schedule(), WAITED)


def test_a_plain_trust_without_conditions_is_assumed(cloud):
    register(cloud, ROLE, ROLE_NAME, {"name": ROLE_NAME, "assumeRolePolicy": document(
        {"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"})})
    register(cloud, ROLE_POLICY, ROLE_NAME, POLICY)
    assert register(cloud, SCHEDULE, "s", schedule(), WAITED)["arn"].endswith(":schedule/default/worker")


def test_a_new_role_must_hold_its_policies_before_the_schedule(cloud, role):
    with refused("make the schedule depend on the role's policies"):
        register(cloud, SCHEDULE, "s", schedule())
    register(cloud, SCHEDULE, "s", schedule(), WAITED)
    # An update that keeps the role needs no wait: the role's policies are there since the first run.
    changed = {**schedule(), "scheduleExpression": "rate(1 hour)"}
    assert register(cloud, SCHEDULE, "s", changed)["scheduleExpression"] == "rate(1 hour)"
