"""Rules on Lambda function URLs and provisioned concurrency."""

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from rules.common import PRODUCTION_STACKS, is_production, resource_rule, schema, setting

_PRODUCTION = schema(productionStacks=PRODUCTION_STACKS)
_PROVISIONED = schema(allowLatest={
    "type": "boolean", "default": False, "description": "Never true in practice: Lambda itself refuses $LATEST."})


@resource_rule("function-url-auth-in-production", "Production function URLs require AWS_IAM authentication.",
               Severity.CRITICAL, _PRODUCTION, "aws:lambda/functionUrl:FunctionUrl")
def function_url_auth_in_production(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.props.get("authorizationType") == "NONE" and is_production(args, _PRODUCTION):
        report(f"function URL '{args.name}' lets anyone on the internet invoke a production function; "
               "use authorizationType AWS_IAM.")


@resource_rule("provisioned-concurrency-not-on-latest",
               "Provisioned concurrency sits on an alias or published version, never on $LATEST.",
               Severity.MEDIUM, _PROVISIONED, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
def provisioned_concurrency_not_on_latest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.props.get("qualifier") == "$LATEST" and not setting(args.get_config(), _PROVISIONED, "allowLatest"):
        report(f"'{args.name}' puts provisioned concurrency on $LATEST, which Lambda refuses mid-deploy; "
               "put it on an alias of a published version.")
