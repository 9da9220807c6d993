"""Rules on Lambda functions: architecture, memory, image size, image by digest."""

import pytest
from pulumi.runtime import rpc

from tests.policies.conftest import besides_scans, by_policy

FUNCTION = "aws:lambda/function:Function"
DIGEST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + "a" * 64


def image_function(**overrides) -> dict:
    return {"packageType": "Image", "imageUri": DIGEST, "architectures": ["arm64"], "memorySize": 1024,
            "tags": {"lambdakit:image-size-bytes": "150000000"}, **overrides}


def test_a_compliant_function_has_no_findings(pack):
    assert besides_scans(pack.analyze(FUNCTION, image_function())) == []


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
def test_an_image_function_needs_the_memory_floor(pack, memory, allowed):
    findings = by_policy(pack.analyze(FUNCTION, image_function(memorySize=memory)), "lambda-memory")
    assert (findings == []) == allowed
    if not allowed:
        assert f"'subject' has {memory} MB; allowed for an image function: 1024..10240 MB." in findings[0].message


# As public programs write a zip function: runtime, handler, code, no packageType, no architectures.
ZIP_FUNCTION = {"runtime": "python3.12", "handler": "index.handler", "code": "s3://bucket/lambda.zip",
                "role": "arn:aws:iam::123456789012:role/lambda", "architectures": ["arm64"]}


@pytest.mark.parametrize("memory", [None, 128, 512])
def test_a_small_zip_function_has_no_memory_floor(pack, memory):
    props = ZIP_FUNCTION if memory is None else {**ZIP_FUNCTION, "memorySize": memory}
    assert pack.analyze(FUNCTION, props) == []


def test_the_memory_ceiling_holds_for_zip_functions_too(pack):
    [finding] = by_policy(pack.analyze(FUNCTION, {**ZIP_FUNCTION, "memorySize": 10241}), "lambda-memory")
    assert "'subject' has 10241 MB; allowed for a zip function: 128..10240 MB." in finding.message
    with pack.configured('{"lambda-memory": {"maxMemoryMb": 2048}}'):
        [finding] = by_policy(pack.analyze(FUNCTION, {**ZIP_FUNCTION, "memorySize": 3008}), "lambda-memory")
        assert pack.analyze(FUNCTION, {**ZIP_FUNCTION, "memorySize": 2048}) == []
    assert finding.enforcement_level == "mandatory"
    assert "'subject' has 3008 MB; allowed for a zip function: 128..2048 MB." in finding.message


def test_memory_floor_is_configurable(pack):
    with pack.configured('{"lambda-memory": {"minMemoryMb": 512}}'):
        assert by_policy(pack.analyze(FUNCTION, image_function(memorySize=512)), "lambda-memory") == []
        [finding] = by_policy(pack.analyze(FUNCTION, image_function(memorySize=256)), "lambda-memory")
    assert "allowed for an image function: 512..10240 MB." in finding.message


@pytest.mark.parametrize("size_bytes, allowed", [("500000000", True), ("500000001", False), ("1200000000", False)])
def test_image_size_limit_defaults_to_500_mb(pack, size_bytes, allowed):
    props = image_function(tags={"lambdakit:image-size-bytes": size_bytes})
    findings = by_policy(pack.analyze(FUNCTION, props), "lambda-image-size")
    assert (findings == []) == allowed
    if not allowed:
        assert (f"runs an image of {int(size_bytes) / 1e6:.1f} MB; the limit is 500 MB "
                "(recorded in the lambdakit:image-size-bytes tag).") in findings[0].message


def test_image_size_limit_is_configurable(pack):
    with pack.configured('{"lambda-image-size": {"maxImageSizeMb": 100}}'):
        [finding] = by_policy(pack.analyze(FUNCTION, image_function()), "lambda-image-size")
    assert "150.0 MB; the limit is 100 MB" in finding.message


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


def test_an_image_function_as_public_programs_write_it(pack):
    # No architectures, no memorySize, no tags, a tag reference: every finding names its own rule.
    image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:latest"
    findings = besides_scans(pack.analyze(FUNCTION, {"packageType": "Image", "imageUri": image_uri, "timeout": 30,
                                                     "role": "arn:aws:iam::123456789012:role/lambda"}))
    assert sorted((f.policy, f.enforcement_level) for f in findings) == [
        ("lambda-architecture", "mandatory"), ("lambda-image-by-digest", "mandatory"),
        ("lambda-image-size-unmeasured", "advisory"), ("lambda-memory", "mandatory")]
    memory = next(f for f in findings if f.policy == "lambda-memory")
    assert "'subject' has 128 MB; allowed for an image function: 1024..10240 MB." in memory.message
