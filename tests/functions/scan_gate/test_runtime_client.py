"""The assembled gate under `python -m awslambdaric app.handler`, as Lambda's python runtime runs it, driven
through the Lambda Runtime API (local_lambda/runtime_api.py). Its boto3 reaches ECR on a local moto server and
CodePipeline on a loopback recorder; nothing else is reachable (no AWS_* variable of this machine is passed on).
"""

import json
import os
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Iterator

import pytest

from local_lambda.runtime_api import LambdaRuntimeApi, runtime_client
from tests.conftest import MOTO_KEYS
from tests.json_http import JsonEndpoint
from tests.ecr_answers import for_image, push, set_scan_result, wire
from tests.functions.scan_gate.conftest import NONE_FOUND, assemble, job_event, job_id

JSON_11 = "application/x-amz-json-1.1"
GATE_DEFAULTS = {"failOnSeverities": ["CRITICAL"], "failOnFixableSeverities": ["HIGH"], "maxWaitMinutes": 30}


@dataclass(frozen=True)
class Call:
    operation: str  # from X-Amz-Target, e.g. PutJobSuccessResult
    body: dict
    content_type: str
    authorization: str


class CodePipeline:
    """A loopback stand-in for CodePipeline's JSON 1.1 endpoint: records each call and answers `{}`, as
    PutJobSuccessResult and PutJobFailureResult answer."""

    def __init__(self):
        self.calls: list[Call] = []
        recorder = self

        class Endpoint(JsonEndpoint):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                service, _, operation = self.headers.get("X-Amz-Target", "").partition(".")
                assert service == "CodePipeline_20150709"
                recorder.calls.append(Call(operation, self.json_body(), self.headers.get("Content-Type", ""),
                                           self.headers.get("Authorization", "")))
                self.answer(200, {}, JSON_11, **{"x-amzn-RequestId": "5d9c3c1a-0b1e-4c7e-9d1a-3f2b1c0d4e5f"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "CodePipeline":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls_for(self, job: str) -> list[Call]:
        return [call for call in self.calls if call.body.get("jobId") == job]


@pytest.fixture(scope="module")
def codepipeline() -> Iterator[CodePipeline]:
    with CodePipeline() as recorder:
        yield recorder


@pytest.fixture(scope="module")
def runtime(tmp_path_factory, moto_endpoint, codepipeline) -> Iterator[LambdaRuntimeApi]:
    """The gate's package from components/scan_gate.py's PACKAGE, run by the runtime interface client."""
    folder = assemble(tmp_path_factory.mktemp("scan-gate"))
    missing = str(tmp_path_factory.mktemp("aws") / "none")
    environment = {"AWS_DEFAULT_REGION": "eu-west-1", **MOTO_KEYS, "AWS_ENDPOINT_URL": moto_endpoint,
                   "AWS_ENDPOINT_URL_CODEPIPELINE": codepipeline.endpoint, "AWS_EC2_METADATA_DISABLED": "true",
                   "AWS_CONFIG_FILE": missing, "AWS_SHARED_CREDENTIALS_FILE": missing,
                   "AWS_LAMBDA_FUNCTION_NAME": "lambdakit-scan-gate", "GATE_DEFAULTS": json.dumps(GATE_DEFAULTS)}
    with pytest.MonkeyPatch.context() as patch:  # runtime_client passes this environment on: no real AWS in it
        for name in list(os.environ):
            if name.startswith("AWS_") or name.lower().endswith("_proxy"):
                patch.delenv(name)
        with LambdaRuntimeApi() as api, runtime_client(api, folder, "app.handler", environment):
            yield api


def scanned_image(moto_endpoint, moto_ecr, repository: str, sample: str) -> str:
    """An image pushed to moto's ECR, scanned, whose findings are the sample's; its digest."""
    digest, _ = push(moto_ecr, repository, 70_000_000)
    moto_ecr.start_image_scan(repositoryName=repository, imageId={"imageDigest": digest})
    set_scan_result(moto_endpoint, for_image(wire(sample), repository, digest))
    return digest


def the_job_result(runtime, codepipeline, event: dict, outcome: str) -> Call:
    """Invoke the gate with `event`; the one call it made to CodePipeline."""
    answer = runtime.invoke(event, timeout=60)
    assert answer.outcome == "response", answer.payload
    assert answer.payload == {"jobId": job_id(event), "outcome": outcome}
    [call] = codepipeline.calls_for(job_id(event))
    assert call.content_type == JSON_11
    assert "Credential=testing/" in call.authorization and "/eu-west-1/codepipeline/aws4_request" in call.authorization
    return call


def test_a_passing_image_ends_its_job_in_success(runtime, codepipeline, moto_endpoint, moto_ecr):
    repository = "scan-gate/passing"
    digest = scanned_image(moto_endpoint, moto_ecr, repository, "basic-complete-medium")
    event = job_event({"repositoryName": repository, "imageDigest": digest})
    call = the_job_result(runtime, codepipeline, event, "Succeeded")
    assert call.operation == "PutJobSuccessResult"
    assert call.body == {
        "jobId": job_id(event),
        "outputVariables": {**NONE_FOUND, "medium": "1", "blocking": "0", "imageDigest": digest},
        "executionDetails": {"summary": f"{repository}@{digest[:19]}: no finding fails the gate (1 MEDIUM; it fails "
                                        "on any CRITICAL, HIGH with a fix)."}}


def test_a_failing_image_fails_its_job(runtime, codepipeline, moto_endpoint, moto_ecr):
    repository = "scan-gate/failing"
    digest = scanned_image(moto_endpoint, moto_ecr, repository, "enhanced-complete-critical")
    event = job_event({"repositoryName": repository, "imageDigest": digest})
    call = the_job_result(runtime, codepipeline, event, "JobFailed")
    assert call.operation == "PutJobFailureResult"
    assert call.body == {"jobId": job_id(event), "failureDetails": {"type": "JobFailed", "message": (
        f"1 CRITICAL finding (CVE-2023-38545) and 1 HIGH finding (CVE-2023-4911) in {repository}@{digest[:19]}; "
        "fixed versions exist for both: update the base image or the packages and push again.")}}


def test_an_image_not_scanned_yet_asks_to_be_called_again(runtime, codepipeline, moto_ecr):
    repository = "scan-gate/unscanned"
    digest, _ = push(moto_ecr, repository, 60_000_000)  # moto answers ScanNotFoundException until a scan starts
    event = job_event({"repositoryName": repository, "imageDigest": digest})
    call = the_job_result(runtime, codepipeline, event, "Succeeded")
    assert call.operation == "PutJobSuccessResult"
    assert sorted(call.body) == ["continuationToken", "executionDetails", "jobId"]
    assert call.body["executionDetails"]["summary"].startswith("Waiting for the scan (0 of 30 min): ")
    assert "no scan has started" in call.body["executionDetails"]["summary"]


def test_an_image_missing_from_the_repository_fails_its_job(runtime, codepipeline, moto_ecr):
    repository = "scan-gate/missing"
    push(moto_ecr, repository, 60_000_000)
    event = job_event({"repositoryName": repository, "imageDigest": "sha256:" + "e" * 64})
    call = the_job_result(runtime, codepipeline, event, "JobFailed")
    assert call.operation == "PutJobFailureResult"
    assert call.body["failureDetails"]["type"] == "JobFailed"
    assert call.body["failureDetails"]["message"].startswith(
        "ECR refused to give the scan findings: ImageNotFoundException: ")
