"""Time the offline preview of a stack of 1, 5, 20, 49 and 50 functions: the program alone on the mock engine, and
the whole preview (program, policy pack, cost estimate).

    venv/bin/python bench/preview_scale.py [--runs 5] [--counts 1 5 20 49 50] [--stacks dev prod] [--json FILE]

For each count N and stack, a copy of the project is made in a temporary folder whose functions/ holds N function
folders with one shared image context (each a copy of functions/api: the same Dockerfile, .dockerignore and files,
so every build is given the same inputs), and whose stack file lists them under lambdakit:functions with generated
settings over the stack's own (dev: an open URL; prod: the pipeline, signed URLs). Every fourth function is a
scheduled one with no URL, as the worker is, so that both kinds scale. A count whose preview ends in an error (a
setting refused, or an update AWS would refuse) is reported with that error instead of figures: 49 is there because
prod's pipeline holds 49 functions at most (docs/benchmarks.md#previews-of-many-functions says why).

It also measures the SDK's floor, what one registration costs with nothing of this program in it, and says what the
largest count would take at that floor alone.

Each command runs in a fresh interpreter in that copy, interleaved with all the others so that machine noise falls
on all alike; figures are medians. CPU is user + system time of the whole process tree (the preview and its pack);
peak memory is the largest resident set of any one process in it.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
# What a copy needs to run the program and the pack: not the venv, the tests, the history.
_LEFT_OUT = shutil.ignore_patterns(".git", "venv", "tests", "bench", "docs", "__pycache__", ".pytest_cache")
TEMPLATE_FUNCTION = "api"
IMAGE_SIZE_MB = "57"  # a pushed image, so the rules that read its size and digest run as after a first `up`

# Runs one command; prints its wall time, the CPU time (user + sys) and largest RSS of its process tree (every
# descendant was waited for: the preview waits for its pack), its exit code and the resource count it printed.
_MEASURE = """
import re, resource, subprocess, sys, time
start = time.perf_counter()
finished = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
count = re.search(r"^Resources: (\\d+)", finished.stdout, re.M)
print(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, finished.returncode, count and count[1])
"""

# The program alone, as the mock engine runs it for the preview, with the same simulated account; no pack, no
# estimate. Counted as the preview counts (the stack itself included).
_PROGRAM_ALONE = """
import sys
from pathlib import Path
from aws_account.account import SimulatedCloud
from offline.engine import run_program
from offline.stack_config import load_stack_config
config = load_stack_config(Path.cwd(), sys.argv[1])
cloud = SimulatedCloud(region=config.values.get("aws:region", "us-east-1"),
                       image_size_bytes=round(float(sys.argv[2]) * 1_000_000))
print(f"Resources: {len(run_program(Path.cwd(), config, cloud).resources) + 1}")
"""


# The Pulumi SDK's own cost of a registration, the floor under any program: `count` alarms with literal inputs on a
# mock engine that answers at once, the collector set as the program sets it; milliseconds a resource.
_SDK_FLOOR = """
import sys, time
import pulumi, pulumi_aws as aws
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await
from policies.collector import collect_for_one_long_lived_heap
collect_for_one_long_lived_heap()

