"""Fixtures for the `worker` function: in-process, under the runtime client, and in its image; events as EventBridge
Scheduler delivers them."""

import copy
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from awslambdaric.lambda_context import LambdaContext

from tests.conftest import DATA_DIR, PROJECT_DIR
from tests.functions.loading import function_fixtures

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


# Every function's fixtures alike (tests/functions/loading.py).
load_app, app, log_lines, function_image, container = function_fixtures("worker", FUNCTION_ENV)


@pytest.fixture
def context():
    return LambdaContext(str(uuid.uuid4()), None, None, 0, "arn:aws:lambda:eu-west-1:123456789012:function:x:live")
