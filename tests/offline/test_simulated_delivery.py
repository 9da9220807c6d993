"""The simulated account's delivery services refuse what AWS refuses, and accept what AWS accepts.

Each test asks for one thing AWS (or the AWS provider, before it calls AWS) refuses, checks the refusal and
its error, and, where the two differ by one change, asks for the nearest thing AWS accepts, so that a
simulation that refused everything, or nothing, fails here. The accepted shapes are the program's own
(components/pipeline.py, canary_release.py), as `python -m offline preview --stack prod --json` records them.
The rules and their sources are in offline/simulated_delivery.py and aws_limits.py.
"""

import copy
import json
import re
from types import SimpleNamespace

import pytest

from offline.refusals import AwsRefusal
from offline.simulated_aws import SimulatedCloud
from tests.offline.steps import register

ACCOUNT = "123456789012"
BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
CONNECTION = "aws:codeconnections/connection:Connection"
SECRET = "aws:secretsmanager/secret:Secret"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PROJECT = "aws:codebuild/project:Project"
PIPELINE = "aws:codepipeline/pipeline:Pipeline"
APPLICATION = "aws:codedeploy/application:Application"
DEPLOYMENT_CONFIG = "aws:codedeploy/deploymentConfig:DeploymentConfig"
DEPLOYMENT_GROUP = "aws:codedeploy/deploymentGroup:DeploymentGroup"
RULE = "aws:codestarnotifications/notificationRule:NotificationRule"

KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/26bafd66-9a3e-50ca-9a4c-d525caa9b363"
TOPIC_ARN = f"arn:aws:sns:eu-west-1:{ACCOUNT}:lambdakit-prod-alarms"
PIPELINE_ARN = f"arn:aws:codepipeline:eu-west-1:{ACCOUNT}:lambdakit-prod"
APPLICATION_ARN = f"arn:aws:codedeploy:eu-west-1:{ACCOUNT}:application:lambdakit-prod-api"
CONNECTION_ARN = f"arn:aws:codeconnections:eu-west-1:{ACCOUNT}:connection/2a31d410-2ee9-5c26-aaf8-d9c740a3aef1"
STATEMENT = {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "*"}


def refused(message: str):
    """pytest.raises for an AwsRefusal whose message holds `message` literally."""
    return pytest.raises(AwsRefusal, match=re.escape(message))


def changed(base: dict, path: str, value) -> dict:
    """A deep copy of `base` with the value at `path` (keys and list indexes joined by dots) set, or removed
    when `value` is None."""
    result = copy.deepcopy(base)
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    target = result
    for part in parents:
        target = target[part]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return result


def done(typ: str, inputs: dict) -> SimpleNamespace:
    """A step the next one waited for."""
    return SimpleNamespace(type=typ, inputs=inputs, state=inputs)


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(service: str) -> str:
    return document({"Effect": "Allow", "Principal": {"Service": f"{service}.amazonaws.com"},
                     "Action": "sts:AssumeRole"})


@pytest.fixture
def cloud():
    return SimulatedCloud()


def service_role(cloud, name: str, service: str) -> list:
    """A role `service` may assume, with its inline policy; the steps a resource using it waits for."""
    register(cloud, ROLE, name, {"name": name, "assumeRolePolicy": trust(service)})
    policy = {"role": name, "policy": document(STATEMENT)}
    register(cloud, ROLE_POLICY, name, policy)
    return [done(ROLE_POLICY, policy)]


# S3: the artifact bucket and its settings.

PREFIX = "lambdakit-prod-artifacts-"


@pytest.fixture
def bucket(cloud) -> str:
    return register(cloud, BUCKET, "artifacts", {"bucketPrefix": PREFIX, "forceDestroy": True})["bucket"]


def test_a_bucket_prefix_gets_the_26_characters_the_provider_appends_and_keeps_them(cloud):
    state = register(cloud, BUCKET, "artifacts", {"bucketPrefix": PREFIX, "forceDestroy": True})
    name = state["bucket"]
    assert re.fullmatch(re.escape(PREFIX) + r"\d{18}[0-9a-f]{8}", name)
    assert (state["id"], state["arn"], state["bucketRegionalDomainName"]) == (
        name, f"arn:aws:s3:::{name}", f"{name}.s3.eu-west-1.amazonaws.com")
    updated = register(cloud, BUCKET, "artifacts", {"bucketPrefix": PREFIX, "forceDestroy": False})
    assert updated["bucket"] == name


@pytest.mark.parametrize("inputs, message", [
    ({"bucketPrefix": "p" * 38}, "expected length of bucket_prefix to be in the range (0 - 37)"),
    ({"bucket": "Lambdakit-artifacts"}, "ValidationException: S3 bucket name 'Lambdakit-artifacts'"),
    ({"bucket": "xn--artifacts"}, "S3 bucket name 'xn--artifacts'"),
    ({"bucket": "ab"}, "S3 bucket name 'ab'"),
], ids=["prefix of 38", "upper case", "xn-- prefix", "two characters"])
def test_bucket_names_s3_refuses(cloud, inputs, message):
    with refused(message):
        register(cloud, BUCKET, "b", inputs)
    assert register(cloud, BUCKET, "b", {"bucketPrefix": "p" * 37})["bucket"].startswith("p" * 37)


PROGRAM_SETTINGS = {
    VERSIONING: {"versioningConfiguration": {"status": "Enabled"}},
    ENCRYPTION: {"rules": [{"applyServerSideEncryptionByDefault": {"kmsMasterKeyId": KEY_ARN,
                                                                   "sseAlgorithm": "aws:kms"},
                            "bucketKeyEnabled": True}]},
    PUBLIC_ACCESS: {"restrictPublicBuckets": True, "ignorePublicAcls": True, "blockPublicAcls": True,
                    "blockPublicPolicy": True},
    OWNERSHIP: {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
    LIFECYCLE: {"rules": [{"expiration": {"days": 30}, "status": "Enabled", "id": "expire-old-artifacts",
                           "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
                           "noncurrentVersionExpiration": {"noncurrentDays": 1}, "filter": {}}]},
}


def tls_only(bucket_name: str) -> str:
    arn = f"arn:aws:s3:::{bucket_name}"
    return document({"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                     "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}})


@pytest.mark.parametrize("typ", [*PROGRAM_SETTINGS, BUCKET_POLICY])
def test_a_bucket_setting_needs_its_bucket_and_takes_the_programs_values(cloud, typ):
    settings = PROGRAM_SETTINGS.get(typ) or {"policy": tls_only("missing-bucket")}
    with refused("NoSuchBucket: The specified bucket does not exist (bucket 'missing-bucket')"):
        register(cloud, typ, "s", {**settings, "bucket": "missing-bucket"})
    name = register(cloud, BUCKET, "artifacts", {"bucketPrefix": PREFIX})["bucket"]
    settings = PROGRAM_SETTINGS.get(typ) or {"policy": tls_only(name)}
    assert register(cloud, typ, "s", {**settings, "bucket": name})["id"] == name


