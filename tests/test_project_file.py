"""Pulumi.yaml is valid for the Pulumi engine and declares exactly the settings the program reads."""

import json

import jsonschema
import yaml

from settings import DECLARED_KEYS
from tests.conftest import DATA_DIR, PROJECT_DIR


def _project() -> dict:
    return yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())


def test_pulumi_yaml_matches_the_engines_schema():
    schema = json.loads((DATA_DIR / "schemas" / "pulumi-project.json").read_text())
    jsonschema.validate(_project(), schema)


def test_runtime_is_python_with_pip_and_a_virtualenv():
    assert _project()["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}


def test_every_setting_is_declared_with_type_description_and_default():
    declared = _project()["config"]
    assert set(declared) == set(DECLARED_KEYS)
    for key, declaration in declared.items():
        assert {"type", "description", "default"} <= set(declaration), key


def test_stack_files_only_set_declared_settings():
    """…and `functions`, the one object setting, which Pulumi.yaml's config types cannot declare."""
    declared = {f"lambdakit:{key}" for key in [*_project()["config"], "functions"]}
    for stack_file in PROJECT_DIR.glob("Pulumi.*.yaml"):
        keys = set(yaml.safe_load(stack_file.read_text())["config"])
        assert {k for k in keys if k.startswith("lambdakit:")} <= declared, stack_file.name
