"""A commit to rehearse: a copy of the project as the pipeline's Source stage would check it out, with the commit's
changes applied (settings in the stack file, functions' code, the program itself)."""

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

from offline.engine import _working_directory
from offline.stack_config import StackConfig, load_stack_config, read_settings

# What a checkout of the project needs to run the program and the pack (not the venv, the tests, the history).
_LEFT_OUT = shutil.ignore_patterns(".git", "venv", "tests", "bench", "docs", "__pycache__", ".pytest_cache")


@dataclass(frozen=True)
class NewFunction:
    """A function a commit adds: a new folder under functions/, started from another function's, and its entry."""

    name: str
    copy_of: str
    settings: dict[str, Any]  # its own settings under lambdakit:functions


@dataclass(frozen=True)
class Commit:
    """What one push changes."""

    title: str
    settings: dict[str, Any] = field(default_factory=dict)  # keys of the project's namespace -> new values
    # Which of the stack's functions get new code (a new image, a new version): given each FunctionSettings, True
    # for those; every function by default.
    changes_code: Callable[[Any], bool] = lambda function: True
    program_lines: str = ""  # appended to __main__.py
    edits: tuple[tuple[str, str, str], ...] = ()  # (file, text, its replacement) in the project's own files
    new_function: Optional[NewFunction] = None


def check_out(project_dir: Path, stack: str, commit: Commit, number: int, into: Path) -> Path:
    """The project as of `commit` in a new folder under `into`."""
    checkout = Path(tempfile.mkdtemp(prefix=f"commit{number}-", dir=into))
    shutil.copytree(project_dir, checkout, ignore=_LEFT_OUT, dirs_exist_ok=True)
    if commit.settings or commit.new_function:
        _change_settings(checkout, stack, commit)
    for function in settings_of(checkout, stack).functions:
        if commit.changes_code(function):
            with (checkout / "functions" / function.name / "app.py").open("a") as code:
                code.write(f"\n# {commit.title} (commit {number})\n")
    for relative, text, replacement in commit.edits:
        edited = checkout / relative
        if text not in edited.read_text():
            raise ValueError(f"{relative} no longer holds {text!r}: the rehearsal's commit needs updating")
        edited.write_text(edited.read_text().replace(text, replacement))
    if commit.program_lines:
        with (checkout / "__main__.py").open("a") as program:
            program.write("\n" + commit.program_lines)
    return checkout


def _change_settings(checkout: Path, stack: str, commit: Commit) -> None:
    """The commit's settings into the stack file; a new function's folder and its entry under `functions`."""
    stack_file = checkout / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(stack_file.read_text())
    project = project_name(checkout)
    document["config"].update({f"{project}:{key}": value for key, value in commit.settings.items()})
    if new := commit.new_function:
        shutil.copytree(checkout / "functions" / new.copy_of, checkout / "functions" / new.name)
        document["config"].setdefault(f"{project}:functions", {})[new.name] = new.settings
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))


def settings_of(checkout: Path, stack: str):
    """The checkout's settings, read in the checkout as the CLI reads them in the project's folder (the functions'
    folders are checked there)."""
    with _working_directory(checkout):
        return read_settings(checkout, stack)[0]


def project_name(project_dir: Path) -> str:
    return yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"]


def stack_config(checkout: Path, stack: str, **extra: str) -> StackConfig:
    config = load_stack_config(checkout, stack)
    config.values.update({f"{config.project}:{key}": value for key, value in extra.items()})
    return config
