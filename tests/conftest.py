"""Shared fixtures: the real program, run per stack on Pulumi's mock engine with simulated AWS."""

import json
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from offline.engine import ProgramRun, run_program
from offline.simulated_aws import SimulatedCloud
from offline.stack_config import load_stack_config

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_DIR.parent / "shared"
PUSHED_IMAGE_BYTES = 123_456_789


def run_stack(stack: str, overrides: Optional[dict[str, Any]] = None,
              image_size_bytes: Optional[int] = PUSHED_IMAGE_BYTES) -> ProgramRun:
    """Run __main__.py for `stack`, with some settings changed as a stack file would change them."""
    config = load_stack_config(PROJECT_DIR, stack)
    for key, value in (overrides or {}).items():
        config.values[f"{config.project}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return run_program(PROJECT_DIR, config, SimulatedCloud(image_size_bytes=image_size_bytes))


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
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.fail(f"{SHARED_DIR} is missing: the tests read real samples from ../shared")
    return SHARED_DIR
