"""The simulated account's storage: S3 (the artifact bucket and its settings), KMS keys and aliases, and
Secrets Manager. The messages are the services' own where their text is known: S3's error codes and messages
(InvalidArgument, MalformedXML, MalformedPolicy, NoSuchBucket) as the S3 API returns them, reproduced by moto,
LocalStack and MinIO; KMS's from botocore's kms service model (2014-11-01).
"""

import re
from fnmatch import fnmatchcase
from typing import Callable

from aws_account.ids import prefixed_unique_id, short_hash, urn_uuid
from aws_account.refusals import AwsRefusal, as_list, check_name, check_one_of, known, policy_document
from aws_limits import (KMS_ALIAS_NAME, S3_BUCKET_NAME, S3_BUCKET_PREFIX_MAX, S3_KMS_ALGORITHMS, S3_LIFECYCLE_MAX_ID,
                        S3_LIFECYCLE_STATUSES, S3_OBJECT_OWNERSHIPS, S3_SSE_ALGORITHMS, S3_VERSIONING_STATUSES,
                        SECRET_NAME, SECRET_RECOVERY_DAYS)

BUCKET = "aws:s3/bucket:Bucket"
KMS_ALIAS = "aws:kms/alias:Alias"
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")  # what Secrets Manager appends to a secret's ARN


class SimulatedStorage:
    """Mixed into SimulatedCloud (account.py): needs `arn()`, `partition`, `region`, `account_id`,
    `deployer_arn`, `kms_aliases` and `_existing()`."""

    def storage_creators(self) -> dict:
        bucket_settings = {
            "aws:s3/bucketVersioning:BucketVersioning": _check_versioning,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
                _check_encryption,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": lambda inputs, bucket_arn: None,
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _check_ownership,
            "aws:s3/bucketPolicy:BucketPolicy": _check_bucket_policy,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _check_lifecycle,
        }
        return {
            BUCKET: self._bucket,
            **{typ: self._bucket_setting(check) for typ, check in bucket_settings.items()},
            "aws:kms/key:Key": self._kms_key,
            KMS_ALIAS: self._kms_alias,
            "aws:secretsmanager/secret:Secret": self._secret,
        }

    def storage_deleters(self) -> dict:
        return {KMS_ALIAS: lambda gone: self.kms_aliases.discard(gone.outputs["name"])}

    # S3.

    def _bucket(self, step, previous, inputs, name) -> dict:
        """CreateBucket. The name is `bucket`, else `bucketPrefix` and the 26 characters the provider appends
        (whose length it checks before calling S3); an update keeps it unless the name's inputs change."""
        same = previous is not None and all(previous.inputs.get(k) == inputs.get(k) for k in ("bucket", "bucketPrefix"))
        bucket = inputs.get("bucket") or (previous.outputs["bucket"] if same else None)
        if not bucket:
            prefix = inputs.get("bucketPrefix") or "terraform-"
            if len(prefix) > S3_BUCKET_PREFIX_MAX:
                raise AwsRefusal(f"expected length of bucket_prefix to be in the range (0 - {S3_BUCKET_PREFIX_MAX}), "
                                 f"got {prefix}")
            bucket = prefixed_unique_id(prefix, step.urn)
        check_name(S3_BUCKET_NAME, bucket)
        return {"id": bucket, "bucket": bucket, "arn": f"arn:{self.partition}:s3:::{bucket}", "region": self.region,
                "bucketDomainName": f"{bucket}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{bucket}.s3.{self.region}.amazonaws.com"}

    def _bucket_setting(self, check: Callable[[dict, str], None]) -> Callable:
        """A bucket's setting (versioning, encryption, …): S3 answers NoSuchBucket for a bucket it does not
        hold; the setting's id is the bucket's name."""
        def create(step, previous, inputs, name) -> dict:
            bucket = inputs.get("bucket")
            self._existing(BUCKET, "bucket", bucket, "bucket", "NoSuchBucket: The specified bucket does not exist")
            check(inputs, f"arn:{self.partition}:s3:::{bucket}")
            return {"id": bucket} if known(bucket) else {}
        return create

    # KMS.

    def _kms_key(self, step, previous, inputs, name) -> dict:
        window = inputs.get("deletionWindowInDays")
        if known(window) and not 7 <= window <= 30:
            raise AwsRefusal(f"ValidationException: PendingWindowInDays {window} must be 7..30")
        if known(inputs.get("policy")) and not inputs.get("bypassPolicyLockoutSafetyCheck"):
            document = policy_document("the key policy", inputs["policy"])
            callers = {f"arn:{self.partition}:iam::{self.account_id}:root", self.account_id, self.deployer_arn}
            if not any(s.get("Effect") == "Allow" and callers & set(as_list((s.get("Principal") or {}).get("AWS")))
                       and any(fnmatchcase("kms:PutKeyPolicy", a) for a in as_list(s.get("Action")))
                       for s in document["Statement"]):
                raise AwsRefusal("MalformedPolicyDocumentException: The new key policy will not allow you to update "
                                 "the key policy in the future.")
        key_id = urn_uuid(step.urn)
        return {"id": key_id, "keyId": key_id, "arn": self.arn("kms", f"key/{key_id}")}

    def _kms_alias(self, step, previous, inputs, name) -> dict:
        check_name(KMS_ALIAS_NAME, name)
        if name in self.kms_aliases and (previous is None or previous.outputs["name"] != name):
            raise AwsRefusal(f"AlreadyExistsException: An alias with the name {name} already exists")
        if previous is not None:
            self.kms_aliases.discard(previous.outputs["name"])
        self.kms_aliases.add(name)
        return {"arn": self.arn("kms", name)}

    # Secrets Manager.

    def _secret(self, step, previous, inputs, name) -> dict:
        """CreateSecret. Its API reference: "Do not end your secret name with a hyphen followed by six
        characters" (the ARN's own suffix; a partial ARN would then find the wrong secret): the simulation
        refuses it, in its own words. The provider checks the recovery window: 0 (no recovery) or 7..30 days."""
        check_name(SECRET_NAME, name)
        if known(name) and _SECRET_SUFFIX.search(name):
            raise AwsRefusal(f"ValidationException: secret name {name!r} ends with a hyphen and six characters, "
                             "like the suffix Secrets Manager adds to every secret's ARN")
        window = inputs.get("recoveryWindowInDays")
        if known(window) and window != 0 and not SECRET_RECOVERY_DAYS[0] <= window <= SECRET_RECOVERY_DAYS[1]:
            raise AwsRefusal(f"expected recovery_window_in_days to be 0 or in the range ({SECRET_RECOVERY_DAYS[0]} - "
                             f"{SECRET_RECOVERY_DAYS[1]}), got {window}")
        arn = self.arn("secretsmanager", f"secret:{name}-{short_hash(step.urn, 6)}")
        return {"id": arn, "arn": arn}


