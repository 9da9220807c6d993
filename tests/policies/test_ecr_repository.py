"""Scan on push, and its remediation."""

from google.protobuf import json_format

from tests.policies.conftest import by_policy

REPOSITORY = "aws:ecr/repository:Repository"
UNSCANNED = {"name": "lambdakit-dev-api", "imageScanningConfiguration": {"scanOnPush": False}}


def test_scanning_repository_passes(pack):
    assert pack.analyze(REPOSITORY, {**UNSCANNED, "imageScanningConfiguration": {"scanOnPush": True}}) == []


def test_unscanned_or_unconfigured_repository_is_refused(pack):
    for props in (UNSCANNED, {"name": "lambdakit-dev-api"}):
        [finding] = by_policy(pack.analyze(REPOSITORY, props), "ecr-scan-on-push")
        assert finding.enforcement_level == "mandatory" and finding.severity == "critical"
        assert "does not scan images on push" in finding.message


def test_a_registry_wide_scan_covers_matching_repositories_only(pack):
    with pack.configured('{"ecr-scan-on-push": {"registryScanFilters": ["lambdakit-*"]}}'):
        assert pack.analyze(REPOSITORY, UNSCANNED) == []
        assert by_policy(pack.analyze(REPOSITORY, {**UNSCANNED, "name": "other-app"}), "ecr-scan-on-push")


def test_remediation_turns_scanning_on_and_keeps_everything_else(pack):
    request = pack.request(REPOSITORY, {**UNSCANNED, "imageTagMutability": "IMMUTABLE"})
    with pack.configured('{"ecr-scan-on-push": "remediate"}'):
        [remediation] = pack.analyzer.Remediate(request).remediations
        request.properties.CopyFrom(remediation.properties)
        after = pack.analyzer.Analyze(request).diagnostics
    assert remediation.policyName == "ecr-scan-on-push"
    assert json_format.MessageToDict(remediation.properties) == {
        "name": "lambdakit-dev-api", "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True}}
    assert list(after) == []


def test_no_remediation_unless_asked_for(pack):
    assert list(pack.analyzer.Remediate(pack.request(REPOSITORY, UNSCANNED)).remediations) == []
