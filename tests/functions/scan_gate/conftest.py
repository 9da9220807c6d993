"""Fixtures for the scan gate (functions/scan-gate/): its package assembled as components/scan_gate.py
assembles it, imported as Lambda imports it, with its three boto3 clients stubbed by botocore's Stubber;
CodePipeline job events shaped as CodePipeline sends them."""

import copy
import hashlib
import importlib
import json
import os
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest
from awslambdaric.lambda_context import LambdaContext
from botocore.stub import Stubber

from components.scan_gate import PACKAGE
from tests.conftest import DATA_DIR, PROJECT_DIR
from tests.ecr_answers import findings_request, stub_pages
from tests.inspector_answers import stub_inspection

DIGEST = "sha256:" + hashlib.sha256(b"the image the build stage pushed").hexdigest()
SHORT = f"app@{DIGEST[:19]}"  # how the gate's messages name the image
PARAMETERS = {"repositoryName": "app", "imageDigest": DIGEST}
# The artifact bucket's temporary credentials CodePipeline puts in every event: never to be logged.
ARTIFACT_CREDENTIALS = {"accessKeyId": "ASIAQZXGATESECRET7KEY",
                        "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/gate-secret-access-key-5e0c",
                        "sessionToken": "IQoJb3JpZ2luX2VjEGate/session+token/secret/9f1d4c2b7a"}
SUMMARY_MAX, MESSAGE_MAX, TOKEN_MAX = 2048, 5000, 2048  # CodePipeline's limits (its service-2.json)


# Every severity is an output variable, zero included, so a later action's reference to any of them resolves.
NONE_FOUND = {severity.lower(): "0" for severity in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED",
                                                     "UNTRIAGED")}


def assemble(folder: Path) -> Path:
    """The Lambda package: exactly the files components/scan_gate.py's PACKAGE maps, side by side."""
    for name, source in PACKAGE.items():
        shutil.copyfile(PROJECT_DIR / source, folder / name)
    return folder


