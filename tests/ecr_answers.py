"""ECR's answers as the tests build them: images pushed into moto's ECR, and DescribeImageScanFindings
responses shaped as ECR sends them (tests/data/scan/), for the scan decision, the scan gate and the pack."""

import copy
import hashlib
import json
import urllib.request
from collections import Counter
from typing import Optional

import botocore.session
from botocore import parsers
from botocore.stub import Stubber

from tests.conftest import DATA_DIR

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"  # moto's account
SAMPLES = DATA_DIR / "scan"
DIGEST = "sha256:" + "0123456789abcdef" * 4  # the image the samples are about
_FINDINGS_OUTPUT = botocore.session.get_session().get_service_model("ecr").operation_model(
    "DescribeImageScanFindings").output_shape


def push(ecr, repository: str, size: int, tag: str = "v1") -> tuple[str, int]:
    """Put an image in moto's ECR; its digest and the size ECR reports for it.

    moto reports a manifest's config.size as imageSizeInBytes (moto/ecr/models.py, Image), so the test
    chooses the size; it still reads back what ECR says, as the pack will."""
    ecr.create_repository(repositoryName=repository)
    layer = "sha256:" + hashlib.sha256(repository.encode()).hexdigest()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": size,
                           "digest": "sha256:" + "c" * 64},
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": size,
                            "digest": layer}]}
    digest = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)[
        "image"]["imageId"]["imageDigest"]
    [details] = ecr.describe_images(repositoryName=repository, imageIds=[{"imageDigest": digest}])["imageDetails"]
    assert details["imageSizeInBytes"] == size  # moto still measures as this test assumes
    return digest, details["imageSizeInBytes"]


def wire(name: str) -> dict:
    """A sample response body from tests/data/scan/, as ECR sends it."""
    return json.loads((SAMPLES / f"{name}.json").read_text())


def parsed(body: dict) -> dict:
    """What a boto3 client returns for `body`: botocore's own parser, timestamps and all."""
    response = parsers.create_parser("json").parse(
        {"body": json.dumps(body).encode(), "headers": {}, "status_code": 200}, _FINDINGS_OUTPUT)
    response.pop("ResponseMetadata", None)
    return response


def listed_key(body: dict) -> str:
    """Where `body` lists its findings: enhancedFindings or (basic) findings."""
    return "enhancedFindings" if "enhancedFindings" in body.get("imageScanFindings", {}) else "findings"


def with_status(body: dict, status: str, description: Optional[str] = None) -> dict:
    changed = copy.deepcopy(body)
    changed["imageScanStatus"] = {"status": status, **({"description": description} if description else {})}
    return changed


def with_findings(body: dict, findings: list[dict]) -> dict:
    """`body` listing `findings` instead, with ECR's counts for them (open findings only; no zero keys)."""
    changed = copy.deepcopy(body)
    found = changed["imageScanFindings"]
    found[listed_key(changed)] = findings
    found["findingSeverityCounts"] = dict(Counter(f["severity"] for f in findings
                                                  if f.get("status", "ACTIVE") == "ACTIVE"))
    return changed


def listing_none(body: dict) -> dict:
    """`body` as enhanced scanning first reports it: counts in place, the findings not handed over yet."""
    changed = copy.deepcopy(body)
    changed["imageScanFindings"][listed_key(changed)] = []
    return changed


def for_image(body: dict, repository: str, digest: str) -> dict:
    changed = copy.deepcopy(body)
    changed.update(repositoryName=repository, imageId={"imageDigest": digest}, registryId="123456789012")
    return changed


def pages(body: dict, size: int) -> list[dict]:
    """`body` cut into pages of `size` findings as ECR pages: each page carries the status and the counts,
    every page but the last a nextToken."""
    listed = body["imageScanFindings"][listed_key(body)]
    cut = [listed[i:i + size] for i in range(0, len(listed), size)]
    result = []
    for number, part in enumerate(cut, 1):
        page = copy.deepcopy(body)
        page["imageScanFindings"][listed_key(body)] = part
        if number < len(cut):
            page["nextToken"] = f"ukD72mdD/mC8b5xV3susmJzz{number}aTgp3hKwR9nRUW1yZZ63B5NL+m8CiI+qgoiLO0t5s6Oi9w=="
        result.append(page)
    return result


def basic_finding(vulnerability_id: str, severity: str) -> dict:
    """A basic scan's finding, in the shape of the samples' own."""
    finding = copy.deepcopy(wire("basic-complete-critical")["imageScanFindings"]["findings"][0])
    finding.update(name=vulnerability_id, severity=severity,
                   uri=f"https://security-tracker.debian.org/tracker/{vulnerability_id}")
    return finding


def enhanced_finding(vulnerability_id: str, severity: str, fix: str, status: str = "ACTIVE",
                     package: str = "openssl") -> dict:
    """An enhanced scan's (Inspector's) finding, in the shape of the samples' own."""
    finding = copy.deepcopy(wire("enhanced-complete-critical")["imageScanFindings"]["enhancedFindings"][1])
    details = finding["packageVulnerabilityDetails"]
    details["vulnerabilityId"] = vulnerability_id
    details["vulnerablePackages"] = [{**details["vulnerablePackages"][0], "name": package}]
    finding.update(severity=severity, fixAvailable=fix, status=status, title=f"{vulnerability_id} - {package}")
    return finding


def basic(*findings: dict) -> dict:
    return with_findings(wire("basic-complete-medium"), list(findings))


def enhanced(*findings: dict, status: str = "COMPLETE") -> dict:
    return with_status(with_findings(wire("enhanced-complete-critical"), list(findings)), status,
                       "The scan was completed successfully.")


def set_scan_result(moto_endpoint: str, body: dict, region: str = "eu-west-1") -> None:
    """What moto's ECR answers for the image `body` names (moto's API, moto/ecr/models.py
    describe_image_scan_findings)."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/static/ecr/scan-finding-results", method="POST",
                                     data=json.dumps({"results": [body], "region": region}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201


def findings_request(repository: str = "app", registry_id: Optional[str] = None, token: Optional[str] = None,
                     digest: str = DIGEST) -> dict:
    """The parameters read_scan sends for one page of the image's findings."""
    request = {"repositoryName": repository, "imageId": {"imageDigest": digest}, "maxResults": 1000}
    if registry_id:
        request["registryId"] = registry_id
    if token:
        request["nextToken"] = token
    return request


def stub_pages(stubber: Stubber, answers: list[dict], repository: str = "app", registry_id: Optional[str] = None,
               digest: str = DIGEST) -> None:
    """ECR answers read_scan's requests with `answers`, page after page."""
    token = None
    for page in answers:
        stubber.add_response("describe_image_scan_findings", parsed(page),
                             findings_request(repository, registry_id, token, digest))
        token = page.get("nextToken")
