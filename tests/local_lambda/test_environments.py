"""local_lambda/environments.py without Docker: the variables Lambda sets, the setup made from each function's
settings in each stack, and the pool handing out environments (a fake `Environment` in place of containers): cold
then warm, scaling out up to its limit, waiting past it, and retiring broken, outdated and closed environments."""

import dataclasses
import json
import threading

import pytest

from commands.serve import PROJECT_DIR
from local_lambda import environments
from local_lambda.environments import EnvironmentPool, FunctionSetup, function_setup, lambda_variables
from offline.stack_config import load_stack_config, read_settings

IMAGE = "lambdakit-local/api:test"
WAIT_SECONDS = 10  # only a bound for a hang: every wait below ends as soon as what it waits for happens


# --- variables and setup -----------------------------------------------------------------------------------------

def _variables(log_format: str, function_variables: dict[str, str] | None = None) -> dict[str, str]:
    return lambda_variables("lambdakit-dev-api", "eu-west-1", 1024, log_format, "DEBUG", function_variables or {})


def test_lambda_variables_of_an_on_demand_latest_environment():
    assert _variables("Text") == {
        "AWS_LAMBDA_FUNCTION_NAME": "lambdakit-dev-api", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_LAMBDA_LOG_FORMAT": "Text",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/lambdakit-dev-api"}


@pytest.mark.parametrize("log_format, log_level", [("JSON", "DEBUG"), ("Text", None)])
def test_the_log_level_is_passed_only_with_json_logs(log_format, log_level):
    assert _variables(log_format).get("AWS_LAMBDA_LOG_LEVEL") == log_level


def test_the_function_s_variables_are_kept():
    variables = _variables("JSON", {"FEATURE_ECHO": "on", "ENVIRONMENT": "dev"})
    assert (variables["FEATURE_ECHO"], variables["ENVIRONMENT"]) == ("on", "dev")
    assert variables["AWS_LAMBDA_FUNCTION_NAME"] == "lambdakit-dev-api"


@pytest.fixture(scope="module", params=[(stack, name) for stack in ("dev", "prod") for name in ("api", "worker")],
                ids="-".join)
def function_setup_of(request) -> tuple:
    """(stack settings, the function, region, its setup): each function of each stack, with its own settings."""
    stack, name = request.param
    settings, region = read_settings(PROJECT_DIR, stack)
    function = settings.function(name)
    return settings, function, region, function_setup(settings, function, region, IMAGE)


def test_both_stacks_have_the_functions_set_up_here():
    for stack in ("dev", "prod"):
        assert [f.name for f in read_settings(PROJECT_DIR, stack)[0].functions] == ["api", "worker"]


def test_setup_limits_come_from_the_function(function_setup_of):
    _, function, _, setup = function_setup_of
    assert (setup.image, setup.memory_mb, setup.timeout_seconds, setup.ephemeral_storage_mb) == \
        (IMAGE, function.memory_mb, function.timeout_seconds, function.ephemeral_storage_mb)


def test_setup_runs_the_container_read_only_with_the_function_s_memory_and_tmp(function_setup_of):
    _, function, _, setup = function_setup_of
    options = setup.docker_options
    assert "--read-only" in options
    assert f"--memory={function.memory_mb}m" in options
    assert f"--tmpfs=/tmp:rw,size={function.ephemeral_storage_mb}m" in options


