"""Lambda in the simulated account refuses what Lambda (or the AWS provider) refuses: limits, a function created
before it may pull its image, statement ids used twice, CORS beyond its limits, provisioned concurrency on
$LATEST, reservations that leave too little unreserved, a .zip Lambda would not run."""

import os
from pathlib import Path

import pulumi
import pytest

from aws_account.refusals import AwsRefusal
from tests.aws_account.steps import done, register

REPOSITORY = "aws:ecr/repository:Repository"
PULL_GRANT = "aws:ecr/repositoryPolicy:RepositoryPolicy"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
URL = "aws:lambda/functionUrl:FunctionUrl"
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:fn"
PULL_POLICY = ('{"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, '
               '"Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], '
               '"Condition": {"StringLike": {"aws:sourceArn": ["' + FUNCTION_ARN + '", "' + FUNCTION_ARN + ':*"]}}}]}')


@pytest.mark.parametrize("inputs, refused", [
    ({"memorySize": 64}, "MemorySize 64"), ({"memorySize": 10241}, "MemorySize 10241"),
    ({"timeout": 901}, "Timeout 901"), ({"ephemeralStorage": {"size": 256}}, "EphemeralStorage 256"),
    ({"architectures": ["arm64", "x86_64"]}, "exactly one"), ({"architectures": ["aarch64"]}, "exactly one"),
])
def test_function_limits(cloud, inputs, refused):
    with pytest.raises(AwsRefusal, match=refused):
        register(cloud, FUNCTION, "f", {"packageType": "Image", "name": "fn", **inputs})


@pytest.fixture
def pushed(cloud) -> str:
    """An image in a repository whose policy lets the function `fn` pull; its URI."""
    register(cloud, REPOSITORY, "r", {"name": "repo", "imageTagMutability": "IMMUTABLE"})
    register(cloud, PULL_GRANT, "p", {"repository": "repo", "policy": PULL_POLICY})
    digest = "sha256:" + "c" * 64
    cloud.push_image("repo", "v1", digest)
    return f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo@{digest}"


def test_a_function_is_created_only_after_its_pull_grant(cloud, pushed):
    image_function = {"name": "fn", "packageType": "Image", "imageUri": pushed}
    with pytest.raises(AwsRefusal, match="AccessDeniedException .* Lambda does not have permission"):
        register(cloud, FUNCTION, "f", image_function)  # the grant exists, but nothing made the function wait
    grant = done(PULL_GRANT, {"repository": "repo", "policy": PULL_POLICY})
    assert register(cloud, FUNCTION, "f", image_function, [grant])["arn"] == FUNCTION_ARN


def test_a_function_whose_image_was_never_pushed_is_refused(cloud, pushed):
    grant = done(PULL_GRANT, {"repository": "repo", "policy": PULL_POLICY})
    with pytest.raises(AwsRefusal, match="does not exist"):
        register(cloud, FUNCTION, "f", {"packageType": "Image", "name": "fn", "packageType": "Image",
                                        "imageUri": pushed.replace("c" * 64, "d" * 64)}, [grant])


def test_a_statement_id_is_unique_in_a_policy(cloud):
    grant = {"function": "fn", "qualifier": "live", "statementId": "AllowX", "action": "lambda:InvokeFunction",
             "principal": "events.amazonaws.com"}
    register(cloud, PERMISSION, "a", grant)
    with pytest.raises(AwsRefusal, match=r"ResourceConflictException: The statement id \(AllowX\)"):
        register(cloud, PERMISSION, "b", grant)


def test_replacing_a_permission_with_a_fixed_id_must_delete_first(cloud):
    grant = {"function": "fn", "statementId": "AllowX", "action": "lambda:InvokeFunction", "principal": "s3.amazonaws.com"}
    register(cloud, PERMISSION, "a", grant)
    with pytest.raises(AwsRefusal, match="ResourceConflictException"):
        register(cloud, PERMISSION, "a", {**grant, "principal": "sns.amazonaws.com"})
    register(cloud, PERMISSION, "a", {**grant, "principal": "sns.amazonaws.com"}, delete_before_replace=True)
    assert cloud.function_policies[("fn", "")]["AllowX"]["Principal"] == "sns.amazonaws.com"


