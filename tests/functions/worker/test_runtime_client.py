"""The worker behind the runtime interface client, in-process on this host and in its image: what Lambda sees of each
outcome decides whether it retries (an error) or not (a response)."""

import pytest

from local_lambda.runtime_api import LambdaRuntimeApi, runtime_client
from tests.functions.worker.conftest import FUNCTION_DIR, FUNCTION_ENV, in_an_hour, scheduled_event


@pytest.fixture(scope="module")
def host_runtime():
    with LambdaRuntimeApi() as api, runtime_client(api, FUNCTION_DIR, "app.handler", FUNCTION_ENV):
        yield api


def _outcomes(api: LambdaRuntimeApi, timeout: float) -> dict:
    done, rejected, failed = (api.invoke(event, timeout=timeout) for event in (
        scheduled_event(), {"hello": "world"}, scheduled_event(scheduledTime=in_an_hour())))
    return {"done": done, "rejected": rejected, "failed": failed}


def _assert_lambda_retries_only_the_failure(outcomes: dict) -> None:
    assert (outcomes["done"].outcome, outcomes["done"].payload["status"]) == ("response", "done")
    assert (outcomes["rejected"].outcome, outcomes["rejected"].payload["status"]) == ("response", "rejected")
    assert outcomes["failed"].outcome == "error"
    assert outcomes["failed"].payload["errorType"] == "TransientJobError"


def test_under_the_runtime_client(host_runtime):
    _assert_lambda_retries_only_the_failure(_outcomes(host_runtime, timeout=30))


def test_in_its_image(container):
    api, _ = container
    _assert_lambda_retries_only_the_failure(_outcomes(api, timeout=60))
