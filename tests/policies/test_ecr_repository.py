"""Scan on push, by the repository's flag or by the registry's scanning configuration, and its remediation."""

import pytest
from google.protobuf import json_format

from tests.policies.conftest import by_policy

REPOSITORY = "aws:ecr/repository:Repository"
REGISTRY = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
UNSCANNED = {"name": "lambdakit-dev-api", "imageScanningConfiguration": {"scanOnPush": False}}
SCANNED = {**UNSCANNED, "imageScanningConfiguration": {"scanOnPush": True}}


def registry(scan_type: str, *rules: tuple[str, list[str]]) -> tuple[str, str, dict]:
    """A registry scanning configuration as pulumi-aws sends it: rules of (frequency, filters)."""
    return (REGISTRY, "registry", {"scanType": scan_type, "rules": [
        {"scanFrequency": frequency, "repositoryFilters": [{"filter": f, "filterType": "WILDCARD"} for f in filters]}
        for frequency, filters in rules]})


def gaps(pack, *resources: tuple[str, str, dict]) -> list[str]:
    return [f.message for f in by_policy(pack.analyze_stack(list(resources)), "ecr-scan-on-push")]


def test_a_repository_that_scans_on_push_passes(pack):
    assert gaps(pack, (REPOSITORY, "api", SCANNED)) == []


def test_an_unscanned_or_unconfigured_repository_is_refused(pack):
    for props in (UNSCANNED, {"name": "lambdakit-dev-api"}):
        findings = by_policy(pack.analyze_stack([(REPOSITORY, "api", props)]), "ecr-scan-on-push")
        [finding] = findings
        assert finding.enforcement_level == "mandatory" and finding.severity == "critical"
        assert finding.urn.endswith("::api") and "does not scan images on push" in finding.message


def test_the_message_fits_a_stack_with_no_function(pack):
    [message] = gaps(pack, (REPOSITORY, "api", UNSCANNED))  # the stack holds the repository only
    assert message.endswith("repository 'api': it does not scan images on push, and no registry-wide scan covers "
                            "it, so no scan vouches for the images pushed to it.")
    assert "Lambda" not in message


def test_a_registry_wide_scan_managed_elsewhere_covers_matching_repositories_only(pack):
    with pack.configured('{"ecr-scan-on-push": {"registryScanFilters": ["lambdakit-*"]}}'):
        assert gaps(pack, (REPOSITORY, "api", UNSCANNED)) == []
        assert gaps(pack, (REPOSITORY, "other", {**UNSCANNED, "name": "other-app"}))


@pytest.mark.parametrize("pattern, name, matched", [
    ("lambdakit-*", "lambdakit-dev-api", True), ("prod*", "repo-prod", False),  # a wildcard anchors the match
    ("dev-api", "lambdakit-dev-api", True), ("dev-api", "lambdakit-prod-api", False),  # no wildcard: contains
    ("*", "anything", True)])
def test_registry_filters_match_as_ecr_matches_them(pack, pattern, name, matched):
    found = gaps(pack, (REPOSITORY, "r", {**UNSCANNED, "name": name}), registry("BASIC", ("SCAN_ON_PUSH", [pattern])))
    assert (found == []) == matched


@pytest.mark.parametrize("frequency", ["SCAN_ON_PUSH", "CONTINUOUS_SCAN"])
def test_enhanced_scanning_in_the_stack_covers_a_repository_without_its_flag(pack, frequency):
    assert gaps(pack, (REPOSITORY, "api", UNSCANNED), registry("ENHANCED", (frequency, ["lambdakit-dev-api"]))) == []


def test_enhanced_scanning_that_misses_a_repository_leaves_it_unscanned_whatever_its_flag(pack):
    [message] = gaps(pack, (REPOSITORY, "api", SCANNED), registry("ENHANCED", ("CONTINUOUS_SCAN", ["other-*"])))
    assert "ENHANCED and none of its filters matches 'lambdakit-dev-api'" in message
    assert "ignores the repository's scanOnPush" in message


def test_enhanced_scanning_without_rules_scans_every_repository(pack):
    assert gaps(pack, (REPOSITORY, "api", UNSCANNED), registry("ENHANCED")) == []


def test_remediation_turns_scanning_on_and_keeps_everything_else(pack):
    request = pack.request(REPOSITORY, {**UNSCANNED, "imageTagMutability": "IMMUTABLE"})
    with pack.configured('{"ecr-scan-on-push-fix": "remediate"}'):
        [remediation] = pack.analyzer.Remediate(request).remediations
    assert remediation.policyName == "ecr-scan-on-push-fix"
    fixed = json_format.MessageToDict(remediation.properties)
    assert fixed == {"name": "lambdakit-dev-api", "imageTagMutability": "IMMUTABLE",
                     "imageScanningConfiguration": {"scanOnPush": True}}
    assert gaps(pack, (REPOSITORY, "api", fixed)) == []


def test_no_remediation_unless_asked_for(pack):
    assert list(pack.analyzer.Remediate(pack.request(REPOSITORY, UNSCANNED)).remediations) == []
    assert by_policy(pack.analyze(REPOSITORY, UNSCANNED), "ecr-scan-on-push-fix") == []
