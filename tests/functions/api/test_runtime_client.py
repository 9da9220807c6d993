"""The handler behind the runtime interface client, driven through the Lambda Runtime API."""

import json

import pytest

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
