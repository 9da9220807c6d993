"""`make serve` (commands/serve.py): the dev stack's function with a URL (api; the worker has none) built and served
on 127.0.0.1 as its function URL serves it, asked over real HTTP. Every route of the api function, its error
answers, a binary (base64) body end to end, cold and warm starts told by the Server-Timing header, scaling out to two
environments, and the logs of the environments. The command-line errors, --function's among them, need no Docker.
The URL server's own failure answers (timeout, function error, too large, shutting down), with a fake pool, are
tests/local_lambda/test_url_server.py.

Query strings and cookies: the api function shows neither (it echoes only a POST's JSON), so their mapping into
the event is tested against the real sample events in tests/local_lambda/test_function_url.py; here only that a
request with both still reaches its route."""

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Iterator

import pytest
import urllib3

from commands import serve
from commands.serve import PROJECT_DIR, local_function_url, main, served_function
from local_lambda import images
from local_lambda.environments import FunctionSetup
from offline.stack_config import read_settings

WAIT_SECONDS = 30  # only a bound for a hang, never an assertion on how long something took
INIT_METRIC = re.compile(r'init;dur=(\d+);desc="on-demand", handler;dur=[\d.]+')
WARM_METRIC = re.compile(r"handler;dur=[\d.]+")
HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=WAIT_SECONDS))


@dataclass
class Served:
    url: str
    pool: object
    settings: object
    function: object  # the FunctionSettings served
    reports: list[str]
    logs: list[tuple[int, str]]

    def request(self, method: str, target: str, **kwargs) -> urllib3.BaseHTTPResponse:
        return HTTP.request(method, self.url + target, **kwargs)

    def fresh_environments(self) -> None:
        """Retire the idle environments (the same setup, as after a rebuild): the next requests start cold."""
        self.pool.replace_setup(self.pool.setup)

    def report_for(self, target: str) -> str:
        [line] = [line for line in self.reports if line.startswith(f"GET {target} -> ")]
        return line


@pytest.fixture(scope="module")
def served(docker_engine) -> Iterator[Served]:
    """The dev stack's function with a URL (as `make serve` picks it) on a free port, at most two environments."""
    settings, region = read_settings(PROJECT_DIR, "dev")
    function = served_function(settings, None)
    reports: list[str] = []
    logs: list[tuple[int, str]] = []
    with local_function_url(settings, function, region, 0, 2, False, report=reports.append,
                            on_log_line=lambda number, line: logs.append((number, line))) as (url, pool):
        yield Served(url, pool, settings, function, reports, logs)


def _json(response: urllib3.BaseHTTPResponse) -> dict:
    assert response.headers["content-type"] == "application/json"
    return json.loads(response.data)