def test_setup_variables_are_the_function_s_and_the_stack_s(function_setup_of):
    settings, function, region, setup = function_setup_of
    assert setup.variables["ENVIRONMENT"] == settings.stack
    assert setup.variables["LOG_LEVEL"] == settings.log_level
    assert setup.variables["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == str(function.memory_mb)
    assert setup.variables["AWS_LAMBDA_FUNCTION_NAME"] == function.function_name
    assert setup.variables["AWS_REGION"] == region
    assert function.environment.items() <= setup.variables.items()


def test_setup_arn_names_the_function_in_the_region(function_setup_of):
    _, function, region, setup = function_setup_of
    assert setup.function_arn == f"arn:aws:lambda:{region}:000000000000:function:{function.function_name}"


def _setup(stack: str, name: str) -> FunctionSetup:
    settings, region = read_settings(PROJECT_DIR, stack)
    return function_setup(settings, settings.function(name), region, IMAGE)


def test_stacks_differ_where_their_settings_do():
    dev, prod = (_setup(stack, "api") for stack in ("dev", "prod"))
    assert (dev.memory_mb, prod.memory_mb) == (1024, 2048)
    assert (dev.variables["ENVIRONMENT"], prod.variables["ENVIRONMENT"]) == ("dev", "prod")
    assert (dev.variables["LOG_LEVEL"], prod.variables["LOG_LEVEL"]) == ("DEBUG", "INFO")


def test_functions_of_one_stack_differ_where_their_own_settings_do():
    """prod's worker sets its memory, timeout and PERIOD_MINUTES over the stack's values (Pulumi.prod.yaml); the
    rest, the log level here, it shares with the api, which sets none of them."""
    own = json.loads(load_stack_config(PROJECT_DIR, "prod").values["lambdakit:functions"])["worker"]
    api, worker = (_setup("prod", name) for name in ("api", "worker"))
    assert (api.memory_mb, api.timeout_seconds) == (2048, 15)
    assert (worker.memory_mb, worker.timeout_seconds) == (own["memoryMb"], own["timeoutSeconds"]) != (2048, 15)
    assert (api.variables["AWS_LAMBDA_FUNCTION_NAME"], worker.variables["AWS_LAMBDA_FUNCTION_NAME"]) == \
        ("lambdakit-prod-api", "lambdakit-prod-worker")
    assert worker.variables["PERIOD_MINUTES"] == "5" and "PERIOD_MINUTES" not in api.variables
    assert api.variables["LOG_LEVEL"] == worker.variables["LOG_LEVEL"] == "INFO"


# --- the pool ------------------------------------------------------------------------------------------------------

SETUP = FunctionSetup(IMAGE, {"ENVIRONMENT": "test"}, 128, 512, 3, "arn:aws:lambda:eu-west-1:000000000000:function:f")


class FakeEnvironment:
    """Stands for one container: records how it was made and how often it was closed."""

    made: list["FakeEnvironment"]  # set per test by the fixture
    fail_next = False

    def __init__(self, setup: FunctionSetup, number: int, on_log_line):
        if FakeEnvironment.fail_next:
            FakeEnvironment.fail_next = False
            raise RuntimeError("the container did not start: fake")
        self.setup, self.number, self.on_log_line, self.broken, self.closes = setup, number, on_log_line, False, 0
        FakeEnvironment.made.append(self)

    def close(self) -> None:
        self.closes += 1


@pytest.fixture
def made(monkeypatch) -> list[FakeEnvironment]:
    """Every environment the pools of the test start."""
    monkeypatch.setattr(environments, "Environment", FakeEnvironment)
    monkeypatch.setattr(FakeEnvironment, "made", [], raising=False)
    monkeypatch.setattr(FakeEnvironment, "fail_next", False)
    return FakeEnvironment.made


def _pool(limit: int = 2) -> EnvironmentPool:
    return EnvironmentPool(SETUP, limit, on_log_line=lambda number, line: None)


def _taken(pool: EnvironmentPool) -> tuple[FakeEnvironment, bool]:
    """Take an environment and give it straight back."""
    with pool.environment() as (environment, cold):
        return environment, cold


class _WaitWatcher(threading.Condition):
    """The pool's condition, telling when a request starts waiting for an environment."""

    def __init__(self):
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout=None):
        self.waiting.set()
        return super().wait(timeout)


