"""The plans the hand-computed estimates are checked against (test_hand_computation.py): each stack's resources as
the pack's stack policies see them (what the preview prices), with the settings the estimate reads.

    venv/bin/python -m tests.policies.cost.plans prod dev     # rewrites tests/policies/cost/data/<stack>.json

A plan is captured, not made on each test run, so that the hand computation it is checked against names every line
of it: a change to the program that adds or removes a billed resource is re-captured here, and the hand computation
is written again for it (the test says which lines it lacks).
"""

import json
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[3]
DATA = Path(__file__).with_name("data")
IMAGE_SIZE_BYTES = 57_000_000  # as `--image-size-mb 57`: the image as pushed
# What the estimate reads of a stack's configuration.
ESTIMATE_SETTINGS = ("aws:region", "lambdakit:functions", "lambdakit:app")


def capture(stack: str) -> dict:
    from aws_account.account import SimulatedCloud
    from offline.cost_report import planned_resources
    from offline.engine import run_program
    from offline.policy_engine import PolicyPackProcess, analyze, configure
    from offline.stack_config import load_stack_config

    config = load_stack_config(PROJECT_DIR, stack)
    with PolicyPackProcess(PROJECT_DIR / "policies", config) as pack:
        run = run_program(PROJECT_DIR, config, SimulatedCloud(region=config.values["aws:region"],
                                                              image_size_bytes=IMAGE_SIZE_BYTES))
        configure(pack.analyzer, config, {}, {})
        report = analyze(pack.analyzer, run, config)
    resources = [{"type": r.type, "name": r.name, "urn": r.urn, "props": r.props, "links": r.links}
                 for r in planned_resources(run, report) if r.type.split(":", 1)[0] in ("aws", "docker")]
    settings = {key: value for key, value in config.values.items()
                if key in ESTIMATE_SETTINGS or key.startswith(f"{config.project}:usage")}
    return {"project": config.project, "stack": stack, "settings": settings, "resources": resources}


def main(stacks: list[str]) -> None:
    sys.path.insert(0, str(PROJECT_DIR))
    DATA.mkdir(exist_ok=True)
    for stack in stacks:
        path = DATA / f"{stack}.json"
        path.write_text(json.dumps(capture(stack), indent=1, sort_keys=True) + "\n")
        print(f"{path}: {len(json.loads(path.read_text())['resources'])} resources")


if __name__ == "__main__":
    main(sys.argv[1:] or ["prod", "dev"])
