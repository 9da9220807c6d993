"""Rules on the delivery pipeline's builds: arm64 everywhere, the builds included (an image built on x86_64
for arm64 is emulated: slower, and not what runs)."""

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from cost.wire import mapping, text
from rules.common import resource_rule, schema, setting

CODEBUILD_PROJECT = "aws:codebuild/project:Project"
_ENVIRONMENTS = schema(allowedEnvironmentTypes={
    "type": "array", "items": {"type": "string"}, "default": ["ARM_CONTAINER", "ARM_LAMBDA_CONTAINER", "ARM_EC2"],
    "description": "CodeBuild environment types a project may build on."})


@resource_rule("codebuild-arm64", "CodeBuild projects build on arm64 (Graviton), as the functions run.",
               Severity.MEDIUM, _ENVIRONMENTS, CODEBUILD_PROJECT)
def codebuild_arm64(args: ResourceValidationArgs, report: ReportViolation) -> None:
    allowed = setting(args.get_config(), _ENVIRONMENTS, "allowedEnvironmentTypes")
    environment = mapping(args.props.get("environment"), "environment") or {}
    environment_type = text(environment.get("type"), "environment.type")
    if environment_type not in allowed:
        report(f"'{args.name}' builds on {environment_type or 'no environment type'}; use one of "
               f"{', '.join(allowed)} with an aarch64 image (e.g. aws/codebuild/amazonlinux-aarch64-standard:3.0).")
