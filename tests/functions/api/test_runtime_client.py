"""The handler behind the runtime interface client, driven through the Lambda Runtime API."""

import json
import time

import pytest

from commands.validation_figures import server_timing
from local_lambda.runtime_api import LambdaRuntimeApi, runtime_client
from tests.functions.api.cases import CASES, assert_answer, url_request
from tests.functions.api.conftest import FUNCTION_DIR, FUNCTION_ENV


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_request_through_the_runtime_client(host_runtime, case):
    answer = host_runtime.invoke(case.event, timeout=30)
    assert answer.outcome == "response"
    assert_answer(case, answer.payload)


def test_info_carries_the_runtimes_request_id(host_runtime):
    answer = host_runtime.invoke(url_request("GET", "/info"))
    assert json.loads(answer.payload["body"])["requestId"] == answer.request_id


def test_a_handler_that_cannot_load_is_reported_as_an_init_error():
    with LambdaRuntimeApi() as api, runtime_client(api, FUNCTION_DIR, "missing_module.handler", FUNCTION_ENV):
        answer = api.invoke(url_request(), timeout=30)
    assert answer.outcome == "init-error"
    assert answer.payload["errorType"] == "Runtime.ImportModuleError"


def test_a_new_runtime_reports_its_init_on_its_first_answer_only():
    spawned = time.monotonic()
    with LambdaRuntimeApi() as api, runtime_client(api, FUNCTION_DIR, "app.handler", FUNCTION_ENV):
        first, second = (api.invoke(url_request("GET", "/health"), timeout=30) for _ in range(2))
        lived_ms = (time.monotonic() - spawned) * 1000
    init = server_timing(first.payload["headers"]["server-timing"])["init"]
    # The process cannot be older than the time since it was spawned (the kernel counts in 10 ms ticks).
    assert init["desc"] == "on-demand" and 0 < float(init["dur"]) <= lived_ms + 20
    assert "init" not in server_timing(second.payload["headers"]["server-timing"])
