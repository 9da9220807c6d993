"""Time the release rehearsal of prod: one scenario, and all of them, each run in a fresh interpreter.

    venv/bin/python bench/rehearse.py [--runs 3]

Figures are medians of wall time; a scenario is a person's first `up`, then one commit through the pipeline (two
runs of the program on the simulated account and one policy-pack process), so the one-scenario figure is mostly that.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
COMMANDS = {
    "one scenario (clean-release)": ["--scenario", "clean-release"],
    "every scenario (--scenario all)": ["--scenario", "all"],
}


def seconds(arguments: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "offline", "rehearse", "--stack", "prod", *arguments], cwd=PROJECT_DIR,
                   stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each command, interleaved (default 3)")
    runs = parser.parse_args().runs
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, arguments in COMMANDS.items():
            times[name].append(seconds(arguments))
    one, every = (statistics.median(times[name]) for name in COMMANDS)
    print(f"rehearsal of prod, medians of {runs} runs:")
    print(f"  one scenario (clean-release)     {one:6.1f} s")
    print(f"  every scenario (--scenario all)  {every:6.1f} s  ({every / one:.1f}x one)")


if __name__ == "__main__":
    main()
