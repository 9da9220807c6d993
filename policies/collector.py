"""Python's garbage collector set for a process that builds one large heap, keeps it to the end, then exits: the Pulumi
program (every resource's outputs live until it ends) and this policy pack (AnalyzeStack is handed every resource).

By default a full collection runs each time the objects that survived younger ones grow by a quarter, and scans the
whole heap: at 50 functions, twelve of them were 40 % of the program's time, and the last one, as the interpreter
exits, half a second more (docs/benchmarks.md, "Previews of many functions"). Young objects are still collected as
often as by default; full collections wait for a hundred times more of them; and at exit, what is left is frozen
first, since the process's end frees it anyway. Both set it as they start, in their own process (the program and
the pack each run in one of their own under the CLI), from this one module.
"""

import atexit
import gc
import sys

# Python's defaults are (700, 10, 10): the third is how many collections of the middle generation make a full one.
THRESHOLDS = (700, 10, 1000)


def collect_for_one_long_lived_heap() -> None:
    # Python 3.14's incremental collector has two generations, and reads the thresholds otherwise: measured on 3.11,
    # these are set only up to 3.13.
    if sys.version_info < (3, 14):
        gc.set_threshold(*THRESHOLDS)
    # atexit runs before the interpreter's last full collection, which then skips it all; once, however many runs
    # of the program one process makes (the tests').
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
