"""What a function's image holds, read without running anything in it (its layers, as `docker save` writes them),
and what its interpreter can import, asked of the image's own python3 (it has no shell).

The standard modules a function needs are found by walking the imports of its code and of the dependencies the
image ships: every `import` and `from ... import`, at any depth (a route's lazy import counts), except those inside
a `try` that catches ImportError, which the code has already made optional, and those of a script's main block.
"""

import ast
import importlib.util
import json
import subprocess
import sys
import tarfile
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path, PurePosixPath

from local_lambda import images as local_images

_OPTIONAL_IMPORT_GUARDS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def image_files(image: str) -> dict[str, tuple[tarfile.TarInfo, bytes | None]]:
    """Every path of the image, without a leading slash, with its tar header and, for the files a test reads
    (sources, bytecode, the scanner's files), its content. Later layers win; the images tested here have one."""
    return _image_files(local_images.image_id(image))  # by id: a tag rebuilt is another image


@lru_cache(maxsize=None)
def _image_files(image: str) -> dict[str, tuple[tarfile.TarInfo, bytes | None]]:
    files: dict[str, tuple[tarfile.TarInfo, bytes | None]] = {}
    with tempfile.TemporaryDirectory(prefix="lambdakit-layers-") as workdir:
        archive = Path(workdir) / "image.tar"
        local_images.docker("save", "--output", str(archive), image)
        with tarfile.open(archive) as saved:
            [manifest] = json.load(saved.extractfile("manifest.json"))
            for layer_name in manifest["Layers"]:
                with tarfile.open(fileobj=saved.extractfile(layer_name)) as layer:
                    for member in layer:
                        wanted = member.isfile() and _worth_reading(member.name)
                        files[member.name.rstrip("/")] = (member, layer.extractfile(member).read() if wanted else None)
    return files


def _worth_reading(name: str) -> bool:
    return name.endswith((".py", ".pyc", "/status", "os-release"))


def layer_count(image: str) -> int:
    return len(json.loads(local_images.docker("image", "inspect", "--format", "{{json .RootFS.Layers}}",
                                              image).stdout))


def run_python(image: str, script: str, *args: str, options: tuple[str, ...] = ()):
    """`script` run by the image's python3 as the image's user, with no network; its JSON answer on stdout."""
    result = local_images.docker("run", "--rm", "--network=none", *options, "--entrypoint", "python3", image,
                                 "-c", script, *args, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


_IMPORT_EACH = """
import importlib, json, sys
failed = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = f"{type(error).__name__}: {error}"
print(json.dumps(failed))
"""


def failed_imports(image: str, modules: set[str]) -> dict[str, str]:
    """The modules the image's python3 cannot import, each with its error."""
    return run_python(image, _IMPORT_EACH, *sorted(modules))


def _is_main_block(node: ast.AST) -> bool:
    """`if __name__ == "__main__":`, which runs only when the file is a script."""
    test = getattr(node, "test", None)
    return (isinstance(node, ast.If) and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and any(isinstance(c, ast.Constant) and c.value == "__main__"
                                                   for c in test.comparators))


def host_failed_imports(modules: set[str]) -> dict[str, str]:
    """The same question asked of this host's Python, in a process of its own (an import may have side effects)."""
    result = subprocess.run([sys.executable, "-c", _IMPORT_EACH, *sorted(modules)], capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout)


def _optional(tree: ast.AST) -> set[int]:
    """ids of the statements inside a `try` whose handlers catch an ImportError, or in a script's main block."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if _is_main_block(node):
            guarded |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
        if not isinstance(node, ast.Try):
            continue
        caught = set()
        for handler in node.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            caught |= {"BaseException" if kind is None else getattr(kind, "id", getattr(kind, "attr", ""))
                       for kind in kinds}
        if caught & _OPTIONAL_IMPORT_GUARDS:
            guarded |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
    return guarded


def imported_modules(source: str, package: str = "") -> set[str]:
    """Absolute names of the modules a Python source imports unconditionally; its relative imports are resolved
    in `package` (the module's own package), or left out without one."""
    tree = ast.parse(source)
    optional = _optional(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module
            elif package and node.level <= package.count(".") + 1:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{node.module}" if node.module else parent
            else:
                continue
            names.add(base)
            # `from concurrent import futures`: the name may be a module of its own
            names |= {f"{base}.{alias.name}" for alias in node.names if alias.name != "*"}
    return names


def standard_modules(names: set[str]) -> set[str]:
    """Those of `names` that are modules of the standard library this host's Python has (a name another platform's
    code imports, e.g. `msvcrt`, or a `from x import function`, is not)."""
    found = set()
    for name in names:
        if name.partition(".")[0] not in sys.stdlib_module_names:
            continue
        try:
            with warnings.catch_warnings():  # finding `lib2to3.pytree` imports lib2to3 here, which warns it is old
                warnings.simplefilter("ignore", DeprecationWarning)
                if importlib.util.find_spec(name) is not None:
                    found.add(name)
        except (ImportError, ValueError):  # a parent that is no package: `from os import path` is os's attribute
            continue
    return found


def code_files(image: str) -> dict[str, str]:
    """The Python sources a function runs from its image: its code and the dependencies shipped with it, less their
    tests, which nothing imports at run time."""
    return {path: content.decode() for path, (member, content) in image_files(image).items()
            if path.startswith(("var/task/", "opt/deps/")) and path.endswith(".py") and content is not None
            and not {"test", "tests"} & set(PurePosixPath(path).parts)}


def standard_modules_used(sources: dict[str, str]) -> set[str]:
    return standard_modules(set().union(*(imported_modules(source) for source in sources.values())))


def standard_closure(modules: set[str]) -> set[str]:
    """`modules` and every standard module their sources import, at any depth and lazily too, walked through this
    host's standard library (the same Python minor version as the tests' image)."""
    found, waiting = set(), list(modules)
    while waiting:
        name = waiting.pop()
        if name in found:
            continue
        found.add(name)
        spec = importlib.util.find_spec(name)
        if spec is None or not (spec.origin or "").endswith(".py"):
            continue  # built in, or an extension module: it imports nothing a walk could see
        package = name if spec.submodule_search_locations is not None else spec.parent
        waiting += standard_modules(imported_modules(Path(spec.origin).read_text(), package)) - found
    return found
