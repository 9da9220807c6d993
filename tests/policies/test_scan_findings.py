"""The scan decision the gate and the pack share (policies/scan_findings.py): its table, row by row, on
DescribeImageScanFindings responses shaped as ECR sends them (tests/data/scan/), and read_scan on a real
boto3 client, stubbed and against moto's ECR.

The helpers at the top are the scan gate's tests' too (tests/functions/scan_gate/).
"""


import pytest

from policies import scan_findings
from policies.scan_findings import Finding, Outcome, Thresholds, judge, read_scan, scan_from_response
from tests.conftest import stubbed_client
from tests.ecr_answers import (DIGEST, basic, basic_finding, enhanced, enhanced_finding, findings_request, for_image,
                               listed_key, listing_none, pages, parsed, push, set_scan_result, stub_pages, wire,
                               with_findings, with_status)

IMAGE = f"app@{DIGEST}"
SHORT = "app@sha256:0123456789ab"  # how every reason names the image
DEFAULTS = Thresholds()


def scan_of(body: dict) -> scan_findings.Scan:
    return scan_from_response(IMAGE, parsed(body))


def verdict(body: dict, thresholds: Thresholds = DEFAULTS, confirmed: bool = False) -> scan_findings.Verdict:
    """The verdict on one read of `body`; `confirmed`: after an earlier read found the same findings."""
    earlier = scan_of(body).fingerprint if confirmed else None
    return judge(scan_of(body), thresholds, earlier)


def failing(result: scan_findings.Verdict) -> str:
    assert result.outcome is Outcome.FAIL, result.reason
    return result.reason


def passing(result: scan_findings.Verdict) -> str:
    assert result.outcome is Outcome.PASS, result.reason
    assert result.blocking == ()
    return result.reason


def waiting(result: scan_findings.Verdict) -> str:
    assert result.outcome is Outcome.WAIT, result.reason
    return result.reason


# --- The decision table: COMPLETE and ACTIVE ---------------------------------------------------------

def test_a_complete_basic_scan_under_the_thresholds_passes():
    reason = passing(verdict(wire("basic-complete-medium")))
    assert reason == f"{SHORT}: no finding fails the gate (1 MEDIUM; it fails on any CRITICAL, HIGH with a fix)."


def test_a_complete_basic_scan_with_criticals_fails_listing_them_most_serious_first():
    result = verdict(wire("basic-complete-critical"))
    reason = failing(result)
    assert reason.startswith("4 CRITICAL findings (CVE-2021-3177, CVE-2022-48565, CVE-2023-38408, CVE-2023-45871) "
                             f"and 1 HIGH finding (CVE-2023-4911) in {SHORT}; ")
    assert "the scan does not say whether fixed versions exist (basic scanning never does)" in reason
    assert DIGEST not in reason
    assert result.counts == {"CRITICAL": 4, "HIGH": 1, "MEDIUM": 1}


@pytest.mark.parametrize("status", ["COMPLETE", "ACTIVE"])
def test_an_enhanced_scan_passes_when_a_second_read_finds_the_same_findings(status):
    reason = passing(verdict(with_status(wire("enhanced-active-high"), status), confirmed=True))
    assert reason == f"{SHORT}: no finding fails the gate (1 HIGH; it fails on any CRITICAL, HIGH with a fix)."


@pytest.mark.parametrize("status", ["COMPLETE", "ACTIVE"])
def test_an_enhanced_scan_that_would_pass_waits_for_a_second_read(status):
    result = verdict(with_status(wire("enhanced-active-high"), status))
    assert "a second read must find the same ones before the image passes" in waiting(result)
    assert SHORT in result.reason and result.counts == {"HIGH": 1}


def test_a_second_read_that_finds_more_waits_again():
    first = scan_of(wire("enhanced-active-high"))
    grown = with_findings(wire("enhanced-active-high"), [
        *wire("enhanced-active-high")["imageScanFindings"]["enhancedFindings"],
        enhanced_finding("CVE-2024-9681", "MEDIUM", "NO", package="curl")])
    assert waiting(judge(scan_of(grown), DEFAULTS, first.fingerprint))


