"""RoleBoundary: the permissions boundary every role of the stack's functions and releases carries.

The delivery pipeline's deploy role runs `pulumi up` from whatever the branch holds, so it may create and change
the stack's roles; without a ceiling, anyone who can push could give a new role `iam:*` and pass it to a function
with a public URL. The deploy role may create or change a role only with this boundary on it
(`iam:PermissionsBoundary`), may never remove it, and may never change this policy: what a role of the stack can
do is at most what is written here, whatever its own policies say. Widening it is a person's `pulumi up`.

It holds what the stack's roles are for: functions write their logs and traces, the scan gate reads findings and
ends pipeline jobs, CodeDeploy shifts the stack's aliases and reads their alarms, EventBridge restarts the
pipeline, schedules invoke the stack's aliases, and runs that fail for good reach the stack's dead-letter queues.
The pipeline's own roles (pipeline, build, deploy, release) are a person's to change and carry none.
"""

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.iam import policy_document
from function_settings import dead_letter_queue_name


def boundary_name(stack_prefix: str) -> str:
    return f"{stack_prefix}-role-boundary"


def boundary_statements(partition: str, region: str, account: str, stack_prefix: str) -> list[dict]:
    def arn(service: str, resource: str) -> str:
        return f"arn:{partition}:{service}:{region}:{account}:{resource}"

    p = stack_prefix
    return [
        {"Sid": "FunctionsWriteTheirLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": arn("logs", f"log-group:/aws/lambda/{p}-*")},
        # X-Ray, CodePipeline's job results and Inspector's findings have no resource-level permissions.
        {"Sid": "FunctionsWriteTraces", "Effect": "Allow",
         "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
        {"Sid": "ScanGateReadsFindings", "Effect": "Allow",
         "Action": ["ecr:DescribeImageScanFindings", "ecr:DescribeImages"], "Resource": arn("ecr", f"repository/{p}-*")},
        {"Sid": "ScanGateReadsEnhancedFindings", "Effect": "Allow",
         "Action": ["inspector2:ListCoverage", "inspector2:ListFindings"],
         "Resource": "*"},
        {"Sid": "ScanGateEndsPipelineJobs", "Effect": "Allow",
         "Action": ["codepipeline:PutJobSuccessResult", "codepipeline:PutJobFailureResult"], "Resource": "*"},
        {"Sid": "CodeDeployShiftsAliases", "Effect": "Allow",
         "Action": ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"],
         "Resource": [arn("lambda", f"function:{p}-*"), arn("lambda", f"function:{p}-*:*")]},
        {"Sid": "CodeDeployWatchesAlarms", "Effect": "Allow", "Action": ["cloudwatch:DescribeAlarms"],
         "Resource": arn("cloudwatch", f"alarm:{p}-*")},
        {"Sid": "EventsRestartThePipeline", "Effect": "Allow", "Action": ["codepipeline:StartPipelineExecution"],
         "Resource": arn("codepipeline", p)},
        # A schedule's role invokes the `live` alias (never $LATEST, a version or the bare function); it and a
        # function's role deliver the runs that failed for good to a dead-letter queue (scheduled_trigger.py).
        {"Sid": "SchedulesInvokeAliases", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
         "Resource": arn("lambda", f"function:{p}-*:live")},
        {"Sid": "FailedRunsReachDeadLetterQueues", "Effect": "Allow", "Action": ["sqs:SendMessage"],
         "Resource": arn("sqs", dead_letter_queue_name(f"{p}-*"))},
    ]


@dataclass(frozen=True)
class RoleBoundaryArgs:
    stack_prefix: str
    tags: dict[str, str] = field(default_factory=dict)  # fixed ones: the deploy role may not retag it


class RoleBoundary(pulumi.ComponentResource):
    policy_arn: pulumi.Output[str]

    def __init__(self, name: str, args: RoleBoundaryArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("lambdakit:iam:RoleBoundary", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        document = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                                     aws.get_region_output(opts=invoke).region,
                                     aws.get_caller_identity_output(opts=invoke).account_id).apply(
            lambda v: policy_document(boundary_statements(*v, args.stack_prefix)))
        self.policy = aws.iam.Policy(name, name=boundary_name(args.stack_prefix), policy=document,
                                     description="The most any role of the stack may do (its permissions boundary)",
                                     tags=args.tags, opts=pulumi.ResourceOptions(parent=self))
        self.policy_arn = self.policy.arn
        self.register_outputs({"policyArn": self.policy_arn})
