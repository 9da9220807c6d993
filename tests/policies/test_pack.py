"""The pack as a whole: what it announces to the engine, and how its config is checked."""

import pytest

from offline.policy_engine import LEVELS, PolicyPackError, PolicyPackProcess, parse_policy_config, reconcile_config
from tests.policies.conftest import STACK

PROMISED = {"lambda-architecture", "lambda-image-size", "ecr-scan-on-push", "lambda-memory",
            "lambda-image-scan-findings"}
# Say only that another policy could not judge: advisory unless the user's config says otherwise.
COULD_NOT_JUDGE = {"lambda-image-size-unmeasured", "lambda-image-scan-findings-unread"}
# Remediation only: it acts at level "remediate" and is advisory until then.
REMEDIATION_ONLY = {"ecr-scan-on-push-fix"}
# Settings no default can fit: a budget is each stack's own.
NO_DEFAULT = {"stack-monthly-budget": {"maxMonthlyUsd"}}
# Nothing to tune: any reservation keeps a public URL's callers off the account's shared concurrency.
NOTHING_TO_SET = {"function-url-public-needs-reservation"}
# Every reporting policy's, from the guard (policies/guard.py): whether a resource it cannot judge blocks production.
GUARD_SETTINGS = {"failClosedInProduction", "productionStacks"}


def test_every_policy_is_described_with_its_level_severity_and_config_schema(pack):
    policies = {p.name: p for p in pack.info.policies}
    assert PROMISED | COULD_NOT_JUDGE | REMEDIATION_ONLY <= set(policies)
    assert len(policies) == 17
    advisory = COULD_NOT_JUDGE | REMEDIATION_ONLY
    for policy in policies.values():
        assert policy.description and policy.severity, policy.name
        assert LEVELS[policy.enforcementLevel] == ("advisory" if policy.name in advisory else "mandatory"), policy.name
        without_default = {key for key, spec in policy.configSchema.properties.items() if "default" not in spec}
        assert without_default == NO_DEFAULT.get(policy.name, set()), policy.name
        # Every policy that reports has the guard's settings (what it does with a resource it cannot judge).
        settings = set(policy.configSchema.properties)
        assert (GUARD_SETTINGS <= settings) == (policy.name not in REMEDIATION_ONLY), policy.name
        # These have only their level and the guard's settings; every other policy has some of its own.
        if policy.name in COULD_NOT_JUDGE | NOTHING_TO_SET:
            assert settings == GUARD_SETTINGS, policy.name
        else:
            assert settings - {"failClosedInProduction"}, policy.name


def test_schema_defaults_reach_the_policies(pack):
    config = reconcile_config(pack.info, {})
    assert config["lambda-image-size"].properties["maxImageSizeMb"] == 500
    assert config["lambda-memory"].properties["minMemoryMb"] == 1024


def test_user_config_overrides_defaults_and_all_sets_every_level(pack):
    config = reconcile_config(pack.info, parse_policy_config(
        '{"all": "advisory", "lambda-memory": {"enforcementLevel": "disabled", "minMemoryMb": 256}}'))
    assert LEVELS[config["lambda-architecture"].enforcementLevel] == "advisory"
    assert LEVELS[config["lambda-memory"].enforcementLevel] == "disabled"
    assert config["lambda-memory"].properties["minMemoryMb"] == 256
    assert config["lambda-memory"].properties["maxMemoryMb"] == 10240


@pytest.mark.parametrize("given, message", [
    ('{"lambda-memory": {"maxMemoryMb": 20000}}', "lambda-memory: maxMemoryMb: 20000 is greater than the maximum of 10240"),
    ('{"lambda-image-size": {"maxImageSizeMb": "big"}}', "lambda-image-size: maxImageSizeMb: 'big' is not of type 'integer'"),
])
def test_config_that_breaks_a_schema_is_refused_before_anything_runs(pack, given, message):
    with pytest.raises(PolicyPackError) as refused:
        reconcile_config(pack.info, parse_policy_config(given))
    assert message in str(refused.value)


def test_an_invalid_enforcement_level_is_refused():
    with pytest.raises(PolicyPackError, match="'sometimes' is not a valid enforcement level"):
        parse_policy_config('{"lambda-memory": "sometimes"}')


def test_a_disabled_policy_stays_silent(pack):
    with pack.configured('{"lambda-architecture": "disabled"}'):
        assert pack.analyze("aws:lambda/function:Function", {"architectures": ["x86_64"], "memorySize": 1024}) == []


def test_a_pack_that_cannot_start_says_why(tmp_path):
    (tmp_path / "__main__.py").write_text("raise SystemExit('broken pack: missing rules')\n")
    with pytest.raises(PolicyPackError, match="broken pack: missing rules"):
        with PolicyPackProcess(tmp_path, STACK) as process:
            process.analyzer
