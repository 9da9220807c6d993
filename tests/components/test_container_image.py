"""ContainerImage: repository guarantees, the content tag, and who may pull."""

import json
import shutil
from pathlib import Path

import pytest

from aws_account.ecr import pulumi_docker_context_digest
from components.container_image import content_tag
from tests.conftest import PROJECT_DIR


FUNCTIONS = ("api", "worker")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_repository_scans_on_push_and_encrypts_with_kms(any_stack_run, name):
    repository = any_stack_run.under(name).one("aws:ecr/repository:Repository").inputs
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["encryptionConfigurations"] == [{"encryptionType": "KMS"}]


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("stack, untagged_days, keep", [("dev", 1, 5), ("prod", 7, 20)])
def test_lifecycle_expires_untagged_and_keeps_the_last_images(request, stack, untagged_days, keep, name):
    run = request.getfixturevalue(f"{stack}_run").under(name)
    policy = run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs
    assert policy["repository"] == run.one("aws:ecr/repository:Repository").state["name"]
    rules = sorted(json.loads(policy["policy"])["rules"], key=lambda r: r["rulePriority"])
    assert [r["selection"] for r in rules] == [
        {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": untagged_days},
        {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
    ]
    assert all(r["action"] == {"type": "expire"} for r in rules)
    # ECR refuses a policy whose `any` rule is not the last one evaluated.
    assert rules[-1]["selection"]["tagStatus"] == "any"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_only_this_stacks_function_may_pull(any_stack_run, name):
    """Each repository lets its own function pull, not the stack's other functions."""
    policy = json.loads(any_stack_run.under(name).one("aws:ecr/repositoryPolicy:RepositoryPolicy").inputs["policy"])
    [statement] = policy["Statement"]
    function_name = any_stack_run.under(name).one("aws:lambda/function:Function").inputs["name"]
    arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{function_name}"
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Action"] == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert statement["Condition"] == {"StringLike": {"aws:sourceArn": [arn, f"{arn}:*"]}}


@pytest.mark.parametrize("region, partition", [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_the_pull_grant_names_the_partition_the_provider_reports(stack_runner, region, partition):
    run = stack_runner("prod", {"aws:region": region})
    [statement] = json.loads(run.under("api").one("aws:ecr/repositoryPolicy:RepositoryPolicy").inputs["policy"])[
        "Statement"]
    function_arn = run.under("api").one("aws:lambda/function:Function").state["arn"]
    assert function_arn.startswith(f"arn:{partition}:lambda:{region}:")
    assert statement["Condition"]["StringLike"]["aws:sourceArn"] == [function_arn, f"{function_arn}:*"]


def _build(context, platform="linux/arm64", args=None) -> dict:
    return {"context": str(context), "dockerfile": str(context / "Dockerfile"), "platform": platform,
            "args": args or {}}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_image_is_tagged_by_its_content(any_stack_run, name):
    image = any_stack_run.under(name).one("docker:index/image:Image").inputs
    repository_url = any_stack_run.under(name).one("aws:ecr/repository:Repository").state["repositoryUrl"]
    assert image["build"] == _build(Path("functions", name))
    tag = content_tag(PROJECT_DIR / "functions" / name, image["build"])
    assert image["imageName"] == f"{repository_url}:{tag}"


def test_each_function_has_its_own_repository_image_and_pull_grant(any_stack_run):
    repositories = {name: any_stack_run.under(name).one("aws:ecr/repository:Repository") for name in FUNCTIONS}
    functions = {name: any_stack_run.under(name).one("aws:lambda/function:Function").inputs["name"]
                 for name in FUNCTIONS}
    assert {name: r.inputs["name"] for name, r in repositories.items()} == functions
    assert len(any_stack_run.of_type("aws:ecr/repository:Repository")) == len(FUNCTIONS)
    images = {name: any_stack_run.under(name).one("docker:index/image:Image").inputs for name in FUNCTIONS}
    assert images["api"]["imageName"] != images["worker"]["imageName"]
    for name, image in images.items():
        assert image["imageName"].startswith(repositories[name].state["repositoryUrl"] + ":")
    # The api's repository names only the api: the worker cannot pull the api's image, nor the other way round.
    for name, other in (("api", "worker"), ("worker", "api")):
        grant = any_stack_run.under(name).one("aws:ecr/repositoryPolicy:RepositoryPolicy").inputs
        assert grant["repository"] == repositories[name].state["name"]
        assert f"function:{functions[other]}" not in grant["policy"]


@pytest.fixture
def context_copy(tmp_path):
    target = tmp_path / "api"
    shutil.copytree(PROJECT_DIR / "functions" / "api", target,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def _chmod(mode):
    return lambda context: (context / "app.py").chmod(mode)


def _append(name, text):
    return lambda context: (context / name).write_text((context / name).read_text() + text)


# Each change: (what it does to the context, whether `docker build` sees it)
CONTEXT_CHANGES = {
    "app.py executable (another umask or chmod)": (_chmod(0o755), True),
    "app.py group-writable": (_chmod(0o664), True),
    "app.py edited": (_append("app.py", "\n# changed\n"), True),
    "Dockerfile edited": (_append("Dockerfile", "\n# changed\n"), True),
    "a new file the .dockerignore lets in": (
        lambda c: (_append(".dockerignore", "!extra.py\n")(c), (c / "extra.py").write_text("x = 1\n")), True),
    "a bytecode cache": (lambda c: ((c / "__pycache__").mkdir(), (c / "__pycache__" / "app.pyc").write_bytes(b"\0")),
                         False),
    "a file the .dockerignore keeps out": (lambda c: (c / "notes.txt").write_text("local notes"), False),
}


@pytest.mark.parametrize("change", CONTEXT_CHANGES, ids=list(CONTEXT_CHANGES))
def test_the_tag_changes_exactly_when_pulumi_docker_would_build_again(context_copy, change):
    """pulumi-docker pushes the same image name again whenever its context digest changes; an
    IMMUTABLE repository refuses that push, so the tag must change with that digest."""
    (context_copy / "app.py").chmod(0o644)
    before = content_tag(context_copy, _build(context_copy))
    digest_before = pulumi_docker_context_digest(context_copy, context_copy / "Dockerfile")
    apply, seen_by_docker = CONTEXT_CHANGES[change]
    apply(context_copy)
    rebuilds = pulumi_docker_context_digest(context_copy, context_copy / "Dockerfile") != digest_before
    assert rebuilds == seen_by_docker
    assert (content_tag(context_copy, _build(context_copy)) != before) == rebuilds


@pytest.mark.parametrize("changed", [{"platform": "linux/amd64"}, {"args": {"BASE": "other"}}],
                         ids=["platform", "build args"])
def test_the_tag_changes_with_every_build_input(context_copy, changed):
    build = _build(context_copy)
    assert content_tag(context_copy, build) == content_tag(context_copy, dict(build))
    assert content_tag(context_copy, build) != content_tag(context_copy, {**build, **changed})
