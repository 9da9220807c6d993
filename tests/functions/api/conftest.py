"""Fixtures for the `api` function: in-process, under the runtime client, and in its image."""

import uuid
from typing import Iterator

import pytest
from awslambdaric.lambda_context import LambdaContext

from local_lambda.runtime_api import LambdaRuntimeApi, runtime_client
from tests.conftest import PROJECT_DIR
from tests.functions.loading import function_fixtures

FUNCTION_DIR = PROJECT_DIR / "functions" / "api"
FUNCTION_ENV = {"AWS_LAMBDA_FUNCTION_NAME": "lambdakit-test-api", "AWS_LAMBDA_FUNCTION_VERSION": "7",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "ENVIRONMENT": "test", "LOG_LEVEL": "DEBUG"}


# Every function's fixtures alike (tests/functions/loading.py).
load_app, app, log_lines, function_image, container = function_fixtures("api", FUNCTION_ENV)


@pytest.fixture
def context(app):
    """The runtime client's own context class, filled from the environment as in Lambda."""
    return LambdaContext(str(uuid.uuid4()), None, None, 0, "arn:aws:lambda:eu-west-1:123456789012:function:x")


@pytest.fixture(scope="module")
def host_runtime() -> Iterator[LambdaRuntimeApi]:
    """The handler behind `python -m awslambdaric app.handler`, the image's own entrypoint, on this host."""
    with LambdaRuntimeApi() as api, runtime_client(api, FUNCTION_DIR, "app.handler", FUNCTION_ENV):
        yield api
