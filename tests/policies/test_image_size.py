"""The size of an image no lambdakit component measured: asked of ECR (a local moto server here).

The pack process never reaches real AWS: `pack` has no credentials at all, and `aws_pack` has fake ones
for moto on 127.0.0.1 (see conftest.py).
"""


import pytest

from tests.ecr_answers import REGISTRY, push
from tests.policies.conftest import besides_scans, by_policy, foreign_function

FUNCTION = "aws:lambda/function:Function"


def test_a_small_image_in_ecr_passes(aws_pack, moto_ecr):
    digest, _ = push(moto_ecr, "small/api", 120_000_000)
    assert besides_scans(aws_pack.analyze(FUNCTION, foreign_function(f"{REGISTRY}/small/api@{digest}"))) == []


@pytest.mark.parametrize("reference", ["digest", "tag"])
def test_a_large_image_in_ecr_is_refused_with_the_size_ecr_reports(aws_pack, moto_ecr, reference):
    repository = f"large-{reference}"
    digest, size = push(moto_ecr, repository, 612_345_678, tag="v2")
    image_uri = f"{REGISTRY}/{repository}" + (f"@{digest}" if reference == "digest" else ":v2")
    findings = aws_pack.analyze(FUNCTION, foreign_function(image_uri))
    [finding] = by_policy(findings, "lambda-image-size")
    assert finding.enforcement_level == "mandatory" and finding.severity == "high"
    assert finding.message.endswith(f"'subject' runs an image of {size / 1e6:.1f} MB; the limit is 500 MB "
                                    f"(as ECR reports it for {image_uri}).")
    assert "612.3 MB" in finding.message
    assert by_policy(findings, "lambda-image-size-unmeasured") == []


def test_the_limit_applies_to_the_size_ecr_reports(aws_pack, moto_ecr):
    digest, _ = push(moto_ecr, "medium", 300_000_000)
    props = foreign_function(f"{REGISTRY}/medium@{digest}")
    assert by_policy(aws_pack.analyze(FUNCTION, props), "lambda-image-size") == []
    with aws_pack.configured('{"lambda-image-size": {"maxImageSizeMb": 250}}'):
        [finding] = by_policy(aws_pack.analyze(FUNCTION, props), "lambda-image-size")
    assert "runs an image of 300.0 MB; the limit is 250 MB" in finding.message


def unmeasured(findings) -> str:
    """The one finding, which must be lambda-image-size-unmeasured's, advisory; its message."""
    [finding] = besides_scans(findings)
    assert finding.policy == "lambda-image-size-unmeasured"
    assert finding.enforcement_level == "advisory" and finding.severity == "medium"
    assert "Tag the function lambdakit:image-size-bytes with the size in bytes" in finding.message
    return finding.message


@pytest.mark.parametrize("registry", [REGISTRY, "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"])
def test_without_credentials_the_size_is_reported_unmeasured_not_refused(pack, registry):
    image_uri = f"{registry}/team/app@sha256:" + "a" * 64
    message = unmeasured(pack.analyze(FUNCTION, foreign_function(image_uri)))
    assert (f"'subject': the size of its image cannot be checked: ECR could not be asked about {image_uri}: "
            "Unable to locate credentials.") in message


@pytest.mark.parametrize("image_uri", ["ghcr.io/acme/api@sha256:" + "b" * 64,
                                       "public.ecr.aws/lambda/python@sha256:" + "b" * 64])
def test_an_image_outside_ecr_is_reported_unmeasured(pack, image_uri):
    message = unmeasured(pack.analyze(FUNCTION, foreign_function(image_uri)))
    assert f"{image_uri!r} is not an ECR image URI, so ECR cannot be asked for its size" in message


@pytest.mark.parametrize("repository, error", [("missing-image", "ImageNotFoundException"),
                                               ("no-such-repository", "RepositoryNotFoundException")])
def test_an_image_ecr_does_not_have_is_reported_unmeasured(aws_pack, moto_ecr, repository, error):
    if repository == "missing-image":
        push(moto_ecr, repository, 100_000_000)
    image_uri = f"{REGISTRY}/{repository}@sha256:" + "d" * 64
    message = unmeasured(aws_pack.analyze(FUNCTION, {**foreign_function(image_uri), "tags": {"team": "api"}}))
    assert f"ECR could not be asked about {image_uri}: {error}: " in message


def test_unmeasured_can_be_made_mandatory(pack):
    with pack.configured('{"lambda-image-size-unmeasured": "mandatory"}'):
        [finding] = by_policy(pack.analyze(FUNCTION, foreign_function("docker.io/library/python:3.12")),
                              "lambda-image-size-unmeasured")
    assert finding.enforcement_level == "mandatory"
    assert "'docker.io/library/python:3.12' is not an ECR image URI" in finding.message


def test_the_recorded_tag_is_used_without_asking_ecr(pack):
    # `pack` has no credentials: a finding here could only come from the tag.
    props = {**foreign_function("docker.io/library/python:3.12"), "tags": {"lambdakit:image-size-bytes": "700000000"}}
    [finding] = by_policy(pack.analyze(FUNCTION, props), "lambda-image-size")
    assert "runs an image of 700.0 MB; the limit is 500 MB (recorded in the lambdakit:image-size-bytes tag)." \
        in finding.message
    assert by_policy(pack.analyze(FUNCTION, props), "lambda-image-size-unmeasured") == []


def test_zip_functions_are_never_measured(pack):
    assert pack.analyze(FUNCTION, {"runtime": "python3.12", "handler": "index.handler", "code": "app.zip",
                                   "architectures": ["arm64"]}) == []