def offline_aws(monkeypatch: pytest.MonkeyPatch, scratch: Path) -> None:
    """No AWS_* or proxy variable from this machine; fake keys, a region, no metadata service, no config files."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    missing = str(scratch / "no-aws-config-here")
    for name, value in {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true",
                        "AWS_CONFIG_FILE": missing, "AWS_SHARED_CREDENTIALS_FILE": missing}.items():
        monkeypatch.setenv(name, value)


def job_event(user_parameters, token: Optional[str] = None, job_id: Optional[str] = None) -> dict:
    """A CodePipeline job event (tests/data/events/codepipeline-job.json, the Lambda guide's sample) for this
    gate: a UUID job id, UserParameters as the JSON string CodePipeline passes (or `user_parameters` as it
    is, when a string), distinctive artifact credentials, and the continuation token of a job called again."""
    event = json.loads((DATA_DIR / "events" / "codepipeline-job.json").read_text())
    job = event["CodePipeline.job"]
    job["id"] = job_id or str(uuid.uuid4())
    job["data"]["actionConfiguration"]["configuration"]["UserParameters"] = (
        user_parameters if isinstance(user_parameters, str) else json.dumps(user_parameters))
    job["data"]["artifactCredentials"].update(ARTIFACT_CREDENTIALS)
    if token is not None:
        job["data"]["continuationToken"] = token
    return event


def job_id(event: dict) -> str:
    return event["CodePipeline.job"]["id"]


def continued(event: dict, token: str) -> dict:
    """The same job as CodePipeline invokes it again after a continuation token."""
    again = copy.deepcopy(event)
    again["CodePipeline.job"]["data"]["continuationToken"] = token
    return again


class Text:
    """Equal to a string CodePipeline accepts (1..limit characters) that holds every fragment."""

    def __init__(self, *fragments: str, limit: int):
        self.fragments, self.limit = fragments, limit

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and 1 <= len(other) <= self.limit and all(f in other for f in self.fragments)

    def __repr__(self) -> str:
        return f"Text({', '.join(map(repr, self.fragments))}, limit={self.limit})"


class Token:
    """Equal to any continuation token CodePipeline accepts; keeps the one it was compared with."""

    value: Optional[str] = None

    def __eq__(self, other) -> bool:
        self.value = other
        return isinstance(other, str) and 1 <= len(other) <= TOKEN_MAX

    def __repr__(self) -> str:
        return "Token()"


@dataclass
class Aws:
    """The gate's clients under Stubber: what ECR (and Inspector) answer, and the one job result CodePipeline
    expects."""

    ecr: Stubber
    codepipeline: Stubber
    inspector: Stubber

    def findings(self, body_or_pages, repository: str = "app", registry_id: Optional[str] = None,
                 digest: str = DIGEST) -> None:
        """ECR answers DescribeImageScanFindings with `body_or_pages` (one body, or its pages in order)."""
        answers = body_or_pages if isinstance(body_or_pages, list) else [body_or_pages]
        stub_pages(self.ecr, answers, repository, registry_id, digest)

    def ecr_error(self, code: str, message: str, repository: str = "app", status: int = 400) -> None:
        self.ecr.add_client_error("describe_image_scan_findings", code, message, status,
                                  expected_params=findings_request(repository, digest=DIGEST))

    def inspection(self, coverage: dict, findings: Optional[list] = None, repository: str = "app") -> None:
        """Inspector answers ListCoverage with `coverage`, then (when given) ListFindings with `findings`."""
        stub_inspection(self.inspector, repository, DIGEST, coverage, findings)

    def success(self, event: dict, output_variables: dict, *summary: str) -> None:
        """The job ends in success: the image passed, with these output variables and no continuation token."""
        self.codepipeline.add_response("put_job_success_result", {}, {
            "jobId": job_id(event), "outputVariables": output_variables,
            "executionDetails": {"summary": Text(*summary, limit=SUMMARY_MAX)}})

    def continuation(self, event: dict, *summary: str) -> Token:
        """The job goes on: success with a continuation token and no output variables; the token as sent."""
        token = Token()
        self.codepipeline.add_response("put_job_success_result", {}, {
            "jobId": job_id(event), "continuationToken": token,
            "executionDetails": {"summary": Text(*summary, limit=SUMMARY_MAX)}})
        return token

    def failure(self, event: dict, failure_type: str, *message: str) -> None:
        self.codepipeline.add_response("put_job_failure_result", {}, {"jobId": job_id(event), "failureDetails": {
            "type": failure_type, "message": Text(*message, limit=MESSAGE_MAX)}})


@pytest.fixture
def package_dir(tmp_path) -> Path:
    folder = tmp_path / "package"
    folder.mkdir()
    return assemble(folder)


@pytest.fixture
def gate(package_dir, monkeypatch, tmp_path):
    """app.py imported from the assembled package as Lambda imports its handler (app beside scan_findings),
    fresh for each test, its clients made for eu-west-1 with fake keys."""
    offline_aws(monkeypatch, tmp_path)
    monkeypatch.delenv("GATE_DEFAULTS", raising=False)
    monkeypatch.syspath_prepend(str(package_dir))
    for name in ("app", "scan_findings"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module("app")
    yield module
    for name in ("app", "scan_findings"):
        sys.modules.pop(name, None)


@pytest.fixture
def aws(gate) -> Iterator[Aws]:
    """Every module client stubbed (so nothing reaches AWS); every answer queued must have been asked for."""
    with Stubber(gate.ecr) as ecr, Stubber(gate.codepipeline) as codepipeline, Stubber(gate.inspector) as inspector:
        yield Aws(ecr, codepipeline, inspector)
        ecr.assert_no_pending_responses()
        codepipeline.assert_no_pending_responses()
        inspector.assert_no_pending_responses()


class Clock:
    now = 1_750_000_000.0


@pytest.fixture
def clock(gate, monkeypatch) -> Clock:
    """The gate's time.time(), moved on by the tests."""
    clock = Clock()
    monkeypatch.setattr(gate, "time", type("FakeTime", (), {"time": staticmethod(lambda: clock.now)}))
    return clock


@pytest.fixture
def invoke(gate):
    def run(event) -> dict:
        context = LambdaContext(str(uuid.uuid4()), None, None, 0,
                                "arn:aws:lambda:eu-west-1:123456789012:function:lambdakit-scan-gate")
        return gate.handler(event, context)
    return run

