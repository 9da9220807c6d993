"""EventBridge Scheduler in the simulated account: schedules. Sources: the CreateSchedule API reference (botocore's
scheduler 2021-06-30 model: names, ranges, patterns), the Scheduler User Guide (schedule types, templated and universal
targets, context attributes, dead-letter queues, confused deputy prevention) and, for what the AWS provider does,
terraform-provider-aws internal/service/scheduler/schedule.go.
"""

import json
import re

from policies.cost import schedule as schedule_expression
from aws_account.authority import Authority
from aws_account.iam import ATTACHMENT, ROLE_POLICY
from aws_account.refusals import AwsRefusal, check_name, check_one_of, check_range, known
from aws_limits import (SCHEDULE_ACTIONS_AFTER_COMPLETION, SCHEDULE_DLQ_ARN, SCHEDULE_FLEXIBLE_WINDOW_MINUTES,
                        SCHEDULE_MAX_EVENT_AGE_SECONDS, SCHEDULE_NAME, SCHEDULE_RETRY_ATTEMPTS, SCHEDULE_ROLE_ARN,
                        SCHEDULE_STATES, SCHEDULE_WINDOW_MODES)

SCHEDULE = "aws:scheduler/schedule:Schedule"
# Templated targets: Scheduler calls each service's one API for an ARN of it ("Using templated targets in
# EventBridge Scheduler"); any other API is a universal target, arn:aws:scheduler:::aws-sdk:<service>:<action>.
TEMPLATED_TARGET_SERVICES = ("codebuild", "codepipeline", "ecs", "events", "inspector", "kinesis", "firehose",
                             "lambda", "sagemaker", "sns", "sqs", "states")
_UNIVERSAL_TARGET = re.compile(r"arn:aws[a-z-]*:scheduler:::aws-sdk:[a-z0-9-]+:[A-Za-z0-9]+")
# Lambda's Invoke takes a function, a version or an alias: arn:…:function:<name>[:<version or alias>].
_LAMBDA_TARGET = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?")
# Scheduler's answer when it cannot assume the role (the provider retries on it for two minutes while IAM
# propagates, and fails with it after).
CANNOT_ASSUME = ("ValidationException: The execution role you provide must allow AWS EventBridge Scheduler to "
                 "assume the role.")


