"""The account each test of the simulated account registers into."""

import pytest

from aws_account.account import SimulatedCloud
from tests.aws_account.delivery_inputs import ARTIFACT_BUCKET, PROGRAM_APPLICATION, PROGRAM_CONFIG
from tests.aws_account.steps import register


@pytest.fixture
def cloud() -> SimulatedCloud:
    """A new account, whose ECR reports every pushed image as 1000 bytes."""
    return SimulatedCloud(image_size_bytes=1000)


@pytest.fixture
def delivery(cloud) -> None:
    """What the pipeline and the deployment group name, but their roles: the bucket, the application and config."""
    register(cloud, "aws:s3/bucket:Bucket", "artifacts", {"bucket": ARTIFACT_BUCKET})
    register(cloud, "aws:codedeploy/application:Application", "api", PROGRAM_APPLICATION)
    register(cloud, "aws:codedeploy/deploymentConfig:DeploymentConfig", "api", PROGRAM_CONFIG)
