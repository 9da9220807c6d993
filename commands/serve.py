"""`make serve`: one of the stack's functions in its own container on http://127.0.0.1:<port>, as its function URL serves it.

The image is built from the function's Dockerfile as the tests build it; each request becomes a payload format 2.0
event handed to an environment (one container, one request at a time) through the local Runtime API, and the
function's answer becomes the response (local_lambda/). The function's settings in the stack apply: variables, memory,
/tmp, timeout and log level; --function picks which function (one with a URL) when the stack has several. More environments start, up to --concurrency, while all are busy; past that a request waits.
"""

import argparse
import platform
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Callable, Iterator

from commands.arguments import port, positive_int
from components.container_image import content_tag, image_build
from local_lambda import images
from local_lambda.environments import EnvironmentPool, function_setup
from local_lambda.url_server import serving
from offline.stack_config import StackConfigError, read_settings
from function_settings import FunctionSettings
from settings import SettingsError, StackSettings

PROJECT_DIR = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_MACHINE_ARCHITECTURE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m commands.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="dev", help="the stack whose settings apply (default: dev)")
    parser.add_argument("--function", help="the function to serve, by its folder under functions/ (default: the "
                        "stack's only function with a URL)")
    parser.add_argument("--concurrency", type=positive_int, default=2,
                        help="environments (containers) that may run at once (default: 2)")
    parser.add_argument("--pinned-bases", action="store_true",
                        help="build on the base images the Dockerfile pins (a registry must be reachable) instead "
                             "of bases made here from Debian packages, as the tests do")
    parser.add_argument("--port", type=port, default=8080, help="port on 127.0.0.1 (default: 8080)")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the image when the function's folder changes; new requests get the new one")
    return parser


def function_dir(function: FunctionSettings) -> Path:
    return PROJECT_DIR / "functions" / function.name


def _build(function: FunctionSettings, pinned_bases: bool) -> str:
    """The built image's id: environments run it by id, so those of a previous build are told apart."""
    return images.image_id(images.build_function_image(function_dir(function),
                                                       f"lambdakit-local/{function.name}:local",
                                                       local_bases=not pinned_bases))


def served_function(settings: StackSettings, name: str | None) -> FunctionSettings:
    """The function --function names, or the stack's only one with a URL; ValueError says which there are."""
    with_url = [function.name for function in settings.functions if function.has_url]
    if name is None and len(with_url) == 1:
        return settings.function(with_url[0])
    if name is not None and name in with_url:
        return settings.function(name)
    listed = ", ".join(with_url) or "none"
    if name is None:
        raise ValueError(f"stack {settings.stack} has several functions with a URL: pick one with --function "
                         f"({listed})" if with_url else f"stack {settings.stack} has no function with a URL")
    raise ValueError(f"--function {name}: not a function of stack {settings.stack} with a URL (those are: {listed})")


