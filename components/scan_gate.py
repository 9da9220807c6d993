"""ScanGate: the delivery pipeline's scan-gate Lambda function (functions/scan-gate/), with its role and logs.

A zip on Lambda's managed python runtime, not an image:
- a gate packaged as an image would itself need a scan and a gate before it could run; a zip has no
  image to scan, and AWS patches the runtime's operating system and Python underneath it;
- it needs only the standard library and the runtime's boto3 (every ECR and CodePipeline call it makes
  is years old), so there is nothing to build or push: two files, deployed in seconds;
- the package is assembled here from the gate's handler and the pack's scan_findings.py, so both run
  the one decision without a copy (PACKAGE says which file goes where).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.function_basics import FunctionLogs, function_log_group, function_role, logging_config

# Paths relative to the project folder, where the CLI runs the program.
PACKAGE = {"app.py": Path("functions", "scan-gate", "app.py"), "scan_findings.py": Path("policies", "scan_findings.py")}
RUNTIME = "python3.13"
HANDLER = "app.handler"
# The gate reads a page of findings or two per call: little memory, and a minute leaves room for
# ECR's retries and for ending the job even when AWS is slow.
MEMORY_MB = 256
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class ScanGateArgs:
    function_name: str
    repository_arns: list[pulumi.Input[str]]  # the stack's image repositories: the only ones the gate may read
    gate_defaults: dict  # thresholds and maxWaitMinutes (scan_findings's keys) for what UserParameters omits
    logs: FunctionLogs
    # Inspector's findings come through ECR only with inspector2:ListFindings; whether Inspector has scanned the image
    # at all, from inspector2:ListCoverage (policies/scan_findings.py).
    read_enhanced_findings: bool
    role_boundary_arn: pulumi.Input[str]  # the stack's RoleBoundary
    tags: dict[str, str] = field(default_factory=dict)


def gate_statements(repository_arns: list[str], read_enhanced_findings: bool) -> list[dict]:
    """The gate reads the stack's repositories' findings and ends pipeline jobs; nothing else."""
    statements = [
        {"Sid": "ReadScanFindings", "Effect": "Allow", "Action": ["ecr:DescribeImageScanFindings"],
         "Resource": sorted(repository_arns)},
        # CodePipeline's job calls have no resource-level permissions: "*" is the only Resource they take.
        {"Sid": "EndPipelineJobs", "Effect": "Allow",
         "Action": ["codepipeline:PutJobSuccessResult", "codepipeline:PutJobFailureResult"], "Resource": "*"},
    ]
    if read_enhanced_findings:
        # ECR asks Inspector for an enhanced scan's findings with the caller's own permissions; Inspector's
        # findings list has no resource-level permissions either.
        statements.append({"Sid": "ReadEnhancedFindings", "Effect": "Allow",
                           "Action": ["inspector2:ListCoverage", "inspector2:ListFindings"],
                           "Resource": "*"})
    return statements


def package() -> pulumi.AssetArchive:
    return pulumi.AssetArchive({name: pulumi.FileAsset(str(path)) for name, path in PACKAGE.items()})


class ScanGate(pulumi.ComponentResource):
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ScanGateArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("lambdakit:scan:ScanGate", name, None, opts)
        self.log_group = function_log_group(name, args.function_name, args.logs, args.tags, self)
        statements = pulumi.Output.all(*args.repository_arns).apply(
            lambda arns: gate_statements(list(arns), args.read_enhanced_findings))
        self.role, role_policy = function_role(name, args.function_name, self.log_group, args.tags, self,
                                               args.role_boundary_arn, statements)
        # Each pipeline action names the repository of the image it scans; these are the stack's thresholds.
        defaults = json.dumps(args.gate_defaults, sort_keys=True)
        self.function = aws.lambda_.Function(
            name,
            name=args.function_name,
            package_type="Zip",
            runtime=RUNTIME,
            handler=HANDLER,
            code=package(),
            architectures=["arm64"],
            memory_size=MEMORY_MB,
            timeout=TIMEOUT_SECONDS,
            role=self.role.arn,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=logging_config(args.logs, self.log_group.name),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={"GATE_DEFAULTS": defaults}),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, self.log_group]),
        )
        self.function_name = self.function.name
        self.function_arn = self.function.arn
        self.log_group_name = self.log_group.name
        self.register_outputs({"functionName": self.function_name, "functionArn": self.function_arn})
