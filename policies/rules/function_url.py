"""Rules on Lambda function URLs and provisioned concurrency."""

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from rules.common import current_stack, resource_rule, schema, setting

_PRODUCTION = schema(productionStacks={
    "type": "array", "items": {"type": "string"}, "default": ["prod", "production"],
    "description": "Stack names, or values of the stack tag `environment`, that mean production."})
_PROVISIONED = schema(allowLatest={
    "type": "boolean", "default": False, "description": "Never true in practice: Lambda itself refuses $LATEST."})


def _is_production(args: ResourceValidationArgs) -> bool:
    names = setting(args.get_config(), _PRODUCTION, "productionStacks")
    return current_stack() in names or args.stack_tags.get("environment") in names


@resource_rule("function-url-auth-in-production", "Production function URLs require AWS_IAM authentication.",
               Severity.CRITICAL, _PRODUCTION, "aws:lambda/functionUrl:FunctionUrl")
def function_url_auth_in_production(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.props.get("authorizationType") == "NONE" and _is_production(args):
        report(f"function URL '{args.name}' lets anyone on the internet invoke a production function; "
               "use authorizationType AWS_IAM.")


@resource_rule("provisioned-concurrency-not-on-latest",
               "Provisioned concurrency sits on an alias or published version, never on $LATEST.",
               Severity.MEDIUM, _PROVISIONED, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
def provisioned_concurrency_not_on_latest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.props.get("qualifier") == "$LATEST" and not setting(args.get_config(), _PROVISIONED, "allowLatest"):
        report(f"'{args.name}' puts provisioned concurrency on $LATEST, which Lambda refuses mid-deploy; "
               "put it on an alias of a published version.")
