"""The scan gate on what issue 24 found untested: an enhanced scan ECR reports COMPLETE with nothing but
`findings: []` (aws/aws-sdk#289's response, tests/data/scan/enhanced-complete-before-findings.json), which the gate
settles by asking Amazon Inspector; AWS's transient errors, from ECR and from Inspector; and when the second read
of an enhanced scan confirms the first.

Each test queues what ECR and Inspector answer and the one job result CodePipeline must receive (conftest.py)."""

import json

import pytest

from tests.ecr_answers import enhanced_finding, for_image, wire, with_findings
from tests.functions.scan_gate.conftest import DIGEST, NONE_FOUND, PARAMETERS, SHORT, continued, job_event, job_id
from tests.inspector_answers import covering, finding_for


def ends(result: dict, event: dict, outcome: str) -> None:
    assert result == {"jobId": job_id(event), "outcome": outcome}


def complete_without_findings() -> dict:
    """aws/aws-sdk#289's COMPLETE enhanced scan, moved onto the gate's image."""
    return for_image(wire("enhanced-complete-before-findings"), "app", DIGEST)


def waits(aws, invoke, event: dict, *summary: str) -> str:
    token = aws.continuation(event, "Waiting for the scan", *summary)
    ends(invoke(event), event, "Succeeded")
    return token.value


# --- The clean image under enhanced scanning -----------------------------------------------------------------

def test_a_clean_image_under_enhanced_scanning_passes_once_inspector_has_scanned_it(aws, invoke, clock):
    event = job_event(PARAMETERS)
    aws.findings(complete_without_findings())
    aws.inspection(covering("app", DIGEST), findings=[])
    token = waits(aws, invoke, event, "a second read must find the same ones")
    clock.now += 30
    aws.findings(complete_without_findings())
    aws.inspection(covering("app", DIGEST), findings=[])
    aws.success(event, {**NONE_FOUND, "blocking": "0", "imageDigest": DIGEST},
                f"{SHORT}: no finding fails the gate (no findings;")
    ends(invoke(continued(event, token)), event, "Succeeded")


def test_an_image_scanned_once_on_push_passes_the_same_way(aws, invoke, clock):
    scanned_once = covering("app", DIGEST, "SCAN_FREQUENCY_SCAN_ON_PUSH", status_code="INACTIVE")
    event = job_event(PARAMETERS)
    aws.findings(complete_without_findings())
    aws.inspection(scanned_once, findings=[])
    token = waits(aws, invoke, event)
    clock.now += 45
    aws.findings(complete_without_findings())
    aws.inspection(scanned_once, findings=[])
    aws.success(event, {**NONE_FOUND, "blocking": "0", "imageDigest": DIGEST}, "no finding fails the gate")
    ends(invoke(continued(event, token)), event, "Succeeded")


@pytest.mark.parametrize("coverage, said", [
    (covering("app", DIGEST, "PENDING_INITIAL_SCAN", scanned=False), "Amazon Inspector: pending its initial scan"),
    (covering("app", DIGEST, "SCAN_IN_PROGRESS", scanned=False), "Amazon Inspector: scan in progress"),
    (covering("app", DIGEST, "SCAN_FREQUENCY_SCAN_ON_PUSH", status_code="INACTIVE", scanned=False),
     "Amazon Inspector: SCAN_FREQUENCY_SCAN_ON_PUSH"),  # "will be scanned one time": not yet
    ({"coveredResources": []}, "Amazon Inspector: no coverage of the image yet"),
    # another image of the repository is covered, this one is not
    (covering("app", "sha256:" + "f" * 64), "Amazon Inspector: no coverage of the image yet"),
], ids=["pending", "in-progress", "on-push-not-yet", "not-covered", "other-image"])
def test_an_image_inspector_has_not_scanned_yet_waits(aws, invoke, clock, coverage, said):
    event = job_event(PARAMETERS)
    aws.findings(complete_without_findings())
    aws.inspection(coverage)  # and no ListFindings: nothing is listed before a scan
    waits(aws, invoke, event, "the scan reports COMPLETE but its findings are not in place yet", said)


@pytest.mark.parametrize("reason", ["UNSUPPORTED_OS", "SCAN_ELIGIBILITY_EXPIRED", "IMAGE_ARCHIVED", "ACCESS_DENIED"])
def test_an_image_inspector_cannot_scan_fails(aws, invoke, reason):
    event = job_event(PARAMETERS)
    aws.findings(complete_without_findings())
    aws.inspection(covering("app", DIGEST, reason, status_code="INACTIVE", scanned=False))
    aws.failure(event, "JobFailed", f"{SHORT}: ECR reports the scan COMPLETE but Amazon Inspector's coverage of the "
                                    f"image says {reason}; no complete scan vouches for it.")
    ends(invoke(event), event, "JobFailed")


