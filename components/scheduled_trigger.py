"""ScheduledTrigger: EventBridge Scheduler runs a function's `live` alias on a schedule, and whatever cannot be
delivered or fails for good ends in one dead-letter queue that pages.

Two hands can drop a run, and each gets the queue:
- Scheduler's: it invokes Lambda asynchronously ("EventBridge Scheduler invokes your Lambda function asynchronously",
  docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html), so its retry policy and dead-letter queue
  cover only the Invoke call itself (its role may not invoke, the alias is gone, Lambda throttles the call). It
  delivers with the schedule's execution role, which therefore needs sqs:SendMessage on the queue
  (docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html).
- Lambda's: once it has queued the event, a failing run is retried asynchronously (0..2 times) and then its record
  goes to the alias's on-failure destination, sent with the function's execution role
  (docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html), which needs sqs:SendMessage too.
The two messages differ (Scheduler's carries the input and ERROR_CODE attributes, Lambda's an invocation record with
requestContext and responsePayload); one queue keeps one alarm and one place to look.

The queue is encrypted with SQS's own keys (SSE-SQS). With a KMS key (SSE-KMS) every producer would also need
kms:GenerateDataKey and kms:Decrypt on it, in the key policy or its role (SQS Developer Guide, "Amazon SQS Key
management", docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html): two more
grants that could silently drop a dead letter.

The schedule targets the `live` alias, so a CodeDeploy canary shifts scheduled runs as it shifts any other caller's.
"""

import json
from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.iam import policy_document, service_role
from function_settings import dead_letter_queue_name, scheduler_role_name

# What Scheduler puts in each invocation: its context attributes, as JSON strings, which it fills in when it invokes
# (docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html). A Lambda target's input
# must be well-formed JSON before they are filled in (CreateSchedule, Target.Input), hence the quotes around the
# attempt number too. functions/worker/app.py reads exactly these keys.
SCHEDULER_INPUT = {"scheduleArn": "<aws.scheduler.schedule-arn>", "scheduledTime": "<aws.scheduler.scheduled-time>",
                   "executionId": "<aws.scheduler.execution-id>", "attemptNumber": "<aws.scheduler.attempt-number>"}
# A schedule created without a group is in the account's `default` group. Scheduler names the group, never the
# schedule, as the aws:SourceArn it assumes the role for ("The ARN you specify must be a schedule group",
# docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
SCHEDULE_GROUP = "default"
# 14 days, SQS's longest: a dead letter must outlast a holiday to be read at all.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
# SQS pushes a queue's metrics to CloudWatch while the queue is active (it holds messages or something accesses it),
# and stops after six hours of inactivity (SQS Developer Guide, "Monitoring Amazon SQS queues using CloudWatch"). A
# message arriving makes the queue active again and is counted, and a queue holding messages stays active: so missing
# data only ever means "empty and idle", which is not breaching, and one five-minute period with a visible message
# is enough to page (a dead letter stays visible until someone reads it).
DEAD_LETTER_METRIC = "ApproximateNumberOfMessagesVisible"
DEAD_LETTER_PERIOD_SECONDS = 300


@dataclass(frozen=True)
class ScheduledTriggerArgs:
    function_name: str  # names the schedule, `<function>-dlq` and the role `<function>-scheduler`
    alias_arn: pulumi.Input[str]  # the function's `live` alias: the target, and where failed runs are configured
    function_role_name: pulumi.Input[str]  # the function's execution role: it sends the failed runs' records
    schedule_expression: str  # rate(…), cron(…) or at(…), checked by schedule_expression.problem
    schedule_timezone: str  # an IANA name, e.g. UTC, Europe/Paris
    schedule_retry_attempts: int  # Scheduler's retries of a failed Invoke call, 0..185
    schedule_max_event_age_seconds: int  # how long Scheduler keeps retrying it, 60..86400
    async_retry_attempts: int  # Lambda's retries of a failed run, 0..2
    topic_arn: pulumi.Input[str]  # the stack's alarm topic
    role_boundary_arn: pulumi.Input[str]  # the stack's RoleBoundary, on the scheduler's role as on every role
    tags: dict[str, str] = field(default_factory=dict)
    # How long Lambda keeps an event it could not yet run (throttled, or between retries): Lambda's own default.
    async_max_event_age_seconds: int = 21600


def _alias_parts(alias_arn: str) -> tuple[str, str]:
    """(function name, alias name) of arn:<partition>:lambda:<region>:<account>:function:<name>:<alias>."""
    parts = alias_arn.split(":")
    if len(parts) != 8 or parts[5] != "function":
        raise ValueError(f"not a Lambda alias ARN: {alias_arn}")
    return parts[6], parts[7]