RULE_PATH = "rules.0"


@pytest.mark.parametrize("path, value, accepted, message", [
    (f"{RULE_PATH}.id", None, "x", "the AWS provider requires every lifecycle rule's id"),
    (f"{RULE_PATH}.id", "i" * 256, "i" * 255, "InvalidArgument: ID length should not exceed allowed limit of 255"),
    (f"{RULE_PATH}.status", "On", "Disabled", "MalformedXML: Rule.Status 'On' must be one of Enabled, Disabled"),
    (f"{RULE_PATH}.expiration.days", 0, 1, "InvalidArgument: 'Days' for Expiration action must be a positive integer"),
    (f"{RULE_PATH}.noncurrentVersionExpiration.noncurrentDays", 0, 1,
     "InvalidArgument: 'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"),
    (f"{RULE_PATH}.abortIncompleteMultipartUpload.daysAfterInitiation", 0, 1,
     "InvalidArgument: 'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"),
    ("rules", PROGRAM_SETTINGS[LIFECYCLE]["rules"] * 2,
     [PROGRAM_SETTINGS[LIFECYCLE]["rules"][0], {**PROGRAM_SETTINGS[LIFECYCLE]["rules"][0], "id": "other"}],
     "InvalidArgument: Rule ID must be unique. Found same ID for more than one rule"),
], ids=["no id", "id of 256", "status On", "expiration 0 days", "noncurrent 0 days", "abort upload 0 days",
        "same id twice"])
def test_lifecycle_rules_s3_refuses(cloud, bucket, path, value, accepted, message):
    with refused(message):
        register(cloud, LIFECYCLE, "l", {**changed(PROGRAM_SETTINGS[LIFECYCLE], path, value), "bucket": bucket})
    assert register(cloud, LIFECYCLE, "l", {**changed(PROGRAM_SETTINGS[LIFECYCLE], path, accepted), "bucket": bucket})


def encryption(algorithm: str, key: str = None) -> dict:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return {"rules": [{"applyServerSideEncryptionByDefault": default}]}


@pytest.mark.parametrize("settings, message", [
    (encryption("SSE-KMS", KEY_ARN), "MalformedXML: SSEAlgorithm 'SSE-KMS' must be one of AES256, aws:kms"),
    (encryption("AES256", KEY_ARN), "InvalidArgument: a KMSMasterKeyID is not applicable if the default sse "
                                    "algorithm is not aws:kms or aws:kms:dsse"),
], ids=["unknown algorithm", "AES256 with a key"])
def test_default_encryption_s3_refuses(cloud, bucket, settings, message):
    with refused(message):
        register(cloud, ENCRYPTION, "e", {**settings, "bucket": bucket})


@pytest.mark.parametrize("settings", [encryption("AES256"), encryption("aws:kms"), encryption("aws:kms:dsse", KEY_ARN)],
                         ids=["AES256", "aws:kms with S3's key", "aws:kms:dsse with a key"])
def test_default_encryption_s3_accepts(cloud, bucket, settings):
    assert register(cloud, ENCRYPTION, "e", {**settings, "bucket": bucket})["id"] == bucket


@pytest.mark.parametrize("typ, settings, message", [
    (VERSIONING, {"versioningConfiguration": {"status": "On"}}, "MalformedXML: VersioningConfiguration.Status 'On'"),
    (OWNERSHIP, {"rule": {"objectOwnership": "BucketOwner"}}, "MalformedXML: ObjectOwnership 'BucketOwner'"),
], ids=["versioning On", "ownership BucketOwner"])
def test_bucket_setting_values_s3_refuses(cloud, bucket, typ, settings, message):
    with refused(message):
        register(cloud, typ, "s", {**settings, "bucket": bucket})


@pytest.mark.parametrize("policy, message", [
    ("{not json", "MalformedPolicyDocument: the bucket policy is not JSON"),
    (json.dumps({"Version": "2012-10-17"}), "MalformedPolicyDocument: the bucket policy has no Statement"),
    (tls_only("another-bucket"), "MalformedPolicy: Policy has invalid resource (arn:aws:s3:::another-bucket"),
], ids=["not JSON", "no statement", "another bucket's resource"])
def test_a_bucket_policy_is_a_policy_on_that_bucket(cloud, bucket, policy, message):
    with refused(message):
        register(cloud, BUCKET_POLICY, "p", {"bucket": bucket, "policy": policy})


# CodeConnections and Secrets Manager.

def test_a_connection_is_created_pending(cloud):
    state = register(cloud, CONNECTION, "c", {"name": "lambdakit-prod", "providerType": "GitHub"})
    assert re.fullmatch(rf"arn:aws:codeconnections:eu-west-1:{ACCOUNT}:connection/[0-9a-f-]{{36}}", state["arn"])
    assert (state["id"], state["connectionStatus"]) == (state["arn"], "PENDING")


@pytest.mark.parametrize("inputs, message", [
    ({"name": "c" * 33, "providerType": "GitHub"}, "ValidationException: CodeConnections connection name"),
    ({"name": "c", "providerType": "GitHubEnterpriseServer"},
     "ValidationException: ProviderType 'GitHubEnterpriseServer' must be one of GitHub, GitLab, Bitbucket"),
    ({"name": "c"}, "ValidationException: ProviderType ''"),
], ids=["name of 33", "self-managed provider without a host", "no provider"])
def test_connection_refusals(cloud, inputs, message):
    with refused(message):
        register(cloud, CONNECTION, "c", inputs)
    assert register(cloud, CONNECTION, "c", {"name": "c" * 32, "providerType": "GitLab"})["arn"]


def test_a_secret_arn_ends_with_a_hyphen_and_six_characters(cloud):
    state = register(cloud, SECRET, "s", {"name": "lambdakit-prod/pulumi-access-token", "recoveryWindowInDays": 7})
    assert re.fullmatch(rf"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:lambdakit-prod/pulumi-access-token"
                        r"-[A-Za-z0-9]{6}", state["arn"])
    assert state["id"] == state["arn"]


@pytest.mark.parametrize("inputs, message", [
    ({"name": "pulumi-token-a1B2c3"}, "ends with a hyphen and six characters"),
    ({"name": "pulumi token"}, "ValidationException: Secrets Manager secret name 'pulumi token'"),
    ({"name": "s" * 513}, "Secrets Manager secret name"),
    ({"name": "t", "recoveryWindowInDays": 6},
     "expected recovery_window_in_days to be 0 or in the range (7 - 30), got 6"),
    ({"name": "t", "recoveryWindowInDays": 31}, "got 31"),
], ids=["ARN-like suffix", "space", "513 characters", "6 days", "31 days"])
def test_secret_refusals(cloud, inputs, message):
    with refused(message):
        register(cloud, SECRET, "s", inputs)


