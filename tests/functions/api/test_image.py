"""The function's real image, built with Docker from its Dockerfile and run through its entrypoint; and what the
image holds: a Python and what the function runs, no shell, no package manager, no other program."""

import json
import re
import stat
from pathlib import PurePosixPath

import pytest

from local_lambda import images as local_images
from tests.functions.api.cases import CASES, assert_answer, url_request
from tests.functions.image_contents import image_files, layer_count, run_python

USER = "10001:10001"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_request_through_the_container(container, case):
    api, _ = container
    answer = api.invoke(case.event, timeout=60)
    assert answer.outcome == "response"
    assert_answer(case, answer.payload)


def test_a_big_body_comes_back_whole(container):
    api, _ = container
    items = [{"n": n, "text": "x" * 100} for n in range(4000)]  # ~0.5 MB of JSON, near a function URL's 6 MB cap
    answer = api.invoke(url_request("POST", "/", json.dumps({"items": items})), timeout=60)
    assert answer.payload["statusCode"] == 200
    assert json.loads(answer.payload["body"])["echo"] == {"items": items}


def test_info_inside_the_container_comes_from_its_lambda_environment(container):
    api, _ = container
    answer = api.invoke(url_request("GET", "/info"), timeout=60)
    assert json.loads(answer.payload["body"]) == {
        "functionName": "lambdakit-test-api", "functionVersion": "7", "memoryLimitMb": 1024,
        "environment": "test", "logLevel": "DEBUG", "requestId": answer.request_id}


def test_the_container_logs_json_lines_to_stdout(container):
    api, started = container
    answer = api.invoke(url_request("GET", "/health"), timeout=60)
    lines = [json.loads(line) for line in local_images.docker("logs", started).stdout.splitlines()
             if line.startswith("{")]
    [entry] = [line for line in lines if line.get("requestId") == answer.request_id]
    assert (entry["level"], entry["path"], entry["status"], entry["coldStart"]) == ("INFO", "/health", 200, False)


def test_entrypoint_is_the_runtime_interface_client(function_image):
    config = json.loads(local_images.docker("image", "inspect", "--format", "{{json .Config}}", function_image).stdout)
    assert (config["Entrypoint"], config["Cmd"]) == (["python3", "-m", "awslambdaric"], ["app.handler"])


# --- The user ------------------------------------------------------------------------------------------------------

def test_runs_as_a_non_root_user_that_has_a_name(function_image):
    assert local_images.docker("image", "inspect", "--format", "{{.Config.User}}", function_image).stdout.strip() \
        == USER
    who = run_python(function_image, "import getpass, json, os; print(json.dumps([os.getuid(), os.getgid(), "
                                     "getpass.getuser()]))")
    assert who == [10001, 10001, "lambda"]


def test_only_tmp_is_writable_by_the_user(function_image):
    """As on Lambda, where /tmp is the only writable place: here even without --read-only, the user owns nothing."""
    tried = run_python(function_image, """
import json, os, tempfile
result = {}
for folder in ("/tmp", "/var/task", "/opt/deps", "/etc", "/"):
    try:
        with tempfile.NamedTemporaryFile(dir=folder):
            result[folder] = "written"
    except PermissionError:
        result[folder] = "refused"
print(json.dumps(result))""")
    assert tried == {"/tmp": "written", "/var/task": "refused", "/opt/deps": "refused", "/etc": "refused",
                     "/": "refused"}
    tmp = image_files(function_image)["tmp"][0]
    assert stat.S_IMODE(tmp.mode) == 0o1777  # sticky: one user cannot remove another's files
    assert all(member.uid == 0 and not member.mode & stat.S_IWOTH
               for path, (member, _) in image_files(function_image).items() if path != "tmp" and not member.issym())


# --- No shell, no package manager, no program but python --------------------------------------------------------

def test_there_is_no_shell(function_image):
    started = local_images.docker("run", "--rm", "--entrypoint", "/bin/sh", function_image, "-c", "true", check=False)
    assert started.returncode != 0 and "no such file" in started.stderr.lower()
    names = {PurePosixPath(path).name for path in image_files(function_image)}
    assert not names & {"sh", "bash", "dash", "busybox", "env", "su", "login"}


