"""What `make validate-local` measures, over several runs: the function's image served as its function URL on this
machine, called through the URL server (local_lambda/) with pooled connections.

    venv/bin/python bench/validate_local.py [--runs 5] [--requests 300] [--concurrency 4]

Each run is a fresh `validate --local` (new environments, so each has its cold starts); figures are medians over
the runs of each run's own figure, and the first request's latency is a cold start as a caller sees it (container
start, init, answer). For scale: the same handler warm under the runtime client alone, bench/function_image.py.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def one_run(requests: int, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch, "report.json")
        subprocess.run([sys.executable, "-m", "commands.validate", "--local", "--requests", str(requests),
                        "--concurrency", str(concurrency), "--json", str(report)], cwd=PROJECT_DIR,
                       stdout=subprocess.DEVNULL, check=True)
        return json.loads(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    reports = [one_run(args.requests, args.concurrency) for _ in range(args.runs)]
    figures = {
        "latency p50 ms": [r["latencyMs"]["p50"] for r in reports],
        "latency p95 ms": [r["latencyMs"]["p95"] for r in reports],
        "latency p99 ms": [r["latencyMs"]["p99"] for r in reports],
        "latency avg ms": [r["latencyMs"]["avg"] for r in reports],
        "latency max ms (a cold start)": [r["latencyMs"]["max"] for r in reports],
        "init ms (Server-Timing, median of the run's avg)": [r["initMs"]["avg"] for r in reports],
        "cold starts per run": [r["coldStarts"] for r in reports],
        "success %": [r["successRatePercent"] for r in reports],
        "run seconds": [r["seconds"] for r in reports],
    }
    print(f"validate --local, {args.runs} runs of {args.requests} requests at concurrency {args.concurrency}: medians")
    for name, values in figures.items():
        print(f"  {name:<50} {statistics.median(values):9.1f}   (runs: {', '.join(f'{v:.1f}' for v in values)})")
    p50 = statistics.median(figures["latency p50 ms"])
    init = statistics.median(figures["init ms (Server-Timing, median of the run's avg)"])
    print(f"  ratio: init / warm p50 {init / p50:.0f}x; cold-start share of requests "
          f"{statistics.median(figures['cold starts per run']) / args.requests:.1%}")


if __name__ == "__main__":
    main()