@pytest.mark.parametrize("inputs", [{"name": "pulumi-token-a1B2c"}, {"name": "t", "recoveryWindowInDays": 0},
                                    {"name": "t", "recoveryWindowInDays": 30}, {"name": "s" * 512}],
                         ids=["five-character suffix", "no recovery", "30 days", "512 characters"])
def test_secrets_manager_accepts(cloud, inputs):
    assert register(cloud, SECRET, "s", inputs)["arn"]


# IAM: managed policies, attachments, and the quota on a role's inline policies.

def sized(characters: int) -> str:
    """A policy document of exactly `characters` characters that IAM counts (whitespace not counted)."""
    base = document({**STATEMENT, "Sid": ""}).replace(" ", "")
    return base.replace('"Sid":""', '"Sid":"' + "s" * (characters - len(base)) + '"')


def test_managed_policy_arn_and_size(cloud):
    assert register(cloud, POLICY, "p", {"name": "lambdakit-prod-deploy-functions", "policy": sized(6144)})["arn"] == \
        f"arn:aws:iam::{ACCOUNT}:policy/lambdakit-prod-deploy-functions"
    with refused("LimitExceeded: Cannot exceed quota for PolicySize: 6144"):
        register(cloud, POLICY, "q", {"name": "q", "policy": sized(6145)})
    # Whitespace is not counted.
    assert register(cloud, POLICY, "r", {"name": "r", "policy": json.dumps(json.loads(sized(6144)), indent=8)})


@pytest.mark.parametrize("name", ["p" * 129, "deploy policy", "déploiement"])
def test_managed_policy_names_iam_refuses(cloud, name):
    with refused("ValidationException: IAM policy name"):
        register(cloud, POLICY, "p", {"name": name, "policy": document(STATEMENT)})


@pytest.fixture
def deploy_role(cloud) -> str:
    register(cloud, ROLE, "deploy", {"name": "lambdakit-prod-deploy", "assumeRolePolicy": trust("codebuild")})
    return "lambdakit-prod-deploy"


def managed(cloud, name: str) -> str:
    return register(cloud, POLICY, name, {"name": name, "policy": document(STATEMENT)})["arn"]


def test_an_attachment_needs_the_role_and_the_policy(cloud):
    policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/functions"
    with refused("NoSuchEntity: The role cannot be found (role 'lambdakit-prod-deploy')"):
        register(cloud, ATTACHMENT, "a", {"role": "lambdakit-prod-deploy", "policyArn": policy_arn})
    register(cloud, ROLE, "deploy", {"name": "lambdakit-prod-deploy", "assumeRolePolicy": trust("codebuild")})
    with refused(f"NoSuchEntity: Policy does not exist or is not attachable (policy '{policy_arn}')"):
        register(cloud, ATTACHMENT, "a", {"role": "lambdakit-prod-deploy", "policyArn": policy_arn})
    assert managed(cloud, "functions") == policy_arn
    state = register(cloud, ATTACHMENT, "a", {"role": "lambdakit-prod-deploy", "policyArn": policy_arn})
    assert re.fullmatch(r"lambdakit-prod-deploy-\d{18}[0-9a-f]{8}", state["id"])


def test_a_role_takes_at_most_10_managed_policies(cloud, deploy_role):
    for index in range(9):
        register(cloud, ATTACHMENT, f"a{index}", {"role": deploy_role, "policyArn": managed(cloud, f"p{index}")})
    aws_managed = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForLambda"  # AWS's own policies always exist
    register(cloud, ATTACHMENT, "a9", {"role": deploy_role, "policyArn": aws_managed})
    with refused("LimitExceeded: Cannot exceed quota for PoliciesPerRole: 10"):
        register(cloud, ATTACHMENT, "a10", {"role": deploy_role, "policyArn": managed(cloud, "p10")})
    # Attaching another policy in place of one of the ten adds none.
    assert register(cloud, ATTACHMENT, "a9", {"role": deploy_role, "policyArn": managed(cloud, "p10")})


def test_a_roles_inline_policies_hold_10240_characters_together(cloud, deploy_role):
    register(cloud, ROLE_POLICY, "first", {"role": deploy_role, "policy": sized(6000)})
    with refused(f"LimitExceeded: Maximum policy size of 10240 bytes exceeded for role {deploy_role}"):
        register(cloud, ROLE_POLICY, "second", {"role": deploy_role, "policy": sized(4241)})
    assert register(cloud, ROLE_POLICY, "second", {"role": deploy_role, "policy": sized(4240)}) is not None
    # Putting a policy again replaces its own share; whitespace is not counted; another role has its own quota.
    assert register(cloud, ROLE_POLICY, "first", {"role": deploy_role, "policy": json.dumps(
        json.loads(sized(6000)), indent=4)}) is not None
    register(cloud, ROLE, "other", {"name": "other", "assumeRolePolicy": trust("codebuild")})
    assert register(cloud, ROLE_POLICY, "third", {"role": "other", "policy": sized(10240)}) is not None


# CodeBuild.