def test_findings_inspector_has_and_ecr_has_not_handed_over_fail_the_image(aws, invoke):
    event = job_event(PARAMETERS)
    aws.findings(complete_without_findings())
    aws.inspection(covering("app", DIGEST), findings=[
        finding_for("app", DIGEST, "CVE-2024-6119", "MEDIUM", "YES"),
        finding_for("app", DIGEST, "CVE-2023-38545", "CRITICAL", "YES")])
    aws.failure(event, "JobFailed", f"1 CRITICAL finding (CVE-2023-38545) in {SHORT}; a fixed version exists")
    ends(invoke(event), event, "JobFailed")


def test_inspector_refusing_the_gate_is_a_permission_error(aws, invoke):
    event = job_event(PARAMETERS)
    aws.findings(complete_without_findings())
    message = ("User: arn:aws:sts::123456789012:assumed-role/lambdakit-scan-gate/lambdakit-scan-gate is not authorized "
               "to perform: inspector2:ListCoverage")
    aws.inspector.add_client_error("list_coverage", "AccessDeniedException", message, 403)
    aws.failure(event, "PermissionError", "Amazon Inspector refused to say whether it has scanned the image "
                                          f"(ListCoverage): AccessDeniedException: {message}")
    ends(invoke(event), event, "PermissionError")


# --- AWS's transient errors: the gate asks again on its next call -------------------------------------------

# ECR: ThrottlingException (HTTP 400), InternalFailure (500) and ServiceUnavailable (503) are the Common Errors of
# ECR's API reference; ServerException (500) is in ECR's model for DescribeImageScanFindings; "ThrottleException"
# with HTTP 429 is what ECR's user guide ("Troubleshooting Amazon ECR error messages") says throttling looks like.
@pytest.mark.parametrize("code, message, status", [
    ("ThrottlingException", "Rate exceeded", 400),
    ("ThrottleException", "Too Many Requests", 429),
    ("ServerException", "An internal error occurred.", 500),
    ("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500),
    ("ServiceUnavailable", "The request has failed due to a temporary failure of the server.", 503),
])
def test_ecr_throttling_or_failing_asks_codepipeline_to_call_again(aws, invoke, clock, code, message, status):
    event = job_event(PARAMETERS)
    aws.ecr_error(code, message, status=status)
    token = waits(aws, invoke, event, f"ECR did not answer (An error occurred ({code}) when calling the "
                                      f"DescribeImageScanFindings operation: {message}); asking again.")
    assert json.loads(token)["startedAt"] == clock.now  # the run's clock goes on; nothing was failed


# Inspector's model: ThrottlingException (429) and InternalServerException (500) for ListCoverage and ListFindings.
@pytest.mark.parametrize("operation, code, status", [
    ("list_coverage", "ThrottlingException", 429), ("list_coverage", "InternalServerException", 500),
    ("list_findings", "ThrottlingException", 429), ("list_findings", "InternalServerException", 500),
])
def test_inspector_throttling_or_failing_asks_codepipeline_to_call_again(aws, invoke, clock, operation, code, status):
    event = job_event(PARAMETERS)
    aws.findings(complete_without_findings())
    if operation == "list_findings":
        aws.inspection(covering("app", DIGEST))
    aws.inspector.add_client_error(operation, code, "Request throttled or failed", status)
    waits(aws, invoke, event, "Amazon Inspector did not answer (", f"({code})", "asking again.")


# --- The second read confirms only what it read 30 s after the same findings were first seen --------------------

def test_changed_findings_read_10_seconds_later_are_not_confirmed_against_the_earlier_time(aws, invoke, clock):
    """Issue 24: the time of the first read must not be kept for findings that changed since."""
    first = wire("enhanced-active-high")
    changed = with_findings(first, [*first["imageScanFindings"]["enhancedFindings"],
                                    enhanced_finding("CVE-2024-9681", "MEDIUM", "NO", package="curl")])
    event = job_event(PARAMETERS)
    aws.findings(first)
    token = waits(aws, invoke, event)
    clock.now += 30  # the findings changed: what was seen at the first read no longer counts
    aws.findings(changed)
    token = waits(aws, invoke, continued(event, token), "a second read must find the same ones")
    assert json.loads(token)["seenAt"] == clock.now
    clock.now += 10  # only 10 s after the changed findings were first seen
    aws.findings(changed)
    waits(aws, invoke, continued(event, token), "a second read must find the same ones")
