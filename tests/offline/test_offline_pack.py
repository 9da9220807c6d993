"""Offline means offline: the pack the offline preview and the rehearsal start asks no real AWS, whatever
credentials the machine holds, and says why it could not ask."""

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

from offline.policy_engine import offline_environment
from tests.conftest import PROJECT_DIR

HAS_CREDENTIALS = "import boto3; print(boto3.Session().get_credentials() is not None)"
FAKE_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",  # AWS's documentation example, no account's
             "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
KEYS_INI = "".join(f"{name.lower()} = {value}\n" for name, value in FAKE_KEYS.items())  # as in ~/.aws files


def _without_aws_or_proxies() -> dict[str, str]:
    """This environment with none of the host's AWS or proxy settings, for a test to add its own."""
    return {name: value for name, value in os.environ.items()
            if not name.upper().startswith("AWS_") and not name.lower().endswith("_proxy")}


def _credentials_found(environment: dict[str, str]) -> bool:
    answer = subprocess.run([sys.executable, "-c", HAS_CREDENTIALS], env=environment, capture_output=True, text=True,
                            timeout=60, check=True)
    return answer.stdout.strip() == "True"


def _home_with(home: Path, files: dict[str, str]) -> dict[str, str]:
    for name, text in files.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text)
    return {**_without_aws_or_proxies(), "HOME": str(home)}


# Where botocore finds credentials on a machine set up for AWS, each alone.
@pytest.mark.parametrize("files, variables", [
    ({}, FAKE_KEYS),
    ({".aws/credentials": "[default]\n" + KEYS_INI}, {}),
    ({".aws/config": "[profile newcomer]\n" + KEYS_INI}, {"AWS_PROFILE": "newcomer"}),
    ({".boto": "[Credentials]\n" + KEYS_INI}, {}),  # boto2's file, still read by botocore
], ids=["keys in the environment", "~/.aws/credentials", "a profile in ~/.aws/config", "~/.boto"])
def test_the_pack_environment_leaves_botocore_no_credentials_to_find(tmp_path, files, variables):
    # The metadata service off here too: no test may send anything beyond loopback.
    machine = {**_home_with(tmp_path, files), **variables, "AWS_EC2_METADATA_DISABLED": "true"}
    assert _credentials_found(machine)  # the machine has credentials where botocore looks
    assert not _credentials_found(offline_environment(machine))


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    """A proxy on loopback that records the first line of every connection made through it, and answers none."""
    listener = socket.create_server(("127.0.0.1", 0))
    requests: list[str] = []

    def record() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the test is over
            with connection:
                connection.settimeout(5)
                requests.append(connection.recv(200).decode(errors="replace").split("\r\n")[0])

    threading.Thread(target=record, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", requests
    listener.shutdown(socket.SHUT_RDWR)
    listener.close()


@pytest.fixture
def machine_with_credentials(tmp_path, proxy) -> tuple[dict[str, str], list[str]]:
    """A newcomer's environment: keys and a profile, and every request sent through the recording proxy (uppercase
    names only: gRPC reads the lowercase ones, and its channels to the pack stay on loopback)."""
    (tmp_path / "config").write_text("[profile newcomer]\nregion = eu-west-1\n" + KEYS_INI)
    address, requests = proxy
    environment = {**_without_aws_or_proxies(), **FAKE_KEYS, "AWS_PROFILE": "newcomer",
                   "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_EC2_METADATA_DISABLED": "true",
                   "HTTPS_PROXY": address, "HTTP_PROXY": address}
    # Without this, "nothing connected" would prove nothing: botocore, given these credentials, uses the proxy.
    call_sts = "import boto3; boto3.client('sts', region_name='eu-west-1').get_caller_identity()"
    subprocess.run([sys.executable, "-c", call_sts], env={**environment, "AWS_MAX_ATTEMPTS": "1"},
                   capture_output=True, timeout=60)
    assert requests and all(r.startswith("CONNECT sts.") for r in requests)
    requests.clear()
    return environment, requests


def _offline(command: str, *args: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "offline", command, *args], cwd=PROJECT_DIR, env=environment,
                          capture_output=True, text=True, timeout=300)


def test_the_preview_asks_no_real_aws_and_says_why_it_could_not_ask(machine_with_credentials):
    environment, requests = machine_with_credentials
    # A pushed image: the pack would ask ECR for its scan findings, and STS who is calling.
    finished = _offline("preview", "--stack", "prod", "--image-size-mb", "60", environment=environment)
    assert requests == []
    assert finished.returncode == 1, finished.stderr  # prod refuses an image no scan vouches for: each function's
    for function in ("api", "worker"):
        assert f"[mandatory] lambda-image-scan-findings  (critical)  aws:lambda/function:Function  {function}\n" \
            in finished.stdout, function
    assert ("offline, the pack is given no AWS credentials, so that it never asks a real account (Unable to locate "
            "credentials). The image exists only in the simulated account, which scans nothing") in finished.stdout


def test_the_rehearsal_asks_no_real_aws(machine_with_credentials):
    environment, requests = machine_with_credentials
    finished = _offline("rehearse", "--stack", "prod", environment=environment)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "pulumi up done" in finished.stdout  # the Deploy stage ran the pack over the pushed image
    assert requests == []
