"""The function's image against a naive one, and the handler against its floors.

    venv/bin/python bench/function_image.py [--runs 7] [--warm 300]

Needs a Docker engine (started here if Debian's dockerd is installed) and debootstrap, like the
image tests. Prints, for this project's image and a naive single-stage one built from the same
code: image size (total and over its base), cold start (`docker run` to first response), warm
latency p50/p99; beside them the floors measured in the same run; then the init time of the
handler under the runtime interface client outside any container, for the standard-library
handler and for the same routes written with AWS Lambda Powertools, with the weight each adds.
"pushed MB" is the image gzip-compressed layer by layer: the size ECR reports, which the policy pack's
lambda-image-size rule judges. Medians throughout; every figure comes from this run.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warm", type=int, default=300)
    options = parser.parse_args()

    local_images.ensure_engine()
    builder, runtime = local_images.ensure_base_images(FUNCTION_DIR / "requirements.txt")
    project = local_images.build(FUNCTION_DIR, "lambdakit-local/api:bench",
                                 {"BUILDER_IMAGE": builder, "RUNTIME_IMAGE": runtime})
    naive = local_images.build(FUNCTION_DIR, "lambdakit-local/api-naive:bench", {"BASE_IMAGE": builder},
                               dockerfile=BENCH_DIR / "naive.Dockerfile")
    images = {"project (multi-stage)": (project, runtime), "naive (single stage)": (naive, builder)}
    starts = interleaved_medians(options.runs, {
        **{name: (lambda image=image: cold_start(image)) for name, (image, _) in images.items()},
        "floor": lambda: docker_run_floor(runtime)})

    print(f"median of {options.runs} interleaved runs; warm latency over {options.warm} invocations; "
          f"python {sys.version.split()[0]} on {os.uname().machine}\n")
    print(f"{'image':24s} {'total MB':>9s} {'pushed MB':>10s} {'over base MB':>13s} {'cold start s':>13s} "
          f"{'warm p50 ms':>12s} {'warm p99 ms':>12s}")
    added = {}
    for name, (image, base) in images.items():
        total = local_images.image_bytes(image)
        added[name] = total - local_images.image_bytes(base)
        warm = warm_latencies(image, options.warm)
        print(f"{name:24s} {total / 1e6:9.1f} {pushed_bytes(image) / 1e6:10.1f} {added[name] / 1e6:13.2f} "
              f"{starts[name]:13.3f} {statistics.median(warm) * 1e3:12.2f} {percentile(warm, 0.99) * 1e3:12.2f}")
    print(f"{'floor: docker run of bare python3':56s} {starts['floor']:13.3f}")

    with tempfile.TemporaryDirectory(prefix="lambdakit-bench-") as workdir:
        work = Path(workdir)
        (work / "empty.py").write_text("def handler(event, context):\n    return {}\n")
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

    print("\ninit, outside any container (runtime client start to first answer)")
    print(f"  floor: runtime client + empty handler   {inits['floor'] * 1e3:7.1f} ms")
    print(f"  standard library handler (shipped)      {inits['stdlib'] * 1e3:7.1f} ms   adds 0.0 MB of dependencies")
    print(f"  same routes with Powertools             {inits['powertools'] * 1e3:7.1f} ms   adds {powertools_mb:.1f} MB")

    project_name, naive_name = "project (multi-stage)", "naive (single stage)"
    print("\nratios")
    print(f"  project layers / naive layers           {added[project_name] / added[naive_name]:6.2f} (aim: 0.40 or less)")
    print(f"  project total / naive total             "
          f"{local_images.image_bytes(project) / local_images.image_bytes(naive):6.2f}")
    print(f"  project cold start / docker run floor   {starts[project_name] / starts['floor']:6.2f} (aim: 1.30 or less)")
    print(f"  init / its floor                        {inits['stdlib'] / inits['floor']:6.2f} (aim: 1.25 or less)")
    print(f"  Powertools init / standard library init {inits['powertools'] / inits['stdlib']:6.2f}")


if __name__ == "__main__":
    main()
