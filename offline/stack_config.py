"""A stack's configuration as the Pulumi CLI hands it to the program.

The CLI merges the `config:` defaults declared in Pulumi.yaml under the stack file's own values,
namespaces bare keys with the project name, and passes every value as text: strings as they are,
numbers, booleans and arrays JSON-encoded. Offline there is no CLI, so this does the same.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import yaml

from settings import StackSettings, load_settings


class StackConfigError(Exception):
    pass


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    values: dict[str, str]


def _as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _namespaced(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def load_stack_config(project_dir: Path, stack: str) -> StackConfig:
    project_file = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    stack_path = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_path.is_file():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise StackConfigError(f"no stack file {stack_path.name}; stacks here: {', '.join(known)}")
    project = project_file["name"]
    values = {
        _namespaced(project, key): _as_text(declared["default"])
        for key, declared in (project_file.get("config") or {}).items()
        if isinstance(declared, dict) and "default" in declared
    }
    values.update({_namespaced(project, key): _as_text(value) for key, value in _stack_settings(stack_path).items()})
    return StackConfig(project=project, stack=stack, values=values)


def _stack_settings(stack_path: Path) -> dict:
    """The `config:` mapping of a stack file; a file that is not YAML, or whose config is not a mapping, is named
    with what is wrong, as the Pulumi CLI refuses it."""
    try:
        stack_file = yaml.safe_load(stack_path.read_text()) or {}
    except yaml.YAMLError as broken:
        raise StackConfigError(f"{stack_path.name} is not valid YAML: {' '.join(str(broken).split())}") from None
    config = stack_file.get("config") if isinstance(stack_file, dict) else None
    if not isinstance(stack_file, dict) or not isinstance(config or {}, dict):
        raise StackConfigError(f"{stack_path.name} must hold a mapping `config:` of KEY: value settings")
    return config or {}


def read_settings(project_dir: Path, stack: str) -> tuple[StackSettings, str]:
    """The stack's settings checked as the program checks them under the CLI, and the stack's region; for the
    commands that run the function outside Pulumi. Raises SettingsError or StackConfigError."""
    config = load_stack_config(project_dir, stack)
    pulumi.runtime.set_all_config(config.values)
    return load_settings(pulumi.Config(config.project), config.project, stack), config.values.get("aws:region", "")