def read_local_settings(stack: str, function: str | None = None) -> tuple[StackSettings, FunctionSettings, str]:
    """The stack's settings, the function to run and the region; exits with EXIT_USAGE and one message when they
    are wrong."""
    try:
        settings, region = read_settings(PROJECT_DIR, stack)
        return settings, served_function(settings, function), region
    except (StackConfigError, SettingsError, ValueError) as wrong:
        print(f"error: {wrong}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


class PortUnavailable(Exception):
    """The URL server cannot listen on the port asked for (taken, most often)."""


# What this machine lacks to run the function at all: exit 2, as for bad arguments, since nothing was tried.
MISSING_PREREQUISITES = (images.DockerUnavailable, images.BaseImagesUnavailable)
# What can stop the function running here once it can: a build or `docker run` that fails, a port taken.
LOCAL_FAILURES = (subprocess.CalledProcessError, PortUnavailable)


def local_failure(error: Exception) -> str:
    if isinstance(error, subprocess.CalledProcessError):
        return f"{' '.join(map(str, error.cmd[:3]))} failed:\n{(error.stderr or '').strip()}"
    if isinstance(error, images.DockerUnavailable):
        return f"Docker runs the function here: {error}"
    if isinstance(error, images.BaseImagesUnavailable):
        return f"{error} (or pass --pinned-bases to build on the Dockerfile's own pinned bases, when a registry " \
               "is reachable)"
    return str(error)


@contextmanager
def local_function_url(settings: StackSettings, function: FunctionSettings, region: str, port: int, concurrency: int,
                       pinned_bases: bool, report: Callable[[str], None],
                       on_log_line: Callable[[int, str], None]) -> Iterator[tuple[str, EnvironmentPool]]:
    """The function's image built and served on 127.0.0.1 while the block runs; every container stopped after."""
    image = _build(function, pinned_bases)
    pool = EnvironmentPool(function_setup(settings, function, region, image), concurrency, on_log_line)
    with ExitStack() as served:
        try:
            url = served.enter_context(serving(pool, port, region, report))
        except OSError as unusable:  # only the listening socket's: any other OSError is not the port's fault
            raise PortUnavailable(f"cannot serve on 127.0.0.1:{port}: {unusable}") from None
        yield url, pool


def _context_tag(settings: StackSettings, function: FunctionSettings) -> str:
    folder = function_dir(function)
    return content_tag(folder, image_build(folder, settings.platform, {}))


def _rebuild_on_change(settings: StackSettings, function: FunctionSettings, region: str, pool: EnvironmentPool,
                       pinned_bases: bool, stop: threading.Event, built: str) -> None:
    """Poll the build context's content tag (the one the program tags pushed images with; `built` is the served
    image's) once a second."""
    while not stop.wait(1.0):
        current = _context_tag(settings, function)
        if current == built:
            continue
        built = current
        say(f"change in functions/{function.name}/: rebuilding")
        try:
            image = _build(function, pinned_bases)
        except subprocess.CalledProcessError as failed:
            say(f"build failed, still serving the previous image:\n{failed.stderr.strip()}")
            continue
        pool.replace_setup(function_setup(settings, function, region, image))
        say("rebuilt: the next request starts a new environment from the new image (cold)")


_printing = threading.Lock()


def say(line: str) -> None:
    """One whole line to stdout: requests, environments' logs and the rebuilds print from their own threads."""
    with _printing:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _say_logged(environment: int, line: str) -> None:
    say(f"[environment {environment}] {line}")


def _stop_on_sigterm() -> None:
    def interrupt(*_args) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)


def _architecture_line(settings: StackSettings) -> str:
    machine = _MACHINE_ARCHITECTURE.get(platform.machine().lower(), platform.machine())
    if machine == settings.architecture:
        return f"image built for {machine}, as the stack deploys it"
    return f"image built for this machine ({machine}); the stack deploys {settings.architecture}"


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    settings, function, region = read_local_settings(args.stack, args.function)
    _stop_on_sigterm()
    stop = threading.Event()
    try:
        images.ensure_engine()
        sources = _context_tag(settings, function)  # taken before the build, so a change during it is seen
        with local_function_url(settings, function, region, args.port, args.concurrency, args.pinned_bases,
                                report=say, on_log_line=_say_logged) as (url, pool):
            say(f"{function.function_name} (stack {args.stack}) on {url}/ : no environment runs yet, the first "
                f"request starts one (a cold start); {_architecture_line(settings)}. Ctrl-C stops it.")
            if args.rebuild:
                watched = (settings, function, region, pool, args.pinned_bases, stop, sources)
                threading.Thread(target=_rebuild_on_change, args=watched, daemon=True).start()
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        say("stopping: every environment is being stopped")
        return EXIT_OK
    except MISSING_PREREQUISITES as missing:
        print(f"error: {local_failure(missing)}", file=sys.stderr)
        return EXIT_USAGE
    except LOCAL_FAILURES as failed:
        print(f"error: {local_failure(failed)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        stop.set()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
