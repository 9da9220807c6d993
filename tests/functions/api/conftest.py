"""Fixtures for the `api` function: in-process, under the runtime client, and in its image."""

import uuid
from typing import Iterator

import pytest
from awslambdaric.lambda_context import LambdaContext

from local_lambda import images as local_images
from local_lambda.runtime_api import LambdaRuntimeApi, runtime_client
from tests.conftest import PROJECT_DIR
from tests.functions.loading import import_handler_module, logged_lines

FUNCTION_DIR = PROJECT_DIR / "functions" / "api"
FUNCTION_ENV = {"AWS_LAMBDA_FUNCTION_NAME": "lambdakit-test-api", "AWS_LAMBDA_FUNCTION_VERSION": "7",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "ENVIRONMENT": "test", "LOG_LEVEL": "DEBUG"}


@pytest.fixture
def load_app(monkeypatch):
    """Import functions/api/app.py afresh, as a new execution environment would, with more variables set."""
    def load(**variables: str):
        for name, value in {**FUNCTION_ENV, **variables}.items():
            monkeypatch.setenv(name, value)
        return import_handler_module(FUNCTION_DIR, "api_app")
    return load


@pytest.fixture
def app(load_app):
    return load_app()


@pytest.fixture
def log_lines(app) -> Iterator[list[dict]]:
    """What the function logs, each line formatted by its own formatter and parsed back."""
    with logged_lines(app.log) as lines:
        yield lines


@pytest.fixture
def context(app):
    """The runtime client's own context class, filled from the environment as in Lambda."""
    return LambdaContext(str(uuid.uuid4()), None, None, 0, "arn:aws:lambda:eu-west-1:123456789012:function:x")


@pytest.fixture(scope="module")
def host_runtime() -> Iterator[LambdaRuntimeApi]:
    """The handler behind `python -m awslambdaric app.handler`, the image's own entrypoint, on this host."""
    with LambdaRuntimeApi() as api, runtime_client(api, FUNCTION_DIR, "app.handler", FUNCTION_ENV):
        yield api


@pytest.fixture(scope="session")
def function_image(docker_engine) -> str:
    """The function's Dockerfile, built on bases made here from Debian packages."""
    return local_images.build_function_image(FUNCTION_DIR, "lambdakit-local/api:test")


@pytest.fixture(scope="module")
def container(function_image) -> Iterator[tuple[LambdaRuntimeApi, str]]:
    with LambdaRuntimeApi() as api:
        started = local_images.run_function(function_image, api.address, FUNCTION_ENV)
        yield api, started
        local_images.stop(started)
