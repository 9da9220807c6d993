"""The scan decision (policies/scan_findings.py) where ECR's answer alone cannot be trusted: an enhanced scan
reported COMPLETE or ACTIVE with no findings to go by. ECR's API reference promises no completion time for
enhanced scans, and aws/aws-sdk#289's COMPLETE response carries only `findings: []`
(tests/data/scan/enhanced-complete-before-findings.json), which is also all a clean image can show. So the decision
asks Amazon Inspector: ListCoverage for whether it has scanned the image, ListFindings for its findings (their
shapes: tests/data/inspector/). ECR and Inspector are real boto3 clients under botocore's Stubber.
"""

import botocore.session
import pytest

from policies import scan_findings
from policies.scan_findings import Outcome, Thresholds, judge, read_scan, scan_from_response
from tests.conftest import stubbed_client
from tests.ecr_answers import DIGEST, for_image, parsed, stub_pages, wire, with_status
from tests.inspector_answers import covering, finding_for, inspector_wire, stub_inspection

IMAGE = f"app@{DIGEST}"
SHORT = "app@sha256:0123456789ab"
DEFAULTS = Thresholds()


def complete_without_findings(status: str = "COMPLETE") -> dict:
    """aws/aws-sdk#289's answer for an enhanced scan, moved onto the image under test."""
    body = for_image(wire("enhanced-complete-before-findings"), "app", DIGEST)
    return with_status(body, status, "Continuous scan is selected for image.") if status == "ACTIVE" else body


@pytest.fixture
def clients():
    with stubbed_client("ecr", "eu-west-1") as ecr, stubbed_client("inspector2", "eu-west-1") as inspector:
        yield ecr, inspector


def read(clients, body: dict, coverage: dict, findings=None, registry_id=None) -> scan_findings.Scan:
    (ecr, ecr_stub), (inspector, inspector_stub) = clients
    stub_pages(ecr_stub, [body], registry_id=registry_id)
    stub_inspection(inspector_stub, "app", DIGEST, coverage, findings, registry_id)
    return read_scan(ecr, "app", {"imageDigest": DIGEST}, registry_id, inspector)


# --- The clean image ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["COMPLETE", "ACTIVE"])
def test_a_clean_enhanced_image_passes_on_a_second_read_once_inspector_has_scanned_it(clients, status):
    first = read(clients, complete_without_findings(status), covering("app", DIGEST), findings=[])
    assert (first.enhanced, first.completed, first.findings, first.inspection) == (True, True, (), "SUCCESSFUL")
    waiting = judge(first, DEFAULTS)
    assert waiting.outcome is Outcome.WAIT and "a second read must find the same ones" in waiting.reason
    second = read(clients, complete_without_findings(status), covering("app", DIGEST), findings=[])
    passed = judge(second, DEFAULTS, first.fingerprint)
    assert passed.outcome is Outcome.PASS, passed.reason
    assert passed.reason == (f"{SHORT}: no finding fails the gate (no findings; it fails on any CRITICAL, HIGH with "
                             "a fix).")


def test_without_inspector_the_same_answer_never_passes():
    """What the gate did before issue 24: no completion time, so it waited until it gave up."""
    scan = scan_from_response(IMAGE, parsed(complete_without_findings()))
    assert judge(scan, DEFAULTS, scan.fingerprint).outcome is Outcome.WAIT


def test_inspectors_findings_are_judged_when_ecr_has_not_handed_them_over(clients):
    scan = read(clients, complete_without_findings(), covering("app", DIGEST),
                findings=[finding_for("app", DIGEST, "CVE-2024-6119", "HIGH", "YES")])
    failed = judge(scan, DEFAULTS)
    assert failed.outcome is Outcome.FAIL
    assert failed.reason.startswith(f"1 HIGH finding (CVE-2024-6119) in {SHORT}; a fixed version exists")


def test_a_registry_id_is_passed_on_to_inspector_as_the_account(clients):
    scan = read(clients, complete_without_findings(), covering("app", DIGEST), findings=[], registry_id="123456789012")
    assert scan.inspection == "SUCCESSFUL"  # and the stubs checked accountId / awsAccountId were sent


