"""AlarmTopic: where a stack's alarms go, an SNS topic encrypted with the stack's own KMS key.

The key is customer managed because CloudWatch cannot publish to a topic encrypted with SNS's AWS
managed key (alias/aws/sns): that key's policy does not let cloudwatch.amazonaws.com use it, and
nobody can change it, so the alarm's action fails ("CloudWatch Alarms does not have authorization to
access the SNS topic encryption key"). The topic's policy lets only this account's alarms, named with
the stack's prefix, publish (and, when the stack has them, CodeStar Notifications, which tells of the delivery
pipeline's failures, and AWS Budgets, which tells of the stack's spend); identities of the account keep what
their IAM policies give them.

An e-mail subscription stays "pending confirmation" until someone follows the link SNS sends; until
then nothing is delivered, and Pulumi cannot delete it (a `destroy` forgets it; deleting the topic
removes it).
"""

import json
from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_aws as aws


# Who may publish besides the stack's alarms, when the stack asks: CodeStar Notifications, for the delivery
# pipeline's failures, and AWS Budgets, for the stack's budget. Each is held to this account; Budgets, a global
# service, also by aws:SourceArn to this account's budgets, with the pattern AWS's budget guide gives.
PIPELINE_NOTIFICATIONS = "codestar-notifications.amazonaws.com"
BUDGET_NOTIFICATIONS = "budgets.amazonaws.com"
_SOURCE_ARNS = {BUDGET_NOTIFICATIONS: "arn:{partition}:budgets::{account_id}:*"}
_SIDS = {PIPELINE_NOTIFICATIONS: "PipelineNotificationsPublish", BUDGET_NOTIFICATIONS: "BudgetNotificationsPublish"}


# Publishers whose use of the key AWS documents through SNS only (kms:ViaService): CodeStar Notifications (Developer
# Tools guide, "Configure Amazon SNS topics for notifications"). CloudWatch's and Budgets' documented key statements
# carry no condition, and a condition they do not meet would drop every alarm and alert silently; the topic's
# policy holds them to this account's alarms and budgets.
_THROUGH_SNS_ONLY = (PIPELINE_NOTIFICATIONS,)


def key_policy(partition: str, region: str, account_id: str, publishers: tuple[str, ...] = ()) -> str:
    # What a publish needs of the key: SNS asks for a data key under the publisher's authority.
    publish = ["kms:Decrypt", "kms:GenerateDataKey"]
    through_sns = {"Condition": {"StringEquals": {"kms:ViaService": f"sns.{region}.amazonaws.com"}}}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        # The key's default policy: the account administers it through IAM (without this statement
        # nobody could, and KMS refuses a policy that locks the caller out).
        {"Sid": "AccountAdministersTheKeyThroughIam", "Effect": "Allow",
         "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": publish, "Resource": "*"},
        *[{"Sid": _SIDS[service], "Effect": "Allow", "Principal": {"Service": service}, "Action": publish,
           "Resource": "*", **(through_sns if service in _THROUGH_SNS_ONLY else {})} for service in publishers],
    ]})


def _service_publishes(service: str, topic_arn: str, partition: str, account_id: str) -> dict:
    condition: dict = {"StringEquals": {"aws:SourceAccount": account_id}}
    if service in _SOURCE_ARNS:
        condition["ArnLike"] = {"aws:SourceArn": _SOURCE_ARNS[service].format(partition=partition,
                                                                               account_id=account_id)}
    return {"Sid": _SIDS[service], "Effect": "Allow", "Principal": {"Service": service}, "Action": "sns:Publish",
            "Resource": topic_arn, "Condition": condition}


def topic_policy(topic_arn: str, partition: str, region: str, account_id: str, alarm_name_prefix: str,
                 publishers: tuple[str, ...] = ()) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "StackAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": "sns:Publish", "Resource": topic_arn,
         "Condition": {"ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:"
                                                    f"{alarm_name_prefix}*"},
                       "StringEquals": {"aws:SourceAccount": account_id}}},
        *[_service_publishes(service, topic_arn, partition, account_id) for service in publishers],
        {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": topic_arn,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]})


@dataclass(frozen=True)
class AlarmTopicArgs:
    topic_name: str
    alarm_name_prefix: str  # only alarms whose names start with it may publish
    email: str = ""  # "" for no subscription
    # Services that report here besides the alarms: PIPELINE_NOTIFICATIONS, BUDGET_NOTIFICATIONS.
    publishers: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)


class AlarmTopic(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("lambdakit:notifications:AlarmTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        caller = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region

        self.key = aws.kms.Key(
            name, description=f"Encrypts the alarm topic {args.topic_name}", enable_key_rotation=True,
            deletion_window_in_days=30, policy=pulumi.Output.all(partition, region, caller.account_id).apply(
                lambda values: key_policy(*values, args.publishers)),
            tags=args.tags, opts=child)
        aws.kms.Alias(name, name=f"alias/{args.topic_name}", target_key_id=self.key.key_id, opts=child)
        self.topic = aws.sns.Topic(name, name=args.topic_name, kms_master_key_id=self.key.arn, tags=args.tags,
                                   opts=child)
        policy = aws.sns.TopicPolicy(
            name, arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, partition, region, caller.account_id).apply(
                lambda values: topic_policy(*values, args.alarm_name_prefix, args.publishers)),
            opts=child)
        if args.email:
            aws.sns.TopicSubscription(name, topic=self.topic.arn, protocol="email", endpoint=args.email, opts=child)
        # The ARN, once the topic's policy lets its publishers in: whatever is told to publish here (an alarm,
        # a budget, a notification rule) is created after that, and its first message is not refused.
        self.topic_arn = pulumi.Output.all(self.topic.arn, policy.id).apply(lambda values: values[0])
        self.register_outputs({"topicArn": self.topic_arn})
