"""The collector set for one large, long-lived heap (policies/collector.py): young garbage is still collected without
anyone asking, a heap that grows and stays costs no full collection, and the program sets it when it runs."""

import subprocess
import sys
import textwrap

from policies.collector import THRESHOLDS
from tests.conftest import PROJECT_DIR

_GROW_AND_DROP = textwrap.dedent("""
    import gc, weakref
    from policies.collector import collect_for_one_long_lived_heap
    {setting}
    full = gc.get_stats()[2]["collections"]
    kept = [{{"n": n, "children": [n]}} for n in range(400_000)]  # what a program holds to its end
    class Cycle:
        pass
    collected = []
    cycle = Cycle(); cycle.me = cycle
    weakref.finalize(cycle, collected.append, True)
    del cycle
    churn = [[n] for n in range(100_000)]  # young objects: enough for the young collections to run
    print(gc.get_stats()[2]["collections"] - full, collected == [True])
""")


def _run(setting: str) -> tuple[int, bool]:
    finished = subprocess.run([sys.executable, "-c", _GROW_AND_DROP.format(setting=setting)], cwd=PROJECT_DIR,
                              capture_output=True, text=True, check=True)
    full_collections, cycle_collected = finished.stdout.split()
    return int(full_collections), cycle_collected == "True"


def test_a_growing_heap_costs_no_full_collection_and_young_garbage_still_goes():
    assert _run("pass")[0] > 0  # Python's defaults: full collections while the heap grows
    assert _run("collect_for_one_long_lived_heap()") == (0, True)


def test_the_program_sets_it_when_it_runs(dev_run):
    import gc
    assert dev_run.resources and gc.get_threshold() == THRESHOLDS