@pytest.mark.parametrize("coverage, outcome, said", [
    (covering("app", DIGEST, "PENDING_INITIAL_SCAN", scanned=False), Outcome.WAIT, "pending its initial scan"),
    (covering("app", DIGEST, "INTERNAL_ERROR", scanned=False), Outcome.WAIT, "internal error, scanning resumes"),
    (covering("app", DIGEST, "SUCCESSFUL", scanned=False), Outcome.WAIT, "Amazon Inspector: SUCCESSFUL"),
    ({"coveredResources": []}, Outcome.WAIT, "no coverage of the image yet"),
    (covering("app", DIGEST, "UNSUPPORTED_OS", "INACTIVE", scanned=False), Outcome.FAIL,
     "Amazon Inspector's coverage of the image says UNSUPPORTED_OS; no complete scan vouches for it."),
    (covering("app", DIGEST, "SCAN_FREQUENCY_MANUAL", "INACTIVE", scanned=False), Outcome.FAIL,
     "says SCAN_FREQUENCY_MANUAL"),
], ids=["pending", "internal-error", "successful-without-a-time", "not-covered", "unsupported-os", "manual"])
def test_an_image_inspector_has_not_scanned_is_never_passed(clients, coverage, outcome, said):
    scan = read(clients, complete_without_findings(), coverage)  # no ListFindings before a scan
    verdict = judge(scan, DEFAULTS, scan.fingerprint)
    assert verdict.outcome is outcome and said in verdict.reason
    assert verdict.reason.startswith(f"{SHORT}: ")


def test_an_answer_with_its_findings_in_place_asks_inspector_nothing(clients):
    (ecr, ecr_stub), (inspector, _) = clients
    stub_pages(ecr_stub, [wire("enhanced-complete-critical")])
    scan = read_scan(ecr, "app", {"imageDigest": DIGEST}, None, inspector)  # an unexpected Inspector call would fail
    assert scan.inspection == "" and judge(scan, DEFAULTS).outcome is Outcome.FAIL


def test_without_an_inspector_client_one_is_made_beside_the_ecr_client(clients):
    (ecr, _), _ = clients
    made = scan_findings._inspector_beside(ecr)
    assert made.meta.service_model.service_name == "inspector2"
    assert made.meta.region_name == ecr.meta.region_name == "eu-west-1"


# --- Issue 24, mutant 1: an ACTIVE answer is enhanced even without an enhancedFindings key ----------------------

def test_an_active_answer_with_a_completion_time_and_nothing_listed_still_needs_a_second_read():
    """Only continuous (enhanced) scanning reports ACTIVE. Its findings can still be arriving, so a first read that
    finds nothing does not pass the image, whatever keys the answer carries."""
    body = complete_without_findings("ACTIVE")
    body["imageScanFindings"].update(imageScanCompletedAt=1749452920.144, findingSeverityCounts={})
    assert "enhancedFindings" not in body["imageScanFindings"]
    scan = scan_from_response(IMAGE, parsed(body))
    assert scan.enhanced and scan.populated
    first = judge(scan, DEFAULTS)
    assert first.outcome is Outcome.WAIT, first.reason
    assert "a second read must find the same ones" in first.reason
    assert judge(scan, DEFAULTS, scan.fingerprint).outcome is Outcome.PASS


# --- The samples are what the APIs send ---------------------------------------------------------------------------

def _unknown_members(value, shape, path: str = "") -> list[str]:
    """Keys of `value` that `shape` (botocore's model) does not have, at any depth."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return [found for key, item in value.items()
                for found in ([f"{path}.{key}"] if key not in shape.members else
                              _unknown_members(item, shape.members[key], f"{path}.{key}"))]
    if shape.type_name == "list" and isinstance(value, list):
        return [found for n, item in enumerate(value) for found in _unknown_members(item, shape.member, f"{path}[{n}]")]
    return []


@pytest.mark.parametrize("service, operation, body", [
    ("inspector2", "ListCoverage", inspector_wire("list-coverage-ecr-image")),
    ("inspector2", "ListFindings", inspector_wire("list-findings-ecr-image")),
    ("ecr", "DescribeImageScanFindings", wire("enhanced-complete-before-findings")),
], ids=["list-coverage", "list-findings", "ecr-complete-before-findings"])
def test_every_key_of_the_samples_is_a_member_of_the_apis_model(service, operation, body):
    model = botocore.session.get_session().get_service_model(service)
    assert _unknown_members(body, model.operation_model(operation).output_shape) == []