class Answers(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return [args.name + "-id", args.inputs]

    def call(self, args):
        return {}

pulumi.runtime.set_mocks(Answers(), preview=True)
count = int(sys.argv[1])

def program():
    for n in range(count):
        aws.cloudwatch.MetricAlarm(f"alarm-{n}", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
                                   metric_name="Errors", namespace="AWS/Lambda", period=60, statistic="Sum",
                                   threshold=1, dimensions={"FunctionName": "f", "Resource": "f:live"})

start = time.perf_counter()
_sync_await(run_pulumi_func(program))
print((time.perf_counter() - start) / count * 1000)
"""
FLOOR_RESOURCES = 1400


def sdk_floor_ms(runs: int) -> float:
    """The median of `runs` measurements of the SDK's cost of one registration (_SDK_FLOOR), in milliseconds."""
    return statistics.median(float(subprocess.run(
        [sys.executable, "-c", _SDK_FLOOR, str(FLOOR_RESOURCES)], cwd=PROJECT_DIR, capture_output=True, text=True,
        check=True, env=_ENVIRONMENT).stdout) for _ in range(runs))


def function_settings(index: int, stack: str) -> dict:
    """The generated settings of function number `index` (from 1): varied memory and traffic, every fourth one
    scheduled with no URL, all within what the settings and the pack's rules allow (offline, prod is still blocked
    because no scan vouches for its images, as for the project's own functions)."""
    own: dict = {"memoryMb": 1024 + 256 * (index % 4), "usageRequestsPerMonth": 10_000 * index}
    if index % 4 == 0:
        own.update({"schedule": "rate(1 hour)", "functionUrlAuthType": "OFF", "timeoutSeconds": 60,
                    "usageAverageDurationMs": 200})
    if stack == "prod":
        # The account's concurrency is shared: 50 functions at prod's 50 each would leave none unreserved.
        own["reservedConcurrency"] = 10
        if index % 4 != 0 and index % 3 == 1:
            own["provisionedConcurrency"] = 1
    return own


def function_name(index: int) -> str:
    return f"fn{index:02d}"


def make_project(into: Path, stack: str, count: int) -> Path:
    """A copy of the project with `count` functions sharing one image context, listed in Pulumi.<stack>.yaml."""
    copy = into / f"{stack}-{count}" / "lambdakit"
    shutil.copytree(PROJECT_DIR, copy, ignore=_LEFT_OUT)
    for folder in (copy / "functions").iterdir():
        if (folder / "Dockerfile").is_file():  # the project's own functions; scan-gate (no Dockerfile) stays
            shutil.rmtree(folder)
    for index in range(1, count + 1):
        shutil.copytree(PROJECT_DIR / "functions" / TEMPLATE_FUNCTION, copy / "functions" / function_name(index),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    stack_file = copy / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(stack_file.read_text())
    project = yaml.safe_load((copy / "Pulumi.yaml").read_text())["name"]
    settings = document["config"]
    settings[f"{project}:functions"] = {function_name(i): function_settings(i, stack) for i in range(1, count + 1)}
    if f"{project}:budgetMonthlyUsd" in settings:  # the stack's budget per function, so that N functions fit in it
        settings[f"{project}:budgetMonthlyUsd"] *= count
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    return copy


def commands(stack: str) -> dict[str, list[str]]:
    return {"program alone": [sys.executable, "-c", _PROGRAM_ALONE, stack, IMAGE_SIZE_MB],
            "whole preview": [sys.executable, "-m", "offline", "preview", "--stack", stack,
                              "--image-size-mb", IMAGE_SIZE_MB]}


class DidNotFinish(Exception):
    """The preview of a copy ended with an error (exit 2: a setting, or an update AWS would refuse)."""


# Bytecode is written, as on a developer's machine: the warm-up compiles each copy's modules once (this
# workplace's environment sets PYTHONDONTWRITEBYTECODE, which would compile the project's every module every run).
_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def measure(command: list[str], cwd: Path) -> dict:
    finished = subprocess.run([sys.executable, "-c", _MEASURE, *command], cwd=cwd, capture_output=True, text=True,
                              check=True, env=_ENVIRONMENT)
    seconds, cpu, peak_kb, code, count = finished.stdout.split()
    # 1 is a finished preview that the pack blocked; anything else is a preview that did not finish.
    if code not in ("0", "1") or count == "None":
        detail = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=_ENVIRONMENT).stderr
        last = detail.strip().splitlines()[-1].strip() if detail.strip() else f"exit {code}"
        raise DidNotFinish(re.sub(r"^[\w.]+(Refusal|Error): ", "", last))  # what the refusal says, not its class
    return {"wall_s": float(seconds), "cpu_s": float(cpu), "peak_rss_mb": int(peak_kb) / 1024,
            "resources": int(count)}


def summary(samples: list[dict]) -> dict:
    return {"wall_s": statistics.median(s["wall_s"] for s in samples),
            "cpu_s": statistics.median(s["cpu_s"] for s in samples),
            "peak_rss_mb": max(s["peak_rss_mb"] for s in samples),
            "resources": samples[0]["resources"], "runs": len(samples)}


def ratios(figures: dict) -> dict:
    """Per stack: each count's whole preview over its program alone, and the largest count that finished over the
    smallest."""
    result = {}
    for stack, by_count in figures.items():
        counts = sorted((n for n in by_count if "did not finish" not in by_count[n]), key=int)
        if len(counts) < 2:
            continue
        result[stack] = {
            "whole_over_program": {n: by_count[n]["whole preview"]["wall_s"] / by_count[n]["program alone"]["wall_s"]
                                   for n in counts},
            f"{counts[-1]}_over_{counts[0]}": {
                what: {key: by_count[counts[-1]][what][key] / by_count[counts[0]][what][key]
                       for key in ("wall_s", "cpu_s", "peak_rss_mb")} for what in ("program alone", "whole preview")}}
    return result


def _cell(figure: dict) -> str:
    return f"{figure['wall_s']:.2f} s, {figure['cpu_s']:.2f} s, {figure['peak_rss_mb']:.0f} MB"


def floor_line(figures: dict, floor_ms: float) -> str:
    """What the largest count that finished would take if each of its resources beyond the smallest count's cost only
    the SDK's floor: the least that many functions can take over one, whatever the program does."""
    lines = [f"\nThe SDK's floor: {floor_ms:.2f} ms a registration (median; {FLOOR_RESOURCES} alarms with literal "
             "inputs, a mock that answers at once)."]
    for stack, by_count in figures.items():
        counts = sorted((n for n in by_count if "did not finish" not in by_count[n]), key=int)
        if len(counts) < 2:
            continue
        least, most = by_count[counts[0]]["program alone"], by_count[counts[-1]]["program alone"]
        bound = least["wall_s"] + (most["resources"] - least["resources"]) * floor_ms / 1000
        lines.append(f"- {stack}: {counts[-1]} functions at the floor would take at least {bound:.2f} s, "
                     f"{bound / least['wall_s']:.2f}× the program of {counts[0]}; measured "
                     f"{most['wall_s'] / least['wall_s']:.2f}×")
    return "\n".join(lines)


def markdown(figures: dict, runs: int) -> str:
    lines = ["| stack | functions | resources | program alone: wall, CPU, peak | whole preview: wall, CPU, peak "
             "| whole / program (wall) |", "| --- | ---: | ---: | --- | --- | ---: |"]
    for stack, by_count in figures.items():
        for n in sorted(by_count, key=int):
            if "did not finish" in by_count[n]:
                lines.append(f"| {stack} | {n} | | did not finish: {by_count[n]['did not finish']} | | |")
                continue
            program, whole = by_count[n]["program alone"], by_count[n]["whole preview"]
            lines.append(f"| {stack} | {n} | {whole['resources']} | {_cell(program)} | {_cell(whole)} "
                         f"| {whole['wall_s'] / program['wall_s']:.2f} |")
    lines.append("")
    for stack, stack_ratios in ratios(figures).items():
        for key, by_what in stack_ratios.items():
            if key == "whole_over_program":
                continue
            most, least = key.split("_over_")
            for what, r in by_what.items():
                lines.append(f"- {stack}, {what}, {most} functions / {least}: wall {r['wall_s']:.2f}×, "
                             f"CPU {r['cpu_s']:.2f}×, peak memory {r['peak_rss_mb']:.2f}×")
    lines.append(f"\nMedians of {runs} runs each, interleaved; {Path(sys.executable).name} {sys.version.split()[0]}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 5, 20, 49, 50])
    parser.add_argument("--stacks", nargs="+", default=["dev", "prod"])
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    figures: dict = {stack: {} for stack in args.stacks}
    with tempfile.TemporaryDirectory(prefix="preview-scale-") as scratch:
        projects = {}
        for stack in args.stacks:
            for n in args.counts:
                copy = make_project(Path(scratch), stack, n)
                try:  # warm: bytecode compiled in each copy, files cached; a copy that cannot finish is left out
                    for command in commands(stack).values():
                        measure(command, copy)
                    projects[(stack, n)] = copy
                except DidNotFinish as error:
                    figures[stack][str(n)] = {"did not finish": str(error)}
        samples: dict[tuple, list[dict]] = {(stack, n, what): [] for stack, n in projects for what in commands(stack)}
        for run in range(args.runs):
            for (stack, n), copy in projects.items():
                for what, command in commands(stack).items():
                    samples[(stack, n, what)].append(measure(command, copy))
            print(f"run {run + 1} of {args.runs} done", file=sys.stderr)
    for (stack, n, what), values in samples.items():
        figures[stack].setdefault(str(n), {})[what] = summary(values)
    figures = {stack: dict(sorted(by_count.items(), key=lambda item: int(item[0])))
               for stack, by_count in figures.items()}
    floor = sdk_floor_ms(args.runs)
    print(markdown(figures, args.runs))
    print(floor_line(figures, floor))
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "ratios": ratios(figures), "sdk_floor_ms": floor},
                                        indent=2))


if __name__ == "__main__":
    main()
