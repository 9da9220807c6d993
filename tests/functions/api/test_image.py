"""The function's real image, built with Docker from its Dockerfile and run through its entrypoint."""

import json

import pytest

from local_lambda import images as local_images
from tests.functions.api.cases import CASES, assert_answer, url_request


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_request_through_the_container(container, case):
    api, _ = container
    answer = api.invoke(case.event, timeout=60)
    assert answer.outcome == "response"
    assert_answer(case, answer.payload)


def test_info_inside_the_container_comes_from_its_lambda_environment(container):
    api, _ = container
    answer = api.invoke(url_request("GET", "/info"), timeout=60)
    assert json.loads(answer.payload["body"]) == {
        "functionName": "lambdakit-test-api", "functionVersion": "7", "memoryLimitMb": 1024,
        "environment": "test", "logLevel": "DEBUG", "requestId": answer.request_id}


def test_the_container_logs_json_lines_to_stdout(container):
    api, started = container
    answer = api.invoke(url_request("GET", "/health"), timeout=60)
    lines = [json.loads(line) for line in local_images.docker("logs", started).stdout.splitlines()
             if line.startswith("{")]
    [entry] = [line for line in lines if line.get("requestId") == answer.request_id]
    assert (entry["level"], entry["path"], entry["status"], entry["coldStart"]) == ("INFO", "/health", 200, False)


def _inside(image: str, script: str):
    return local_images.docker("run", "--rm", "--entrypoint", "sh", image, "-c", script, check=False)


def test_runs_as_a_non_root_user(function_image):
    assert local_images.docker("image", "inspect", "--format", "{{.Config.User}}", function_image).stdout.strip() \
        == "10001:10001"
    assert _inside(function_image, "id -u").stdout.strip() == "10001"


def test_entrypoint_is_the_runtime_interface_client(function_image):
    config = json.loads(local_images.docker("image", "inspect", "--format", "{{json .Config}}", function_image).stdout)
    assert (config["Entrypoint"], config["Cmd"]) == (["python3", "-m", "awslambdaric"], ["app.handler"])


@pytest.mark.parametrize("tool", ["pip", "pip3", "gcc", "cc", "make"])
def test_no_installer_or_compiler_in_the_final_image(function_image, tool):
    assert _inside(function_image, f"command -v {tool}").returncode != 0
    assert _inside(function_image, "python3 -m pip --version").returncode != 0


def test_only_the_code_and_its_bytecode_are_in_the_task_root(function_image):
    files = set(_inside(function_image, "cd /var/task && find . -type f | sort").stdout.split())
    assert "./app.py" in files
    assert any(f.startswith("./__pycache__/app.") and f.endswith(".pyc") for f in files)
    assert files <= {"./app.py"} | {f for f in files if f.startswith("./__pycache__/")}


def test_dependencies_are_precompiled(function_image):
    result = _inside(function_image, "find /opt/deps -name '*.py' | wc -l; find /opt/deps -name '*.pyc' | wc -l")
    sources, compiled = map(int, result.stdout.split())
    assert sources > 0 and compiled >= sources
