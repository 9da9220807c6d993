"""Fixtures for the `worker` function: in-process, under the runtime client, and in its image; events as EventBridge
Scheduler delivers them."""

import copy
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from awslambdaric.lambda_context import LambdaContext

from local_lambda import images as local_images
from local_lambda.runtime_api import LambdaRuntimeApi
from tests.conftest import DATA_DIR, PROJECT_DIR
from tests.functions.loading import import_handler_module, logged_lines

FUNCTION_DIR = PROJECT_DIR / "functions" / "worker"
FUNCTION_ENV = {"AWS_LAMBDA_FUNCTION_NAME": "lambdakit-test-worker", "AWS_LAMBDA_FUNCTION_VERSION": "3",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "LOG_LEVEL": "INFO"}
SCHEDULED_EVENT = json.loads((DATA_DIR / "events" / "scheduler-lambda-invocation.json").read_text())


def scheduled_event(**changes) -> dict:
    """The sample invocation with some context attributes as Scheduler would fill them for another run or attempt."""
    return {**copy.deepcopy(SCHEDULED_EVENT), **changes}


def scheduler_time(moment: datetime) -> str:
    """A time as Scheduler writes <aws.scheduler.scheduled-time>: UTC, seconds, Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_an_hour() -> str:
    return scheduler_time(datetime.now(timezone.utc) + timedelta(hours=1))


@pytest.fixture
def load_app(monkeypatch):
    """Import functions/worker/app.py afresh, as a new execution environment would, with more variables set."""
    def load(**variables: str):
        for name, value in {**FUNCTION_ENV, **variables}.items():
            monkeypatch.setenv(name, value)
        return import_handler_module(FUNCTION_DIR, "worker_app")
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
def context():
    return LambdaContext(str(uuid.uuid4()), None, None, 0, "arn:aws:lambda:eu-west-1:123456789012:function:x:live")


@pytest.fixture(scope="session")
def function_image(docker_engine) -> str:
    """The worker's Dockerfile, built on bases made here from Debian packages."""
    return local_images.build_function_image(FUNCTION_DIR, "lambdakit-local/worker:test")


@pytest.fixture(scope="module")
def container(function_image) -> Iterator[LambdaRuntimeApi]:
    with LambdaRuntimeApi() as api:
        started = local_images.run_function(function_image, api.address, FUNCTION_ENV)
        yield api
        local_images.stop(started)
