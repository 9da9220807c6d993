"""Time the monthly cost estimate of the prod plan: what the preview and the pack's stack-monthly-budget add.

    venv/bin/python bench/cost_estimate.py [--runs 201]

The plan comes from one offline run of the program and the pack (as the preview prices it); the estimate
(planned, on x86_64, at 10× and 100×, as the preview prints it) and the pack's single estimate are then timed
in this process. Figures are medians, with the preview's own median for scale (bench/preview.py).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from policies.cost.model import estimate, project  # noqa: E402  (the project folder is on the path now)
from policies.cost.prices import load_prices  # noqa: E402
from policies.cost.stack import stack_inputs  # noqa: E402
from offline.stack_config import load_stack_config  # noqa: E402


def prod_plan() -> list:
    """The prod plan as the pack's stack policies see it (the preview prices these), with the engine's property
    dependencies: a schedule reaches its function's alias by them."""
    from aws_account.account import SimulatedCloud
    from offline.cost_report import planned_resources
    from offline.engine import run_program
    from offline.policy_engine import PolicyPackProcess, analyze, configure

    config = load_stack_config(PROJECT_DIR, "prod")
    with PolicyPackProcess(PROJECT_DIR / "policies", config) as pack:
        run = run_program(PROJECT_DIR, config, SimulatedCloud(region=config.values["aws:region"],
                                                              image_size_bytes=57_000_000))
        configure(pack.analyzer, config, {}, {})
        return planned_resources(run, analyze(pack.analyzer, run, config))


def median_ms(call, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=201)
    runs = parser.parse_args().runs
    resources = prod_plan()
    config = load_stack_config(PROJECT_DIR, "prod")
    usage, prices = stack_inputs(config.values.get, config.project, {})
    single = median_ms(lambda: estimate(resources, usage, prices), runs)
    projection = median_ms(lambda: project(resources, usage, prices), runs)
    load = median_ms(lambda: load_prices("eu-west-1"), runs)
    print(f"prod plan: {len(resources)} resources (as the pack sees them); median of {runs} runs")
    print(f"  one estimate (the pack's)                 {single:7.2f} ms")
    print(f"  projection (the preview's: 4 estimates)   {projection:7.2f} ms  ({projection / single:.1f}x one)")
    print(f"  reading prices.json                       {load:7.2f} ms")


if __name__ == "__main__":
    main()
