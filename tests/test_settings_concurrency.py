"""Provisioned concurrency must fit inside the function's reservation, a reservation of 0 included (issue 24).

Lambda sets provisioned concurrency on a version or alias only within the function's reserved concurrency
(PutProvisionedConcurrencyConfig refuses more; docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html).
`reservedConcurrency: 0` reserves nothing, it throttles every call, so one provisioned environment cannot fit;
left to AWS, the update would create the function and its alias and then fail half-way. -1 reserves none and
bounds nothing. The settings refuse it before the program declares anything."""

import pytest

from aws_account.account import SimulatedCloud
from settings import SettingsError
from tests.conftest import PUSHED_IMAGE_BYTES, stack_config


@pytest.mark.parametrize("reserved, provisioned", [(0, 1), (2, 3)])
def test_provisioned_beyond_the_reservation_stops_the_program_before_anything_exists(stack_runner, reserved,
                                                                                    provisioned):
    config = stack_config("dev")
    cloud = SimulatedCloud(region=config.values["aws:region"], image_size_bytes=PUSHED_IMAGE_BYTES)
    with pytest.raises(SettingsError) as stopped:
        stack_runner("dev", {"reservedConcurrency": reserved, "provisionedConcurrency": provisioned}, cloud=cloud)
    assert f"provisionedConcurrency = {provisioned}" in str(stopped.value)
    assert f"must be at most reservedConcurrency ({reserved})" in str(stopped.value)
    assert cloud.resources == {}  # nothing was created, so nothing is left half-way


def test_provisioned_within_the_reservation_is_accepted(stack_runner):
    """The stack's values are every function's: each gets one environment on its own live alias."""
    run = stack_runner("dev", {"reservedConcurrency": 1, "provisionedConcurrency": 1})
    configs = run.of_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
    assert {c.inputs["functionName"]: (c.inputs["qualifier"], c.inputs["provisionedConcurrentExecutions"])
            for c in configs} == {"lambdakit-dev-api": ("live", 1), "lambdakit-dev-worker": ("live", 1)}


def test_a_functions_own_reservation_bounds_the_stacks_provisioned_concurrency(stack_runner):
    """The worker's own reservation of 0 cannot hold the stack's one provisioned environment: the settings name the
    worker's key, and nothing exists."""
    config = stack_config("dev")
    cloud = SimulatedCloud(region=config.values["aws:region"], image_size_bytes=PUSHED_IMAGE_BYTES)
    worker = {"schedule": "rate(1 hour)", "functionUrlAuthType": "OFF", "reservedConcurrency": 0}
    with pytest.raises(SettingsError) as stopped:
        stack_runner("dev", {"provisionedConcurrency": 1, "functions": {"api": {}, "worker": worker}}, cloud=cloud)
    assert str(stopped.value).splitlines()[1:] == [
        "  lambdakit:functions.worker.provisionedConcurrency = 1: must be at most reservedConcurrency (0)"]
    assert cloud.resources == {}
