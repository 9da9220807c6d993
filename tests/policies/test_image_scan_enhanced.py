"""lambda-image-scan-findings through the pack's own process on an enhanced scan that ECR reports COMPLETE with
nothing but `findings: []` (aws/aws-sdk#289; also all a clean image shows): the pack, like the gate, asks Amazon
Inspector whether it has scanned the image. ECR is the local moto server; Inspector, which moto does not
answer ListCoverage for, is a loopback server answering as Inspector's REST API does (POST /coverage/list,
POST /findings/list; bodies from tests/data/inspector/). botocore sends Inspector's calls there by
AWS_ENDPOINT_URL_INSPECTOR2, its per-service endpoint setting."""

import json
import threading
from http.server import ThreadingHTTPServer

import pytest

from tests.conftest import MOTO_KEYS
from tests.json_http import JsonEndpoint
from tests.ecr_answers import REGISTRY, for_image, push, set_scan_result, wire
from tests.inspector_answers import covering, finding_for
from tests.policies.conftest import SCAN_POLICIES, aws_environment, by_policy, foreign_function, start_pack

FUNCTION = "aws:lambda/function:Function"
CONFIRM_NOW = '{"lambda-image-scan-findings": {"confirmSeconds": 0}}'
# What the loopback Inspector answers, by repository: (ListCoverage body, ListFindings findings).
INSPECTOR: dict[str, tuple[dict, list]] = {}
ASKED: list[tuple[str, dict]] = []  # every request it was sent: (path, filterCriteria)


class _Inspector(JsonEndpoint):
    def do_POST(self):
        criteria = self.json_body().get("filterCriteria", {})
        ASKED.append((self.path, criteria))
        field = "ecrRepositoryName" if self.path == "/coverage/list" else "ecrImageRepositoryName"
        coverage, findings = INSPECTOR[criteria[field][0]["value"]]
        self.answer(200, coverage if self.path == "/coverage/list" else {"findings": findings})


@pytest.fixture(scope="module")
def enhanced_pack(tmp_path_factory, moto_endpoint):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Inspector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    environment = aws_environment(tmp_path_factory.mktemp("aws"), AWS_ENDPOINT_URL=moto_endpoint,
                                  AWS_ENDPOINT_URL_INSPECTOR2=f"http://127.0.0.1:{server.server_address[1]}",
                                  **MOTO_KEYS)
    with start_pack(environment) as pack:
        yield pack
    server.shutdown()


def complete_without_findings(moto_endpoint, moto_ecr, repository: str, coverage_reason: str = "SUCCESSFUL",
                              findings: tuple = ()) -> str:
    """An image whose ECR scan answers as aws/aws-sdk#289's did, and what Inspector says of it."""
    digest, _ = push(moto_ecr, repository, 90_000_000)
    moto_ecr.start_image_scan(repositoryName=repository, imageId={"imageDigest": digest})
    set_scan_result(moto_endpoint, for_image(wire("enhanced-complete-before-findings"), repository, digest))
    scanned = coverage_reason == "SUCCESSFUL"
    INSPECTOR[repository] = (covering(repository, digest, coverage_reason, scanned=scanned),
                             [finding_for(repository, digest, *f) for f in findings])
    return f"{REGISTRY}/{repository}@{digest}"


def scan_findings(pack, image_uri: str) -> list:
    return [f for f in pack.analyze(FUNCTION, foreign_function(image_uri)) if f.policy in SCAN_POLICIES]


def test_a_clean_image_under_enhanced_scanning_runs_in_production(enhanced_pack, moto_endpoint, moto_ecr):
    image = complete_without_findings(moto_endpoint, moto_ecr, "enhanced/clean")
    with enhanced_pack.configured(CONFIRM_NOW, stack_tags={"environment": "production"}):
        assert scan_findings(enhanced_pack, image) == []  # neither blocked nor said to be unreadable
    asked = [path for path, criteria in ASKED if "enhanced/clean" in json.dumps(criteria)]
    # Inspector said it had scanned the image, then listed its findings (none), for a first and a confirming read.
    assert asked[:4] == ["/coverage/list", "/findings/list"] * 2


def test_an_image_inspector_has_not_scanned_yet_is_not_passed(enhanced_pack, moto_endpoint, moto_ecr):
    image = complete_without_findings(moto_endpoint, moto_ecr, "enhanced/pending", "PENDING_INITIAL_SCAN")
    with enhanced_pack.configured(CONFIRM_NOW, stack_tags={"environment": "production"}):
        findings = scan_findings(enhanced_pack, image)
    [blocked] = by_policy(findings, "lambda-image-scan-findings")
    assert blocked.enforcement_level == "mandatory"
    assert ("the scan reports COMPLETE but its findings are not in place yet (enhanced scanning hands them over late; "
            "Amazon Inspector: pending its initial scan)") in blocked.message


def test_a_critical_only_inspector_lists_blocks_the_function(enhanced_pack, moto_endpoint, moto_ecr):
    image = complete_without_findings(moto_endpoint, moto_ecr, "enhanced/critical",
                                      findings=(("CVE-2024-6387", "CRITICAL", "NO"),))
    with enhanced_pack.configured(CONFIRM_NOW):
        [finding] = scan_findings(enhanced_pack, image)
    assert (finding.policy, finding.enforcement_level) == ("lambda-image-scan-findings", "mandatory")
    assert "1 CRITICAL finding (CVE-2024-6387) in enhanced/critical@sha256:" in finding.message
