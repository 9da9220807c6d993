"""Helpers every rule uses."""

import os
from typing import Any, Callable, Mapping, Optional

from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationArgs,
                           ResourceValidationPolicy, Severity)

from cost.wire import text

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
PRODUCTION_STACKS = {
    "type": "array", "items": {"type": "string"}, "default": ["prod", "prd", "production"],
    "description": "Stack names, or values of the stack tag `environment`, that mean production. A stack is production "
                   "when its name or tag is one of them, or begins or ends with one as a word of its own, after or "
                   "before a -, _ or . (prod-eu, personal-news-prod, app_prd; not product, prodigy, pre-prod or "
                   "non-prod); case is ignored."}


def is_production(args: ResourceValidationArgs, policy_schema: PolicyConfigSchema) -> bool:
    """The stack is production by its name or its `environment` tag, as the policy's productionStacks says."""
    names = setting(args.get_config(), policy_schema, "productionStacks")

    def words(text: str) -> list[str]:
        # The separators a stack name may hold besides letters and digits.
        return text.lower().replace("_", "-").replace(".", "-").split("-")

    def means_production(text: str) -> bool:
        given = words(text)
        for name in map(words, names):
            before_suffix = given[-len(name) - 1] if len(given) > len(name) else None
            # pre-prod and non-prod name the stacks that are not production.
            if given[:len(name)] == name or (given[-len(name):] == name and before_suffix not in ("pre", "non")):
                return True
        return False

    tag = args.stack_tags.get("environment")
    return means_production(current_stack()) or (isinstance(tag, str) and means_production(tag))


def is_image_function(props: Mapping[str, Any]) -> bool:
    return text(props.get("packageType"), "packageType") == "Image"
