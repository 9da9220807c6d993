"""Rules on Lambda functions: architecture, memory, image size, image by digest."""

import pytest
from pulumi.runtime import rpc

from tests.policies.conftest import by_policy

FUNCTION = "aws:lambda/function:Function"
DIGEST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + "a" * 64


def image_function(**overrides) -> dict:
    return {"packageType": "Image", "imageUri": DIGEST, "architectures": ["arm64"], "memorySize": 1024,
            "tags": {"lambdakit:image-size-bytes": "150000000"}, **overrides}


def test_a_compliant_function_has_no_findings(pack):
    assert pack.analyze(FUNCTION, image_function()) == []


@pytest.mark.parametrize("architectures", [["x86_64"], None])
def test_x86_or_unset_architecture_is_refused(pack, architectures):
    props = image_function(architectures=architectures) if architectures else {
        k: v for k, v in image_function().items() if k != "architectures"}
    [finding] = by_policy(pack.analyze(FUNCTION, props), "lambda-architecture")
    assert finding.enforcement_level == "mandatory" and finding.severity == "high"
    assert "'subject' runs on x86_64; allowed: arm64" in finding.message


def test_architecture_allow_list_is_configurable(pack):
    with pack.configured('{"lambda-architecture": {"allowedArchitectures": ["arm64", "x86_64"]}}'):
        assert by_policy(pack.analyze(FUNCTION, image_function(architectures=["x86_64"])), "lambda-architecture") == []


@pytest.mark.parametrize("memory, allowed", [(1024, True), (10240, True), (512, False), (128, False)])
def test_memory_must_be_in_the_default_range(pack, memory, allowed):
    findings = by_policy(pack.analyze(FUNCTION, image_function(memorySize=memory)), "lambda-memory")
    assert (findings == []) == allowed
    if not allowed:
        assert f"'subject' has {memory} MB; allowed: 1024..10240 MB." in findings[0].message


def test_memory_floor_is_configurable(pack):
    with pack.configured('{"lambda-memory": {"minMemoryMb": 512}}'):
        assert by_policy(pack.analyze(FUNCTION, image_function(memorySize=512)), "lambda-memory") == []


@pytest.mark.parametrize("size_bytes, allowed", [("500000000", True), ("500000001", False), ("1200000000", False)])
def test_image_size_limit_defaults_to_500_mb(pack, size_bytes, allowed):
    props = image_function(tags={"lambdakit:image-size-bytes": size_bytes})
    findings = by_policy(pack.analyze(FUNCTION, props), "lambda-image-size")
    assert (findings == []) == allowed
    if not allowed:
        assert f"runs an image of {int(size_bytes) / 1e6:.1f} MB; the limit is 500 MB" in findings[0].message


def test_image_size_limit_is_configurable(pack):
    with pack.configured('{"lambda-image-size": {"maxImageSizeMb": 100}}'):
        [finding] = by_policy(pack.analyze(FUNCTION, image_function()), "lambda-image-size")
    assert "150.0 MB; the limit is 100 MB" in finding.message


def test_an_image_function_without_a_measured_size_is_refused(pack):
    [finding] = by_policy(pack.analyze(FUNCTION, image_function(tags={})), "lambda-image-size")
    assert "does not carry the lambdakit:image-size-bytes tag" in finding.message


def test_zip_functions_are_not_judged_on_images(pack):
    zip_function = {"packageType": "Zip", "architectures": ["arm64"], "memorySize": 1024, "runtime": "python3.12"}
    assert pack.analyze(FUNCTION, zip_function) == []


@pytest.mark.parametrize("image_uri", [
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1.2.3",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:short",
])
def test_a_mutable_tag_reference_is_refused(pack, image_uri):
    [finding] = by_policy(pack.analyze(FUNCTION, image_function(imageUri=image_uri)), "lambda-image-by-digest")
    assert image_uri in finding.message and finding.severity == "high"


def test_tag_references_can_be_allowed(pack):
    with pack.configured('{"lambda-image-by-digest": {"allowMutableTags": true}}'):
        assert by_policy(pack.analyze(FUNCTION, image_function(imageUri="repo:latest")), "lambda-image-by-digest") == []


@pytest.mark.parametrize("policy, props", [
    ("lambda-architecture", image_function(architectures=rpc.UNKNOWN)),
    ("lambda-memory", image_function(memorySize=rpc.UNKNOWN)),
    ("lambda-image-size", image_function(tags={"lambdakit:image-size-bytes": rpc.UNKNOWN})),
    ("lambda-image-by-digest", image_function(imageUri=rpc.UNKNOWN)),
])
def test_an_unknown_value_is_reported_as_not_run_never_passed_or_crashed(pack, policy, props):
    [finding] = by_policy(pack.analyze(FUNCTION, props), policy)
    assert finding.enforcement_level == "advisory"
    assert f"can't run policy '{policy}'" in finding.message and "during preview" in finding.message