# S3 bucket settings: each takes the setting's inputs and the bucket's ARN.

def _check_versioning(inputs: dict, bucket_arn: str) -> None:
    status = (inputs.get("versioningConfiguration") or {}).get("status")
    check_one_of("VersioningConfiguration.Status", status, S3_VERSIONING_STATUSES, "MalformedXML")


def _check_ownership(inputs: dict, bucket_arn: str) -> None:
    ownership = (inputs.get("rule") or {}).get("objectOwnership")
    check_one_of("ObjectOwnership", ownership, S3_OBJECT_OWNERSHIPS, "MalformedXML")


def _check_encryption(inputs: dict, bucket_arn: str) -> None:
    for rule in inputs.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        algorithm = default.get("sseAlgorithm")
        check_one_of("SSEAlgorithm", algorithm, S3_SSE_ALGORITHMS, "MalformedXML")
        if default.get("kmsMasterKeyId") and known(algorithm) and algorithm not in S3_KMS_ALGORITHMS:
            raise AwsRefusal("InvalidArgument: a KMSMasterKeyID is not applicable if the default sse algorithm is not "
                             "aws:kms or aws:kms:dsse")


def _check_bucket_policy(inputs: dict, bucket_arn: str) -> None:
    """PutBucketPolicy: a policy document whose every Resource is the bucket or its objects."""
    if not known(inputs.get("policy")):
        return
    for statement in policy_document("the bucket policy", inputs["policy"])["Statement"]:
        for resource in as_list(statement.get("Resource")):
            if known(resource) and not (fnmatchcase(bucket_arn, resource) or resource.startswith(f"{bucket_arn}/")):
                raise AwsRefusal(f"MalformedPolicy: Policy has invalid resource ({resource} is not {bucket_arn} "
                                 "nor in it)")


# A lifecycle rule's day counts: the setting, its field, S3's element and action names.
_LIFECYCLE_DAYS = (("expiration", "days", "Days", "Expiration"),
                   ("noncurrentVersionExpiration", "noncurrentDays", "NoncurrentDays", "NoncurrentVersionExpiration"),
                   ("abortIncompleteMultipartUpload", "daysAfterInitiation", "DaysAfterInitiation",
                    "AbortIncompleteMultipartUpload"))


def _check_lifecycle(inputs: dict, bucket_arn: str) -> None:
    """PutBucketLifecycleConfiguration. The provider requires each rule's id (S3 would make one up); the
    message for its absence is the simulation's."""
    rules = inputs.get("rules") or []
    for rule in rules:
        rule_id = rule.get("id")
        if not rule_id:
            raise AwsRefusal("the AWS provider requires every lifecycle rule's id (rules[].id)")
        if known(rule_id) and len(rule_id) > S3_LIFECYCLE_MAX_ID:
            raise AwsRefusal(f"InvalidArgument: ID length should not exceed allowed limit of {S3_LIFECYCLE_MAX_ID}")
        check_one_of("Rule.Status", rule.get("status"), S3_LIFECYCLE_STATUSES, "MalformedXML")
        for setting, field, element, action in _LIFECYCLE_DAYS:
            days = (rule.get(setting) or {}).get(field)
            if known(days) and days < 1:
                raise AwsRefusal(f"InvalidArgument: '{element}' for {action} action must be a positive integer")
    ids = [rule["id"] for rule in rules]
    if len(set(ids)) != len(ids):
        raise AwsRefusal("InvalidArgument: Rule ID must be unique. Found same ID for more than one rule")
