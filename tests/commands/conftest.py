"""Machines that lack what `make serve` and `make validate-local` need, made by PATH (nothing is uninstalled); and
the stubbed Price List Query API `make prices` is tested against."""

import shutil
from pathlib import Path

import pytest

from local_lambda import images
from tests.conftest import stubbed_client


@pytest.fixture
def machine_without_docker(tmp_path, monkeypatch) -> None:
    """A PATH holding no command at all, so no docker client either."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def machine_without_debootstrap(docker_engine, tmp_path, monkeypatch) -> Path:
    """Docker, but a PATH without debootstrap, and base images not made yet (tags that exist nowhere, so the
    machine's own bases stay untouched). Returns the PATH's one folder."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "docker").symlink_to(shutil.which("docker"))
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setattr(images, "ROOT_IMAGE", "lambdakit-test/never-made-root:bookworm")
    monkeypatch.setattr(images, "RUNTIME_IMAGE", "lambdakit-test/never-made-runtime:bookworm")
    return folder


@pytest.fixture
def pricing():
    """A Price List Query client whose answers and expected requests a test adds (client, stubber)."""
    with stubbed_client("pricing", "us-east-1") as stubbed:
        yield stubbed
