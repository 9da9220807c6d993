"""components/pipeline_stages.py: the action names, namespaces and variables of a stack's functions, and
CodePipeline's quotas ("Quotas in AWS CodePipeline") on how many functions one pipeline can hold."""

import json

import pytest

from aws_limits import PIPELINE_CONFIGURATION_VALUE_LENGTH, PIPELINE_MAX_ACTIONS_PER_STAGE
from components.pipeline_stages import (deploy_configuration_value, deploy_variables,
                                        layout_problems, scan_parameters, stage_sizes)


def _names(count: int, length: int = 6) -> list[str]:
    """`count` distinct folder names of `length` characters."""
    return [f"f{index:0{length - 1}d}" for index in range(count)]


def test_two_functions_fit_with_room_to_spare():
    assert layout_problems(["api", "worker"]) == []
    assert stage_sizes(2) == {"Source": 1, "Build": 3, "Scan": 2, "Deploy": 3}


def test_the_deploy_action_reads_each_functions_entry_from_its_scan_action_by_place():
    assert deploy_variables(["api", "worker"]) == {"IMAGE_DIGESTS": "#{Scan1.entry} #{Scan2.entry}"}
    value = deploy_configuration_value(["api"])
    assert json.loads(value) == [{"name": "IMAGE_DIGESTS", "value": "#{Scan1.entry}", "type": "PLAINTEXT"}]


def test_a_scan_names_its_repository_its_function_and_its_image_actions_digest():
    assert json.loads(scan_parameters("lambdakit-prod-api", "api")) == {
        "repositoryName": "lambdakit-prod-api", "function": "api", "imageDigest": "#{Image-api.IMAGE_DIGEST}"}


@pytest.mark.parametrize("length", [2, 6, 31])
def test_the_deploy_stages_50_actions_bound_a_stack_whatever_its_names(length):
    """The Deploy action's variables take 16 characters a function, so the stage's 50 actions (PulumiUp and one
    Canary each) bind first: 49 functions, with names of any length (with the names in the references, 18 functions
    of 15-character names were the most)."""
    names = _names(49, length)
    assert layout_problems(names) == []
    assert len(deploy_configuration_value(names)) <= PIPELINE_CONFIGURATION_VALUE_LENGTH[1] - 150
    problems = layout_problems(_names(50, length))
    assert problems and all("actions" in p for p in problems)


@pytest.mark.parametrize("count, stages", [(49, set()), (50, {"Build", "Deploy"}), (51, {"Build", "Scan", "Deploy"})])
def test_a_stage_holds_at_most_50_actions(count, stages):
    too_many = {stage for stage, size in stage_sizes(count).items() if size > PIPELINE_MAX_ACTIONS_PER_STAGE}
    assert too_many == stages
    problems = [p for p in layout_problems(_names(count, 1 + len(str(count)))) if "actions" in p]
    assert {p.split()[1] for p in problems if p.startswith("the ") and "stage" in p} == stages
