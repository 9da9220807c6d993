"""Requests for the `api` function, each made from a real event in tests/data/events, and what
the function must answer. Shared by the in-process, runtime-client and container tests."""

import base64
import copy
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.conftest import DATA_DIR

EVENTS_DIR = DATA_DIR / "events"


def real_event(name: str) -> dict:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


def url_request(method: str = "GET", path: str = "/", body: str | None = None, base64_body: bool = False,
                sample: str = "lambda-function-url-get-root") -> dict:
    """The real Function URL event, changed only where a different request would differ."""
    event = copy.deepcopy(real_event(sample))
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    if body is not None:
        event["body"] = base64.b64encode(body.encode()).decode() if base64_body else body
        event["isBase64Encoded"] = base64_body
        event["headers"]["content-type"] = "application/json"
    return event


@dataclass(frozen=True)
class Case:
    name: str
    event: Any
    status: int
    check: Callable[[dict], bool] = lambda body: True
    headers: dict = field(default_factory=dict)


CASES = [
    Case("real GET / sample", real_event("lambda-function-url-get-root"), 200,
         lambda b: (b["method"], b["path"], b["message"]) == ("GET", "/", "hello from lambdakit") and "T" in b["timestamp"]),
    Case("real sample with headers and query", real_event("lambda-function-url-with-headers-and-query"), 200,
         lambda b: b["method"] == "GET" and b["path"] == "/"),
    Case("POST / echoes its JSON", url_request("POST", "/", '{"order": 42, "items": ["a", "b"]}'), 200,
         lambda b: b["method"] == "POST" and b["echo"] == {"order": 42, "items": ["a", "b"]}),
    Case("POST / with a base64 body", url_request("POST", "/", '{"n": 1}', base64_body=True), 200,
         lambda b: b["echo"] == {"n": 1}),
    Case("GET /health", url_request("GET", "/health"), 200, lambda b: b["status"] == "healthy"),
    Case("unknown path", url_request("GET", "/nope"), 404, lambda b: b["error"] == "no route for /nope"),
    Case("wrong method", url_request("DELETE", "/"), 405,
         lambda b: b["error"] == "DELETE is not allowed on /", {"allow": "GET, POST"}),
    Case("POST to a GET-only path", url_request("POST", "/health", "{}"), 405, headers={"allow": "GET"}),
    Case("malformed JSON", url_request("POST", "/", '{"order": 42,'), 400,
         lambda b: b["error"].startswith("body is not valid JSON")),
    Case("base64 that does not decode", url_request("POST", "/", "{}", base64_body=True) | {"body": "%%not-base64%%"},
         400, lambda b: b["error"] == "body is marked base64 but does not decode"),
    Case("a CodePipeline job is not a URL request", real_event("codepipeline-job"), 400,
         lambda b: b["error"] == "expected a Lambda Function URL request (payload format 2.0)"),
]


def assert_answer(case: Case, response: dict) -> dict:
    """Check one answer; every answer is JSON, and none carries a traceback."""
    assert response["statusCode"] == case.status, (case.name, response)
    assert response["headers"]["content-type"] == "application/json"
    assert all(response["headers"].get(k) == v for k, v in case.headers.items()), (case.name, response)
    assert "Traceback" not in response["body"]
    body = json.loads(response["body"])
    assert case.check(body), (case.name, body)
    return body
