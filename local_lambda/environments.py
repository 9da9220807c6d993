"""Lambda execution environments on this machine: the function's image in a container, each with its own
Runtime API, serving one invocation at a time; a pool starts more, up to a limit, as Lambda scales out.
"""

import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

from local_lambda import images
from local_lambda.runtime_api import Invocation, LambdaRuntimeApi
from function_settings import FunctionSettings
from settings import StackSettings

# Lambda gives an on-demand environment's init 10 s of its own; the function's timeout covers the invoke only.
INIT_LIMIT_SECONDS = 10


@dataclass(frozen=True)
class FunctionSetup:
    """What an environment is made from: the image, every variable Lambda would set, and the function's limits."""

    image: str
    variables: dict[str, str]
    memory_mb: int
    ephemeral_storage_mb: int
    timeout_seconds: int
    function_arn: str

    @property
    def docker_options(self) -> tuple[str, ...]:
        # As Lambda's: read-only but for a /tmp of the function's ephemeral storage; swap as large as memory, so
        # none: the memory setting is the hard limit.
        return ("--read-only", f"--tmpfs=/tmp:rw,size={self.ephemeral_storage_mb}m", f"--memory={self.memory_mb}m",
                f"--memory-swap={self.memory_mb}m")


def lambda_variables(function_name: str, region: str, memory_mb: int, log_format: str, log_level: str,
                     function_variables: dict[str, str]) -> dict[str, str]:
    """The variables Lambda sets in an on-demand environment of `$LATEST`, then the function's own."""
    variables = {"AWS_LAMBDA_FUNCTION_NAME": function_name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                 "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb), "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                 "AWS_REGION": region, "AWS_DEFAULT_REGION": region, "AWS_LAMBDA_LOG_FORMAT": log_format,
                 "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}"}
    if log_format == "JSON":  # Lambda passes the application log level only with JSON logs
        variables["AWS_LAMBDA_LOG_LEVEL"] = log_level
    return {**variables, **function_variables}


class Environment:
    """One container running the image's entrypoint against its own Runtime API."""

    def __init__(self, setup: FunctionSetup, number: int, on_log_line: Callable[[int, str], None]):
        self.setup, self.number, self.invocations, self.broken, self._closed = setup, number, 0, False, False
        self._api = LambdaRuntimeApi(setup.function_arn, deadline_seconds=setup.timeout_seconds).__enter__()
        try:
            self.container = images.run_function(setup.image, self._api.address, setup.variables, setup.docker_options)
        except subprocess.CalledProcessError as failed:
            self._api.__exit__(None, None, None)
            raise RuntimeError(f"the container did not start: {failed.stderr.strip()}") from None
        self._logs = subprocess.Popen(["docker", "logs", "--follow", self.container], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._forward_logs, args=(on_log_line,), daemon=True).start()

    def _forward_logs(self, on_log_line: Callable[[int, str], None]) -> None:
        for line in self._logs.stdout:
            on_log_line(self.number, line.rstrip("\n"))

    def invoke(self, event: dict, request_id: str) -> Invocation:
        """The function's answer; TimeoutError after the function's timeout, which leaves the environment broken
        (Lambda starts a new one for the next request)."""
        # A cold environment's init has its own limit, before the function's timeout starts.
        limit = self.setup.timeout_seconds + (INIT_LIMIT_SECONDS if self.invocations == 0 else 0)
        self.invocations += 1
        try:
            invocation = self._api.invoke(event, limit, request_id)
        except TimeoutError:
            self.broken = True
            raise
        self.broken = invocation.outcome == "init-error"
        return invocation

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        images.stop(self.container)
        try:
            self._logs.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a stuck `docker logs` must not keep the rest from stopping
            self._logs.kill()
        self._api.__exit__(None, None, None)


class EnvironmentPool:
    """Environments handed out one request at a time: an idle one when there is one, else a new one while fewer
    than `limit` run, else the request waits for one to come free."""

    def __init__(self, setup: FunctionSetup, limit: int, on_log_line: Callable[[int, str], None]):
        self.setup, self.limit, self._on_log_line = setup, limit, on_log_line
        self._changed = threading.Condition()
        self._idle: list[Environment] = []
        self._live: set[Environment] = set()  # idle and busy: what close() stops
        self._running = self._started = 0
        self._closed = False

    @contextmanager
    def environment(self) -> Iterator[tuple[Environment, bool]]:
        """(an environment, whether it was started for this request: a cold start)."""
        environment, number = self._take()
        cold = environment is None
        if cold:
            environment = self._start(number)
        try:
            yield environment, cold
        finally:
            self._give_back(environment)

    def _take(self) -> tuple[Optional[Environment], int]:
        """An idle environment, or None and the number of the one to start."""
        with self._changed:
            while not self._idle and self._running >= self.limit and not self._closed:
                self._changed.wait()
            if self._closed:
                raise RuntimeError("the local function is shutting down")
            if self._idle:
                return self._idle.pop(), 0
            self._running += 1
            self._started += 1
            return None, self._started

    def _start(self, number: int) -> Environment:
        # Outside the lock: requests to warm environments go on while a container starts.
        try:
            environment = Environment(self.setup, number, self._on_log_line)
        except Exception:
            with self._changed:
                self._running -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._live.add(environment)
        return environment

    def _give_back(self, environment: Environment) -> None:
        with self._changed:
            keep = not (environment.broken or self._closed or environment.setup != self.setup)
            if keep:
                self._idle.append(environment)
            else:
                self._running -= 1
                self._live.discard(environment)
            self._changed.notify()
        if not keep:
            environment.close()

    def replace_setup(self, setup: FunctionSetup) -> None:
        """New requests get environments of `setup` (a rebuilt image); busy ones finish and are retired."""
        with self._changed:
            self.setup, retired, self._idle = setup, self._idle, []
            self._running -= len(retired)
            self._live.difference_update(retired)
            self._changed.notify_all()
        for environment in retired:
            environment.close()

    def close(self) -> None:
        """Stop every environment now, busy ones too; requests still waiting get an error."""
        with self._changed:
            self._closed, stopping, self._idle = True, list(self._live), []
            self._changed.notify_all()
        for environment in stopping:
            environment.close()


def function_setup(settings: StackSettings, function: FunctionSettings, region: str, image: str) -> FunctionSetup:
    """An environment of one of the stack's functions: its variables, memory, /tmp and timeout."""
    variables = lambda_variables(function.function_name, region, function.memory_mb, settings.log_format,
                                 settings.log_level, settings.function_environment(function))
    return FunctionSetup(image, variables, function.memory_mb, function.ephemeral_storage_mb, function.timeout_seconds,
                         f"arn:aws:lambda:{region}:000000000000:function:{function.function_name}")