def _eventually(condition, what: str) -> None:
    """Wait for something another thread delivers (the containers' logs), up to WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


# --- the routes ----------------------------------------------------------------------------------------------------

def test_get_root(served):
    response = served.request("GET", "/")
    body = _json(response)
    assert response.status == 200
    assert (body["message"], body["method"], body["path"]) == ("hello from lambdakit", "GET", "/")


def test_post_root_echoes_its_json(served):
    order = {"order": 42, "items": ["a", "b"], "note": "Zoë"}
    response = served.request("POST", "/", json=order)
    assert response.status == 200
    assert _json(response)["echo"] == order


def test_a_binary_body_reaches_the_function_base64_encoded(served):
    """application/octet-stream is not a text type: the function gets it base64-encoded, decodes it, parses it."""
    response = served.request("POST", "/", body=b'{"n": 1, "bytes": "\\u00ff"}',
                              headers={"content-type": "application/octet-stream"})
    assert response.status == 200
    assert _json(response)["echo"] == {"n": 1, "bytes": "\u00ff"}


def test_get_health(served):
    response = served.request("GET", "/health")
    assert response.status == 200
    assert _json(response)["status"] == "healthy"
    assert _json(response)["environment"] == "dev"


def test_info_comes_from_the_dev_stack_s_settings_of_the_api(served):
    response = served.request("GET", "/info")
    assert response.status == 200
    assert served.function.name == "api"
    assert _json(response) == {"functionName": "lambdakit-dev-api", "functionVersion": "$LATEST",
                               "memoryLimitMb": served.function.memory_mb, "environment": "dev",
                               "logLevel": served.settings.log_level,
                               "requestId": response.headers["x-amzn-requestid"]}


def test_every_response_carries_a_request_id_and_a_date(served):
    response = served.request("GET", "/health")
    assert uuid.UUID(response.headers["x-amzn-requestid"])
    assert response.headers["date"].endswith(" GMT")
    assert int(response.headers["content-length"]) == len(response.data)


def test_an_unknown_path_is_a_json_404(served):
    response = served.request("GET", "/nope")
    assert response.status == 404
    assert _json(response)["error"] == "no route for /nope"


def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(served):
    response = served.request("DELETE", "/")
    assert response.status == 405
    assert response.headers["allow"] == "GET, POST"
    assert _json(response)["error"] == "DELETE is not allowed on /"


def test_a_query_string_and_cookies_do_not_change_the_route(served):
    response = served.request("GET", "/health?verbose=1&verbose=2", headers={"cookie": "a=1; b=2"})
    assert response.status == 200
    assert _json(response)["status"] == "healthy"


def test_the_function_s_log_lines_reach_on_log_line(served):
    response = served.request("GET", "/health")
    request_id = response.headers["x-amzn-requestid"]

    def logged() -> list[dict]:
        lines = [json.loads(line) for _, line in list(served.logs) if line.startswith("{")]
        return [line for line in lines if line.get("requestId") == request_id]

    _eventually(logged, f"a log line of {request_id}")
    [entry] = logged()
    assert (entry["level"], entry["message"], entry["path"], entry["status"]) == ("INFO", "request", "/health", 200)


# --- environments: cold, warm, scaling out -----------------------------------------------------------------------

def test_a_fresh_environment_s_first_response_has_an_init_metric_and_the_next_not(served):
    served.fresh_environments()
    first = served.request("GET", "/health?cold")
    second = served.request("GET", "/health?warm")
    assert (first.status, second.status) == (200, 200)
    cold = INIT_METRIC.fullmatch(first.headers["server-timing"])
    assert cold and 0 < int(cold.group(1)) < 10000
    assert WARM_METRIC.fullmatch(second.headers["server-timing"])
    assert "cold: started for it" in served.report_for("/health?cold")
    assert "warm" in served.report_for("/health?warm")


def test_two_requests_at_once_are_served_by_two_environments(served):
    served.fresh_environments()
    together = threading.Barrier(2)
    answers: dict[str, urllib3.BaseHTTPResponse] = {}

    def ask(target: str) -> None:
        together.wait(WAIT_SECONDS)
        answers[target] = served.request("GET", target)

    targets = ["/health?at-once=1", "/health?at-once=2"]
    threads = [threading.Thread(target=ask, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert [answers[target].status for target in targets] == [200, 200]
    assert all(INIT_METRIC.fullmatch(answers[target].headers["server-timing"]) for target in targets)
    numbers = {re.search(r"environment (\d+), cold", served.report_for(target)).group(1) for target in targets}
    assert len(numbers) == 2


# --- the command line ----------------------------------------------------------------------------------------------

def test_an_unknown_stack_exits_2_naming_its_stack_file(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--stack", "nope"])
    assert exited.value.code == 2
    assert "Pulumi.nope.yaml" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--port", "70000"], ["--port", "-1"], ["--concurrency", "0"]])
def test_a_bad_argument_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_a_port_that_is_not_a_number_is_one_line_and_exit_2():
    """`make serve PORT=abc` runs `--port abc`: argparse alone said only "invalid parse value"."""
    finished = subprocess.run([sys.executable, "-m", "commands.serve", "--port", "abc"], cwd=PROJECT_DIR,
                              capture_output=True, text=True, timeout=WAIT_SECONDS)
    assert finished.returncode == 2 and "Traceback" not in finished.stderr
    assert "argument --port: must be a port number, 1..65535 (or 0: any free one), not 'abc'" in finished.stderr


# --function: which of the stack's functions to serve (dev has two, api with a URL and worker without).

def test_without_function_the_stack_s_only_function_with_a_url_is_served():
    settings, _ = read_settings(PROJECT_DIR, "dev")
    assert [(f.name, f.has_url) for f in settings.functions] == [("api", True), ("worker", False)]
    assert served_function(settings, None).name == "api"
    _, function, region = serve.read_local_settings("dev")
    assert (function.function_name, region) == ("lambdakit-dev-api", "eu-west-1")
    assert serve.read_local_settings("dev", "api")[1] == function


@pytest.mark.parametrize("name, said", [
    ("nope", "error: --function nope: not a function of stack dev with a URL (those are: api)"),
    ("worker", "error: --function worker: not a function of stack dev with a URL (those are: api)"),
], ids=["unknown", "without a URL"])
def test_a_function_that_cannot_be_served_is_a_usage_error_naming_those_that_can(capsys, name, said):
    with pytest.raises(SystemExit) as exited:
        main(["--function", name, "--port", "0"])  # before Docker is even looked for
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip() == said


def test_a_stack_with_several_functions_with_a_url_needs_function(tmp_path, monkeypatch, capsys):
    """dev's stack file with a URL for the worker too: which to serve is the user's to say."""
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path)
    stack_file = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    assert stack_file.count('functionUrlAuthType: "OFF"') == 1  # the worker's
    with_two_urls = stack_file.replace('functionUrlAuthType: "OFF"', "functionUrlAuthType: NONE")
    (tmp_path / "Pulumi.dev.yaml").write_text(with_two_urls)
    monkeypatch.setattr(serve, "PROJECT_DIR", tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["--port", "0"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip() == \
        "error: stack dev has several functions with a URL: pick one with --function (api, worker)"
    assert serve.read_local_settings("dev", "worker")[1].function_name == "lambdakit-dev-worker"


def test_a_stack_with_no_function_with_a_url_has_nothing_to_serve():
    settings, _ = read_settings(PROJECT_DIR, "dev")
    without_urls = settings.model_copy(update={"functions": tuple(
        f.model_copy(update={"function_url_auth_type": "OFF"}) for f in settings.functions)})
    with pytest.raises(ValueError, match="^stack dev has no function with a URL$"):
        served_function(without_urls, None)


# --- a machine that lacks something ---------------------------------------------------------------------------------

def test_without_docker_serve_says_so_and_exits_2(machine_without_docker, capsys):
    assert main(["--port", "0"]) == 2
    assert "error: Docker runs the function here: no docker client on PATH (apt-get install docker.io)" in \
        capsys.readouterr().err


def test_without_debootstrap_serve_names_it_and_how_to_install_it_not_the_port(machine_without_debootstrap, capsys):
    assert main(["--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "error: debootstrap is not installed (not on PATH)" in err
    assert "Install it as root: apt-get install debootstrap" in err and "--pinned-bases" in err
    assert "cannot serve" not in err


def test_a_failing_debootstrap_is_shown_in_its_own_words(machine_without_debootstrap, capsys):
    refusing = machine_without_debootstrap / "debootstrap"
    refusing.write_text("#!/bin/sh\necho 'E: debootstrap can only run as root' >&2\nexit 1\n")
    refusing.chmod(0o755)
    assert main(["--port", "0"]) == 1
    assert "debootstrap --variant=minbase --include=python3,python3-pip failed:\nE: debootstrap can only run as root" \
        in capsys.readouterr().err


def test_a_port_in_use_is_still_named(docker_engine, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"error: cannot serve on 127.0.0.1:{port}: " in err and "Address already in use" in err


# --- the command itself, as `make serve` runs it --------------------------------------------------------------------

def _containers_of(image: str) -> set[str]:
    return set(images.docker("ps", "--quiet", "--filter", f"ancestor={image}").stdout.split())


def test_the_command_serves_health_and_ctrl_c_stops_its_containers(docker_engine):
    others = _containers_of("lambdakit-local/api:local")  # this module's other server runs its own
    command = subprocess.Popen([sys.executable, "-m", "commands.serve", "--port", "0"], cwd=PROJECT_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first_line = command.stdout.readline()
        url = re.search(r"on (http://127\.0\.0\.1:\d+)/ ", first_line).group(1)
        assert "no environment runs yet" in first_line
        response = HTTP.request("GET", f"{url}/health")
        assert (response.status, json.loads(response.data)["status"]) == (200, "healthy")
        assert _containers_of("lambdakit-local/api:local") - others
    finally:
        command.send_signal(signal.SIGINT)
        rest = command.communicate(timeout=WAIT_SECONDS)[0]
    assert command.returncode == 0 and "GET /health -> 200" in rest and "stopping" in rest
    assert _containers_of("lambdakit-local/api:local") <= others


def test_rebuild_builds_again_on_a_change_and_hands_new_requests_the_new_image(tmp_path, monkeypatch, capsys):
    settings, region = read_settings(PROJECT_DIR, "dev")
    function = settings.function("api")
    copy = tmp_path / "api"
    shutil.copytree(PROJECT_DIR / "functions" / "api", copy)
    monkeypatch.setattr(serve, "function_dir", lambda _function: copy)
    monkeypatch.setattr(serve, "_build", lambda _function, _pinned: "lambdakit-local/api:rebuilt")
    handed: list[FunctionSetup] = []
    pool = type("Pool", (), {"replace_setup": lambda self, setup: handed.append(setup)})()
    stop = threading.Event()
    watcher = threading.Thread(target=serve._rebuild_on_change,
                               args=(settings, function, region, pool, False, stop,
                                     serve._context_tag(settings, function)))
    watcher.start()
    try:
        (copy / "app.py").write_text((copy / "app.py").read_text() + "# changed\n")
        _eventually(lambda: handed, "a rebuild after the change")
    finally:
        stop.set()
        watcher.join(WAIT_SECONDS)
    assert [setup.image for setup in handed] == ["lambdakit-local/api:rebuilt"]
    assert handed[0].variables["AWS_LAMBDA_FUNCTION_NAME"] == "lambdakit-dev-api"  # the function served, rebuilt
    assert "change in functions/api/: rebuilding" in capsys.readouterr().out
