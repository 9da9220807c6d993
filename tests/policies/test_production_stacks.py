"""Which stacks are production, by name or by the stack tag `environment`: the names people use, by default."""

import dataclasses
import json

import pytest

from tests.policies.conftest import STACK, aws_environment, by_policy, start_pack

URL = "aws:lambda/functionUrl:FunctionUrl"
PUBLIC_URL = {"authorizationType": "NONE", "functionName": "f"}
RULE = "function-url-auth-in-production"  # refuses a public URL in production only

PRODUCTION = ["prod", "prd", "production", "PROD", "Production", "personal-news-prod", "prod-eu", "app_prd",
              "production-eu-central-1", "api.prod", "prd_us", "team-app-prod"]
NOT_PRODUCTION = ["dev", "staging", "product", "prodigy", "products-prod2", "my-product", "reproduce", "pre-prod",
                  "non-prod", "app_pre_prd", "preprod", "nonprod", "prod2", "eu-prod-app", ""]


def refused(pack, stack_tags=None, config="") -> bool:
    with pack.configured(config, stack_tags=stack_tags):
        return bool(by_policy(pack.analyze(URL, PUBLIC_URL), RULE))


@pytest.mark.parametrize("environment", PRODUCTION)
def test_production_by_the_environment_tag(pack, environment):
    assert refused(pack, {"environment": environment})


@pytest.mark.parametrize("environment", NOT_PRODUCTION)
def test_not_production_by_the_environment_tag(pack, environment):
    assert not refused(pack, {"environment": environment})


@pytest.fixture(scope="module", params=["personal-news-prod", "prd", "prod-eu", "pre-prod", "product"])
def named_stack(request, tmp_path_factory):
    """The pack as the CLI starts it for a stack of this name (PULUMI_STACK)."""
    stack = dataclasses.replace(STACK, stack=request.param)
    with start_pack(aws_environment(tmp_path_factory.mktemp("aws")), stack) as running:
        yield request.param, running


def test_production_by_the_stack_name(named_stack):
    name, pack = named_stack
    assert refused(pack) == (name in PRODUCTION)


@pytest.mark.parametrize("listed, environment, production", [
    (["live"], "live", True),
    (["live"], "shop-live", True),  # a listed name also matches as the first or last word
    (["live"], "live_eu", True),
    (["live"], "prod", False),  # the list replaces the default names
    (["live"], "lively", False),
    (["eu-live"], "shop-eu-live", True),  # a name of several words matches as those words
    (["eu-live"], "live", False),
    ([], "production", False),
])
def test_the_names_can_be_configured(pack, listed, environment, production):
    config = json.dumps({RULE: {"productionStacks": listed}})
    assert refused(pack, {"environment": environment}, config) == production
