"""Time the offline preview of the prod stack, policies included, against two floors.

    venv/bin/python bench/preview.py [--runs 7]

Each command runs in a fresh interpreter, interleaved with the others so that machine noise
falls on all alike; figures are medians. Peak memory is the largest resident set of any one
process the command started (the preview and its policy pack are two processes).
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Runs one command and reports its wall time and the peak RSS of its process tree's largest member.
_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""

COMMANDS = {
    "floor: import pulumi, pulumi_aws": [sys.executable, "-c", "import pulumi, pulumi_aws"],
    "floor: the program's own imports": [
        sys.executable, "-c", "import pulumi, pulumi_aws.lambda_, pulumi_aws.ecr, pulumi_aws.iam, "
        "pulumi_aws.cloudwatch, pulumi_aws.sqs, pulumi_docker; pulumi_aws.lambda_.Function; "
        "pulumi_aws.ecr.Repository; pulumi_aws.iam.Role; pulumi_aws.cloudwatch.LogGroup; pulumi_aws.sqs.Queue"],
    "offline preview, prod": [sys.executable, "-m", "offline", "preview", "--stack", "prod", "--image-size-mb", "140"],
}


def measure(command: list[str]) -> tuple[float, int]:
    finished = subprocess.run([sys.executable, "-c", _MEASURE, *command], cwd=PROJECT_DIR,
                              capture_output=True, text=True, check=True)
    seconds, peak_kb, code = finished.stdout.split()
    # 1 is a finished preview that the pack blocked: offline, no scan vouches for prod's pushed image.
    if code not in ("0", "1"):
        raise SystemExit(f"{command} exited {code}")
    return float(seconds), int(peak_kb)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    runs = parser.parse_args()
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in COMMANDS}
    measure(COMMANDS["offline preview, prod"])  # warm: bytecode compiled, files cached
    for _ in range(runs.runs):
        for name, command in COMMANDS.items():
            samples[name].append(measure(command))
    figures = {name: {"median_s": statistics.median(s for s, _ in values),
                      "peak_rss_mb": max(kb for _, kb in values) / 1024} for name, values in samples.items()}
    preview = figures["offline preview, prod"]["median_s"]
    print(f"median of {runs.runs} runs each, {Path(sys.executable).name} {sys.version.split()[0]}")
    for name, figure in figures.items():
        print(f"  {name:36s} {figure['median_s']:6.2f} s   peak RSS {figure['peak_rss_mb']:6.1f} MB")
    for name in ("floor: import pulumi, pulumi_aws", "floor: the program's own imports"):
        print(f"  preview / {name[7:]:29s} {preview / figures[name]['median_s']:6.2f}x")
    if runs.json:
        runs.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