@pytest.mark.parametrize("tool", ["apt", "apt-get", "dpkg", "pip", "pip3", "perl", "gcc", "cc", "make", "ldconfig"])
def test_no_package_manager_or_tool(function_image, tool):
    assert tool not in {PurePosixPath(path).name for path, (member, _) in image_files(function_image).items()
                        if not member.isdir()}


def test_the_only_program_is_the_python_interpreter(function_image):
    """Every file that may be executed is the interpreter or a shared library (which the loader maps, never runs)."""
    executable = {path for path, (member, _) in image_files(function_image).items()
                  if member.isfile() and member.mode & 0o111}
    programs = {path for path in executable if ".so" not in PurePosixPath(path).name}
    assert len(programs) == 1 and re.fullmatch(r"usr/(local/)?bin/python3\.\d+", programs.pop())
    assert run_python(function_image, "import json; print(json.dumps(__import__('shutil').which('pip')))") is None


def test_the_final_stage_is_one_layer(function_image):
    """Nothing under it: no base image's files, deleted or not, travel with the image."""
    assert layer_count(function_image) == 1


# --- What the interpreter has --------------------------------------------------------------------------------------

def test_only_the_code_and_its_bytecode_are_in_the_task_root(function_image):
    files = {path.removeprefix("var/task/") for path, (member, _) in image_files(function_image).items()
             if path.startswith("var/task/") and member.isfile()}
    assert "app.py" in files
    assert any(re.fullmatch(r"__pycache__/app\.cpython-\d+\.pyc", f) for f in files)
    assert all(f.endswith(".py") or f.startswith("__pycache__/") for f in files)


def test_every_python_file_has_bytecode_that_never_looks_at_its_source(function_image):
    """Lambda's filesystem is read-only: a module whose .pyc is missing or stale is compiled on every cold start.
    Flags 1 in a .pyc's header: hash-based and unchecked, valid whatever the files' timestamps."""
    files = image_files(function_image)
    [interpreter] = [p for p, (m, _) in files.items() if re.fullmatch(r"usr/(local/)?bin/python3\.\d+", p)]
    tag = "cpython-" + interpreter.rsplit("python", 1)[1].replace(".", "")
    sources = [p for p in files if p.endswith(".py")]
    assert len(sources) > 500  # the standard library is there
    flags = {}
    for source in sources:
        folder, name = source.rsplit("/", 1)
        compiled = files.get(f"{folder}/__pycache__/{name[:-3]}.{tag}.pyc")
        flags[source] = None if compiled is None else int.from_bytes(compiled[1][4:8], "little")
    assert {source: flag for source, flag in flags.items() if flag != 1} == {}


def test_ca_certificates_are_where_openssl_looks(function_image):
    found = run_python(function_image, "import json, ssl; print(json.dumps(ssl.create_default_context()"
                                       ".cert_store_stats()))")
    assert found["x509_ca"] > 100


def test_it_names_its_distribution_and_only_the_packages_whose_files_it_holds(function_image):
    """ECR cannot scan an image with no known operating system (UNSUPPORTED_IMAGE, and the scan gate refuses it), so
    the image keeps os-release and dpkg's status file, with the packages of the libraries it holds, and no other."""
    files = image_files(function_image)
    os_release = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', files["usr/lib/os-release"][1].decode(), re.MULTILINE))
    assert os_release["ID"] == "debian"
    stanzas = files["var/lib/dpkg/status"][1].decode().strip().split("\n\n")
    packages = {re.search(r"^Package: (\S+)$", s, re.MULTILINE)[1]: s for s in stanzas}
    assert all("\nStatus: install ok installed\n" in s for s in stanzas)
    assert {"libc6", "libssl3", "ca-certificates", "libstdc++6"} <= set(packages) and len(packages) <= 20
    never_run = {"bash", "dash", "coreutils", "apt", "dpkg", "perl-base", "debianutils", "util-linux", "login",
                 "passwd", "tar", "gzip", "sed", "grep", "findutils", "libncursesw6", "libtinfo6", "libreadline8",
                 "libgdbm6", "libdb5.3", "libnsl2", "libtirpc3", "libcrypt1", "tzdata", "python3-pip"}
    assert not never_run & set(packages)
