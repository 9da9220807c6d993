"""Rules on Lambda function URLs and provisioned concurrency.

A public URL is judged together with the function it invokes (function-url-public-needs-reservation), so that
rule is a stack policy: the URL and the function are two resources.
"""

import re
from typing import Any, Mapping, Optional

from pulumi_policy import (EnforcementLevel, PolicyResource, ReportViolation, ResourceValidationArgs, Severity,
                           StackValidationArgs, StackValidationPolicy)
from pulumi_policy.proxy import UnknownValueError

from cost.wire import number, text
from guard import Unjudged
from rules.common import LAMBDA_FUNCTION, PRODUCTION_STACKS, is_production, resource_rule, schema, setting

FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
# A URL's FunctionName as Lambda's API takes it: a name, a partial ARN (<account>:function:<name>) or an ARN,
# each optionally with a qualifier (CreateFunctionUrlConfig's pattern).
_FUNCTION_NAME = re.compile(r"^(?:arn:[a-zA-Z-]*:lambda:)?(?:[a-z]{2}(?:-gov)?-[a-z]+-\d:)?(?:\d{12}:)?(?:function:)?"
                            r"(?P<name>[a-zA-Z0-9_-]+)(?::[a-zA-Z0-9_$-]+)?$")

_PRODUCTION = schema(productionStacks=PRODUCTION_STACKS)
_PROVISIONED = schema(allowLatest={
    "type": "boolean", "default": False, "description": "Never true in practice: Lambda itself refuses $LATEST."})


@resource_rule("function-url-auth-in-production", "Production function URLs require AWS_IAM authentication.",
               Severity.CRITICAL, _PRODUCTION, FUNCTION_URL)
def function_url_auth_in_production(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if _is_public(args.props) and is_production(args, _PRODUCTION):
        report(f"function URL '{args.name}' lets anyone on the internet invoke a production function; "
               "use authorizationType AWS_IAM.")


def _is_public(props: Mapping[str, Any]) -> bool:
    return text(props.get("authorizationType"), "authorizationType") == "NONE"


def _function_name(value: Any) -> Optional[str]:
    match = _FUNCTION_NAME.match(value) if isinstance(value, str) else None
    return match["name"] if match else None


def _known(resource: PolicyResource, prop: str) -> Any:
    """The property, or None while it is unknown (a function's ARN during a first preview)."""
    try:
        return resource.props.get(prop)
    except UnknownValueError:
        return None


def _function_served(url: PolicyResource, functions: list[PolicyResource]) -> Optional[PolicyResource]:
    """The stack's function the URL invokes: the one its functionName is made from (the engine's dependencies),
    else the one it names. None for a function outside the stack; UnknownValueError when the name is unknown."""
    linked = [d for d in url.property_dependencies.get("functionName", []) if d.resource_type == LAMBDA_FUNCTION]
    if linked:
        return linked[0]
    name = _function_name(text(url.props.get("functionName"), "functionName"))
    return next((f for f in functions if name and name in (_known(f, "name"), _function_name(_known(f, "arn")))),
                None)


def _check_public_url(url: PolicyResource, functions: list[PolicyResource], report: ReportViolation) -> None:
    if not _is_public(url.props):
        return
    function = _function_served(url, functions)
    if function is None:
        return  # its reservation is another stack's to show
    reserved = number(function.props.get("reservedConcurrentExecutions"),
                      f"reservedConcurrentExecutions of function '{function.name}'")
    if reserved is None or reserved < 0:  # -1, the provider's default, reserves none
        report(f"function URL '{url.name}' lets anyone on the internet invoke function '{function.name}', which has "
               "no reserved concurrency: its callers can take all of the account's unreserved concurrency, which "
               "every other function in the account (another stack's too) draws from. Reserve a ceiling "
               "(reservedConcurrentExecutions; lambdakit:reservedConcurrency, e.g. 10), or use authorizationType "
               "AWS_IAM.", url.urn)


def _public_urls_reserved(args: StackValidationArgs, report: ReportViolation) -> None:
    functions = [r for r in args.resources if r.resource_type == LAMBDA_FUNCTION]
    not_known: Optional[UnknownValueError] = None
    unjudged = Unjudged()
    for url in (r for r in args.resources if r.resource_type == FUNCTION_URL):
        try:
            unjudged.read(url, lambda u: _check_public_url(u, functions, report))
        except UnknownValueError as unknown:
            not_known = not_known or unknown  # the other URLs are still judged
    # The engine says of an unknown: "can't run policy … during preview" (advisory).
    unjudged.done(not_known)


function_url_public_needs_reservation = StackValidationPolicy(
    name="function-url-public-needs-reservation",
    description="A public (NONE) function URL serves only a function with reserved concurrency, so that anyone "
                "calling it cannot drain the concurrency the account's other functions share.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=_public_urls_reserved,
    remediation_steps="Set the function's reservedConcurrentExecutions (lambdakit:reservedConcurrency), or make the "
                      "URL's authorizationType AWS_IAM (lambdakit:functionUrlAuthType).",
)


@resource_rule("provisioned-concurrency-not-on-latest",
               "Provisioned concurrency sits on an alias or published version, never on $LATEST.",
               Severity.MEDIUM, _PROVISIONED, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
def provisioned_concurrency_not_on_latest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    on_latest = text(args.props.get("qualifier"), "qualifier") == "$LATEST"
    if on_latest and not setting(args.get_config(), _PROVISIONED, "allowLatest"):
        report(f"'{args.name}' puts provisioned concurrency on $LATEST, which Lambda refuses mid-deploy; "
               "put it on an alias of a published version.")
