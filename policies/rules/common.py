"""Helpers every rule uses."""

import os
from typing import Any, Callable, Mapping, Optional

from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationArgs,
                           ResourceValidationPolicy, Severity)

LAMBDA_FUNCTION = "aws:lambda/function:Function"
LAMBDA_MIN_MEMORY_MB = 128
LAMBDA_MAX_MEMORY_MB = 10240


def resource_rule(name: str, description: str, severity: Severity, config_schema: Optional[PolicyConfigSchema],
                  *resource_types: str, enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
                  **options: Any) -> Callable[[Callable], ResourceValidationPolicy]:
    """Make the decorated check a policy (mandatory unless told) that sees only `resource_types` (all when none)."""
    def policy(check: Callable[[ResourceValidationArgs, ReportViolation], None]) -> ResourceValidationPolicy:
        def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if not resource_types or args.resource_type in resource_types:
                check(args, report)
        return ResourceValidationPolicy(name=name, description=description, severity=severity,
                                        enforcement_level=enforcement_level, config_schema=config_schema,
                                        validate=validate, **options)
    return policy


def schema(**properties: dict) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties=properties)


def setting(config: Mapping[str, Any] | None, policy_schema: PolicyConfigSchema, key: str) -> Any:
    """The configured value, or the schema's default when no engine sent a config."""
    value = config[key] if config and key in config else policy_schema.properties[key]["default"]
    # Config travels as a protobuf Struct, whose numbers are all doubles.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def current_stack() -> str:
    # The CLI starts every analyzer with the stack's name in PULUMI_STACK.
    return os.environ.get("PULUMI_STACK", "")


# A config property for the policies that treat production differently.
PRODUCTION_STACKS = {"type": "array", "items": {"type": "string"}, "default": ["prod", "production"],
                     "description": "Stack names, or values of the stack tag `environment`, that mean production."}


def is_production(args: ResourceValidationArgs, policy_schema: PolicyConfigSchema) -> bool:
    """The stack is production by its name or its `environment` tag, as the policy's productionStacks says."""
    names = setting(args.get_config(), policy_schema, "productionStacks")
    return current_stack() in names or args.stack_tags.get("environment") in names


def is_image_function(props: Mapping[str, Any]) -> bool:
    return props.get("packageType") == "Image"