def test_a_new_public_url_gets_the_providers_grants_which_outlive_it(cloud):
    register(cloud, URL, "u", {"functionName": "fn", "qualifier": "live", "authorizationType": "NONE"})
    assert {s["Sid"] for s in cloud.public_statements("fn")} == {"FunctionURLAllowPublicAccess",
                                                                 "FunctionURLAllowInvokeAction"}
    cloud.delete_all_but(set())
    assert len(cloud.public_statements("fn")) == 2  # the provider never removes them


@pytest.mark.parametrize("cors, refused", [
    ({"allowMethods": ["GET", "OPTIONS"]}, "AllowMethods"),
    ({"allowOrigins": [f"https://{i}.example.com" for i in range(101)]}, "more than 100"),
    ({"allowOrigins": ["https://" + "a" * 250]}, "AllowOrigins must be 1..253"),
    ({"maxAge": 86401}, "MaxAge 86401"),
])
def test_function_url_cors_limits(cloud, cors, refused):
    with pytest.raises(AwsRefusal, match=refused):
        register(cloud, URL, "u", {"functionName": "fn", "authorizationType": "AWS_IAM", "cors": cors})


@pytest.mark.parametrize("qualifier", ["$LATEST", "latest-alias"])
def test_provisioned_concurrency_never_on_latest_nor_an_alias_of_it(cloud, qualifier):
    register(cloud, "aws:lambda/alias:Alias", "a", {"name": "latest-alias", "functionName": "fn",
                                                   "functionVersion": "$LATEST"})
    with pytest.raises(AwsRefusal, match="unpublished function versions"):
        register(cloud, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "p",
                 {"functionName": "fn", "qualifier": qualifier, "provisionedConcurrentExecutions": 1})


def test_reservations_leave_100_unreserved_in_the_account(cloud):
    register(cloud, FUNCTION, "a", {"packageType": "Image", "name": "a", "reservedConcurrentExecutions": 600})
    with pytest.raises(AwsRefusal, match="below its minimum value of \\[100\\]"):
        register(cloud, FUNCTION, "b", {"packageType": "Image", "name": "b", "reservedConcurrentExecutions": 301})
    assert register(cloud, FUNCTION, "b", {"packageType": "Image", "name": "b", "reservedConcurrentExecutions": 300})["name"] == "b"


ZIP_FUNCTION = {"name": "gate", "packageType": "Zip", "runtime": "python3.13", "handler": "app.handler"}


def code(*paths: str) -> pulumi.AssetArchive:
    return pulumi.AssetArchive({Path(p).name: pulumi.FileAsset(p) for p in paths})


@pytest.mark.parametrize("change, refused", [
    ({"runtime": None}, "Runtime and Handler are required"), ({"handler": None}, "Runtime and Handler are required"),
    ({"runtime": "python3.9"}, "python3.9 is no longer supported"), ({"code": None}, "needs its code"),
    ({"code": "missing"}, "cannot read"),
])
def test_a_zip_function_needs_a_supported_runtime_a_handler_and_its_files(cloud, tmp_path, change, refused):
    handler = tmp_path / "app.py"
    handler.write_text("def handler(event, context):\n    return {}\n")
    inputs = {**ZIP_FUNCTION, "code": code(str(handler)), **change}
    if inputs["code"] == "missing":
        inputs["code"] = code(str(tmp_path / "gone.py"))
    with pytest.raises(AwsRefusal, match=refused):
        register(cloud, FUNCTION, "f", {k: v for k, v in inputs.items() if v is not None})


def test_a_zip_larger_than_lambda_takes_is_refused(cloud, tmp_path):
    big = tmp_path / "model.bin"
    big.write_bytes(os.urandom(51 * 1024 * 1024))  # random: does not compress below the 50 MB limit
    with pytest.raises(AwsRefusal, match="RequestEntityTooLargeException"):
        register(cloud, FUNCTION, "f", {**ZIP_FUNCTION, "code": code(str(big))})


def test_an_image_function_takes_no_runtime_or_handler(cloud):
    with pytest.raises(AwsRefusal, match="Please don't provide Handler or Runtime"):
        register(cloud, FUNCTION, "f", {"name": "fn", "packageType": "Image", "runtime": "python3.13"})