def test_first_take_is_cold_and_the_next_reuses_it_warm(made):
    pool = _pool()
    first, first_cold = _taken(pool)
    second, second_cold = _taken(pool)
    assert (first_cold, second_cold) == (True, False)
    assert second is first and made == [first]
    assert (first.number, first.setup, first.closes) == (1, SETUP, 0)


def test_concurrent_takes_within_the_limit_get_different_environments(made):
    pool = _pool(limit=2)
    with pool.environment() as (one, one_cold), pool.environment() as (two, two_cold):
        assert one is not two
        assert (one_cold, two_cold) == (True, True)
        assert (one.number, two.number) == (1, 2)
    assert made == [one, two]


def test_past_the_limit_a_take_waits_for_one_to_come_free(made):
    pool = _pool(limit=1)
    pool._changed = watcher = _WaitWatcher()
    got: list[tuple[FakeEnvironment, bool]] = []
    served = threading.Event()

    def second_request() -> None:
        got.append(_taken(pool))
        served.set()

    with pool.environment() as (first, _):
        waiter = threading.Thread(target=second_request, daemon=True)
        waiter.start()
        assert watcher.waiting.wait(WAIT_SECONDS), "the second request never waited"
        assert not served.is_set() and made == [first]
    assert served.wait(WAIT_SECONDS), "the second request was not served once the first environment came free"
    waiter.join(WAIT_SECONDS)
    assert got == [(first, False)] and made == [first]


def test_a_broken_environment_is_closed_and_the_next_take_is_cold(made):
    pool = _pool(limit=1)
    with pool.environment() as (broken, _):
        broken.broken = True  # a timeout, say
    assert broken.closes == 1
    fresh, cold = _taken(pool)
    assert cold and fresh is not broken and fresh.number == 2


def test_an_environment_that_does_not_start_frees_its_place(made):
    pool = _pool(limit=1)
    FakeEnvironment.fail_next = True
    with pytest.raises(RuntimeError, match="did not start"):
        _taken(pool)
    started, cold = _taken(pool)  # would wait for ever if the failed start still counted against the limit
    assert cold and made == [started]


def test_replace_setup_retires_idle_environments(made):
    pool = _pool()
    idle, _ = _taken(pool)
    rebuilt = dataclasses.replace(SETUP, image="lambdakit-local/api:rebuilt")
    pool.replace_setup(rebuilt)
    assert idle.closes == 1
    fresh, cold = _taken(pool)
    assert cold and fresh.setup == rebuilt


def test_replace_setup_lets_a_busy_environment_finish_then_retires_it(made):
    pool = _pool(limit=1)
    rebuilt = dataclasses.replace(SETUP, image="lambdakit-local/api:rebuilt")
    with pool.environment() as (busy, _):
        pool.replace_setup(rebuilt)
        assert busy.closes == 0
    assert busy.closes == 1
    fresh, cold = _taken(pool)  # limit 1: the retired one no longer counts
    assert cold and fresh.setup == rebuilt


def test_close_stops_every_live_environment_busy_ones_too(made):
    pool = _pool(limit=2)
    request = pool.environment()
    busy, _ = request.__enter__()
    idle, _ = _taken(pool)
    assert idle is not busy
    pool.close()
    assert (busy.closes, idle.closes) == (1, 1)
    request.__exit__(None, None, None)  # the busy request ends after the close
    with pytest.raises(RuntimeError, match="shutting down"):
        _taken(pool)


def test_close_wakes_a_waiting_request_with_an_error(made):
    pool = _pool(limit=1)
    pool._changed = watcher = _WaitWatcher()
    errors: list[Exception] = []

    def waiting_request() -> None:
        try:
            _taken(pool)
        except RuntimeError as refused:
            errors.append(refused)

    with pool.environment():
        waiter = threading.Thread(target=waiting_request, daemon=True)
        waiter.start()
        assert watcher.waiting.wait(WAIT_SECONDS)
        pool.close()
        waiter.join(WAIT_SECONDS)
    assert not waiter.is_alive() and [str(e) for e in errors] == ["the local function is shutting down"]
