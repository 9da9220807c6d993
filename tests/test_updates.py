"""The program across several `pulumi up`s of one stack, against one simulated account that keeps
what each update left and refuses what AWS refuses."""

import shutil

import pytest

from aws_account.account import SimulatedCloud
from tests.conftest import PROJECT_DIR, PUSHED_IMAGE_BYTES, run_stack



@pytest.fixture
def account() -> SimulatedCloud:
    return SimulatedCloud(region="eu-west-1", image_size_bytes=PUSHED_IMAGE_BYTES)


@pytest.fixture
def checkout(tmp_path):
    """A second checkout of the program (all but what only develops it), whose files can be changed."""
    target = tmp_path / "lambdakit"
    shutil.copytree(PROJECT_DIR, target, ignore=shutil.ignore_patterns(
        ".git", "venv", "tests", "bench", "__pycache__", ".pytest_cache"))
    (target / "functions" / "api" / "app.py").chmod(0o644)
    return target


FUNCTIONS = ("api", "worker")


def _pushed(account, run, name: str = "api") -> dict[str, str]:
    """The tags in the repository of function `name`."""
    return account.repositories[run.under(name).one("aws:ecr/repository:Repository").state["name"]].tags


def _image(run, name: str = "api") -> str:
    return run.exports["functions"][name]["imageUri"]


def test_a_second_up_with_nothing_changed_builds_and_pushes_nothing(account):
    first, second = run_stack("prod", cloud=account), run_stack("prod", cloud=account)
    for name in FUNCTIONS:
        assert len(_pushed(account, second, name)) == 1, name
        assert _image(second, name) == _image(first, name), name


# prod without its pipeline: every `up` builds here, as a stack without one does.
BUILT_HERE = {"pipelineRepository": ""}


def test_a_checkout_under_another_umask_pushes_a_new_tag_into_the_immutable_repository(account, checkout):
    """pulumi-docker hashes file modes: a group-writable app.py (umask 002) is a rebuild, and the
    rebuilt image has a new digest. Under the same tag, prod's IMMUTABLE repository would refuse it."""
    first = run_stack("prod", BUILT_HERE, cloud=account, project_dir=checkout)
    (checkout / "functions" / "api" / "app.py").chmod(0o664)
    second = run_stack("prod", BUILT_HERE, cloud=account, project_dir=checkout)
    assert _image(second) != _image(first)
    assert len(_pushed(account, second)) == 2  # the first image keeps its tag, for a rollback


def test_arm64_and_x86_64_builds_of_the_same_files_never_share_a_tag(account):
    arm = run_stack("prod", BUILT_HERE, cloud=account)
    x86 = run_stack("prod", {**BUILT_HERE, "architecture": "x86_64"}, cloud=account)
    for name in FUNCTIONS:
        assert x86.under(name).one("docker:index/image:Image").inputs["build"]["platform"] == "linux/amd64"
        assert _image(x86, name) != _image(arm, name), name
        assert len(_pushed(account, x86, name)) == 2, name


def test_a_change_to_one_functions_files_rebuilds_that_function_alone(account, checkout):
    """Each function is built from its own folder into its own repository: editing the worker pushes a new worker
    image and leaves the api's image, tags and function as they were."""
    first = run_stack("prod", BUILT_HERE, cloud=account, project_dir=checkout)
    app = checkout / "functions" / "worker" / "app.py"
    app.write_text(app.read_text() + "\n# changed\n")
    second = run_stack("prod", BUILT_HERE, cloud=account, project_dir=checkout)
    assert _image(second, "worker") != _image(first, "worker")
    assert len(_pushed(account, second, "worker")) == 2
    assert _image(second, "api") == _image(first, "api")
    assert len(_pushed(account, second, "api")) == 1
    assert second.exports["functions"]["api"]["functionVersion"] == first.exports["functions"]["api"][
        "functionVersion"]


def _function_name(run) -> str:
    return run.under("api").one("aws:lambda/function:Function").state["name"]


def test_a_public_url_has_each_public_grant_once(account):
    run = run_stack("dev", cloud=account)
    statements = account.public_statements(_function_name(run))
    assert sorted((s["Sid"], s["Action"]) for s in statements) == [
        ("FunctionURLAllowInvokeAction", "lambda:InvokeFunction"),
        ("FunctionURLAllowPublicAccess", "lambda:InvokeFunctionUrl")]


def test_switching_a_public_url_to_aws_iam_leaves_no_public_statement(account):
    run_stack("dev", cloud=account)
    signed = run_stack("dev", {"functionUrlAuthType": "AWS_IAM"}, cloud=account)
    assert signed.one("aws:lambda/functionUrl:FunctionUrl").inputs["authorizationType"] == "AWS_IAM"
    assert account.public_statements(_function_name(signed)) == []


def test_switching_back_to_a_public_url_grants_it_again(account):
    """The provider adds its grants only when it creates a NONE URL, not when one switches to NONE."""
    run_stack("dev", {"functionUrlAuthType": "AWS_IAM"}, cloud=account)
    public = run_stack("dev", cloud=account)
    assert len(account.public_statements(_function_name(public))) == 2
