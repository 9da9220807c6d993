"""local_lambda/url_server.py: the URL server's own answers, with a fake pool (no Docker): a function that fails or
times out is a 502, a body over 6 MB is refused, a chunked body arrives whole, an unreadable Content-Length is a 400,
a pool that cannot serve is a 503; and the event it hands the function is the request's. `make serve` with the real
function behind it is tests/commands/test_serve.py."""

import socket
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest
import urllib3

from local_lambda.environments import FunctionSetup
from local_lambda.runtime_api import Invocation
from local_lambda.url_server import serving

WAIT_SECONDS = 30  # only a bound for a hang, never an assertion on how long something took
HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=WAIT_SECONDS))


FAKE_SETUP = FunctionSetup("none", {}, 128, 512, 1, "arn:aws:lambda:eu-west-1:000000000000:function:f")


class FakeEnvironment:
    number, setup = 1, FAKE_SETUP

    def __init__(self, outcome):
        self.outcome, self.events = outcome, []

    def invoke(self, event: dict, request_id: str) -> Invocation:
        self.events.append(event)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return Invocation(request_id, self.outcome[0], self.outcome[1], 0.0)


class FakePool:
    def __init__(self, outcome=None, refusal: Exception | None = None):
        self.environment_, self.refusal, self.closed = FakeEnvironment(outcome), refusal, False

    @contextmanager
    def environment(self):
        if self.refusal:
            raise self.refusal
        yield self.environment_, False

    def close(self) -> None:
        self.closed = True


@contextmanager
def _fake_served(pool: FakePool) -> Iterator[tuple[str, list[str]]]:
    reports: list[str] = []
    with serving(pool, 0, "eu-west-1", reports.append) as url:
        yield url, reports
    assert pool.closed


FAILURES = {
    "timeout": (TimeoutError("fake"), "timed out after 1 s, environment stopped"),
    "function error": (("error", {"errorType": "ValueError"}), "error: ValueError"),
    "init error": (("init-error", {"errorType": "Runtime.ImportModuleError"}),
                   "init-error: Runtime.ImportModuleError"),
}


@pytest.mark.parametrize("outcome, reported", FAILURES.values(), ids=FAILURES.keys())
def test_a_function_that_fails_is_a_502_internal_server_error(outcome, reported):
    with _fake_served(FakePool(outcome)) as (url, reports):
        response = HTTP.request("GET", f"{url}/slow")
    assert (response.status, response.data) == (502, b"Internal Server Error")
    assert response.headers["content-type"] == "text/plain"
    assert uuid.UUID(response.headers["x-amzn-requestid"])
    [line] = reports
    assert line.startswith("GET /slow -> 502 ") and line.endswith(f"; {reported})")


def test_the_event_handed_to_the_function_is_for_the_request():
    pool = FakePool(("response", {"statusCode": 201, "body": "made"}))
    with _fake_served(pool) as (url, _):
        response = HTTP.request("PUT", f"{url}/orders?id=1", body=b"{}", headers={"content-type": "application/json"})
    assert (response.status, response.data) == (201, b"made")
    [event] = pool.environment_.events
    assert (event["requestContext"]["http"]["method"], event["rawPath"], event["rawQueryString"], event["body"]) == \
        ("PUT", "/orders", "id=1", "{}")
    assert event["requestContext"]["requestId"] == response.headers["x-amzn-requestid"]


def test_a_body_over_6_mb_is_refused_without_invoking():
    pool = FakePool(("response", "never"))
    with _fake_served(pool) as (url, reports):
        response = HTTP.request("POST", f"{url}/", body=b"x" * (6 * 1024 * 1024 + 1))
    assert response.status == 413
    assert pool.environment_.events == []
    assert reports == ["POST / -> refused: event over 6 MB"]


def test_a_chunked_body_reaches_the_function_whole():
    pool = FakePool(("response", {"statusCode": 200}))
    with _fake_served(pool) as (url, _):
        response = HTTP.request("POST", f"{url}/", body=iter([b'{"a": ', b"1}"]), chunked=True,
                                headers={"content-type": "application/json"})
        again = HTTP.request("GET", f"{url}/next")  # the connection is still in step
    assert (response.status, again.status) == (200, 200)
    assert [(e["rawPath"], e.get("body")) for e in pool.environment_.events] == [("/", '{"a": 1}'), ("/next", None)]


def test_an_unreadable_content_length_is_a_400_and_the_connection_closes():
    pool = FakePool(("response", {"statusCode": 200}))
    with _fake_served(pool) as (url, reports):
        with socket.create_connection(url.removeprefix("http://").split(":")) as raw:
            raw.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
            answer = raw.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 400 ") and pool.environment_.events == []
    assert reports == ["POST / -> 400: invalid literal for int() with base 10: 'ten'"]


def test_a_pool_that_cannot_serve_is_a_503():
    with _fake_served(FakePool(refusal=RuntimeError("the local function is shutting down"))) as (url, reports):
        response = HTTP.request("GET", f"{url}/")
    assert response.status == 503
    assert reports == ["GET / -> the local function is shutting down"]
