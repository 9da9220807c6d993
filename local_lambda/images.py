"""Local Docker for the tests and benchmarks: the engine, base images made from Debian packages,
and builds of the function's real Dockerfile with them.

Public registries are out of reach here, so the bases come from `debootstrap` (Debian bookworm
with its python3) and the Python dependencies from a wheelhouse downloaded on the host and baked
into the builder base (pip inside a container has no route to PyPI). The Dockerfile itself is
unchanged: only its base-image build arguments (BUILDER_IMAGE; RUNTIME_IMAGE where a Dockerfile has one) point
here. The runtime base is also the floor the benchmarks start bare python3 in.
"""

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT_IMAGE = "lambdakit-local/debian-python:bookworm"
RUNTIME_IMAGE = "lambdakit-local/python-runtime:bookworm"
BUILDER_IMAGE = "lambdakit-local/python-builder"  # tagged by the hash of the requirements it holds
# Left out of every base: package caches and documentation; and, from the runtime, the installers.
_SLIM = ("./var/cache/apt/archives/*.deb", "./var/lib/apt/lists/*", "./usr/share/doc/*", "./usr/share/man/*")
_INSTALLERS = ("./usr/lib/python3/dist-packages/pip*", "./usr/lib/python3/dist-packages/setuptools*",
               "./usr/lib/python3/dist-packages/wheel*", "./usr/lib/python3/dist-packages/pkg_resources*",
               "./usr/bin/pip*")


class DockerUnavailable(Exception):
    pass


class BaseImagesUnavailable(Exception):
    """The Debian-made base images are not there yet, and this machine cannot make them."""


def docker(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DOCKER_BUILDKIT": "0"}  # BuildKit cannot be had here
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True, env=environment, **kwargs)


def ensure_engine(wait_seconds: float = 60) -> None:
    """Use the running engine, or start Debian's `dockerd` (as root) when none answers."""
    if shutil.which("docker") is None:
        raise DockerUnavailable("no docker client on PATH (apt-get install docker.io)")
    if docker("info", check=False).returncode == 0:
        return
    if shutil.which("dockerd") is None or os.geteuid() != 0:
        raise DockerUnavailable("no Docker engine answers, and dockerd cannot be started here")
    log = open(Path(tempfile.gettempdir()) / "lambdakit-dockerd.log", "ab")
    subprocess.Popen(["dockerd"], stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + wait_seconds
    while docker("info", check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise DockerUnavailable(f"dockerd did not answer within {wait_seconds} s; see {log.name}")
        time.sleep(0.5)


def image_exists(tag: str) -> bool:
    return docker("image", "inspect", tag, check=False).returncode == 0


def _import_rootfs(rootfs: Path, tag: str, excluded: tuple[str, ...]) -> None:
    archive = subprocess.Popen(["tar", "-C", str(rootfs), *[f"--exclude={p}" for p in excluded], "-c", "."],
                               stdout=subprocess.PIPE)
    subprocess.run(["docker", "import", "-", tag], stdin=archive.stdout, check=True, capture_output=True, text=True)
    if archive.wait() != 0:
        raise RuntimeError(f"tar of {rootfs} failed")


def _ensure_debian_bases() -> None:
    if image_exists(ROOT_IMAGE) and image_exists(RUNTIME_IMAGE):
        return
    if shutil.which("debootstrap") is None:  # else the missing command surfaces as a bare FileNotFoundError
        raise BaseImagesUnavailable("debootstrap is not installed (not on PATH): the function's local base images "
                                    "(Debian bookworm and its python3) are made with it. Install it as root: "
                                    "apt-get install debootstrap")
    with tempfile.TemporaryDirectory(prefix="lambdakit-rootfs-") as workdir:
        rootfs = Path(workdir) / "rootfs"
        # text=True, as for every command here: a failure's stderr reaches the user as words, not a bytes repr.
        subprocess.run(["debootstrap", "--variant=minbase", "--include=python3,python3-pip", "bookworm",
                        str(rootfs), "http://deb.debian.org/debian"], check=True, capture_output=True, text=True)
        _import_rootfs(rootfs, ROOT_IMAGE, _SLIM)
        _import_rootfs(rootfs, RUNTIME_IMAGE, _SLIM + _INSTALLERS)


def base_python_tag(image: str = RUNTIME_IMAGE) -> str:
    """`311` for Python 3.11: the wheels must match the interpreter in the base."""
    return docker("run", "--rm", "--entrypoint", "python3", image, "-c",
                  "import sys; print(f'{sys.version_info[0]}{sys.version_info[1]}')").stdout.strip()


def ensure_base_images(requirements: Path) -> tuple[str, str]:
    """(builder, runtime) base images; the builder holds a wheelhouse for `requirements`."""
    _ensure_debian_bases()
    builder = f"{BUILDER_IMAGE}:{hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]}"
    if not image_exists(builder):
        with tempfile.TemporaryDirectory(prefix="lambdakit-wheels-") as workdir:
            context = Path(workdir)
            python = base_python_tag()
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                            "--only-binary=:all:", "--implementation", "cp", "--python-version", python,
                            "--platform", f"manylinux2014_{platform.machine()}", "-d", str(context / "wheels"),
                            "-r", str(requirements)], check=True, capture_output=True, text=True)
            # pip reads these at install time: offline, from the wheelhouse, into a --target.
            (context / "Dockerfile").write_text(
                f"FROM {ROOT_IMAGE}\nCOPY wheels /wheels\n"
                "ENV PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels PIP_BREAK_SYSTEM_PACKAGES=1\n")
            docker("build", "-q", "-t", builder, str(context))
    return builder, RUNTIME_IMAGE


def build(context: Path, tag: str, build_args: dict[str, str], dockerfile: Path | None = None) -> str:
    arguments = [f"--build-arg={k}={v}" for k, v in build_args.items()]
    if dockerfile is not None:
        arguments += ["-f", str(dockerfile)]
    docker("build", "-q", "-t", tag, *arguments, str(context))
    return tag


def image_id(tag: str) -> str:
    """The image a tag names now: a rebuild under the same tag is a different image."""
    return docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()


def image_bytes(tag: str) -> int:
    return int(docker("image", "inspect", "--format", "{{.Size}}", tag).stdout)


def declared_build_args(dockerfile: Path) -> set[str]:
    """The names a Dockerfile declares with ARG: a build argument it does not declare draws a warning."""
    return set(re.findall(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)", dockerfile.read_text(), re.MULTILINE))


def build_function_image(function_dir: Path, tag: str, local_bases: bool = True) -> str:
    """The function's own Dockerfile, on bases made here (`local_bases`) or on the ones it pins."""
    ensure_engine()
    build_args = {}
    if local_bases:
        builder, runtime = ensure_base_images(function_dir / "requirements.txt")
        declared = declared_build_args(function_dir / "Dockerfile")
        build_args = {name: image for name, image in (("BUILDER_IMAGE", builder), ("RUNTIME_IMAGE", runtime))
                      if name in declared}
    return build(function_dir, tag, build_args)


def run_function(image: str, runtime_api_address: str, environment: dict[str, str],
                 options: tuple[str, ...] = ()) -> str:
    """Start the image's own entrypoint against a Runtime API on this host's loopback; `options` are more of
    `docker run`'s (limits, mounts)."""
    variables = [f"--env={k}={v}" for k, v in {**environment, "AWS_LAMBDA_RUNTIME_API": runtime_api_address}.items()]
    return docker("run", "--detach", "--rm", "--network=host", *options, *variables, image).stdout.strip()


def stop(container: str) -> None:
    docker("kill", container, check=False)
