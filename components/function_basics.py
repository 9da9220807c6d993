"""What every Lambda function of the stack has, image or zip: a log group it does not create itself, a role
only Lambda may assume that writes that group and traces, and the logging configuration the monitoring
reads cold starts from."""

from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.iam import policy_document, service_role

from lambda_logs import SYSTEM_LOG_LEVEL


@dataclass(frozen=True)
class FunctionLogs:
    retention_days: int
    level: str
    format: str


def execution_policy(log_group_arn: str, statements: Sequence[dict] = ()) -> str:
    """What the running function may do: its own logs, traces, and `statements`, nothing more."""
    return policy_document([
        {"Sid": "WriteOwnLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{log_group_arn}:log-stream:*"},
        # X-Ray has no resource-level permissions: "*" is the only Resource it accepts.
        {"Sid": "WriteTraces", "Effect": "Allow",
         "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
         "Resource": "*"},
        *statements,
    ])


def function_log_group(name: str, function_name: str, logs: FunctionLogs, tags: dict[str, str],
                       parent: pulumi.Resource) -> aws.cloudwatch.LogGroup:
    """Created before the function so that Lambda never makes an unmanaged, never-expiring one."""
    return aws.cloudwatch.LogGroup(name, name=f"/aws/lambda/{function_name}", retention_in_days=logs.retention_days,
                                   tags=tags, opts=pulumi.ResourceOptions(parent=parent))


def function_role(name: str, function_name: str, log_group: aws.cloudwatch.LogGroup, tags: dict[str, str],
                  parent: pulumi.Resource, boundary_arn: pulumi.Input[str],
                  statements: pulumi.Input[list] = ()) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """The function's role, named after it, under the stack's boundary, and its inline policy (the function must
    wait for both)."""
    role = service_role(name, function_name, "lambda", tags, parent, boundary_arn)
    policy = aws.iam.RolePolicy(
        name, role=role.id,
        policy=pulumi.Output.all(log_group.arn, statements).apply(lambda parts: execution_policy(*parts)),
        opts=pulumi.ResourceOptions(parent=parent))
    return role, policy


def logging_config(logs: FunctionLogs, log_group_name: pulumi.Input[str]) -> aws.lambda_.FunctionLoggingConfigArgs:
    """Levels filter JSON logs only (Lambda refuses them with Text); the system level is the one that
    delivers the records the monitoring counts cold starts from."""
    if logs.format != "JSON":
        return aws.lambda_.FunctionLoggingConfigArgs(log_format=logs.format, log_group=log_group_name)
    return aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=log_group_name,
                                                 application_log_level=logs.level, system_log_level=SYSTEM_LOG_LEVEL)
