"""Amazon Inspector's answers as the tests build them: ListCoverage and ListFindings response bodies
(tests/data/inspector/, tests/data/README.md names their sources) moved onto the image under test, parsed by
botocore's own rest-json parser, and the requests the scan decision sends for them (policies/scan_findings.py,
read_inspection)."""

import copy
import json
from typing import Optional

import botocore.session
from botocore import parsers
from botocore.stub import Stubber

from tests.conftest import DATA_DIR

_MODEL = botocore.session.get_session().get_service_model("inspector2")
ACCOUNT = "123456789012"


def inspector_wire(name: str) -> dict:
    return json.loads((DATA_DIR / "inspector" / f"{name}.json").read_text())


def parsed_inspector(operation: str, body: dict) -> dict:
    """What a boto3 inspector2 client returns for `body` (timestamps become datetimes)."""
    response = parsers.create_parser("rest-json").parse(
        {"body": json.dumps(body).encode(), "headers": {}, "status_code": 200},
        _MODEL.operation_model(operation).output_shape)
    response.pop("ResponseMetadata", None)
    return response


def image_arn(repository: str, digest: str, region: str = "eu-west-1", account: str = ACCOUNT) -> str:
    """A covered ECR image's resourceId, in the form Inspector's API reference gives (CoveredResource)."""
    return f"arn:aws:ecr:{region}:{account}:repository/{repository}/{digest}"


def covering(repository: str, digest: str, reason: str = "SUCCESSFUL", status_code: str = "ACTIVE",
             scanned: bool = True) -> dict:
    """ListCoverage's answer: the sample's one covered image, moved onto `repository@digest`, with `reason`; without
    lastScannedAt when Inspector has not scanned it yet."""
    body = inspector_wire("list-coverage-ecr-image")
    [resource] = body["coveredResources"]
    resource.update(resourceId=image_arn(repository, digest), scanStatus={"statusCode": status_code, "reason": reason})
    resource["resourceMetadata"]["ecrRepository"]["name"] = repository
    if not scanned:
        del resource["lastScannedAt"]
    return body


def finding_for(repository: str, digest: str, vulnerability_id: str = "CVE-2024-6119", severity: str = "MEDIUM",
                fix: str = "YES") -> dict:
    """The sample's finding (AWS's own ECR example), moved onto `repository@digest`."""
    finding = copy.deepcopy(inspector_wire("list-findings-ecr-image")["findings"][0])
    finding["packageVulnerabilityDetails"]["vulnerabilityId"] = vulnerability_id
    finding.update(severity=severity, fixAvailable=fix)
    [resource] = finding["resources"]
    resource["id"] = image_arn(repository, digest)
    resource["details"]["awsEcrContainerImage"].update(imageHash=digest, repositoryName=repository)
    return finding


def coverage_request(repository: str, registry_id: Optional[str] = None) -> dict:
    criteria = {"resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}],
                "ecrRepositoryName": [{"comparison": "EQUALS", "value": repository}]}
    if registry_id:
        criteria["accountId"] = [{"comparison": "EQUALS", "value": registry_id}]
    return {"filterCriteria": criteria, "maxResults": 200}


def findings_request(repository: str, digest: str, registry_id: Optional[str] = None) -> dict:
    criteria = {"ecrImageHash": [{"comparison": "EQUALS", "value": digest}],
                "ecrImageRepositoryName": [{"comparison": "EQUALS", "value": repository}],
                "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]}
    if registry_id:
        criteria["awsAccountId"] = [{"comparison": "EQUALS", "value": registry_id}]
    return {"filterCriteria": criteria, "maxResults": 100}


def stub_inspection(stubber: Stubber, repository: str, digest: str, coverage: dict, findings: Optional[list] = None,
                    registry_id: Optional[str] = None) -> None:
    """Inspector answers read_inspection: `coverage`, then (when given) `findings` for the image."""
    stubber.add_response("list_coverage", parsed_inspector("ListCoverage", coverage),
                         coverage_request(repository, registry_id))
    if findings is not None:
        stubber.add_response("list_findings", parsed_inspector("ListFindings", {"findings": findings}),
                             findings_request(repository, digest, registry_id))