class SimulatedScheduler:
    """Mixed into SimulatedCloud (account.py): needs `arn()` and what Authority reads (`partition`, `account_id`,
    `_resources_of()`, `function_policies`)."""

    def scheduler_creators(self) -> dict:
        return {SCHEDULE: self._schedule}

    def _schedule(self, step, previous, inputs, name) -> dict:
        check_name(SCHEDULE_NAME, name)
        group = inputs.get("groupName") or "default"
        check_name(SCHEDULE_NAME, group)
        expression, zone = inputs.get("scheduleExpression"), inputs.get("scheduleExpressionTimezone") or "UTC"
        if known(expression) and (problem := schedule_expression.problem(expression)):
            raise AwsRefusal(f"ValidationException: Invalid Schedule Expression {expression}: {problem}")
        if known(zone) and (problem := schedule_expression.timezone_problem(zone)):
            raise AwsRefusal(f"ValidationException: Invalid ScheduleExpressionTimezone {zone}: {problem}")
        _check_window(inputs.get("flexibleTimeWindow") or {})
        check_one_of("State", inputs.get("state"), SCHEDULE_STATES)
        check_one_of("ActionAfterCompletion", inputs.get("actionAfterCompletion"), SCHEDULE_ACTIONS_AFTER_COMPLETION)
        target = inputs.get("target") or {}
        _check_target(target)
        retry = target.get("retryPolicy") or {}
        check_range("RetryPolicy.MaximumRetryAttempts", retry.get("maximumRetryAttempts"), SCHEDULE_RETRY_ATTEMPTS)
        check_range("RetryPolicy.MaximumEventAgeInSeconds", retry.get("maximumEventAgeInSeconds"),
                    SCHEDULE_MAX_EVENT_AGE_SECONDS)
        dead_letters = (target.get("deadLetterConfig") or {}).get("arn")
        if known(dead_letters) and not SCHEDULE_DLQ_ARN.fullmatch(dead_letters):
            raise AwsRefusal(f"ValidationException: DeadLetterConfig.Arn {dead_letters!r} is not a standard SQS "
                             "queue's ARN (EventBridge Scheduler does not support using a FIFO queue as your "
                             "schedule's DLQ)")
        self._check_execution_role(step, previous, target.get("roleArn"), group)
        return {"arn": self.arn("scheduler", f"schedule/{group}/{name}"), "groupName": group,
                "scheduleExpressionTimezone": zone, "id": f"{group}/{name}"}

    def _check_execution_role(self, step, previous, role_arn, group: str) -> None:
        """Scheduler assumes the role when the schedule is created or updated, as its schedule group
        (aws:SourceArn) of this account (aws:SourceAccount): the role's trust policy, conditions included, decides.
        Its runs need the role's permissions, so (as for every service role here, iam.py) the schedule must also
        have waited for the role's policies when its role is new to it; the provider's two minutes of retries
        cover IAM's propagation, not an order the engine never promised."""
        if not known(role_arn):
            return
        if not SCHEDULE_ROLE_ARN.fullmatch(role_arn):
            raise AwsRefusal(f"ValidationException: Target.RoleArn {role_arn!r} is not an IAM role's ARN")
        group_arn = self.arn("scheduler", f"schedule-group/{group}")
        if not Authority(self).assume("scheduler", role_arn, source_arn=group_arn).allowed:
            raise AwsRefusal(f"{CANNOT_ASSUME} (role {role_arn}: its trust policy must let scheduler.amazonaws.com "
                             f"assume it for {group_arn} of this account)")
        if previous is not None and ((previous.inputs.get("target") or {}).get("roleArn")) == role_arn:
            return
        role_name = role_arn.rsplit("/", 1)[-1]
        if not any(p.type in (ROLE_POLICY, ATTACHMENT) and p.inputs.get("role") == role_name
                   for p in step.prerequisites):
            raise AwsRefusal(f"the schedule's first run would find {role_name} without its permissions: make the "
                             "schedule depend on the role's policies (the simulation's own refusal)")


def _check_window(window: dict) -> None:
    """FlexibleTimeWindow: Mode OFF or FLEXIBLE; a FLEXIBLE one needs MaximumWindowInMinutes, an OFF one takes none."""
    mode, minutes = window.get("mode"), window.get("maximumWindowInMinutes")
    if not known(mode):
        return
    check_one_of("FlexibleTimeWindow.Mode", mode, SCHEDULE_WINDOW_MODES)
    check_range("FlexibleTimeWindow.MaximumWindowInMinutes", minutes, SCHEDULE_FLEXIBLE_WINDOW_MINUTES)
    if (mode == "FLEXIBLE") != bool(minutes):
        raise AwsRefusal("ValidationException: MaximumWindowInMinutes is required when FlexibleTimeWindow.Mode is "
                         "FLEXIBLE, and not allowed when it is OFF")


def _check_target(target: dict) -> None:
    """A templated target's ARN or a universal one; a Lambda target is a function, version or alias, and its input
    well-formed JSON (CreateSchedule, Target.Input). Scheduler checks no target's existence: a missing one fails each
    run into the dead-letter queue."""
    arn, text = target.get("arn"), target.get("input")
    if not known(arn):
        return
    parts = arn.split(":")
    service = parts[2] if len(parts) > 5 and parts[0] == "arn" else None
    if not _UNIVERSAL_TARGET.fullmatch(arn) and service not in TEMPLATED_TARGET_SERVICES:
        raise AwsRefusal(f"ValidationException: Target.Arn {arn!r} is neither a templated target's ARN "
                         f"({', '.join(TEMPLATED_TARGET_SERVICES)}) nor a universal target "
                         "(arn:aws:scheduler:::aws-sdk:<service>:<apiAction>)")
    if service != "lambda":
        return
    if not _LAMBDA_TARGET.fullmatch(arn):
        raise AwsRefusal(f"ValidationException: Target.Arn {arn!r} is not a Lambda function, version or alias ARN")
    if known(text) and text is not None:
        try:
            json.loads(text)
        except ValueError:
            raise AwsRefusal("ValidationException: Target.Input of a templated Lambda target must be well-formed "
                             "JSON") from None