class ScheduledTrigger(pulumi.ComponentResource):
    queue_arn: pulumi.Output[str]
    queue_url: pulumi.Output[str]
    schedule_arn: pulumi.Output[str]
    scheduler_role_arn: pulumi.Output[str]
    alarm_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ScheduledTriggerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("lambdakit:trigger:ScheduledTrigger", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        alias_arn = pulumi.Output.from_input(args.alias_arn)

        self.queue = aws.sqs.Queue(
            f"{name}-dlq", name=dead_letter_queue_name(args.function_name), sqs_managed_sse_enabled=True,
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS, tags=args.tags, opts=child)

        self.scheduler_role = service_role(
            f"{name}-scheduler", scheduler_role_name(args.function_name), "scheduler", args.tags, self,
            args.role_boundary_arn, source_arn=f"arn:${{Partition}}:scheduler:${{Region}}:${{Account}}:"
                                               f"schedule-group/{SCHEDULE_GROUP}")
        scheduler_policy = aws.iam.RolePolicy(
            f"{name}-scheduler", role=self.scheduler_role.id, name="invoke-the-live-alias",
            policy=pulumi.Output.all(alias_arn, self.queue.arn).apply(lambda v: policy_document([
                {"Sid": "InvokeTheLiveAlias", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": v[0]},
                {"Sid": "DeliverUndeliveredRuns", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": v[1]},
            ])), opts=child)
        # The function's own role sends Lambda's records of failed runs; Lambda checks that it may before it takes
        # the destination ("The function's execution role does not have permissions to call SendMessage"), so the
        # configuration waits for this grant.
        function_grant = aws.iam.RolePolicy(
            f"{name}-on-failure", role=args.function_role_name, name="send-failed-runs-to-the-dlq",
            policy=self.queue.arn.apply(lambda queue: policy_document([
                {"Sid": "SendFailedRuns", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue}])),
            opts=child)

        self.async_config = aws.lambda_.FunctionEventInvokeConfig(
            name, function_name=alias_arn.apply(lambda arn: _alias_parts(arn)[0]),
            qualifier=alias_arn.apply(lambda arn: _alias_parts(arn)[1]),
            maximum_retry_attempts=args.async_retry_attempts,
            maximum_event_age_in_seconds=args.async_max_event_age_seconds,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=self.queue.arn)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[function_grant]))

        # Scheduler assumes the role when the schedule is created (the provider retries while IAM propagates) and
        # on every run: the schedule waits for the role's permissions, so its first run has them.
        self.schedule = aws.scheduler.Schedule(
            name, name=args.function_name, group_name=SCHEDULE_GROUP,
            schedule_expression=args.schedule_expression, schedule_expression_timezone=args.schedule_timezone,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            state="ENABLED",
            target=aws.scheduler.ScheduleTargetArgs(
                arn=alias_arn, role_arn=self.scheduler_role.arn, input=json.dumps(SCHEDULER_INPUT),
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_retry_attempts=args.schedule_retry_attempts,
                    maximum_event_age_in_seconds=args.schedule_max_event_age_seconds),
                dead_letter_config=aws.scheduler.ScheduleTargetDeadLetterConfigArgs(arn=self.queue.arn)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[scheduler_policy]))

        self.alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-dead-letters", name=f"{args.function_name}-dead-letters",
            alarm_description=(
                f"A run of {args.function_name} is in {dead_letter_queue_name(args.function_name)}: Scheduler could "
                "not invoke it (the "
                "message's ERROR_CODE and ERROR_MESSAGE attributes say why) or it failed after Lambda's retries (the "
                "message is the invocation record; find its requestId with the saved query errors). Run it again if "
                "it must, then delete the message: the alarm holds while one is visible. No data means an empty, "
                "idle queue, which is not breaching."),
            namespace="AWS/SQS", metric_name=DEAD_LETTER_METRIC, dimensions={"QueueName": self.queue.name},
            statistic="Maximum", period=DEAD_LETTER_PERIOD_SECONDS, evaluation_periods=1, datapoints_to_alarm=1,
            comparison_operator="GreaterThanThreshold", threshold=0, treat_missing_data="notBreaching",
            alarm_actions=[args.topic_arn], ok_actions=[args.topic_arn], tags=args.tags, opts=child)

        self.queue_arn = self.queue.arn
        self.queue_url = self.queue.url
        self.schedule_arn = self.schedule.arn
        self.scheduler_role_arn = self.scheduler_role.arn
        self.alarm_arn = self.alarm.arn
        self.register_outputs({"queueArn": self.queue_arn, "queueUrl": self.queue_url, "scheduleArn": self.schedule_arn,
                               "schedulerRoleArn": self.scheduler_role_arn, "alarmArn": self.alarm_arn})
