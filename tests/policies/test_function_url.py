"""Public URLs in production, and provisioned concurrency on $LATEST."""

import pytest

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