BUILD_PROJECT = {
    "name": "lambdakit-prod-build", "buildTimeout": 60,
    "environment": {"environmentVariables": [{"value": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/lambdakit-prod-api",
                                              "name": "REPOSITORY_URL"}],
                    "computeType": "BUILD_GENERAL1_SMALL", "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0",
                    "type": "ARM_CONTAINER", "privilegedMode": True},
    "source": {"buildspec": "pipeline/buildspec-build.yml", "type": "CODEPIPELINE"},
    "cache": {"type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]},
    "logsConfig": {"cloudwatchLogs": {"groupName": "/aws/codebuild/lambdakit-prod-build"}},
    "artifacts": {"type": "CODEPIPELINE"},
    "serviceRole": f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-build",
}
DEPLOY_PROJECT = {
    **BUILD_PROJECT, "name": "lambdakit-prod-deploy", "cache": None,
    "environment": {"environmentVariables": [
        {"value": "lambdakit/prod", "name": "PULUMI_STACK"},
        {"value": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:lambdakit-prod/pulumi-access-token-a1b2c3",
         "type": "SECRETS_MANAGER", "name": "PULUMI_ACCESS_TOKEN"}],
        "computeType": "BUILD_GENERAL1_SMALL", "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0",
        "type": "ARM_CONTAINER", "privilegedMode": False},
    "source": {"buildspec": "pipeline/buildspec-deploy.yml", "type": "CODEPIPELINE"},
    "serviceRole": f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-build",
}
DEPLOY_PROJECT = {k: v for k, v in DEPLOY_PROJECT.items() if v is not None}


@pytest.fixture
def build_role(cloud) -> list:
    return service_role(cloud, "lambdakit-prod-build", "codebuild")


@pytest.mark.parametrize("project", [BUILD_PROJECT, DEPLOY_PROJECT], ids=["build", "deploy"])
def test_the_programs_projects_are_accepted(cloud, build_role, project):
    state = register(cloud, PROJECT, project["name"], project, build_role)
    assert state["arn"] == state["id"] == f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/{project['name']}"


@pytest.mark.parametrize("path, value, message", [
    ("environment.computeType", "BUILD_LAMBDA_1GB",
     "InvalidInputException: AWS CodeBuild curated image aws/codebuild/amazonlinux-aarch64-standard:3.0 is not "
     "supported for projects with environment type ARM_CONTAINER and compute type BUILD_LAMBDA_1GB"),
    ("environment.image", "aws/codebuild/amazonlinux-x86_64-standard:5.0",
     "curated image aws/codebuild/amazonlinux-x86_64-standard:5.0 is not supported for projects with environment "
     "type ARM_CONTAINER"),
    ("environment.type", "LINUX_CONTAINER",
     "curated image aws/codebuild/amazonlinux-aarch64-standard:3.0 is not supported for projects with environment "
     "type LINUX_CONTAINER"),
    ("environment.type", "ARM_LAMBDA_CONTAINER", "environment type ARM_LAMBDA_CONTAINER and compute type "
                                                 "BUILD_GENERAL1_SMALL"),
    ("environment.environmentVariables.0.type", "SECRET",
     "InvalidInputException: environment variable REPOSITORY_URL: type 'SECRET' must be one of PLAINTEXT"),
    ("cache.modes", [], "InvalidInputException: a LOCAL cache needs one or more modes"),
    ("cache.modes", ["LOCAL_DOCKER_CACHE"], "InvalidInputException: cache mode 'LOCAL_DOCKER_CACHE'"),
    ("cache.type", "EFS", "InvalidInputException: cache type 'EFS' must be one of NO_CACHE, S3, LOCAL"),
    ("environment.privilegedMode", False,
     "InvalidInputException: the LOCAL_DOCKER_LAYER_CACHE mode needs privileged mode"),
    ("buildTimeout", 4, "buildTimeout 4 is outside 5..2160"),
    ("buildTimeout", 2161, "buildTimeout 2161 is outside 5..2160"),
    ("queuedTimeout", 481, "queuedTimeout 481 is outside 5..480"),
    ("artifacts.type", "NO_ARTIFACTS", "InvalidInputException: Invalid input: when using CodePipeline both "
                                       "sourceType, and artifactType must be set to: CODEPIPELINE"),
    ("source.type", "GITHUB", "when using CodePipeline both sourceType, and artifactType must be set to"),
    ("name", "-build", "ValidationException: CodeBuild project name '-build'"),
    ("name", "b", "CodeBuild project name 'b'"),
], ids=["ARM with Lambda compute", "ARM with an x86 image", "x86 with an aarch64 image", "Lambda with EC2 compute",
        "variable type SECRET", "LOCAL cache without modes", "unknown cache mode", "unknown cache type",
        "Docker layer cache without privileged mode", "timeout 4", "timeout 2161", "queued timeout 481",
        "CODEPIPELINE source without its artifacts", "CODEPIPELINE artifacts without its source",
        "name with a hyphen first",
        "name of one character"])
def test_project_settings_codebuild_refuses(cloud, build_role, path, value, message):
    with refused(message):
        register(cloud, PROJECT, "p", changed(BUILD_PROJECT, path, value), build_role)


def lambda_environment(kind: str, image: str, privileged: bool = False) -> dict:
    return {"type": kind, "computeType": "BUILD_LAMBDA_2GB", "image": image, "privilegedMode": privileged}


ARM_LAMBDA_IMAGE = "aws/codebuild/amazonlinux-aarch64-lambda-standard:python3.12"


@pytest.mark.parametrize("path, value", [
    ("environment.computeType", "BUILD_GENERAL1_2XLARGE"),
    ("environment", lambda_environment("ARM_LAMBDA_CONTAINER", ARM_LAMBDA_IMAGE)),
    ("environment.image", f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/builder:1"),
    ("cache", {"type": "NO_CACHE"}),
    ("buildTimeout", 2160),
], ids=["ARM 2XLARGE", "ARM Lambda compute", "the account's own image", "no cache", "timeout 2160"])
def test_project_settings_codebuild_accepts(cloud, build_role, path, value):
    project = changed(BUILD_PROJECT, path, value)
    if path == "environment":
        project = changed(project, "cache", None)
    assert register(cloud, PROJECT, "p", project, build_role)["arn"]


def test_lambda_compute_runs_no_privileged_builds(cloud, build_role):
    project = changed(changed(BUILD_PROJECT, "cache", None), "environment",
                      lambda_environment("ARM_LAMBDA_CONTAINER", ARM_LAMBDA_IMAGE, privileged=True))
    with refused("InvalidInputException: privileged mode is not supported by Lambda compute (environment type "
                 "ARM_LAMBDA_CONTAINER)"):
        register(cloud, PROJECT, "p", project, build_role)


# Service roles: CodeBuild, CodePipeline and CodeDeploy check the role they are given when the resource is made.

def project_inputs(role_arn: str) -> dict:
    return {**BUILD_PROJECT, "serviceRole": role_arn}


def group_inputs(role_arn: str) -> dict:
    return {**LIVE_GROUP, "serviceRoleArn": role_arn}


def pipeline_inputs(role_arn: str) -> dict:
    return {**PROGRAM_PIPELINE, "roleArn": role_arn}


SERVICES = {
    "codebuild": (PROJECT, project_inputs, "InvalidInputException: CodeBuild is not authorized to perform: "
                                           "sts:AssumeRole on {role}"),
    "codepipeline": (PIPELINE, pipeline_inputs, "InvalidStructureException: CodePipeline is not authorized to "
                                                "perform AssumeRole on role {role}"),
    "codedeploy": (DEPLOYMENT_GROUP, group_inputs, "InvalidRoleException: AWS CodeDeploy does not have the "
                                                   "permissions required to assume the role {role}."),
}


@pytest.fixture
def delivery(cloud) -> None:
    """What the pipeline and the deployment group name, but their roles: the bucket, the application and config."""
    register(cloud, BUCKET, "artifacts", {"bucket": ARTIFACT_BUCKET})
    register(cloud, APPLICATION, "api", PROGRAM_APPLICATION)
    register(cloud, DEPLOYMENT_CONFIG, "api", PROGRAM_CONFIG)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("problem", ["no such role", "trusts another service", "its policy not waited for"])
def test_a_service_role_exists_trusts_the_service_and_holds_its_policies_first(cloud, delivery, service, problem):
    typ, inputs, message = SERVICES[service]
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/stage"
    waited = [] if problem == "no such role" else service_role(
        cloud, "stage", "lambda" if problem == "trusts another service" else service)
    with refused(message.format(role=role_arn)):
        register(cloud, typ, "r", inputs(role_arn), [] if problem == "its policy not waited for" else waited)
    if problem == "its policy not waited for":
        # Waiting for the role's managed policy attachment counts as well.
        attachment = {"role": "stage", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
        assert register(cloud, typ, "r", inputs(role_arn), [done(ATTACHMENT, attachment)])["arn"]


# CodePipeline.

ARTIFACT_BUCKET = "lambdakit-prod-artifacts-20261123181123353400000001"
PIPELINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-pipeline"


def build_action(name: str, project: str, variables: dict, namespace: str) -> dict:
    return {"version": "1", "inputArtifacts": ["source"], "owner": "AWS", "namespace": namespace,
            "category": "Build", "provider": "CodeBuild", "name": name,
            "configuration": {"ProjectName": project, "EnvironmentVariables": json.dumps(
                [{"name": k, "value": v, "type": "PLAINTEXT"} for k, v in variables.items()])}}


SOURCE_ACTION = {"version": "1", "owner": "AWS", "category": "Source", "provider": "CodeStarSourceConnection",
                 "configuration": {"DetectChanges": "false", "ConnectionArn": CONNECTION_ARN,
                                   "OutputArtifactFormat": "CODE_ZIP", "FullRepositoryId": "example-org/lambdakit",
                                   "BranchName": "main"},
                 "outputArtifacts": ["source"], "name": "Source"}
SCAN_ACTION = {"version": "1", "owner": "AWS", "namespace": "Scan", "category": "Invoke", "provider": "Lambda",
               "configuration": {"FunctionName": "lambdakit-prod-scan-gate",
                                 "UserParameters": "{\"imageDigest\": \"#{Build.IMAGE_DIGEST}\"}"},
               "name": "ScanGate"}
PROGRAM_PIPELINE = {
    "name": "lambdakit-prod", "pipelineType": "V2", "executionMode": "QUEUED", "roleArn": PIPELINE_ROLE,
    "artifactStores": [{"encryptionKey": {"type": "KMS", "id": KEY_ARN}, "type": "S3", "location": ARTIFACT_BUCKET}],
    "stages": [
        {"name": "Source", "actions": [SOURCE_ACTION]},
        {"name": "Build", "actions": [build_action("Image", "lambdakit-prod-build",
                                                   {"APP": "api", "PLATFORM": "linux/arm64"}, "Build")]},
        {"name": "Scan", "actions": [SCAN_ACTION]},
        {"name": "Deploy", "actions": [build_action("PulumiUp", "lambdakit-prod-deploy",
                                                    {"IMAGE_DIGEST": "#{Scan.imageDigest}"}, "Deploy")]},
        {"name": "Traffic", "actions": [build_action("Canary", "lambdakit-prod-release", {
            "FUNCTION_NAME": "lambdakit-prod-api", "ALIAS": "live", "TARGET_VERSION": "#{Deploy.FUNCTION_VERSION}",
            "APPLICATION": "lambdakit-prod-api", "DEPLOYMENT_GROUP": "live"}, "Traffic")]},
    ],
    "triggers": [{"providerType": "CodeStarSourceConnection", "gitConfiguration": {
        "sourceActionName": "Source",
        "pushes": [{"branches": {"includes": ["main"]},
                    "filePaths": {"includes": ["functions/**", "components/**", "policies/**", "pipeline/**", "*.py",
                                               "Pulumi.yaml", "Pulumi.prod.yaml", "requirements.txt"]}}]}}],
}
PUSH = "triggers.0.gitConfiguration.pushes"
FILE_PATHS = f"{PUSH}.0.filePaths.includes"


@pytest.fixture
def pipeline_role(cloud) -> list:
    register(cloud, BUCKET, "artifacts", {"bucket": ARTIFACT_BUCKET})
    return service_role(cloud, "lambdakit-prod-pipeline", "codepipeline")


def test_the_programs_pipeline_is_accepted(cloud, pipeline_role):
    assert register(cloud, PIPELINE, "p", PROGRAM_PIPELINE, pipeline_role)["arn"] == PIPELINE_ARN


def stage(name: str, *actions: dict) -> dict:
    return {"name": name, "actions": list(actions)}


SCAN_BEFORE_BUILD = changed(SCAN_ACTION, "configuration.UserParameters", "#{Deploy.FUNCTION_VERSION}")


@pytest.mark.parametrize("path, value, message", [
    ("stages", PROGRAM_PIPELINE["stages"][:1],
     "InvalidStructureException: Pipeline has only 1 stage(s). There should be a minimum of 2 stages in a pipeline"),
    ("stages.2.name", "Build", "InvalidStructureException: Stage names must be unique within the pipeline; Build"),
    ("stages.2.actions", [SCAN_ACTION, {**SCAN_ACTION, "namespace": "Scan2"}],
     "InvalidStructureException: Action names must be unique within stage Scan; ScanGate occurs more than once"),
    ("stages.2.name", "Scan gate", "ValidationException: CodePipeline stage or action name 'Scan gate'"),
    ("stages.2.actions.0.name", "Scan/Gate", "CodePipeline stage or action name 'Scan/Gate'"),
    ("stages.2.actions.0.namespace", "Scan.Gate", "ValidationException: CodePipeline action namespace 'Scan.Gate'"),
    ("stages.0.actions.0.outputArtifacts", ["source.zip"],
     "ValidationException: CodePipeline artifact name 'source.zip'"),
    ("stages.0.actions", [SOURCE_ACTION, {**SCAN_ACTION, "configuration": {"FunctionName": "f"}}],
     "InvalidStructureException: The first stage of the pipeline can only contain source actions (action ScanGate)"),
    ("stages.2.actions", [{**SOURCE_ACTION, "outputArtifacts": ["more"]}],
     "InvalidStructureException: Source actions can only be included in the first stage of the pipeline"),
    ("stages.0.actions.0.provider", "CodeBuild",
     "InvalidActionDeclarationException: ActionType (Category: 'Source', Provider: 'CodeBuild', Owner: 'AWS', "
     "Version: '1') in action 'Source' is not available in region 'EU_WEST_1'"),
    ("stages.0.actions.0.configuration.ConnectionArn", None,
     "InvalidActionDeclarationException: Action configuration for action 'Source' is missing required "
     "configuration 'ConnectionArn'"),
    ("stages.1.actions.0.configuration.ProjectName", None, "missing required configuration 'ProjectName'"),
    ("stages.2.actions.0.configuration.FunctionName", None, "missing required configuration 'FunctionName'"),
    ("stages.2.actions.0.configuration.UserParameters", "x" * 1001,
     "ValidationException: 1 validation error detected: Value at 'pipeline.stages.3.member.actions.1.member."
     "configuration' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length "
     "less than or equal to 1000, Member must have length greater than or equal to 1]"),
    ("stages.1.actions.0.inputArtifacts", [],
     "InvalidActionDeclarationException: Action Image declares 0 input artifacts which is less than the minimum "
     "count (1)"),
    ("stages.0.actions.0.outputArtifacts", ["source", "more"],
     "Action Source declares 2 output artifacts which is more than the maximum count (1)"),
    ("stages.3.actions.0.inputArtifacts", ["built"],
     "InvalidStructureException: input artifact 'built' of action 'PulumiUp' in stage 'Deploy' is not an output "
     "artifact of an action that runs before it"),
    ("stages.1.actions.0.outputArtifacts", ["source"],
     "InvalidStructureException: output artifact 'source' of action 'Image' in stage 'Build' is already the output "
     "of another action"),
    ("stages.3.actions.0.namespace", "Build",
     "InvalidActionDeclarationException: Namespaces must be unique across the pipeline definition. The following "
     "occur more than once in the pipeline. StageName=[Deploy], ActionName=[PulumiUp], Namespace=[Build]"),
    ("stages.4.actions.0.namespace", "source",
     "InvalidActionDeclarationException: namespace source is also the name of an artifact"),
    ("stages.2.actions.0.configuration.UserParameters", "#{Gate.IMAGE_DIGEST}",
     "InvalidActionDeclarationException: Valid format for a pipeline execution variable reference is a namespace "
     "and a key separated by a period (.). The following pipeline execution variables are referencing a namespace "
     "that does not exist. StageName=[Scan], ActionName=[ScanGate], ActionConfigurationKey=[UserParameters], "
     "VariableReferenceText=[Gate.IMAGE_DIGEST]"),
    ("stages.2.actions.0.configuration.UserParameters", "#{IMAGE_DIGEST}", "VariableReferenceText=[IMAGE_DIGEST]"),
    ("stages.2", stage("Scan", SCAN_BEFORE_BUILD),
     "VariableReferenceText=[Deploy.FUNCTION_VERSION]"),
], ids=["one stage", "stage name twice", "action name twice in a stage", "stage name with a space",
        "action name with a slash", "namespace with a dot", "artifact name with a dot", "first stage holds a build",
        "source action in a later stage", "source category with the CodeBuild provider", "no ConnectionArn",
        "no ProjectName", "no FunctionName", "configuration value of 1001", "build with no input artifact",
        "source with two outputs", "input artifact no action produces", "output artifact name twice",
        "namespace twice", "namespace named as an artifact", "reference to an unknown namespace",
        "reference without a namespace", "reference to a later stage's namespace"])
def test_pipeline_structure_codepipeline_refuses(cloud, pipeline_role, path, value, message):
    with refused(message):
        register(cloud, PIPELINE, "p", changed(PROGRAM_PIPELINE, path, value), pipeline_role)


@pytest.mark.parametrize("path, value", [
    ("stages.2.actions.0.configuration.UserParameters", "#{codepipeline.PipelineExecutionId}"),
    ("stages.2.actions.0.configuration.UserParameters", "x" * 1000),
    # An action may take what an action of its own stage with a lower runOrder produces.
    ("stages.1.actions", [
        build_action("Image", "lambdakit-prod-build", {}, "Build") | {"outputArtifacts": ["image"]},
        build_action("Check", "lambdakit-prod-build", {"DIGEST": "#{Build.IMAGE_DIGEST}"}, "Check")
        | {"inputArtifacts": ["image"], "runOrder": 2}]),
], ids=["execution variable", "configuration value of 1000", "lower runOrder in the same stage"])
def test_pipeline_structure_codepipeline_accepts(cloud, pipeline_role, path, value):
    assert register(cloud, PIPELINE, "p", changed(PROGRAM_PIPELINE, path, value), pipeline_role)["arn"]


def test_a_reference_to_an_action_running_at_the_same_time_is_refused(cloud, pipeline_role):
    same_run = [build_action("Image", "lambdakit-prod-build", {}, "Build"),
                build_action("Check", "lambdakit-prod-build", {"DIGEST": "#{Build.IMAGE_DIGEST}"}, "Check")]
    with refused("StageName=[Build], ActionName=[Check], ActionConfigurationKey=[EnvironmentVariables]"):
        register(cloud, PIPELINE, "p", changed(PROGRAM_PIPELINE, "stages.1.actions", same_run), pipeline_role)


@pytest.mark.parametrize("path, value, message", [
    ("pipelineType", "V1", "InvalidStructureException: Execution mode QUEUED can only be used with V2 pipelines"),
    ("pipelineType", "V3", "ValidationException: pipelineType 'V3' must be one of V1, V2"),
    ("executionMode", "SERIAL", "ValidationException: executionMode 'SERIAL' must be one of QUEUED, SUPERSEDED"),
    ("triggers.0.gitConfiguration.sourceActionName", "Checkout",
     "InvalidStructureException: the trigger's sourceActionName 'Checkout' is not a CodeStarSourceConnection source "
     "action of the pipeline"),
    ("triggers.0.providerType", "GitHub", "ValidationException: providerType 'GitHub'"),
    (PUSH, PROGRAM_PIPELINE["triggers"][0]["gitConfiguration"]["pushes"] * 4,
     "at 'pipeline.triggers.1.member.gitConfiguration.push' failed to satisfy constraint: Member must have length "
     "less than or equal to 3"),
    (FILE_PATHS, [f"dir{n}/**" for n in range(9)],
     "at 'pipeline.triggers.1.member.gitConfiguration.push.1.member.filePaths.includes' failed to satisfy "
     "constraint: Member must have length less than or equal to 8"),
    (FILE_PATHS, [], "filePaths.includes' failed to satisfy constraint: Member must have length greater than or "
                     "equal to 1"),
    (f"{FILE_PATHS}.1", "d" * 256, "at 'pipeline.triggers.1.member.gitConfiguration.push.1.member.filePaths."
                                   "includes.2.member' failed to satisfy constraint: Member must have length less "
                                   "than or equal to 255"),
    (f"{PUSH}.0.branches.includes", [f"release/{n}" for n in range(9)], "branches.includes' failed to satisfy"),
], ids=["QUEUED on V1", "type V3", "mode SERIAL", "trigger of an unknown action",
        "trigger provider GitHub", "4 push filters", "9 file paths", "no file path", "file path of 256",
        "9 branches"])
def test_execution_mode_and_triggers_codepipeline_refuses(cloud, pipeline_role, path, value, message):
    with refused(message):
        register(cloud, PIPELINE, "p", changed(PROGRAM_PIPELINE, path, value), pipeline_role)


def test_triggers_need_a_v2_pipeline(cloud, pipeline_role):
    superseded = changed(PROGRAM_PIPELINE, "executionMode", None)
    with refused("InvalidStructureException: Triggers can only be used with V2 pipelines"):
        register(cloud, PIPELINE, "p", changed(superseded, "pipelineType", "V1"), pipeline_role)
    assert register(cloud, PIPELINE, "p", superseded, pipeline_role)["arn"] == PIPELINE_ARN


@pytest.mark.parametrize("path, value", [
    ("executionMode", "PARALLEL"), (PUSH, PROGRAM_PIPELINE["triggers"][0]["gitConfiguration"]["pushes"] * 3),
    (f"{FILE_PATHS}.1", "d" * 255),
], ids=["PARALLEL on V2", "3 push filters", "file path of 255"])
def test_execution_mode_and_triggers_codepipeline_accepts(cloud, pipeline_role, path, value):
    assert register(cloud, PIPELINE, "p", changed(PROGRAM_PIPELINE, path, value), pipeline_role)["arn"]


def test_a_v1_pipeline_without_triggers_runs_superseded(cloud, pipeline_role):
    v1 = {k: v for k, v in PROGRAM_PIPELINE.items() if k not in ("pipelineType", "executionMode", "triggers")}
    assert register(cloud, PIPELINE, "p", v1, pipeline_role)["arn"] == PIPELINE_ARN


def test_the_artifact_store_is_a_bucket_of_the_account(cloud):
    role = service_role(cloud, "lambdakit-prod-pipeline", "codepipeline")
    with refused("InvalidStructureException: the artifact store is not an S3 bucket of the account (artifact store "
                 f"location '{ARTIFACT_BUCKET}')"):
        register(cloud, PIPELINE, "p", PROGRAM_PIPELINE, role)


@pytest.mark.parametrize("name", ["lambdakit prod", "p" * 101, "lambdakit/prod"])
def test_pipeline_names_codepipeline_refuses(cloud, pipeline_role, name):
    with refused(f"ValidationException: CodePipeline pipeline name {name!r}"):
        register(cloud, PIPELINE, "p", {**PROGRAM_PIPELINE, "name": name}, pipeline_role)


# CodeDeploy.

PROGRAM_APPLICATION = {"computePlatform": "Lambda", "name": "lambdakit-prod-api"}
PROGRAM_CONFIG = {"deploymentConfigName": "lambdakit-prod-api-canary-10pct-5min", "computePlatform": "Lambda",
                  "trafficRoutingConfig": {"type": "TimeBasedCanary",
                                           "timeBasedCanary": {"interval": 5, "percentage": 10}}}
LIVE_GROUP = {
    "appName": "lambdakit-prod-api", "deploymentConfigName": "lambdakit-prod-api-canary-10pct-5min",
    "serviceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-api-codedeploy", "deploymentGroupName": "live",
    "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
    "alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [
        "lambdakit-prod-api-error-rate", "lambdakit-prod-api-url-5xx-rate", "lambdakit-prod-api-throttles",
        "lambdakit-prod-api-duration"]},
}


@pytest.fixture
def release(cloud, delivery) -> list:
    """The program's application and canary configuration, and the CodeDeploy role with its policy."""
    return service_role(cloud, "lambdakit-prod-api-codedeploy", "codedeploy")


def test_the_programs_release_is_accepted(cloud):
    application = register(cloud, APPLICATION, "api", PROGRAM_APPLICATION)
    assert (application["arn"], application["id"]) == (
        APPLICATION_ARN, f"{application['applicationId']}:lambdakit-prod-api")
    config = register(cloud, DEPLOYMENT_CONFIG, "api", PROGRAM_CONFIG)
    assert (config["id"], config["arn"]) == ("lambdakit-prod-api-canary-10pct-5min", f"arn:aws:codedeploy:eu-west-1:"
                                             f"{ACCOUNT}:deploymentconfig:lambdakit-prod-api-canary-10pct-5min")
    group = register(cloud, DEPLOYMENT_GROUP, "api", LIVE_GROUP,
                     service_role(cloud, "lambdakit-prod-api-codedeploy", "codedeploy"))
    assert (group["arn"], group["id"], group["computePlatform"]) == (
        f"arn:aws:codedeploy:eu-west-1:{ACCOUNT}:deploymentgroup:lambdakit-prod-api/live", group["deploymentGroupId"],
        "Lambda")


@pytest.mark.parametrize("typ, inputs", [(APPLICATION, PROGRAM_APPLICATION), (DEPLOYMENT_CONFIG, PROGRAM_CONFIG)],
                         ids=["application", "deployment configuration"])
def test_the_compute_platform_is_server_lambda_or_ecs(cloud, typ, inputs):
    with refused("InvalidComputePlatformException: The computePlatform is invalid. The computePlatform should be "
                 "Lambda, Server, or ECS."):
        register(cloud, typ, "x", {**inputs, "computePlatform": "Fargate"})
    assert register(cloud, typ, "x", {**inputs, "computePlatform": "ECS"})


CANARY = "trafficRoutingConfig.timeBasedCanary"


def linear(percentage: int, interval: int) -> dict:
    return {"type": "TimeBasedLinear", "timeBasedLinear": {"percentage": percentage, "interval": interval}}


@pytest.mark.parametrize("path, value, message", [
    ("trafficRoutingConfig", None, "InvalidTrafficRoutingConfigurationException: a Lambda or ECS deployment "
                                   "configuration needs a trafficRoutingConfig"),
    (CANARY, None, "a TimeBasedCanary configuration needs timeBasedCanary.percentage in 1..99, not None"),
    (f"{CANARY}.percentage", 0, "timeBasedCanary.percentage in 1..99, not 0"),
    (f"{CANARY}.percentage", 100, "timeBasedCanary.percentage in 1..99, not 100"),
    (f"{CANARY}.interval", 0, "timeBasedCanary.interval in 1..2880, not 0"),
    (f"{CANARY}.interval", 2881, "timeBasedCanary.interval in 1..2880, not 2881"),
    ("trafficRoutingConfig", linear(100, 10), "timeBasedLinear.percentage in 1..99, not 100"),
    ("trafficRoutingConfig.type", "Blue", "InvalidTrafficRoutingConfigurationException: trafficRoutingConfig.type "
                                          "'Blue'"),
    ("deploymentConfigName", "canary 10%", "ValidationException: CodeDeploy name 'canary 10%'"),
], ids=["no traffic routing", "canary without its shift", "canary of 0 %", "canary of 100 %", "interval of 0",
        "interval of 2881", "linear of 100 %", "type Blue", "name with a space"])
def test_lambda_deployment_configs_codedeploy_refuses(cloud, path, value, message):
    with refused(message):
        register(cloud, DEPLOYMENT_CONFIG, "c", changed(PROGRAM_CONFIG, path, value))


@pytest.mark.parametrize("path, value", [
    (CANARY, {"percentage": 99, "interval": 2880}), ("trafficRoutingConfig", linear(1, 1)),
    ("trafficRoutingConfig", {"type": "AllAtOnce"}),
], ids=["canary of 99 % for 2880 minutes", "linear of 1 % every minute", "all at once"])
def test_lambda_deployment_configs_codedeploy_accepts(cloud, path, value):
    assert register(cloud, DEPLOYMENT_CONFIG, "c", changed(PROGRAM_CONFIG, path, value))["deploymentConfigId"]


@pytest.mark.parametrize("path, value, message", [
    ("appName", "lambdakit-prod-web", "ApplicationDoesNotExistException: The application does not exist with the "
                                      "user or Amazon Web Services account. (application 'lambdakit-prod-web')"),
    ("deploymentConfigName", "lambdakit-prod-api-canary-20pct-5min",
     "DeploymentConfigDoesNotExistException: The deployment configuration does not exist with the user or Amazon "
     "Web Services account. (lambdakit-prod-api-canary-20pct-5min)"),
    ("deploymentConfigName", "CodeDeployDefault.HalfAtATime",
     "InvalidDeploymentConfigNameException: deployment configuration CodeDeployDefault.HalfAtATime is for the "
     "Server compute platform; the application's is Lambda"),
    ("deploymentConfigName", None, "deployment configuration CodeDeployDefault.OneAtATime is for the Server"),
    ("deploymentStyle.deploymentType", "IN_PLACE",
     "InvalidDeploymentStyleException: a deployment group of a Lambda application must be BLUE_GREEN with "
     "WITH_TRAFFIC_CONTROL, not IN_PLACE with WITH_TRAFFIC_CONTROL"),
    ("deploymentStyle.deploymentOption", "WITHOUT_TRAFFIC_CONTROL", "not BLUE_GREEN with WITHOUT_TRAFFIC_CONTROL"),
    ("alarmConfiguration.alarms", [f"alarm-{n}" for n in range(11)],
     "AlarmsLimitExceededException: The maximum number of alarms for a deployment group (10) was exceeded."),
    ("alarmConfiguration.alarms", [], "InvalidAlarmConfigException: The alarm configuration is enabled, but the "
                                      "alarm list is empty."),
    ("alarmConfiguration.alarms", ["lambdakit-prod-api-error-rate"] * 2,
     "InvalidAlarmConfigException: Two alarms with the same name have been specified."),
    ("autoRollbackConfiguration.events", ["DEPLOYMENT_TIMEOUT"],
     "InvalidAutoRollbackConfigException: rollback event 'DEPLOYMENT_TIMEOUT' must be one of DEPLOYMENT_FAILURE"),
    ("autoRollbackConfiguration.events", [], "InvalidAutoRollbackConfigException: automatic rollback is enabled, "
                                             "but no event types were listed"),
    ("alarmConfiguration.enabled", False,
     "InvalidAutoRollbackConfigException: DEPLOYMENT_STOP_ON_ALARM needs an enabled alarm configuration"),
    ("deploymentGroupName", "live group", "ValidationException: CodeDeploy name 'live group'"),
], ids=["no such application", "no such configuration", "a Server configuration", "the provider's default "
        "configuration", "in place", "without traffic control", "11 alarms", "enabled without alarms",
        "an alarm twice", "unknown rollback event", "rollback without events", "stop on alarm without alarms",
        "name with a space"])
def test_lambda_deployment_groups_codedeploy_refuses(cloud, release, path, value, message):
    with refused(message):
        register(cloud, DEPLOYMENT_GROUP, "g", changed(LIVE_GROUP, path, value), release)


@pytest.mark.parametrize("path, value", [
    ("deploymentConfigName", "CodeDeployDefault.LambdaCanary10Percent5Minutes"),
    ("deploymentStyle", None),  # CodeDeploy sets a Lambda group's style itself
    ("alarmConfiguration.alarms", [f"alarm-{n}" for n in range(10)]),
    ("autoRollbackConfiguration.events", ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]),
], ids=["CodeDeploy's own Lambda canary", "no style", "10 alarms", "rollback without alarms"])
def test_lambda_deployment_groups_codedeploy_accepts(cloud, release, path, value):
    inputs = changed(LIVE_GROUP, path, value)
    if path == "autoRollbackConfiguration.events":
        inputs = changed(inputs, "alarmConfiguration", None)
    assert register(cloud, DEPLOYMENT_GROUP, "g", inputs, release)["deploymentGroupId"]


