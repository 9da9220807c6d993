"""ContainerImage: repository guarantees, the content tag, and who may pull."""

import json
import shutil

import pytest

from components.container_image import content_tag
from tests.conftest import PROJECT_DIR


def test_repository_scans_on_push_and_encrypts_with_kms(any_stack_run):
    repository = any_stack_run.one("aws:ecr/repository:Repository").inputs
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["encryptionConfigurations"] == [{"encryptionType": "KMS"}]


@pytest.mark.parametrize("stack, untagged_days, keep", [("dev", 1, 5), ("prod", 7, 20)])
def test_lifecycle_expires_untagged_and_keeps_the_last_images(request, stack, untagged_days, keep):
    run = request.getfixturevalue(f"{stack}_run")
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


def test_only_this_stacks_function_may_pull(any_stack_run):
    policy = json.loads(any_stack_run.one("aws:ecr/repositoryPolicy:RepositoryPolicy").inputs["policy"])
    [statement] = policy["Statement"]
    function_name = any_stack_run.one("aws:lambda/function:Function").inputs["name"]
    arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{function_name}"
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Action"] == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert statement["Condition"] == {"StringLike": {"aws:sourceArn": [arn, f"{arn}:*"]}}


def test_image_is_tagged_by_its_content(any_stack_run):
    image = any_stack_run.one("docker:index/image:Image").inputs
    repository_url = any_stack_run.one("aws:ecr/repository:Repository").state["repositoryUrl"]
    tag = content_tag(PROJECT_DIR / "functions" / "api", "linux/arm64", {})
    assert image["imageName"] == f"{repository_url}:{tag}"


@pytest.fixture
def context_copy(tmp_path):
    target = tmp_path / "api"
    shutil.copytree(PROJECT_DIR / "functions" / "api", target,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def test_content_tag_changes_with_code_platform_and_build_args(context_copy):
    tag = content_tag(context_copy, "linux/arm64", {})
    assert tag == content_tag(context_copy, "linux/arm64", {})
    assert tag != content_tag(context_copy, "linux/amd64", {})
    assert tag != content_tag(context_copy, "linux/arm64", {"BASE": "other"})
    (context_copy / "app.py").write_text((context_copy / "app.py").read_text() + "\n# changed\n")
    assert tag != content_tag(context_copy, "linux/arm64", {})


def test_content_tag_ignores_bytecode_caches(context_copy):
    tag = content_tag(context_copy, "linux/arm64", {})
    (context_copy / "__pycache__").mkdir()
    (context_copy / "__pycache__" / "app.cpython-312.pyc").write_bytes(b"\x00cache")
    assert tag == content_tag(context_copy, "linux/arm64", {})
