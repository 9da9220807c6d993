"""A user's own stack file (Pulumi.alice.yaml beside dev and prod) breaks no test: the tests that list or read the
stack files run in a copy of the project that has one."""

import shutil
import subprocess
import sys

from tests.conftest import PROJECT_DIR

# The tests that read the folder's stack files: the unknown-stack message, the stack files' schema, their loading.
_STACK_FILE_TESTS = ["tests/offline/test_preview.py::test_an_unknown_stack_is_named", "tests/test_project_file.py",
                     "tests/offline/test_stack_config.py"]


def test_the_tests_that_read_stack_files_pass_with_a_users_own_stack(tmp_path):
    copy = tmp_path / "lambdakit"
    shutil.copytree(PROJECT_DIR, copy, ignore=shutil.ignore_patterns(".git", "venv", "__pycache__", ".pytest_cache"))
    shutil.copy(copy / "Pulumi.dev.yaml", copy / "Pulumi.alice.yaml")
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *_STACK_FILE_TESTS],
                         cwd=copy, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout[-3000:]
