"""Shared fixtures: the real program, run per stack on Pulumi's mock engine with simulated AWS."""

import json
import os
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from aws_account.account import SimulatedCloud
from local_lambda import images
from offline.engine import ProgramRun, run_program
from offline.stack_config import StackConfig, load_stack_config

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Real samples, kept in the project (tests/data/README.md names their sources).
DATA_DIR = PROJECT_DIR / "tests" / "data"
PUSHED_IMAGE_BYTES = 123_456_789


def stack_config(stack: str, overrides: Optional[dict[str, Any]] = None, stack_name: Optional[str] = None,
                 project_dir: Path = PROJECT_DIR) -> StackConfig:
    """The settings of Pulumi.<stack>.yaml, some changed as `-c KEY=VALUE` would change them (a key
    with no namespace is the project's), for a stack called `stack_name` (default: `stack`)."""
    config = load_stack_config(project_dir, stack)
    for key, value in (overrides or {}).items():
        config.values[key if ":" in key else f"{config.project}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return replace(config, stack=stack_name or stack)


def run_stack(stack: str, overrides: Optional[dict[str, Any]] = None,
              image_size_bytes: Optional[int] = PUSHED_IMAGE_BYTES, cloud: Optional[SimulatedCloud] = None,
              stack_name: Optional[str] = None, project_dir: Path = PROJECT_DIR) -> ProgramRun:
    """One `pulumi up` of __main__.py for `stack`, against `cloud` (a new account when None)."""
    config = stack_config(stack, overrides, stack_name, project_dir)
    cloud = cloud or SimulatedCloud(region=config.values["aws:region"], image_size_bytes=image_size_bytes)
    return run_program(project_dir, config, cloud)


@pytest.fixture(scope="session")
def stack_runner() -> Callable[..., ProgramRun]:
    return run_stack


@pytest.fixture(scope="session")
def dev_run() -> ProgramRun:
    return run_stack("dev")


@pytest.fixture(scope="session")
def prod_run() -> ProgramRun:
    return run_stack("prod")


@pytest.fixture(scope="session", params=["dev", "prod"])
def any_stack_run(request, dev_run, prod_run) -> ProgramRun:
    return {"dev": dev_run, "prod": prod_run}[request.param]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A local moto server (ECR, STS, ...) on loopback; its account is 123456789012."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


MOTO_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="session")
def moto_ecr(moto_endpoint):
    """A client of moto's ECR in eu-west-1 for the tests to fill."""
    return boto3.client("ecr", region_name="eu-west-1", endpoint_url=moto_endpoint,
                        aws_access_key_id=MOTO_KEYS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=MOTO_KEYS["AWS_SECRET_ACCESS_KEY"])


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """A Docker engine for the tests that build or run the function's image (started when none runs): without one
    they are skipped, except under CI, where they must run."""
    try:
        images.ensure_engine()
    except images.DockerUnavailable as missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must build and run the function's image: {missing}")
        pytest.skip(str(missing))


@contextmanager
def stubbed_client(service: str, region: str) -> Iterator[tuple[Any, Stubber]]:
    """A real boto3 client whose calls botocore's Stubber answers (nothing leaves the process); every answer given
    must have been asked for."""
    client = boto3.client(service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
