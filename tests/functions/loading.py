"""What the tests of any function in functions/ do alike: import its handler module as a new execution environment
would, read back the JSON lines its logger writes, build its image and run it; and the fixtures that do so, which
each function's conftest takes from `function_fixtures`."""

import importlib.util
import json
import logging
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator

import pytest

from local_lambda import images as local_images
from local_lambda.runtime_api import LambdaRuntimeApi
from tests.conftest import PROJECT_DIR


def import_handler_module(function_dir: Path, module_name: str) -> ModuleType:
    """functions/<name>/app.py imported afresh under `module_name` (its module-level code runs again)."""
    spec = importlib.util.spec_from_file_location(module_name, function_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def logged_lines(log: logging.Logger) -> Iterator[list[dict]]:
    """Every line `log` writes while the block runs, formatted by its own first handler's formatter and parsed."""
    lines: list[dict] = []
    collector = logging.Handler()
    collector.emit = lambda record: lines.append(json.loads(collector.format(record)))
    collector.setFormatter(log.handlers[0].formatter)
    log.addHandler(collector)
    try:
        yield lines
    finally:
        log.removeHandler(collector)


def function_fixtures(name: str, environment: dict[str, str]) -> tuple[Callable, ...]:
    """For functions/<name>/ run with `environment`: load_app (its app.py imported afresh, with more variables set),
    app, log_lines (what it logs, each line formatted by its own formatter and parsed back), function_image (its
    Dockerfile built on bases made here from Debian packages) and container (the image running against a Runtime
    API: the API and the started container)."""
    folder = PROJECT_DIR / "functions" / name

    @pytest.fixture
    def load_app(monkeypatch):
        def load(**variables: str):
            for key, value in {**environment, **variables}.items():
                monkeypatch.setenv(key, value)
            return import_handler_module(folder, f"{name.replace('-', '_')}_app")
        return load

    @pytest.fixture
    def app(load_app):
        return load_app()

    @pytest.fixture
    def log_lines(app) -> Iterator[list[dict]]:
        with logged_lines(app.log) as lines:
            yield lines

    @pytest.fixture(scope="session")
    def function_image(docker_engine) -> str:
        return local_images.build_function_image(folder, f"lambdakit-local/{name}:test")

    @pytest.fixture(scope="module")
    def container(function_image) -> Iterator[tuple[LambdaRuntimeApi, str]]:
        with LambdaRuntimeApi() as api:
            started = local_images.run_function(function_image, api.address, environment)
            yield api, started
            local_images.stop(started)

    return load_app, app, log_lines, function_image, container
