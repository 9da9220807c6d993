"""Runs share one process (and the SDK's state): a refused run must leave nothing for the next run to raise."""

import pytest

from aws_account.refusals import AwsRefusal
from settings import SettingsError


def test_a_refused_run_leaves_the_next_run_its_own_outcome(stack_runner):
    # Both functions' images are looked up; the api's is refused, the worker's lookup still runs when it is.
    with pytest.raises(AwsRefusal, match="ImageNotFoundException"):
        stack_runner("prod", {"imageDigests": ["api=sha256:" + "cd" * 32]})
    with pytest.raises(SettingsError, match="lambdakit:memoryMb = 64"):
        stack_runner("dev", {"memoryMb": 64})
    run = stack_runner("dev")
    assert {f.inputs["name"] for f in run.of_type("aws:lambda/function:Function")} == {
        "lambdakit-dev-api", "lambdakit-dev-worker"}
