"""Stack configuration as the CLI hands it to the program."""

import shutil

import pytest
import yaml

from offline.stack_config import StackConfigError, load_stack_config
from tests.conftest import PROJECT_DIR


def test_project_defaults_sit_under_the_stacks_own_values():
    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    config = load_stack_config(PROJECT_DIR, "dev").values
    assert config["lambdakit:memoryMb"] == "1024"  # set by the stack, JSON text
    assert config["lambdakit:timeoutSeconds"] == str(declared["timeoutSeconds"]["default"])  # default
    assert config["lambdakit:corsAllowOrigins"] == '["*"]'
    assert config["lambdakit:ecrForceDelete"] == "true"
    assert config["aws:region"] == "eu-west-1"


def test_every_declared_setting_reaches_the_program():
    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    assert {f"lambdakit:{k}" for k in declared} <= set(load_stack_config(PROJECT_DIR, "prod").values)


def test_a_missing_stack_file_is_named(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    with pytest.raises(StackConfigError, match="no stack file Pulumi.qa.yaml"):
        load_stack_config(tmp_path, "qa")


@pytest.mark.parametrize("text, problem", [
    ("config:\n  lambdakit:memoryMb: [1024\n", "Pulumi.broken.yaml is not valid YAML: while parsing a flow sequence"),
    ("config:\n  - a\n", "Pulumi.broken.yaml must hold a mapping `config:` of KEY: value settings"),
    ("- just a list\n", "Pulumi.broken.yaml must hold a mapping `config:` of KEY: value settings"),
])
def test_a_broken_stack_file_is_named_with_what_is_wrong(tmp_path, text, problem):
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.broken.yaml").write_text(text)
    with pytest.raises(StackConfigError) as refused:
        load_stack_config(tmp_path, "broken")
    assert str(refused.value).startswith(problem)
