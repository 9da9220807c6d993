"""The warnings pytest.ini silences are exactly the ones the pinned packages raise while the program runs, and no
more: a test run ends without a wall of them, and a new one is seen."""

import configparser
import json
import re
import subprocess
import sys

from tests.conftest import PROJECT_DIR


def _program_warnings() -> list[tuple[str, str]]:
    """(category, message) of every warning the program raises when it runs (pulumi-aws loads a service's modules,
    and warns about their deprecated classes, when the engine first meets one of its resources), in a fresh
    interpreter."""
    script = ("import json, warnings\nwith warnings.catch_warnings(record=True) as seen:\n"
              "    warnings.simplefilter('always')\n    from tests.conftest import run_stack\n"
              "    run_stack('dev'); run_stack('prod')\n"
              "print(json.dumps(sorted({(w.category.__name__, str(w.message)) for w in seen})))")
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300,
                           cwd=PROJECT_DIR)
    return [tuple(pair) for pair in json.loads(found.stdout.splitlines()[-1])]


def _ignored() -> list[tuple[str, str]]:
    ini = configparser.ConfigParser()
    ini.read(PROJECT_DIR / "pytest.ini")
    lines = [line.strip() for line in ini["pytest"]["filterwarnings"].splitlines()]
    return [(category, message) for line in lines if line and not line.startswith("#")
            for action, message, category in [line.split(":", 2)] if action == "ignore"]


def test_every_warning_the_program_raises_is_silenced_by_a_filter_that_names_it():
    warnings = _program_warnings()
    filters = _ignored()
    assert [w for w in warnings if not any(c == w[0] and re.match(m, w[1]) for c, m in filters)] == []
    assert [f for f in filters if not any(f[0] == c and re.match(f[1], m) for c, m in warnings)] == []
