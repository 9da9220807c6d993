"""The image's Python: every extension module kept imports, what the standard library left out is gone, and every
standard module the function's code and its dependencies import is there, so a handler that needs a module the
image left out fails here, not on Lambda."""

import pytest

from tests.conftest import PROJECT_DIR
from tests.functions.image_contents import (code_files, failed_imports, host_failed_imports, imported_modules,
                                            run_python, standard_closure, standard_modules, standard_modules_used)

# What docs/function.md says the image leaves out; each must be gone, or the list is wrong.
LEFT_OUT = ["tkinter", "idlelib", "turtle", "turtledemo", "lib2to3", "ensurepip", "venv", "pydoc_data", "curses",
            "readline", "dbm.gnu", "dbm.ndbm", "nis", "crypt", "ossaudiodev", "test", "_testcapi", "pip"]
# Kept on purpose, though this function does not import them: what handlers commonly need.
KEPT = ["ssl", "hashlib", "sqlite3", "decimal", "lzma", "bz2", "zlib", "ctypes", "uuid", "asyncio", "multiprocessing",
        "concurrent.futures", "urllib.request", "http.client", "email", "xml.etree.ElementTree", "zoneinfo", "csv",
        "unittest.mock", "dbm", "pydoc", "encodings.idna", "encodings.cp932"]

_EXTENSION_MODULES = """
import importlib, json, pathlib, sys, sysconfig
stdlib = pathlib.Path(sysconfig.get_path("stdlib"))
found = {p.name.split(".")[0]: p for p in (stdlib / "lib-dynload").glob("*.so")}
found |= {".".join(p.relative_to("/opt/deps").with_suffix("").with_suffix("").parts): p
          for p in pathlib.Path("/opt/deps").rglob("*.so")}
failed = {}
for name in found:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = repr(error)
print(json.dumps({"found": sorted(found), "failed": failed}))
"""


def test_every_extension_module_kept_imports(function_image):
    """Each one's shared libraries are in the image (ldd found them in the builder; this proves it)."""
    result = run_python(function_image, _EXTENSION_MODULES)
    assert result["failed"] == {}
    assert {"_ssl", "_hashlib", "_ctypes", "_sqlite3", "_lzma", "_bz2", "runtime_client",
            "simplejson._speedups"} <= set(result["found"])
    assert len(result["found"]) > 25


def test_what_the_image_leaves_out_is_gone(function_image):
    assert set(failed_imports(function_image, set(LEFT_OUT))) == set(LEFT_OUT)


def test_what_the_image_keeps_for_handlers_imports(function_image):
    assert failed_imports(function_image, set(KEPT)) == {}


def test_the_standard_modules_the_function_and_its_dependencies_import_are_there(function_image):
    """The function's code and the runtime interface client (with simplejson and snapshot-restore-py), walked."""
    used = standard_modules_used(code_files(function_image))
    assert {"json", "logging", "base64", "datetime", "typing", "multiprocessing", "decimal",
            "traceback", "socket"} <= used  # the walk reached both the handler and the runtime client
    assert failed_imports(function_image, used) == {}


def test_and_every_standard_module_those_import_in_turn_even_lazily(function_image):
    """Walked through the standard library itself, down to imports inside functions (a formatter, a traceback, a
    child process), so no call the function makes reaches a module the image left out. Modules of other platforms
    (which fail on this host too) are no concern; readline's one unguarded import is in cmd.Cmd.complete, readline's
    own completion hook, which runs only where readline is."""
    closure = standard_closure(standard_modules_used(code_files(function_image)))
    assert len(closure) > 150
    needed = closure - set(host_failed_imports(closure))
    assert set(failed_imports(function_image, needed)) <= {"readline"}


def test_every_container_functions_code_finds_its_standard_modules(function_image):
    """Every function folder with a Dockerfile builds this same image (test_dockerfiles.py), so this image's
    standard library is theirs: each function's own code is walked against it."""
    sources = {str(path): path.read_text() for path in PROJECT_DIR.glob("functions/*/*.py")
               if (path.parent / "Dockerfile").is_file()}
    assert any(path.endswith("api/app.py") for path in sources)
    assert failed_imports(function_image, standard_modules_used(sources)) == {}


@pytest.mark.parametrize("handler, missing", [
    ("import curses\n", {"curses"}),
    ("def handler(event, context):\n    from tkinter import Tk\n    return Tk\n", {"tkinter"}),
    ("import json\nfrom lib2to3 import pytree\n", {"lib2to3", "lib2to3.pytree"}),
], ids=["curses at import", "tkinter in a route", "lib2to3 beside json"])
def test_a_handler_that_needs_a_module_the_image_left_out_fails_here(function_image, handler, missing):
    assert set(failed_imports(function_image, standard_modules(imported_modules(handler)))) == missing


def test_an_import_the_code_made_optional_is_not_required():
    source = "try:\n    import readline\nexcept ImportError:\n    readline = None\nimport json\n"
    assert standard_modules(imported_modules(source)) == {"json"}


def test_a_name_imported_from_a_module_is_not_taken_for_a_module():
    assert standard_modules(imported_modules("from typing import Any\nfrom concurrent import futures\n")) == \
        {"typing", "concurrent", "concurrent.futures"}


def test_python_runs_in_utf8_mode(function_image):
    """The image has no locales, so the one Lambda names in LANG is missing; text I/O is UTF-8 all the same by
    Python's UTF-8 mode, which the Dockerfile sets."""
    found = run_python(function_image, "import json, locale, sys; print(json.dumps([sys.flags.utf8_mode, "
                                       "sys.stdout.encoding, locale.getpreferredencoding()]))",
                       options=("--env=LANG=en_US.UTF-8",))
    assert found[0] == 1 and {found[1].lower(), found[2].lower()} == {"utf-8"}

