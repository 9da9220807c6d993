"""What the README promises a user about exit codes holds: GNU make ends any failed recipe with 2, so no `make` line
may claim another code, and scripts are pointed at the module commands, whose codes are the documented ones."""

import re
import subprocess

from tests.conftest import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text()
_EXIT_CLAIM = re.compile(r"#\s*([0-9]:|.*\bexit [0-9])")  # "# 1: blocked", "# blocked, exit 1"


def _command_lines(prefix: str) -> list[str]:
    """The README's indented command lines (code) that start with `prefix`."""
    return [line.strip() for line in README.splitlines() if line.startswith("    ") and line.strip().startswith(prefix)]


def test_no_make_line_claims_an_exit_code():
    assert [line for line in _command_lines("make ") if _EXIT_CLAIM.search(line)] == []


def test_every_exit_code_claimed_is_a_module_commands_own():
    claimed = [line for line in _command_lines("venv/bin/python -m ") if _EXIT_CLAIM.search(line)]
    assert claimed, "the README shows what the module commands exit with"
    assert "### Exit codes in scripts" in README


def test_make_turns_a_failing_commands_code_into_2(tmp_path):
    """Why the README says so: the recipe exits 1, make exits 2."""
    (tmp_path / "Makefile").write_text("fail:\n\t@exit 1\n")
    assert subprocess.run(["make", "-s", "fail"], cwd=tmp_path, capture_output=True).returncode == 2