@pytest.mark.parametrize("status", ["COMPLETE", "ACTIVE"])
def test_an_enhanced_scan_that_fails_fails_on_the_first_read(status):
    result = verdict(with_status(wire("enhanced-complete-critical"), status))
    assert failing(result) == (f"1 CRITICAL finding (CVE-2023-38545) and 1 HIGH finding (CVE-2023-4911) in {SHORT}; "
                               "fixed versions exist for both: update the base image or the packages and push again.")
    assert {f.vulnerability_id for f in result.blocking} == {"CVE-2023-38545", "CVE-2023-4911"}


@pytest.mark.parametrize("status", ["COMPLETE", "ACTIVE"])
def test_an_enhanced_scan_with_counts_but_no_findings_listed_waits(status):
    body = listing_none(with_status(wire("enhanced-complete-critical"), status))
    reason = waiting(verdict(body, confirmed=True))
    assert reason == (f"{SHORT}: the scan reports {status} but its findings are not in place yet (enhanced "
                      "scanning hands them over late).")


def test_an_active_scan_before_its_findings_are_listed_does_not_pass_on_one_read():
    waiting(verdict(wire("enhanced-active-before-findings")))


# --- The decision table: no verdict yet ------------------------------------------------------------

@pytest.mark.parametrize("body, status", [
    (wire("enhanced-pending"), "PENDING"),
    # a re-scan still lists the last scan's findings; they no longer vouch for anything
    (with_status(wire("basic-complete-critical"), "IN_PROGRESS"), "IN_PROGRESS"),
    (with_status(wire("basic-complete-medium"), "IN_PROGRESS"), "IN_PROGRESS"),
], ids=["pending", "in-progress-with-criticals", "in-progress-clean"])
def test_a_running_scan_waits(body, status):
    assert waiting(verdict(body, confirmed=True)) == f"{SHORT}: the scan is {status}; its findings are not known yet."


def test_an_image_no_scan_has_started_for_waits():
    scan = scan_findings.Scan(image=IMAGE, status=scan_findings.NOT_SCANNED)
    assert waiting(judge(scan, DEFAULTS)) == f"{SHORT}: no scan has started; its findings are not known yet."


# --- The decision table: no complete, current scan -------------------------------------------------

NO_COMPLETE_SCAN = {
    "FAILED": ("UnsupportedImageError: The operating system and/or package manager are not supported.",
               "the scan failed"),
    "UNSUPPORTED_IMAGE": ("The operating system and/or package manager are not supported.", "cannot scan"),
    "SCAN_ELIGIBILITY_EXPIRED": ("Scan eligibility has expired for this image.", "no longer scanned"),
    "FINDINGS_UNAVAILABLE": ("Findings are unavailable for this image.", "findings are not available"),
    "LIMIT_EXCEEDED": ("The scan limit for this image has been exceeded.", "a scanning limit was exceeded"),
    "IMAGE_ARCHIVED": ("The image is archived.", "archived"),
    "IMAGE_SIZE_EXCEEDED": ("The image exceeds the maximum size for scanning.", "too large"),
    "SOMETHING_NEWER": ("A status from a newer ECR API.", "a scan status this gate does not know"),
}


@pytest.mark.parametrize("status", NO_COMPLETE_SCAN)
def test_a_status_without_a_complete_scan_fails_with_ecrs_description(status):
    description, meaning = NO_COMPLETE_SCAN[status]
    # The response still lists an earlier scan's clean findings: they must not pass the image.
    result = verdict(with_status(wire("basic-complete-medium"), status, description), confirmed=True)
    reason = failing(result)
    assert reason.startswith(f"{SHORT}: ")
    assert meaning in reason
    assert f"({description}), status {status}; no complete scan vouches for it" in reason
    assert result.blocking == ()


# --- Thresholds --------------------------------------------------------------------------------------

def test_by_default_a_critical_fails_even_without_a_fixed_version():
    reason = failing(verdict(enhanced(enhanced_finding("CVE-2024-6387", "CRITICAL", "NO"))))
    assert reason.startswith(f"1 CRITICAL finding (CVE-2024-6387) in {SHORT}; no fixed version exists yet")


@pytest.mark.parametrize("fix", ["YES", "PARTIAL"])
def test_by_default_a_high_with_a_fixed_version_fails(fix):
    reason = failing(verdict(enhanced(enhanced_finding("CVE-2023-4911", "HIGH", fix))))
    assert reason.startswith(f"1 HIGH finding (CVE-2023-4911) in {SHORT}; a fixed version exists")


