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


def test_the_deploy_action_names_each_digest_by_its_scan_actions_namespace():
    assert deploy_variables(["api", "worker"]) == {
        "IMAGE_DIGESTS": "api=#{Scan-api.imageDigest} worker=#{Scan-worker.imageDigest}"}
    value = deploy_configuration_value(["api"])
    assert json.loads(value) == [{"name": "IMAGE_DIGESTS", "value": "api=#{Scan-api.imageDigest}", "type": "PLAINTEXT"}]


def test_a_scan_names_its_repository_and_its_image_actions_digest():
    assert json.loads(scan_parameters("lambdakit-prod-api", "api")) == {
        "repositoryName": "lambdakit-prod-api", "imageDigest": "#{Image-api.IMAGE_DIGEST}"}


def test_the_deploy_actions_variables_are_what_runs_out_first():
    """Each function adds about twice its name's length to one configuration value of at most 1000 characters:
    with names of 6 characters, 27 functions fit and 28 do not, well before 49 actions a stage."""
    most = PIPELINE_CONFIGURATION_VALUE_LENGTH[1]
    fitting = max(count for count in range(1, 60) if len(deploy_configuration_value(_names(count))) <= most)
    assert fitting == 27
    assert layout_problems(_names(fitting)) == []
    (problem,) = layout_problems(_names(fitting + 1))
    assert "PulumiUp action's EnvironmentVariables" in problem and f"at most {most}" in problem


def test_names_of_31_characters_the_longest_leave_room_for_eleven_functions():
    assert layout_problems(_names(11, 31)) == []
    assert any("EnvironmentVariables" in p for p in layout_problems(_names(12, 31)))


@pytest.mark.parametrize("count, stages", [(49, set()), (50, {"Build", "Deploy"}), (51, {"Build", "Scan", "Deploy"})])
def test_a_stage_holds_at_most_50_actions(count, stages):
    too_many = {stage for stage, size in stage_sizes(count).items() if size > PIPELINE_MAX_ACTIONS_PER_STAGE}
    assert too_many == stages
    problems = [p for p in layout_problems(_names(count, 1 + len(str(count)))) if "actions" in p]
    assert {p.split()[1] for p in problems if p.startswith("the ") and "stage" in p} == stages
