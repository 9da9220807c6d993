"""The simulated account's storage refuses what AWS (or the AWS provider, before it calls AWS) refuses, and
accepts what AWS accepts: S3 (the artifact bucket and its settings), KMS CreateKey and CreateAlias, Secrets
Manager CreateSecret. The accepted S3 settings are the program's own (components/pipeline.py)."""

import json
import re

import pytest

from tests.aws_account.delivery_inputs import KEY_ARN
from tests.aws_account.steps import (ACCOUNT, CLOUDWATCH_USES_KEY, KEY_POLICY, ROOT, changed, document, refused,
                                     register)

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
SECRET = "aws:secretsmanager/secret:Secret"


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


# KMS.

@pytest.mark.parametrize("days", [5, 6, 31])
def test_a_key_deletion_window_is_7_to_30_days(cloud, days):
    with refused(f"ValidationException: PendingWindowInDays {days} must be 7..30"):
        register(cloud, KEY, "k", {"policy": KEY_POLICY, "deletionWindowInDays": days})
    for accepted in (7, 30):
        assert register(cloud, KEY, f"k{accepted}", {"policy": KEY_POLICY, "deletionWindowInDays": accepted})["arn"]


@pytest.mark.parametrize("policy", [
    document(CLOUDWATCH_USES_KEY),
    document({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:Decrypt", "Resource": "*"}),
    document({"Effect": "Deny", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}),
    document({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "kms:*",
             "Resource": "*"}),
], ids=["only a service", "root may only decrypt", "root denied", "another account's root"])
def test_a_key_policy_must_not_lock_the_account_out(cloud, policy):
    with refused("MalformedPolicyDocumentException: The new key policy will not allow you to update the key policy"):
        register(cloud, KEY, "k", {"policy": policy})
    assert register(cloud, KEY, "bypassed", {"policy": policy, "bypassPolicyLockoutSafetyCheck": True})["arn"]


@pytest.mark.parametrize("policy", [
    KEY_POLICY,
    document({"Effect": "Allow", "Principal": {"AWS": [ROOT]}, "Action": ["kms:PutKeyPolicy"], "Resource": "*"},
            CLOUDWATCH_USES_KEY),
], ids=["root kms:*", "root kms:PutKeyPolicy"])
def test_a_key_policy_that_keeps_the_account_in_is_accepted(cloud, policy):
    key = register(cloud, KEY, "k", {"policy": policy})
    assert key["arn"] == f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key['keyId']}"


def test_a_key_policy_that_lets_the_caller_itself_administer_the_key_is_accepted(cloud):
    # CreateKey: the policy "must allow the calling principal to make a subsequent PutKeyPolicy request".
    caller = f"arn:aws:iam::{ACCOUNT}:user/deployer"  # SimulatedCloud's getCallerIdentity
    assert register(cloud, KEY, "k", {"policy": document(
        {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "kms:*", "Resource": "*"})})["arn"]


@pytest.mark.parametrize("name", ["alias/aws/x", "no-prefix", "alias/", "alias/with space", "alias/" + "a" * 251],
                         ids=["reserved alias/aws/", "no alias/ prefix", "empty", "space", "257 characters"])
def test_create_alias_refuses_the_name(cloud, name):
    with refused("ValidationException: KMS alias name"):
        register(cloud, ALIAS, "a", {"name": name, "targetKeyId": "k"})
    assert register(cloud, ALIAS, "a", {"name": "alias/lambdakit-dev/alarms_1:x", "targetKeyId": "k"})["arn"] == \
        f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/lambdakit-dev/alarms_1:x"


def test_an_alias_name_is_unique_in_the_account(cloud):
    register(cloud, ALIAS, "first", {"name": "alias/alarms", "targetKeyId": "k1"})
    with refused("AlreadyExistsException: An alias with the name alias/alarms already exists"):
        register(cloud, ALIAS, "second", {"name": "alias/alarms", "targetKeyId": "k2"})
    # Updating the first is no second; once it is deleted, the name is free again.
    assert register(cloud, ALIAS, "first", {"name": "alias/alarms", "targetKeyId": "k2"})
    cloud.delete_all_but(set())
    assert register(cloud, ALIAS, "second", {"name": "alias/alarms", "targetKeyId": "k2"})


# Secrets Manager.

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
