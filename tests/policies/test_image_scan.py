"""lambda-image-scan-findings through the pack's own process, asking a local moto server's ECR for the
findings, as the pack asks ECR during `pulumi up` once the image's digest is known."""

import threading
from http.server import ThreadingHTTPServer

import pytest

from tests.conftest import MOTO_KEYS
from tests.json_http import JsonEndpoint
from tests.ecr_answers import (REGISTRY, basic, basic_finding, enhanced, enhanced_finding, for_image, push,
                               set_scan_result)
from tests.policies.conftest import SCAN_POLICIES, aws_environment, by_policy, foreign_function, start_pack

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
    image = f"{REGISTRY}/api@sha256:{'d' * 64}"
    [finding] = scan_findings(pack, image)
    assert finding.policy == "lambda-image-scan-findings-unread"
    assert finding.message.endswith(
        f"ECR could not be asked for the findings of {image}: no usable AWS credentials were found (Unable to locate "
        "credentials). Run the update with AWS credentials allowed ecr:DescribeImageScanFindings on repository 'api'.")


def test_production_blocked_without_credentials_is_told_why_and_what_to_do(pack):
    with pack.configured(stack_tags={"environment": "production"}):
        [blocked] = by_policy(scan_findings(pack, f"{REGISTRY}/api@sha256:{'e' * 64}"), "lambda-image-scan-findings")
    assert "no usable AWS credentials were found (Unable to locate credentials)" in blocked.message
    assert blocked.message.endswith("Run the update with AWS credentials allowed ecr:DescribeImageScanFindings on "
                                    "repository 'api'.")
    assert "Wait for ECR's scan" not in blocked.message  # no scan can help when ECR cannot be asked


# ECR's answers that say the findings cannot be read, by the repository asked about: a refusal as ECR's JSON
# protocol sends it, or a connection closed with no answer at all.
REFUSALS = {"denied": ("AccessDeniedException", "User: arn:aws:iam::123456789012:user/dev is not authorized to "
                                                "perform: ecr:DescribeImageScanFindings"),
            "refused": ("UnrecognizedClientException", "The security token included in the request is invalid.")}


class _RefusingEcr(JsonEndpoint):
    def do_POST(self):
        repository = self.json_body()["repositoryName"]
        if repository not in REFUSALS:
            self.close_connection = True  # as a dropped connection or a proxy that gives up: no answer
            return
        code, message = REFUSALS[repository]
        self.answer(400, {"__type": code, "message": message}, "application/x-amz-json-1.1")


@pytest.fixture(scope="module")
def refused_pack(tmp_path_factory):
    """The pack with fake keys for an ECR on loopback that refuses every question or never answers."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingEcr)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    with start_pack(aws_environment(tmp_path_factory.mktemp("aws"), AWS_ENDPOINT_URL=endpoint, **MOTO_KEYS)) as pack:
        yield pack
    server.shutdown()


@pytest.mark.parametrize("repository, why, remedy", [
    ("denied", "access denied (AccessDeniedException: User: arn:aws:iam::123456789012:user/dev is not authorized",
     "Allow the update's credentials ecr:DescribeImageScanFindings on repository 'denied' (and inspector2:ListFindings "
     "and inspector2:ListCoverage under enhanced scanning), then run the update again."),
    ("refused", "AWS refused the credentials (UnrecognizedClientException: The security token included in the "
                "request is invalid.)", "Renew the credentials (e.g. `aws sso login`) and run the update again."),
    ("unanswered", "its endpoint could not be reached (",
     "Check the network path to ECR in eu-west-1 (proxy, firewall, VPC endpoint) and run the update again."),
])
def test_why_ecr_could_not_be_asked_is_said_with_what_to_do(refused_pack, repository, why, remedy):
    image = f"{REGISTRY}/{repository}@sha256:{'f' * 64}"
    [finding] = scan_findings(refused_pack, image)
    assert f"ECR could not be asked for the findings of {image}: {why}" in finding.message
    assert finding.message.endswith(remedy)


def test_a_profile_that_does_not_exist_is_reported_not_a_crash(tmp_path):
    with start_pack(aws_environment(tmp_path, AWS_PROFILE="newcomer")) as pack:
        [finding] = scan_findings(pack, f"{REGISTRY}/api@sha256:{'a' * 64}")
    assert finding.policy == "lambda-image-scan-findings-unread"
    assert "no usable AWS credentials were found (The config profile (newcomer) could not be found)" in finding.message


def test_a_zip_function_has_no_image_to_judge(pack):
    zip_function = {"packageType": "Zip", "runtime": "python3.13", "handler": "app.handler",
                    "architectures": ["arm64"], "memorySize": 256}
    assert [f for f in pack.analyze(FUNCTION, zip_function) if f.policy in SCAN_POLICIES] == []


# Issue 26: public programs' image functions without a readable imageUri ended the pack's whole Analyze call (a
# KeyError in this rule, a TypeError in aws.py), and the function's other verdicts went with it.
FOREIGN_IMAGE_FUNCTION = {"packageType": "Image", "architectures": ["x86_64"], "memorySize": 512}


@pytest.mark.parametrize("image_uri", ["absent", None])
def test_issue_26_an_image_function_without_image_uri_keeps_every_verdict(pack, image_uri):
    props = FOREIGN_IMAGE_FUNCTION if image_uri == "absent" else {**FOREIGN_IMAGE_FUNCTION, "imageUri": image_uri}
    findings = {f.policy: f for f in pack.analyze(FUNCTION, props)}  # a gRPC error would raise here
    assert {policy for policy, f in findings.items() if f.enforcement_level == "mandatory"} == {
        "lambda-architecture", "lambda-memory", "lambda-image-by-digest"}
    assert "'subject' names no image (imageUri)" in findings["lambda-image-by-digest"].message
    # No image, so no scan and no size: each said once, as the rules say what they cannot read.
    assert "the function names no image (imageUri), so there is no scan to read" in findings[
        "lambda-image-scan-findings-unread"].message
    assert "the function names no imageUri" in findings["lambda-image-size-unmeasured"].message


@pytest.mark.parametrize("image_uri, read_as", [(42, "42 (a number)"), ({"uri": "app:1"}, "an object")])
def test_issue_26_an_image_uri_that_is_no_string_is_not_judged_and_said_so(pack, image_uri, read_as):
    findings = pack.analyze(FUNCTION, {**FOREIGN_IMAGE_FUNCTION, "imageUri": image_uri})
    assert {f.policy for f in findings if f.enforcement_level == "mandatory"} == {"lambda-architecture",
                                                                                  "lambda-memory"}
    unjudged = {f.policy for f in findings if f"could not judge aws:lambda/function:Function 'subject': imageUri is "
                                              f"{read_as}, not a string (advisory" in f.message}
    assert unjudged == {"lambda-image-by-digest", "lambda-image-size", "lambda-image-size-unmeasured", *SCAN_POLICIES}
