"""Rules on the delivery pipeline's builds: they run on arm64."""

import pytest

from tests.policies.conftest import by_policy

PROJECT = "aws:codebuild/project:Project"


def project(environment_type: str) -> dict:
    return {"name": "p", "serviceRole": "arn:aws:iam::123456789012:role/p", "source": {"type": "CODEPIPELINE"},
            "artifacts": {"type": "CODEPIPELINE"},
            "environment": {"type": environment_type, "computeType": "BUILD_GENERAL1_SMALL",
                            "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0"}}


@pytest.mark.parametrize("environment_type", ["ARM_CONTAINER", "ARM_LAMBDA_CONTAINER", "ARM_EC2"])
def test_an_arm64_build_passes(pack, environment_type):
    assert by_policy(pack.analyze(PROJECT, project(environment_type)), "codebuild-arm64") == []


@pytest.mark.parametrize("environment_type", ["LINUX_CONTAINER", "LINUX_LAMBDA_CONTAINER"])
def test_an_x86_64_build_is_refused(pack, environment_type):
    [finding] = by_policy(pack.analyze(PROJECT, project(environment_type)), "codebuild-arm64")
    assert finding.enforcement_level == "mandatory" and finding.severity == "medium"
    assert f"'subject' builds on {environment_type}; use one of ARM_CONTAINER, ARM_LAMBDA_CONTAINER, ARM_EC2" in (
        finding.message)


def test_the_allowed_environments_are_configurable(pack):
    with pack.configured('{"codebuild-arm64": {"allowedEnvironmentTypes": ["ARM_CONTAINER", "LINUX_CONTAINER"]}}'):
        assert by_policy(pack.analyze(PROJECT, project("LINUX_CONTAINER")), "codebuild-arm64") == []
        assert by_policy(pack.analyze(PROJECT, project("ARM_EC2")), "codebuild-arm64") != []
