"""Public URLs in production, public URLs without a ceiling, and provisioned concurrency on $LATEST."""

import pytest
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2

from offline.policy_engine import _finding
from tests.policies.conftest import by_policy

URL = "aws:lambda/functionUrl:FunctionUrl"
PROVISIONED = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"


def test_public_url_outside_production_passes(pack):
    assert pack.analyze(URL, {"authorizationType": "NONE", "functionName": "f", "qualifier": "live"}) == []


@pytest.mark.parametrize("config, tags", [
    ('{"function-url-auth-in-production": {"productionStacks": ["dev"]}}', {}),  # by stack name
    ("", {"environment": "production"}),  # by stack tag
])
def test_public_url_in_production_is_refused(pack, config, tags):
    with pack.configured(config, stack_tags=tags):
        [finding] = by_policy(pack.analyze(URL, {"authorizationType": "NONE", "functionName": "f"}),
                              "function-url-auth-in-production")
        assert pack.analyze(URL, {"authorizationType": "AWS_IAM", "functionName": "f"}) == []
    assert "use authorizationType AWS_IAM" in finding.message and finding.severity == "critical"


def test_provisioned_concurrency_on_latest_is_refused(pack):
    [finding] = pack.analyze(PROVISIONED, {"qualifier": "$LATEST", "provisionedConcurrentExecutions": 2})
    assert finding.policy == "provisioned-concurrency-not-on-latest"
    assert pack.analyze(PROVISIONED, {"qualifier": "live", "provisionedConcurrentExecutions": 2}) == []


# A public URL needs a ceiling on its function: the URL and the function are two resources, so a stack policy.

FUNCTION = "aws:lambda/function:Function"
NEEDS_RESERVATION = "function-url-public-needs-reservation"
FUNCTION_NAME = "lambdakit-dev-api"
FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION_NAME}"


def public_url(function_name: str = FUNCTION_NAME) -> dict:
    return {"authorizationType": "NONE", "functionName": function_name, "qualifier": "live"}


def reservation_findings(pack, url: dict, function: dict) -> list:
    return by_policy(pack.analyze_stack([(FUNCTION, "api", {"name": FUNCTION_NAME, **function}), (URL, "api", url)]),
                     NEEDS_RESERVATION)


@pytest.mark.parametrize("function", [{}, {"reservedConcurrentExecutions": None}, {"reservedConcurrentExecutions": -1}],
                         ids=["absent", "null", "-1"])
def test_a_public_url_on_a_function_without_a_reservation_is_refused(pack, function):
    [finding] = reservation_findings(pack, public_url(), function)
    assert (finding.enforcement_level, finding.severity) == ("mandatory", "high")
    assert finding.urn == f"urn:pulumi:dev::lambdakit::{URL}::api"
    assert ("function URL 'api' lets anyone on the internet invoke function 'api', which has no reserved concurrency"
            in finding.message)
    assert "lambdakit:reservedConcurrency" in finding.message and "authorizationType AWS_IAM" in finding.message


@pytest.mark.parametrize("reserved", [10, 0])  # 0 is a ceiling too: nothing runs
def test_a_public_url_on_a_function_with_a_reservation_passes(pack, reserved):
    assert reservation_findings(pack, public_url(), {"reservedConcurrentExecutions": reserved}) == []


def test_an_iam_url_needs_no_reservation(pack):
    url = public_url() | {"authorizationType": "AWS_IAM"}
    assert reservation_findings(pack, url, {"reservedConcurrentExecutions": -1}) == []


@pytest.mark.parametrize("function_name",
                         [FUNCTION_ARN, f"{FUNCTION_ARN}:live", f"123456789012:function:{FUNCTION_NAME}"],
                         ids=["ARN", "qualified ARN", "partial ARN"])
def test_a_url_naming_its_function_by_arn_is_judged_too(pack, function_name):
    [finding] = reservation_findings(pack, public_url(function_name), {"reservedConcurrentExecutions": -1})
    assert finding.policy == NEEDS_RESERVATION


def test_a_url_on_a_function_outside_the_stack_is_not_judged(pack):
    # Its reservation, if any, is in the stack that declares the function.
    assert reservation_findings(pack, public_url("another-stacks-function"), {"reservedConcurrentExecutions": -1}) == []


def test_the_engines_dependencies_tell_the_function_while_its_arn_is_unknown(pack):
    """A first preview of `functionName=function.arn`: the value is unknown, the dependency is not."""
    function = pack.request(FUNCTION, {"name": FUNCTION_NAME, "reservedConcurrentExecutions": -1}, "api")
    url = pack.request(URL, public_url(rpc.UNKNOWN), "api")
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=function.type, name=function.name, urn=function.urn,
                                      properties=function.properties),
        analyzer_pb2.AnalyzerResource(type=url.type, name=url.name, urn=url.urn, properties=url.properties,
                                      propertyDependencies={"functionName": analyzer_pb2.AnalyzerPropertyDependencies(
                                          urns=[function.urn])})])
    findings = [_finding(d, "") for d in pack.analyzer.AnalyzeStack(request).diagnostics]
    [finding] = by_policy(findings, NEEDS_RESERVATION)
    assert finding.enforcement_level == "mandatory" and finding.urn == url.urn


@pytest.mark.parametrize("url, function", [(public_url(rpc.UNKNOWN), {"reservedConcurrentExecutions": 10}),
                                           (public_url(), {"reservedConcurrentExecutions": rpc.UNKNOWN}),
                                           (public_url() | {"authorizationType": rpc.UNKNOWN}, {})],
                         ids=["function name", "reservation", "auth type"])
def test_what_is_unknown_during_preview_is_not_judged_and_said_so(pack, url, function):
    # The other URL of the stack, on a function without a reservation, is still refused.
    findings = by_policy(pack.analyze_stack([
        (FUNCTION, "api", {"name": FUNCTION_NAME, **function}), (URL, "api", url),
        (FUNCTION, "other", {"name": "other"}), (URL, "other", public_url("other"))]), NEEDS_RESERVATION)
    assert {(f.enforcement_level, f.urn.rsplit("::", 1)[-1]) for f in findings} == {("advisory", ""),
                                                                                   ("mandatory", "other")}
    [not_judged] = [f for f in findings if f.enforcement_level == "advisory"]
    assert f"can't run policy '{NEEDS_RESERVATION}'" in not_judged.message