def test_by_default_a_high_without_a_fixed_version_passes():
    body = enhanced(enhanced_finding("CVE-2022-49043", "HIGH", "NO"),
                    enhanced_finding("CVE-2024-9681", "MEDIUM", "YES"))
    assert "(1 HIGH, 1 MEDIUM; " in passing(verdict(body, confirmed=True))


def test_a_basic_scans_high_fails_closed_as_it_cannot_say_whether_a_fix_exists():
    reason = failing(verdict(basic(basic_finding("CVE-2023-4911", "HIGH"))))
    assert reason.startswith(f"1 HIGH finding (CVE-2023-4911) in {SHORT}; the scan does not say whether "
                             "fixed versions exist")


def test_an_ignored_vulnerability_does_not_fail_the_gate():
    ignored = ["CVE-2021-3177", "CVE-2022-48565", "CVE-2023-38408", "CVE-2023-45871", "CVE-2023-4911"]
    thresholds = Thresholds.from_mapping({"ignoredVulnerabilities": ignored})
    reason = passing(verdict(wire("basic-complete-critical"), thresholds))
    assert "(4 CRITICAL, 1 HIGH, 1 MEDIUM; " in reason  # ECR's counts, ignored findings included


def test_ignoring_one_vulnerability_leaves_the_others_failing():
    thresholds = Thresholds.from_mapping({"ignoredVulnerabilities": ["CVE-2023-4911"]})
    reason = failing(verdict(wire("basic-complete-critical"), thresholds))
    assert reason.startswith("4 CRITICAL findings (CVE-2021-3177, CVE-2022-48565, CVE-2023-38408, CVE-2023-45871) "
                             f"in {SHORT}; ")
    assert "CVE-2023-4911" not in reason


def test_thresholds_can_fail_on_every_high_and_on_nothing_for_its_fix():
    thresholds = Thresholds.from_mapping({"failOnSeverities": ["CRITICAL", "HIGH"], "failOnFixableSeverities": []})
    assert failing(verdict(wire("enhanced-active-high"), thresholds)).startswith(
        f"1 HIGH finding (CVE-2022-49043) in {SHORT}; no fixed version exists yet")
    fixable_medium = enhanced(enhanced_finding("CVE-2024-9681", "MEDIUM", "YES"))
    assert "it fails on any CRITICAL, any HIGH)." in passing(verdict(fixable_medium, thresholds, confirmed=True))


def test_thresholds_can_let_a_critical_through_until_a_fix_exists():
    thresholds = Thresholds.from_mapping({"failOnSeverities": [], "failOnFixableSeverities": ["CRITICAL", "HIGH"]})
    without_fix = enhanced(enhanced_finding("CVE-2024-6387", "CRITICAL", "NO"))
    reason = passing(verdict(without_fix, thresholds, confirmed=True))
    assert "it fails on CRITICAL with a fix, HIGH with a fix)." in reason
    with_fix = enhanced(enhanced_finding("CVE-2024-6387", "CRITICAL", "PARTIAL"))
    assert failing(verdict(with_fix, thresholds)).startswith(f"1 CRITICAL finding (CVE-2024-6387) in {SHORT}")


@pytest.mark.parametrize("status", ["SUPPRESSED", "CLOSED"])
def test_a_suppressed_or_closed_finding_does_not_count(status):
    body = enhanced(enhanced_finding("CVE-2023-38545", "CRITICAL", "YES", status=status),
                    enhanced_finding("CVE-2024-9681", "MEDIUM", "NO"))
    assert "(1 MEDIUM; " in passing(verdict(body, confirmed=True))


def test_one_vulnerability_in_two_packages_is_listed_once():
    body = enhanced(enhanced_finding("CVE-2023-38545", "CRITICAL", "YES", package="curl"),
                    enhanced_finding("CVE-2023-38545", "CRITICAL", "YES", package="libcurl4"))
    result = verdict(body)
    assert failing(result).startswith(f"1 CRITICAL finding (CVE-2023-38545) in {SHORT}; ")
    assert [f.vulnerability_id for f in result.blocking] == ["CVE-2023-38545"]


