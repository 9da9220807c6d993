"""The function's image against the one it replaced and a naive one, and the handler against its floors.

    venv/bin/python bench/function_image.py [--runs 7] [--warm 300]

Needs a Docker engine (started here if Debian's dockerd is installed) and debootstrap, like the
image tests. Three images of the same code, all built here on the tests' Debian-made bases: the
project's (functions/api/Dockerfile: a final stage FROM scratch), the one it replaced
(bench/slim.Dockerfile: a final stage on the Python base image) and a naive single stage
(bench/naive.Dockerfile). For each: size (total, and pushed: gzip-compressed layer by layer, the
size ECR reports and the policy pack's lambda-image-size rule judges), the OS packages a scanner
sees (entries of dpkg's status), cold start (`docker run` to first answer) against the floor of a
bare python3 started the same way, init inside the image (process start to the runtime client's
first request for an event) against an empty handler in the same image, and warm latency p50/p99.
Then the init of the handler under the runtime interface client outside any container, for the
standard-library handler and for the same routes written with AWS Lambda Powertools, and where the
handler's own import time goes. Medians throughout; every figure comes from this run.
"""

import argparse
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local_lambda import images as local_images  # noqa: E402
from local_lambda.runtime_api import LambdaRuntimeApi, runtime_client  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
FUNCTION_DIR = PROJECT_DIR / "functions" / "api"
BENCH_DIR = Path(__file__).resolve().parent
EVENT = json.loads((PROJECT_DIR / "tests" / "data" / "events" / "lambda-function-url-get-root.json").read_text())
ENVIRONMENT = {"AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_LAMBDA_FUNCTION_VERSION": "1",
               "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def cold_start(image: str) -> float:
    """Seconds from `docker run` to the first answer of a fresh container."""
    with LambdaRuntimeApi() as api:
        started = time.perf_counter()
        container = local_images.run_function(image, api.address, ENVIRONMENT)
        try:
            answer = api.invoke(EVENT, timeout=60)
            assert answer.outcome == "response", answer
            return time.perf_counter() - started
        finally:
            local_images.stop(container)


def warm_latencies(image: str, count: int) -> list[float]:
    """Seconds from handing an event out to receiving its answer, container already warm."""
    with LambdaRuntimeApi() as api:
        container = local_images.run_function(image, api.address, ENVIRONMENT)
        try:
            api.invoke(EVENT, timeout=60)
            return [api.invoke(EVENT).seconds for _ in range(count)]
        finally:
            local_images.stop(container)


def docker_run_floor(image: str) -> float:
    """Seconds from `docker run` to the first sign of life of a bare `python3` in the same base,
    measured exactly like a cold start: detached start, until it reaches us over loopback."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(60)
        port = listener.getsockname()[1]
        started = time.perf_counter()
        container = local_images.docker(
            "run", "--detach", "--network=host", "--entrypoint", "python3", image, "-c",
            f"import socket; socket.create_connection(('127.0.0.1', {port}))").stdout.strip()
        listener.accept()[0].close()
        elapsed = time.perf_counter() - started
    local_images.docker("rm", "--force", container)
    return elapsed


def init_time(handler_dir: Path, handler: str, python_path: str = "") -> float:
    """Seconds from starting the runtime interface client on this host to its first answer."""
    with LambdaRuntimeApi() as api:
        started = time.perf_counter()
        with runtime_client(api, handler_dir, handler, {**ENVIRONMENT, "PYTHONPATH": python_path}):
            assert api.invoke(EVENT, timeout=60).outcome == "response"
            return time.perf_counter() - started


# Mounted as sitecustomize, which `site` imports as the interpreter starts: it stamps CLOCK_MONOTONIC (perf_counter's
# clock on Linux, one clock for this host and its containers) on stderr.
_START_PROBE = "import sys, time\nprint('lambdakit-bench-start', time.perf_counter(), file=sys.stderr, flush=True)\n"


def init_in_image(image: str, probe_dir: Path, handler_file: Path | None = None) -> float:
    """Seconds from the interpreter's start in the container (its sitecustomize) to the runtime client's first
    request for an event: the runtime client's and the handler's imports, what Lambda's Init Duration adds to a bare
    interpreter. With `handler_file`, that file is mounted into the task root and is the handler (the floor: an
    empty one). `docker run`'s own time, which the daemon's load makes noisy, is left out."""
    with LambdaRuntimeApi() as api:
        answered = {}

        def invoke() -> None:
            # Queued before the container starts: the event is handed out the moment the runtime client first asks,
            # and the answer's `seconds` count from then.
            answered["invocation"] = api.invoke(EVENT, timeout=60)
            answered["at"] = time.perf_counter()

        waiter = threading.Thread(target=invoke)
        waiter.start()
        mounts = [f"--volume={probe_dir}:/opt/probe:ro", "--env=PYTHONPATH=/opt/probe:/opt/deps"]
        handler = [f"--volume={handler_file}:/var/task/{handler_file.name}:ro", image,
                   f"{handler_file.stem}.handler"] if handler_file else [image]
        variables = [f"--env={k}={v}" for k, v in {**ENVIRONMENT, "AWS_LAMBDA_RUNTIME_API": api.address}.items()]
        container = local_images.docker("run", "--detach", "--network=host", *variables, *mounts,
                                        *handler).stdout.strip()
        try:
            waiter.join(60)
            assert answered["invocation"].outcome == "response", answered
            logs = local_images.docker("logs", container).stderr
            started = float(logs.split("lambdakit-bench-start", 1)[1].split()[0])
            return answered["at"] - answered["invocation"].seconds - started
        finally:
            local_images.docker("rm", "--force", container)


_COUNT_PACKAGES = """
import glob, json
try:
    lines = open("/var/lib/dpkg/status").read().splitlines()
except FileNotFoundError:
    lines = []
print(json.dumps(sum(line.startswith("Package: ") for line in lines) + len(glob.glob("/var/lib/dpkg/status.d/*"))))
"""


def os_packages(image: str) -> int:
    """The OS packages a scanner sees: entries of dpkg's status file (and of distroless's status.d)."""
    return json.loads(local_images.docker("run", "--rm", "--network=none", "--entrypoint", "python3", image, "-c",
                                          _COUNT_PACKAGES).stdout)


def handler_import_costs(top: int = 6) -> list[tuple[str, float]]:
    """Where the handler's import time goes beyond what the runtime client has imported already: its direct imports
    and its own body, in ms, from `python -X importtime` (one run, so a pointer, not a figure)."""
    script = "import awslambdaric.bootstrap, awslambdaric.lambda_runtime_client; import app"
    trace = subprocess.run([sys.executable, "-X", "importtime", "-c", script], cwd=FUNCTION_DIR, env=ENVIRONMENT |
                           {"PATH": os.environ.get("PATH", "")}, capture_output=True, text=True, check=True).stderr
    costs: list[tuple[str, float]] = []
    children: list[tuple[str, float]] = []  # -X importtime prints a module after those it imported
    for line in trace.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, indented = line.removeprefix("import time:").split("|")
        name, depth = indented.strip(), (len(indented) - len(indented.lstrip()) - 1) // 2  # two spaces a level
        if depth == 1:
            children.append((name, int(cumulative) / 1000))
        elif depth == 0 and name == "app":
            costs = [*children, ("app's own body", int(own) / 1000), ("app in all", int(cumulative) / 1000)]
        elif depth == 0:
            children = []
    return sorted(costs, key=lambda cost: -cost[1])[:top + 1]


def pushed_bytes(image: str) -> int:
    """The image as a registry stores it, and as ECR reports it: every layer gzip-compressed,
    as `docker push` sends them."""
    with tempfile.TemporaryDirectory(prefix="lambdakit-save-") as workdir:
        archive = Path(workdir) / "image.tar"
        local_images.docker("save", "--output", str(archive), image)
        with tarfile.open(archive) as saved:
            layers = [m for m in saved.getmembers() if m.name.endswith("layer.tar") or m.name.startswith("blobs/")]
            return sum(len(gzip.compress(saved.extractfile(m).read(), compresslevel=6)) for m in layers if m.isfile())


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def interleaved_medians(runs: int, subjects: dict) -> dict[str, float]:
    """Each round measures every subject once, in turn, so machine noise falls on all alike."""
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(runs):
        for name, measure in subjects.items():
            samples[name].append(measure())
    return {name: statistics.median(values) for name, values in samples.items()}


PROJECT, BEFORE, NAIVE = "project (FROM scratch)", "before (slim base)", "naive (single stage)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warm", type=int, default=300)
    options = parser.parse_args()

    local_images.ensure_engine()
    builder, runtime = local_images.ensure_base_images(FUNCTION_DIR / "requirements.txt")
    images = {
        PROJECT: local_images.build(FUNCTION_DIR, "lambdakit-local/api:bench", {"BUILDER_IMAGE": builder}),
        BEFORE: local_images.build(FUNCTION_DIR, "lambdakit-local/api-slim:bench",
                                   {"BUILDER_IMAGE": builder, "RUNTIME_IMAGE": runtime},
                                   dockerfile=BENCH_DIR / "slim.Dockerfile"),
        NAIVE: local_images.build(FUNCTION_DIR, "lambdakit-local/api-naive:bench", {"BASE_IMAGE": builder},
                                  dockerfile=BENCH_DIR / "naive.Dockerfile")}

    with tempfile.TemporaryDirectory(prefix="lambdakit-bench-") as workdir:
        work = Path(workdir)
        empty, probe = work / "empty.py", work / "probe"
        empty.write_text("def handler(event, context):\n    return {}\n")
        probe.mkdir()
        (probe / "sitecustomize.py").write_text(_START_PROBE)
        for readable in (work, probe, empty, probe / "sitecustomize.py"):  # by the images' user
            readable.chmod(0o755 if readable.is_dir() else 0o644)
        starts = interleaved_medians(options.runs, {
            **{name: (lambda image=image: cold_start(image)) for name, image in images.items()},
            "floor": lambda: docker_run_floor(runtime)})
        inits_in = interleaved_medians(options.runs, {
            **{name: (lambda image=image: init_in_image(image, probe)) for name, image in images.items()},
            **{f"{name} floor": (lambda image=image: init_in_image(image, probe, empty))
               for name, image in images.items()}})

        powertools = work / "powertools"
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--target", str(powertools), "-r", str(BENCH_DIR / "powertools_variant" / "requirements.txt")],
                       check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(powertools)], check=True, capture_output=True)
        inits = interleaved_medians(options.runs, {
            "floor": lambda: init_time(work, "empty.handler"),
            "stdlib": lambda: init_time(FUNCTION_DIR, "app.handler"),
            "powertools": lambda: init_time(BENCH_DIR / "powertools_variant", "app.handler", str(powertools))})
        powertools_mb = folder_bytes(powertools) / 1e6

    print(f"median of {options.runs} interleaved runs; warm latency over {options.warm} invocations; "
          f"python {sys.version.split()[0]} on {os.uname().machine}\n")
    print(f"{'image':22s} {'total MB':>9s} {'pushed MB':>10s} {'OS pkgs':>8s} {'cold s':>7s} {'/floor':>7s} "
          f"{'init ms':>8s} {'/floor':>7s} {'warm p50 ms':>12s} {'warm p99 ms':>12s}")
    total, pushed = {}, {}
    for name, image in images.items():
        total[name], pushed[name] = local_images.image_bytes(image), pushed_bytes(image)
        warm = warm_latencies(image, options.warm)
        print(f"{name:22s} {total[name] / 1e6:9.1f} {pushed[name] / 1e6:10.1f} {os_packages(image):8d} "
              f"{starts[name]:7.3f} {starts[name] / starts['floor']:7.2f} {inits_in[name] * 1e3:8.1f} "
              f"{inits_in[name] / inits_in[f'{name} floor']:7.2f} {statistics.median(warm) * 1e3:12.2f} "
              f"{percentile(warm, 0.99) * 1e3:12.2f}")
    print(f"floors: docker run of bare python3 (runtime base) {starts['floor']:.3f} s; empty handler's init in "
          + ", ".join(f"{name.split()[0]} {inits_in[f'{name} floor'] * 1e3:.1f} ms" for name in images))

    print("\ninit, outside any container (runtime client start to first answer)")
    print(f"  floor: runtime client + empty handler   {inits['floor'] * 1e3:7.1f} ms")
    print(f"  standard library handler (shipped)      {inits['stdlib'] * 1e3:7.1f} ms   adds 0.0 MB of dependencies")
    print(f"  same routes with Powertools             {inits['powertools'] * 1e3:7.1f} ms   "
          f"adds {powertools_mb:.1f} MB")
    print("  where the handler's import goes (ms, cumulative, one -X importtime run): "
          + ", ".join(f"{name} {ms:.1f}" for name, ms in handler_import_costs()))

    print("\nratios")
    print(f"  project total / before total            {total[PROJECT] / total[BEFORE]:6.2f} (aim: 0.40 or less)")
    print(f"  project pushed / before pushed          {pushed[PROJECT] / pushed[BEFORE]:6.2f}")
    print(f"  project total / naive total             {total[PROJECT] / total[NAIVE]:6.2f}")
    print(f"  project cold start / docker run floor   {starts[PROJECT] / starts['floor']:6.2f} (aim: 1.11 or less)")
    print(f"  project init in image / its floor       {inits_in[PROJECT] / inits_in[f'{PROJECT} floor']:6.2f} "
          f"(aim: 1.25 or less)")
    print(f"  init outside / its floor                {inits['stdlib'] / inits['floor']:6.2f} (aim: 1.25 or less)")
    print(f"  Powertools init / standard library init {inits['powertools'] / inits['stdlib']:6.2f}")


if __name__ == "__main__":
    main()