# CodeStar Notifications.

FAILURE_RULE = {"name": "lambdakit-prod", "resource": PIPELINE_ARN, "detailType": "FULL",
                "eventTypeIds": ["codepipeline-pipeline-pipeline-execution-failed"],
                "targets": [{"address": TOPIC_ARN, "type": "SNS"}]}


def test_the_programs_notification_rule_is_accepted(cloud):
    state = register(cloud, RULE, "r", FAILURE_RULE)
    assert re.fullmatch(rf"arn:aws:codestar-notifications:eu-west-1:{ACCOUNT}:notificationrule/[0-9a-f]{{40}}",
                        state["arn"])
    assert state["id"] == state["arn"]


@pytest.mark.parametrize("path, value, message", [
    ("name", "lambdakit.prod", "ValidationException: notification rule name 'lambdakit.prod'"),
    ("name", "n" * 65, "notification rule name"),
    ("detailType", "ALL", "ValidationException: DetailType 'ALL' must be one of BASIC, FULL"),
    ("eventTypeIds", ["codedeploy-application-deployment-failed"],
     "ValidationException: event types codedeploy-application-deployment-failed are not events of "
     f"{PIPELINE_ARN} (its event type ids start with codepipeline-pipeline-)"),
    ("resource", APPLICATION_ARN, "are not events of " + APPLICATION_ARN),
    ("resource", TOPIC_ARN, f"ValidationException: {TOPIC_ARN} is not a resource notification rules support"),
    ("targets", [{"address": TOPIC_ARN, "type": "SNS"}] * 11,
     "ValidationException: 1 validation error detected: Value"),
    ("targets.0.type", "EMAIL", "ValidationException: TargetType 'EMAIL' must be one of SNS"),
], ids=["name with a dot", "name of 65", "detail ALL", "a deployment's event on a pipeline",
        "a pipeline's event on an application", "a topic as the resource", "11 targets", "target type EMAIL"])
def test_notification_rules_codestar_notifications_refuses(cloud, path, value, message):
    with refused(message):
        register(cloud, RULE, "r", changed(FAILURE_RULE, path, value))


def test_a_rule_on_a_codedeploy_application_takes_its_deployment_events(cloud):
    rule = {**FAILURE_RULE, "name": "lambdakit prod_releases", "resource": APPLICATION_ARN,
            "eventTypeIds": ["codedeploy-application-deployment-failed"],
            "targets": [{"address": TOPIC_ARN, "type": "SNS"}] * 10}
    assert register(cloud, RULE, "r", rule)["arn"]
