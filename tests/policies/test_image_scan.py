"""lambda-image-scan-findings through the pack's own process, asking a local moto server's ECR for the
findings, as the pack asks ECR during `pulumi up` once the image's digest is known."""

import pytest

from tests.ecr_answers import (REGISTRY, basic, basic_finding, enhanced, enhanced_finding, for_image, push,
                               set_scan_result)
from tests.policies.conftest import SCAN_POLICIES, by_policy, foreign_function

FUNCTION = "aws:lambda/function:Function"
CRITICAL = basic_finding("CVE-2024-45490", "CRITICAL")
MEDIUM = basic_finding("CVE-2023-52425", "MEDIUM")


def scanned(moto_endpoint, ecr, repository: str, answer: dict) -> str:
    """An image in moto's ECR whose scan DescribeImageScanFindings answers with `answer`."""
    digest, _ = push(ecr, repository, 90_000_000)
    ecr.start_image_scan(repositoryName=repository, imageId={"imageDigest": digest})
    set_scan_result(moto_endpoint, for_image(answer, repository, digest))
    return f"{REGISTRY}/{repository}@{digest}"


def scan_findings(pack, image_uri: str) -> list:
    return [f for f in pack.analyze(FUNCTION, foreign_function(image_uri)) if f.policy in SCAN_POLICIES]


def test_an_image_whose_scan_passes_runs(aws_pack, moto_endpoint, moto_ecr):
    assert scan_findings(aws_pack, scanned(moto_endpoint, moto_ecr, "scan/clean", basic(MEDIUM))) == []


def test_a_critical_finding_blocks_the_function_with_what_to_fix(aws_pack, moto_endpoint, moto_ecr):
    image = scanned(moto_endpoint, moto_ecr, "scan/critical", basic(CRITICAL, MEDIUM))
    [finding] = scan_findings(aws_pack, image)
    assert (finding.policy, finding.enforcement_level, finding.severity) == (
        "lambda-image-scan-findings", "mandatory", "critical")
    digest = image.split("@sha256:")[1]
    assert f"1 CRITICAL finding (CVE-2024-45490) in scan/critical@sha256:{digest[:12]}" in finding.message
    assert "the scan does not say whether fixed versions exist (basic scanning never does)" in finding.message


def test_the_thresholds_come_from_the_pack_config(aws_pack, moto_endpoint, moto_ecr):
    image = scanned(moto_endpoint, moto_ecr, "scan/medium", basic(MEDIUM))
    with aws_pack.configured('{"lambda-image-scan-findings": {"failOnSeverities": ["CRITICAL", "MEDIUM"]}}'):
        [finding] = scan_findings(aws_pack, image)
    assert "1 MEDIUM finding (CVE-2023-52425)" in finding.message
    with aws_pack.configured('{"lambda-image-scan-findings": {"failOnSeverities": ["CRITICAL", "MEDIUM"], '
                             '"ignoredVulnerabilities": ["CVE-2023-52425"]}}'):
        assert scan_findings(aws_pack, image) == []


def test_an_enhanced_scan_passes_once_a_second_read_finds_the_same(aws_pack, moto_endpoint, moto_ecr):
    high_without_fix = enhanced_finding("CVE-2024-1", "HIGH", "NO", package="zlib")
    image = scanned(moto_endpoint, moto_ecr, "scan/enhanced", enhanced(high_without_fix, status="ACTIVE"))
    with aws_pack.configured('{"lambda-image-scan-findings": {"confirmSeconds": 0}}'):
        assert scan_findings(aws_pack, image) == []


def test_an_enhanced_high_with_a_fix_blocks(aws_pack, moto_endpoint, moto_ecr):
    fixable = enhanced(enhanced_finding("CVE-2024-2", "HIGH", "YES"), status="ACTIVE")
    [finding] = scan_findings(aws_pack, scanned(moto_endpoint, moto_ecr, "scan/fixable", fixable))
    assert "1 HIGH finding (CVE-2024-2)" in finding.message and "a fixed version exists" in finding.message


def unscanned(moto_ecr, repository: str) -> str:
    digest, _ = push(moto_ecr, repository, 90_000_000)
    return f"{REGISTRY}/{repository}@{digest}"


def test_a_scan_not_started_is_said_in_every_stack_and_blocks_none_but_production(aws_pack, moto_ecr):
    [finding] = scan_findings(aws_pack, unscanned(moto_ecr, "scan/pending"))  # the pack runs stack dev
    assert (finding.policy, finding.enforcement_level) == ("lambda-image-scan-findings-unread", "advisory")
    assert "no scan has started" in finding.message


@pytest.mark.parametrize("config, tags", [
    ('{"lambda-image-scan-findings": {"blockWhenUnreadable": "always"}}', None),
    ("", {"environment": "production"}),
])
def test_unreadable_findings_block_production_or_wherever_configured(aws_pack, moto_ecr, config, tags):
    image = unscanned(moto_ecr, f"scan/blocked-{len(config)}")
    with aws_pack.configured(config, stack_tags=tags):
        [blocked] = by_policy(scan_findings(aws_pack, image), "lambda-image-scan-findings")
    assert blocked.enforcement_level == "mandatory" and "no scan vouches for its image" in blocked.message


def test_unreadable_findings_never_block_when_so_configured(aws_pack, moto_ecr):
    image = unscanned(moto_ecr, "scan/never")
    with aws_pack.configured('{"lambda-image-scan-findings": {"blockWhenUnreadable": "never"}}',
                             stack_tags={"environment": "production"}):
        assert by_policy(scan_findings(aws_pack, image), "lambda-image-scan-findings") == []


def test_without_credentials_the_findings_are_said_to_be_unreadable(pack):
    [finding] = scan_findings(pack, f"{REGISTRY}/api@sha256:{'d' * 64}")
    assert finding.policy == "lambda-image-scan-findings-unread"
    assert "ECR could not be asked for the findings" in finding.message


def test_a_zip_function_has_no_image_to_judge(pack):
    zip_function = {"packageType": "Zip", "runtime": "python3.13", "handler": "app.handler",
                    "architectures": ["arm64"], "memorySize": 256}
    assert [f for f in pack.analyze(FUNCTION, zip_function) if f.policy in SCAN_POLICIES] == []
