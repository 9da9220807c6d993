"""The simulated account refuses what AWS refuses (each service's API reference), so a program that
asks for it fails its tests here rather than its first real `pulumi up`: names, across the services."""

import pytest

from aws_account.account import SimulatedCloud
from aws_account.refusals import AwsRefusal
from tests.aws_account.steps import register

REPOSITORY = "aws:ecr/repository:Repository"
FUNCTION = "aws:lambda/function:Function"


@pytest.mark.parametrize("typ, name", [
    (REPOSITORY, "Lambdakit-dev-api"), (REPOSITORY, "a"), (REPOSITORY, "a___b"), (REPOSITORY, "a.-b"),
    (REPOSITORY, "-app"), ("aws:iam/role:Role", "rôle"), ("aws:cloudwatch/logGroup:LogGroup", "aws/lambda/f"),
    (FUNCTION, "app.prod-api"), (FUNCTION, "f" * 65),
    ("aws:iam/role:Role", "r" * 65), ("aws:iam/role:Role", "role with space"),
    ("aws:cloudwatch/logGroup:LogGroup", "/aws/lambda/f:1"), ("aws:lambda/alias:Alias", "12"),
])
def test_names_aws_refuses(cloud, typ, name):
    with pytest.raises(AwsRefusal, match="ValidationException"):
        register(cloud, typ, name, {"name": name, "functionName": "fn", "packageType": "Image"})


@pytest.mark.parametrize("typ, name", [
    (REPOSITORY, "project-a/nginx-web-app"), (REPOSITORY, "lambdakit-prod-api"), (REPOSITORY, "app--api"),
    (REPOSITORY, "a__b"), (FUNCTION, "lambdakit-Prod_api"),
    ("aws:iam/role:Role", "lambdakit-eu.prod-api"), ("aws:lambda/alias:Alias", "live"),
])
def test_names_aws_accepts(cloud, typ, name):
    assert register(cloud, typ, name, {"name": name, "functionName": "fn", "packageType": "Image"})["name"] == name


@pytest.mark.parametrize("region", ["", "mars-1", "eu-west"])
def test_a_region_aws_does_not_have_is_refused_as_the_provider_refuses_it(region):
    with pytest.raises(AwsRefusal, match=f"invalid AWS Region: '{region}'"):
        SimulatedCloud(region=region)


@pytest.mark.parametrize("region", ["eu-west-1", "ca-central-1", "cn-north-1", "us-gov-west-1"])
def test_the_regions_of_every_partition_are_known(region):
    assert SimulatedCloud(region=region).region == region