def test_more_than_five_ids_are_summed_up():
    body = enhanced(*(enhanced_finding(f"CVE-2024-000{n}", "CRITICAL", "NO") for n in range(7, 0, -1)))
    assert failing(verdict(body)).startswith(
        "7 CRITICAL findings (CVE-2024-0001, CVE-2024-0002, CVE-2024-0003, CVE-2024-0004, CVE-2024-0005 "
        "and 2 more) in ")


@pytest.mark.parametrize("fixes, phrase", [
    (["YES", "PARTIAL"], "fixed versions exist for both: update the base image or the packages and push again"),
    (["YES", "YES", "PARTIAL"], "fixed versions exist for all of them"),
    (["NO", "YES", "PARTIAL"], "fixed versions exist for 2 of 3"),
    (["NO", "NO"], "no fixed version exists yet; accept a finding by its id in ignoredVulnerabilities only once you "
                   "know it does not apply"),
])
def test_the_reason_says_for_how_many_findings_a_fix_exists(fixes, phrase):
    body = enhanced(*(enhanced_finding(f"CVE-2024-100{n}", "CRITICAL", fix) for n, fix in enumerate(fixes)))
    assert f"; {phrase}" in failing(verdict(body))


def test_the_fingerprint_is_the_same_for_the_same_findings_and_changes_with_them():
    body = wire("enhanced-complete-critical")
    reordered = with_findings(body, body["imageScanFindings"]["enhancedFindings"][::-1])
    assert scan_of(reordered).fingerprint == scan_of(body).fingerprint
    fewer = with_findings(body, body["imageScanFindings"]["enhancedFindings"][1:])
    assert scan_of(fewer).fingerprint != scan_of(body).fingerprint


# --- Thresholds.from_mapping ---------------------------------------------------------------------------

def test_thresholds_default_to_any_critical_and_a_high_with_a_fix():
    assert Thresholds.from_mapping({}) == Thresholds(frozenset({"CRITICAL"}), frozenset({"HIGH"}), frozenset())


def test_severities_are_accepted_in_lower_case():
    thresholds = Thresholds.from_mapping({"failOnSeverities": ["critical", "High"],
                                          "failOnFixableSeverities": ["medium"]})
    assert thresholds.fail_on == {"CRITICAL", "HIGH"} and thresholds.fail_on_fixable == {"MEDIUM"}


@pytest.mark.parametrize("key, value", [
    ("failOnSeverities", "CRITICAL"),
    ("failOnFixableSeverities", {"HIGH": True}),
    ("ignoredVulnerabilities", "CVE-2023-4911"),
    ("failOnSeverities", ["CRITICAL", 7]),
])
def test_thresholds_refuse_what_is_not_a_list_of_strings(key, value):
    with pytest.raises(ValueError) as refused:
        Thresholds.from_mapping({key: value})
    assert str(refused.value) == f"{key} = {value!r}: must be a list of strings"


def test_thresholds_refuse_an_unknown_severity_naming_key_value_and_the_allowed_ones():
    with pytest.raises(ValueError) as refused:
        Thresholds.from_mapping({"failOnFixableSeverities": ["HIGH", "SEVERE"]})
    assert str(refused.value) == ("failOnFixableSeverities = ['HIGH', 'SEVERE']: SEVERE is not a severity; allowed: "
                                  "CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED, UNTRIAGED")


# --- read_scan on a boto3 client, stubbed --------------------------------------------------------------

@pytest.fixture
def ecr():
    with stubbed_client("ecr", "eu-west-1") as stubbed:
        yield stubbed


@pytest.mark.parametrize("sample, size, blocking", [
    ("basic-complete-critical", 4, "1 HIGH finding (CVE-2023-4911)"),  # on the second of two pages
    ("enhanced-complete-critical", 1, "1 HIGH finding (CVE-2023-4911)"),  # four pages of one
])
def test_read_scan_reads_every_page(ecr, sample, size, blocking):
    client, stubber = ecr
    answers = pages(wire(sample), size)
    assert len(answers) > 1
    stub_pages(stubber, answers, registry_id="123456789012")
    scan = read_scan(client, "app", {"imageDigest": DIGEST}, "123456789012")
    assert scan.image == IMAGE and scan.status == "COMPLETE"
    assert len(scan.findings) == len(_all_listed(wire(sample)))
    assert scan.counts == wire(sample)["imageScanFindings"]["findingSeverityCounts"]
    assert blocking in failing(judge(scan, DEFAULTS))


