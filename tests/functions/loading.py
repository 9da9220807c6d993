"""What the tests of any function in functions/ do alike: import its handler module as a new execution environment
would, and read back the JSON lines its logger writes."""

import importlib.util
import json
import logging
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Iterator


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
