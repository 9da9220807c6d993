"""ECR in the simulated account refuses what ECR refuses: lifecycle rules, pushes into an immutable repository,
the registry's scanning configuration."""

import pytest

from aws_account.refusals import AwsRefusal
from tests.aws_account.steps import ACCOUNT, register

REPOSITORY = "aws:ecr/repository:Repository"


def test_lifecycle_any_rule_must_be_evaluated_last(cloud):
    register(cloud, REPOSITORY, "r", {"name": "repo"})
    rules = ('{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any"}, "action": {"type": "expire"}}, '
             '{"rulePriority": 2, "selection": {"tagStatus": "untagged"}, "action": {"type": "expire"}}]}')
    with pytest.raises(AwsRefusal, match="tagStatus 'any' must have the highest"):
        register(cloud, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "l", {"repository": "repo", "policy": rules})


@pytest.mark.parametrize("again", ["a", "b"], ids=["the same digest", "another digest"])
def test_an_immutable_repository_refuses_any_push_of_a_tag_it_holds(cloud, again):
    register(cloud, REPOSITORY, "r", {"name": "repo", "imageTagMutability": "IMMUTABLE"})
    cloud.push_image("repo", "v1", "sha256:" + "a" * 64)
    with pytest.raises(AwsRefusal, match="already exists in the 'repo' repository and cannot be overwritten"):
        cloud.push_image("repo", "v1", "sha256:" + again * 64)


def test_a_mutable_repository_moves_the_tag(cloud):
    register(cloud, REPOSITORY, "r", {"name": "repo", "imageTagMutability": "MUTABLE"})
    cloud.push_image("repo", "v1", "sha256:" + "a" * 64)
    cloud.push_image("repo", "v1", "sha256:" + "b" * 64)
    assert cloud.repositories["repo"].tags["v1"] == "sha256:" + "b" * 64


SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"


def scanning_rule(frequency: str, *filters: str, filter_type: str = "WILDCARD") -> dict:
    return {"scanFrequency": frequency, "repositoryFilters": [{"filter": f, "filterType": filter_type} for f in filters]}


@pytest.mark.parametrize("scan_type, rules, refused", [
    ("BASIC", [scanning_rule("CONTINUOUS_SCAN", "api")], "not supported with scanType BASIC"),
    ("ENHANCED", [scanning_rule("MANUAL", "api")], "not supported with scanType ENHANCED"),
    ("ENHANCED", [scanning_rule("SCAN_ON_PUSH", "a")] * 3, "at most 2"),
    ("ENHANCED", [scanning_rule("SCAN_ON_PUSH", *(f"r{n}" for n in range(101)))], "at most 100"),
    ("ENHANCED", [scanning_rule("SCAN_ON_PUSH", "Upper-Case")], "ECR scanning filter"),
    ("ENHANCED", [scanning_rule("SCAN_ON_PUSH", "a" * 256)], "ECR scanning filter"),
    ("ENHANCED", [scanning_rule("SCAN_ON_PUSH", "api", filter_type="PREFIX")], "must be WILDCARD"),
    ("ADVANCED", [], "scanType 'ADVANCED'"),
])
def test_registry_scanning_refuses_what_ecr_refuses(cloud, scan_type, rules, refused):
    with pytest.raises(AwsRefusal, match=refused):
        register(cloud, SCANNING, "registry", {"scanType": scan_type, "rules": rules})


def test_the_registry_has_one_scanning_configuration(cloud):
    rules = [scanning_rule("SCAN_ON_PUSH", "lambdakit-*"), scanning_rule("CONTINUOUS_SCAN", "lambdakit-prod-*")]
    assert register(cloud, SCANNING, "first", {"scanType": "ENHANCED", "rules": rules})["registryId"] == ACCOUNT
    with pytest.raises(AwsRefusal, match="one scanning configuration"):
        register(cloud, SCANNING, "second", {"scanType": "BASIC", "rules": []})