def _all_listed(body: dict) -> list[dict]:
    return body["imageScanFindings"][listed_key(body)]


def test_read_scan_tells_basic_from_enhanced_findings(ecr):
    client, stubber = ecr
    stub_pages(stubber, [wire("enhanced-active-high")])
    scan = read_scan(client, "app", {"imageDigest": DIGEST})
    assert scan.enhanced and scan.findings == (Finding("CVE-2022-49043", "HIGH", "NO"),)
    stub_pages(stubber, [wire("basic-complete-medium")])
    scan = read_scan(client, "app", {"imageDigest": DIGEST})
    assert not scan.enhanced and scan.findings == (Finding("CVE-2019-5188", "MEDIUM", scan_findings.FIX_UNKNOWN),)


def test_read_scan_before_any_scan_is_not_scanned(ecr):
    client, stubber = ecr
    stubber.add_client_error("describe_image_scan_findings", "ScanNotFoundException",
                             f"Image scan does not exist for the image with '{{imageDigest:'{DIGEST}', "
                             "imageTag:'null'}' in the repository with name 'app' in the registry with id "
                             "'123456789012'",
                             400, expected_params=findings_request())
    scan = read_scan(client, "app", {"imageDigest": DIGEST})
    assert scan.status == scan_findings.NOT_SCANNED and scan.image == IMAGE
    assert "no scan has started" in waiting(judge(scan, DEFAULTS))


def test_read_scan_raises_when_the_image_does_not_exist(ecr):
    client, stubber = ecr
    stubber.add_client_error("describe_image_scan_findings", "ImageNotFoundException",
                             f"The image with imageId {{imageDigest:'{DIGEST}', imageTag:'null'}} does not exist "
                             "within the repository with name 'app' in the registry with id '123456789012'",
                             400, expected_params=findings_request())
    with pytest.raises(client.exceptions.ImageNotFoundException):
        read_scan(client, "app", {"imageDigest": DIGEST})


def test_read_scan_by_tag_names_the_image_by_its_tag(ecr):
    client, stubber = ecr
    stubber.add_response("describe_image_scan_findings", parsed(wire("basic-complete-critical")),
                         {"repositoryName": "app", "imageId": {"imageTag": "v1"}, "maxResults": 1000})
    reason = failing(judge(read_scan(client, "app", {"imageTag": "v1"}), DEFAULTS))
    assert " in app:v1; " in reason


# --- read_scan against moto's ECR --------------------------------------------------------------------

def test_read_scan_against_moto_waits_for_a_scan_then_fails_a_critical_image(moto_endpoint, moto_ecr):
    repository = "scan-findings/critical"
    digest, _ = push(moto_ecr, repository, 80_000_000)
    assert read_scan(moto_ecr, repository, {"imageDigest": digest}).status == scan_findings.NOT_SCANNED
    moto_ecr.start_image_scan(repositoryName=repository, imageId={"imageDigest": digest})
    set_scan_result(moto_endpoint, for_image(wire("basic-complete-critical"), repository, digest))
    scan = read_scan(moto_ecr, repository, {"imageDigest": digest})
    assert scan.image == f"{repository}@{digest}" and scan.status == "COMPLETE"
    reason = failing(judge(scan, DEFAULTS))
    assert reason.startswith("4 CRITICAL findings (CVE-2021-3177, CVE-2022-48565, CVE-2023-38408, CVE-2023-45871) and "
                             f"1 HIGH finding (CVE-2023-4911) in {repository}@{digest[:19]}; ")


def test_read_scan_against_moto_passes_an_enhanced_image_on_the_second_read(moto_endpoint, moto_ecr):
    repository = "scan-findings/enhanced"
    digest, _ = push(moto_ecr, repository, 90_000_000)
    moto_ecr.start_image_scan(repositoryName=repository, imageId={"imageDigest": digest})
    set_scan_result(moto_endpoint, for_image(wire("enhanced-active-high"), repository, digest))
    first = read_scan(moto_ecr, repository, {"imageDigest": digest})
    assert first.enhanced and first.status == "ACTIVE"
    assert waiting(judge(first, DEFAULTS))
    second = read_scan(moto_ecr, repository, {"imageDigest": digest})
    assert "(1 HIGH; " in passing(judge(second, DEFAULTS, first.fingerprint))
