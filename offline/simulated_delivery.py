"""The simulated account's delivery services: S3 (the artifact bucket), CodeConnections, Secrets Manager,
CodeBuild, CodePipeline, CodeDeploy, CodeStar Notifications, and IAM's managed policies.

Each creator computes the outputs its provider computes and refuses what the service (or the AWS provider,
before it calls the service) refuses. Limits and enums come from botocore's service models and the services'
user guides (aws_limits.py names them). The messages are the services' own where their text is known:
  - S3: its error codes and messages (InvalidArgument, MalformedXML, MalformedPolicy, NoSuchBucket) as the S3
    API returns them, reproduced by moto, LocalStack and MinIO;
  - IAM: "Cannot exceed quota for PolicySize / PoliciesPerRole", "Maximum policy size of 10240 bytes exceeded
    for role", NoSuchEntity;
  - CodeBuild: "when using CodePipeline both sourceType, and artifactType must be set to: CODEPIPELINE"
    (cloudposse/terraform-aws-codebuild#23), "AWS CodeBuild curated image … is not supported for projects with
    environment type … and compute type …" (aws/copilot-cli#3110, aws/aws-cdk#35368), "CodeBuild is not
    authorized to perform: sts:AssumeRole on …" (which deployment tools retry while a new role propagates);
  - CodePipeline: "Pipeline has only 1 stage(s)…" and "CodePipeline is not authorized to perform AssumeRole on
    role …" (moto's codepipeline backend), "Source actions can only be included in the first stage of the
    pipeline", "ActionType (Category: …) in action … is not available in region …", "Action … declares 0 input
    artifacts which is less than the minimum count (1)" (awsdocs/aws-cloudformation-user-guide#941), "Namespaces
    must be unique across the pipeline definition…" (aws/aws-cdk#6111), "…referencing a namespace that does not
    exist…" (aws/aws-cdk#17272), the model's length constraints in AWS's "1 validation error detected" form;
  - CodeDeploy: the exception names and texts of botocore's codedeploy model, "AWS CodeDeploy does not have the
    permissions required to assume the role …" (go-to-k/cdkd#948).
Where no AWS text was found, the message is the simulation's own and the check's docstring says so.
"""

import hashlib
import re
import uuid
from fnmatch import fnmatchcase
from typing import Any, Callable, Optional

from aws_limits import (CODEBUILD_CACHE_MODES, CODEBUILD_CACHE_TYPES, CODEBUILD_COMPUTE_TYPES,
                        CODEBUILD_LAMBDA_COMPUTE, CODEBUILD_PROJECT_NAME, CODEBUILD_QUEUED_TIMEOUT_MINUTES,
                        CODEBUILD_TIMEOUT_MINUTES, CODEBUILD_VARIABLE_TYPES, CODEDEPLOY_COMPUTE_PLATFORMS,
                        CODEDEPLOY_MAX_ALARMS, CODEDEPLOY_NAME, CODEDEPLOY_ROLLBACK_EVENTS,
                        CODEDEPLOY_SERVER_DEFAULTS, CODEDEPLOY_SHIFT_INTERVAL_MINUTES, CODEDEPLOY_SHIFT_PERCENT,
                        CODEDEPLOY_TRAFFIC_TYPES, CONNECTION_NAME, CONNECTION_PROVIDERS, IAM_MANAGED_POLICIES_PER_ROLE,
                        IAM_MANAGED_POLICY_MAX_CHARS, IAM_POLICY_NAME, IAM_ROLE_INLINE_POLICIES_MAX_CHARS,
                        NOTIFICATION_DETAIL_TYPES, NOTIFICATION_EVENT_PREFIXES, NOTIFICATION_MAX_TARGETS,
                        NOTIFICATION_RULE_NAME, NOTIFICATION_TARGET_TYPES, PIPELINE_ACTION_TYPES,
                        PIPELINE_ARTIFACT_NAME, PIPELINE_CONFIGURATION_VALUE_LENGTH, PIPELINE_EXECUTION_MODES,
                        PIPELINE_MAX_PATTERN_LENGTH, PIPELINE_MAX_PATTERNS, PIPELINE_MAX_PUSH_FILTERS,
                        PIPELINE_MIN_STAGES, PIPELINE_NAME, PIPELINE_NAMESPACE, PIPELINE_RESERVED_NAMESPACES,
                        PIPELINE_STAGE_OR_ACTION_NAME, PIPELINE_TYPES, S3_BUCKET_NAME, S3_BUCKET_PREFIX_MAX,
                        S3_KMS_ALGORITHMS, S3_LIFECYCLE_MAX_ID, S3_LIFECYCLE_STATUSES, S3_OBJECT_OWNERSHIPS,
                        S3_SSE_ALGORITHMS, S3_VERSIONING_STATUSES, SECRET_NAME, SECRET_RECOVERY_DAYS)
from offline.refusals import AwsRefusal, as_list, check_name, check_range, known, policy_document

BUCKET = "aws:s3/bucket:Bucket"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
APPLICATION = "aws:codedeploy/application:Application"
DEPLOYMENT_CONFIG = "aws:codedeploy/deploymentConfig:DeploymentConfig"

_VARIABLE = re.compile(r"#\{([^}]*)\}")
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")  # what Secrets Manager appends to a secret's ARN
_WHITESPACE = re.compile(r"\s")


def policy_size(text: str) -> int:
    """A policy's size as IAM counts it against its quotas: whitespace is not counted."""
    return len(_WHITESPACE.sub("", text))


def _check_one_of(what: str, value: Any, allowed, error: str = "ValidationException") -> None:
    if known(value) and value not in allowed:
        raise AwsRefusal(f"{error}: {what} {value!r} must be one of {', '.join(allowed)}")


def _check_length(path: str, value: Any, bounds: tuple[int, int]) -> None:
    """A length outside the API model's constraint, refused in AWS's own words (paths count from 1)."""
    if not known(value) or bounds[0] <= len(value) <= bounds[1]:
        return
    constraint = (f"less than or equal to {bounds[1]}" if len(value) > bounds[1] else
                  f"greater than or equal to {bounds[0]}")
    raise AwsRefusal(f"ValidationException: 1 validation error detected: Value '{value}' at '{path}' failed to "
                     f"satisfy constraint: Member must have length {constraint}")


def _uuid(urn: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, urn))


def _prefixed_unique_id(prefix: str, urn: str) -> str:
    """The Terraform plugin SDK's id.PrefixedUniqueId, which the provider uses for bucket_prefix and attachment
    ids: the prefix, then 18 digits (the UTC time to 1/10000 s) and an 8-digit hex counter. The simulation
    derives them from the resource's URN instead, so that a run of the program is repeatable."""
    digest = hashlib.sha256(urn.encode()).hexdigest()
    return f"{prefix}{int(digest[:32], 16) % 10 ** 18:018d}{digest[32:40]}"


def _trusts(trust_policy: Any, service: str) -> bool:
    """Whether a role's trust policy lets `service` assume it (an unknown policy is taken as yes)."""
    if not known(trust_policy):
        return True
    principal = f"{service}.amazonaws.com"
    return any(s.get("Effect") == "Allow" and isinstance(s.get("Principal"), dict)
               and principal in as_list(s["Principal"].get("Service"))
               and any(fnmatchcase("sts:AssumeRole", a) for a in as_list(s.get("Action")))
               for s in policy_document("the trust policy", trust_policy)["Statement"])


class SimulatedDelivery:
    """Mixed into SimulatedCloud: needs `arn()`, `partition`, `account_id`, `region`, `resources`, and
    SimulatedMonitoring's `_existing`."""

    def delivery_creators(self) -> dict:
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
            "aws:codeconnections/connection:Connection": self._connection,
            "aws:secretsmanager/secret:Secret": self._secret,
            MANAGED_POLICY: self._managed_policy,
            ATTACHMENT: self._attachment,
            "aws:codebuild/project:Project": self._project,
            "aws:codepipeline/pipeline:Pipeline": self._pipeline,
            APPLICATION: self._application,
            DEPLOYMENT_CONFIG: self._deployment_config,
            "aws:codedeploy/deploymentGroup:DeploymentGroup": self._deployment_group,
            "aws:codestarnotifications/notificationRule:NotificationRule": self._notification_rule,
        }

    def _state(self, typ: str, key: str, value: Any) -> Optional[dict]:
        return next((r.outputs for r in self.resources.values() if r.type == typ and r.outputs.get(key) == value),
                    None)

    def _check_service_role(self, step, previous, inputs: dict, key: str, service: str, refusal: str) -> None:
        """A service checks the role it is given when a resource is created (or given another role): the role
        must exist and trust the service. IAM is eventually consistent, and the resource's first use needs the
        role's permissions, so the simulation also requires the role's policies (RolePolicy or
        RolePolicyAttachment on it) to be among what the step waited for. `refusal` is the service's message."""
        role_arn = inputs.get(key)
        if not known(role_arn) or (previous is not None and previous.inputs.get(key) == role_arn):
            return
        role = self._state(ROLE, "arn", role_arn)
        role_name = role_arn.rsplit("/", 1)[-1]
        waited = any(p.type in (ROLE_POLICY, ATTACHMENT) and p.inputs.get("role") == role_name
                     for p in step.prerequisites)
        if role is None or not _trusts(role.get("assumeRolePolicy"), service) or not waited:
            raise AwsRefusal(f"{refusal.format(role=role_arn)} (the role must exist, trust {service}.amazonaws.com "
                             "and hold its policies before the resource is created: make the resource depend on "
                             "the role's policies)")

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
            bucket = _prefixed_unique_id(prefix, step.urn)
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

    # CodeConnections and Secrets Manager.

    def _connection(self, step, previous, inputs, name) -> dict:
        """CreateConnection: a hosted provider's connection needs no host, and starts PENDING until a person
        completes its handshake in the console."""
        check_name(CONNECTION_NAME, name)
        if not inputs.get("hostArn"):
            _check_one_of("ProviderType", inputs.get("providerType", ""), CONNECTION_PROVIDERS)
        arn = self.arn("codeconnections", f"connection/{_uuid(step.urn)}")
        return {"id": arn, "arn": arn, "connectionStatus": "PENDING", "ownerAccountId": self.account_id}

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
        arn = self.arn("secretsmanager", f"secret:{name}-{hashlib.sha256(step.urn.encode()).hexdigest()[:6]}")
        return {"id": arn, "arn": arn}

    # IAM managed policies, and the quota on a role's inline policies (checked by SimulatedCloud._role_policy).

    def _managed_policy(self, step, previous, inputs, name) -> dict:
        check_name(IAM_POLICY_NAME, name)
        text = inputs.get("policy")
        if known(text):
            policy_document("the policy", text)
            if policy_size(text) > IAM_MANAGED_POLICY_MAX_CHARS:
                raise AwsRefusal(f"LimitExceeded: Cannot exceed quota for PolicySize: {IAM_MANAGED_POLICY_MAX_CHARS}")
        path = inputs.get("path") or "/"
        arn = f"arn:{self.partition}:iam::{self.account_id}:policy{path}{name}"
        return {"id": arn, "arn": arn, "path": path, "attachmentCount": 0,
                "policyId": "ANPA" + hashlib.sha256(step.urn.encode()).hexdigest()[:17].upper()}

    def _attachment(self, step, previous, inputs, name) -> dict:
        """AttachRolePolicy: the role and the policy must exist (AWS's own policies always do), and a role takes
        at most 10 managed policies."""
        role, policy_arn = inputs.get("role"), inputs.get("policyArn")
        self._existing(ROLE, "name", role, "role", "NoSuchEntity: The role cannot be found")
        if known(policy_arn) and ":iam::aws:policy/" not in policy_arn:
            self._existing(MANAGED_POLICY, "arn", policy_arn, "policy",
                           "NoSuchEntity: Policy does not exist or is not attachable")
        attached = [u for u, r in self.resources.items()
                    if r.type == ATTACHMENT and u != step.urn and r.inputs.get("role") == role]
        if len(attached) >= IAM_MANAGED_POLICIES_PER_ROLE:
            raise AwsRefusal(f"LimitExceeded: Cannot exceed quota for PoliciesPerRole: {IAM_MANAGED_POLICIES_PER_ROLE}")
        return {"id": _prefixed_unique_id(f"{role}-", step.urn)}

    def check_inline_policies(self, urn: str, inputs: dict) -> None:
        """PutRolePolicy: a role's inline policies together hold at most 10,240 characters, whitespace not
        counted. A policy put again replaces its own earlier share."""
        role, text = inputs.get("role"), inputs.get("policy")
        if not known(role, text):
            return
        others = sum(policy_size(r.inputs["policy"]) for u, r in self.resources.items()
                     if r.type == ROLE_POLICY and u != urn and r.inputs.get("role") == role
                     and known(r.inputs.get("policy")))
        if others + policy_size(text) > IAM_ROLE_INLINE_POLICIES_MAX_CHARS:
            raise AwsRefusal(f"LimitExceeded: Maximum policy size of {IAM_ROLE_INLINE_POLICIES_MAX_CHARS} bytes "
                             f"exceeded for role {role}")

    # CodeBuild.

    def _project(self, step, previous, inputs, name) -> dict:
        check_name(CODEBUILD_PROJECT_NAME, name)
        environment = inputs.get("environment") or {}
        _check_environment(environment)
        _check_cache(inputs.get("cache") or {}, bool(environment.get("privilegedMode")))
        check_range("buildTimeout", inputs.get("buildTimeout"), CODEBUILD_TIMEOUT_MINUTES)
        check_range("queuedTimeout", inputs.get("queuedTimeout"), CODEBUILD_QUEUED_TIMEOUT_MINUTES)
        source, artifacts = (inputs.get("source") or {}).get("type"), (inputs.get("artifacts") or {}).get("type")
        if known(source, artifacts) and (source == "CODEPIPELINE") != (artifacts == "CODEPIPELINE"):
            raise AwsRefusal("InvalidInputException: Invalid input: when using CodePipeline both sourceType, and "
                             "artifactType must be set to: CODEPIPELINE")
        self._check_service_role(step, previous, inputs, "serviceRole", "codebuild",
                                 "InvalidInputException: CodeBuild is not authorized to perform: sts:AssumeRole on "
                                 "{role}")
        arn = self.arn("codebuild", f"project/{name}")
        return {"id": arn, "arn": arn, "badgeUrl": ""}

    # CodePipeline.

    def _pipeline(self, step, previous, inputs, name) -> dict:
        check_name(PIPELINE_NAME, name)
        version, mode = inputs.get("pipelineType", "V1"), inputs.get("executionMode", "SUPERSEDED")
        _check_one_of("pipelineType", version, PIPELINE_TYPES)
        _check_one_of("executionMode", mode, PIPELINE_EXECUTION_MODES)
        if mode in ("QUEUED", "PARALLEL") and version != "V2":
            raise AwsRefusal(f"InvalidStructureException: Execution mode {mode} can only be used with V2 pipelines")
        stages = inputs.get("stages") or []
        _check_stages(stages, self.region)
        _check_flow(stages)
        _check_triggers(inputs.get("triggers") or [], version, stages)
        for store in inputs.get("artifactStores") or []:
            self._existing(BUCKET, "bucket", store.get("location"), "artifact store location",
                           "InvalidStructureException: the artifact store is not an S3 bucket of the account")
        self._check_service_role(step, previous, inputs, "roleArn", "codepipeline",
                                 "InvalidStructureException: CodePipeline is not authorized to perform AssumeRole on "
                                 "role {role}")
        return {"arn": self.arn("codepipeline", name)}

    # CodeDeploy.

    def _application(self, step, previous, inputs, name) -> dict:
        check_name(CODEDEPLOY_NAME, name)
        platform = inputs.get("computePlatform", "Server")
        _check_platform(platform)
        application_id = _uuid(step.urn)
        return {"id": f"{application_id}:{name}", "applicationId": application_id, "computePlatform": platform,
                "arn": self.arn("codedeploy", f"application:{name}"), "linkedToGithub": False}

    def _deployment_config(self, step, previous, inputs, name) -> dict:
        config_name = inputs.get("deploymentConfigName")
        check_name(CODEDEPLOY_NAME, config_name)
        platform = inputs.get("computePlatform", "Server")
        _check_platform(platform)
        if platform in ("Lambda", "ECS"):
            _check_traffic_routing(inputs.get("trafficRoutingConfig"))
        return {"id": config_name, "deploymentConfigId": _uuid(step.urn),
                "arn": self.arn("codedeploy", f"deploymentconfig:{config_name}")}

    def _deployment_group(self, step, previous, inputs, name) -> dict:
        app_name, group_name = inputs.get("appName"), inputs.get("deploymentGroupName")
        check_name(CODEDEPLOY_NAME, group_name)
        self._existing(APPLICATION, "name", app_name, "application",
                       "ApplicationDoesNotExistException: The application does not exist with the user or Amazon "
                       "Web Services account.")
        platform = (self._state(APPLICATION, "name", app_name) or {}).get("computePlatform")
        # The provider's default when none is named, as for a Server application.
        self._check_group_config(inputs.get("deploymentConfigName") or "CodeDeployDefault.OneAtATime", platform)
        if platform == "Lambda":
            _check_lambda_style(inputs.get("deploymentStyle"))
        _check_alarms_and_rollback(inputs.get("alarmConfiguration") or {},
                                   inputs.get("autoRollbackConfiguration") or {})
        self._check_service_role(step, previous, inputs, "serviceRoleArn", "codedeploy",
                                 "InvalidRoleException: AWS CodeDeploy does not have the permissions required to "
                                 "assume the role {role}.")
        group_id = _uuid(step.urn)
        return {"id": group_id, "deploymentGroupId": group_id, "computePlatform": platform,
                "arn": self.arn("codedeploy", f"deploymentgroup:{app_name}/{group_name}")}

    def _check_group_config(self, config_name: Any, platform: Optional[str]) -> None:
        """The group's deployment configuration exists (the account's own, or one of CodeDeploy's) and is for
        the application's compute platform. The mismatch's message is the simulation's wording."""
        if not known(config_name, platform):
            return
        custom = self._state(DEPLOYMENT_CONFIG, "deploymentConfigName", config_name)
        config_platform = custom.get("computePlatform", "Server") if custom else _predefined_platform(config_name)
        if config_platform is None:
            raise AwsRefusal("DeploymentConfigDoesNotExistException: The deployment configuration does not exist "
                             f"with the user or Amazon Web Services account. ({config_name})")
        if config_platform != platform:
            raise AwsRefusal(f"InvalidDeploymentConfigNameException: deployment configuration {config_name} is for "
                             f"the {config_platform} compute platform; the application's is {platform}")

    # CodeStar Notifications.

    def _notification_rule(self, step, previous, inputs, name) -> dict:
        """CreateNotificationRule. An event type belongs to one kind of resource (its id starts with that
        service's prefix); the refusal of another's is in the simulation's words."""
        check_name(NOTIFICATION_RULE_NAME, name)
        _check_one_of("DetailType", inputs.get("detailType"), NOTIFICATION_DETAIL_TYPES)
        resource = inputs.get("resource")
        if known(resource):
            prefix = NOTIFICATION_EVENT_PREFIXES.get(resource.split(":")[2] if resource.count(":") >= 5 else "")
            if prefix is None:
                raise AwsRefusal(f"ValidationException: {resource} is not a resource notification rules support")
            wrong = [e for e in inputs.get("eventTypeIds") or [] if known(e) and not e.startswith(prefix)]
            if wrong:
                raise AwsRefusal(f"ValidationException: event types {', '.join(wrong)} are not events of {resource} "
                                 f"(its event type ids start with {prefix})")
        targets = inputs.get("targets") or []
        _check_length("targets", targets, (0, NOTIFICATION_MAX_TARGETS))
        for target in targets:
            _check_one_of("TargetType", target.get("type"), NOTIFICATION_TARGET_TYPES)
        arn = self.arn("codestar-notifications", f"notificationrule/{hashlib.sha1(step.urn.encode()).hexdigest()}")
        return {"id": arn, "arn": arn}


# S3 bucket settings: each takes the setting's inputs and the bucket's ARN.

def _check_versioning(inputs: dict, bucket_arn: str) -> None:
    status = (inputs.get("versioningConfiguration") or {}).get("status")
    _check_one_of("VersioningConfiguration.Status", status, S3_VERSIONING_STATUSES, "MalformedXML")


def _check_ownership(inputs: dict, bucket_arn: str) -> None:
    ownership = (inputs.get("rule") or {}).get("objectOwnership")
    _check_one_of("ObjectOwnership", ownership, S3_OBJECT_OWNERSHIPS, "MalformedXML")


def _check_encryption(inputs: dict, bucket_arn: str) -> None:
    for rule in inputs.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        algorithm = default.get("sseAlgorithm")
        _check_one_of("SSEAlgorithm", algorithm, S3_SSE_ALGORITHMS, "MalformedXML")
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
        _check_one_of("Rule.Status", rule.get("status"), S3_LIFECYCLE_STATUSES, "MalformedXML")
        for setting, field, element, action in _LIFECYCLE_DAYS:
            days = (rule.get(setting) or {}).get(field)
            if known(days) and days < 1:
                raise AwsRefusal(f"InvalidArgument: '{element}' for {action} action must be a positive integer")
    ids = [rule["id"] for rule in rules]
    if len(set(ids)) != len(ids):
        raise AwsRefusal("InvalidArgument: Rule ID must be unique. Found same ID for more than one rule")


# CodeBuild.

def _check_environment(environment: dict) -> None:
    """Each environment type runs on its own compute types, and a CodeBuild image (aws/codebuild/…) is built
    for one architecture: aarch64 images for the ARM types only. Lambda compute runs no Docker daemon, so it
    refuses privileged mode (user guide, "Limitations of AWS Lambda compute"; that message is the
    simulation's)."""
    kind, compute, image = environment.get("type"), environment.get("computeType"), environment.get("image")
    allowed = CODEBUILD_COMPUTE_TYPES.get(kind)
    curated = known(image) and image.startswith("aws/codebuild/")
    wrong_compute = allowed is not None and known(compute) and compute not in allowed
    wrong_image = curated and allowed is not None and ("aarch64" in image) != kind.startswith("ARM")
    if wrong_compute or wrong_image:
        raise AwsRefusal(f"InvalidInputException: {'AWS CodeBuild curated image' if curated else 'Image'} {image} is "
                         f"not supported for projects with environment type {kind} and compute type {compute}")
    if allowed is CODEBUILD_LAMBDA_COMPUTE and environment.get("privilegedMode"):
        raise AwsRefusal(f"InvalidInputException: privileged mode is not supported by Lambda compute "
                         f"(environment type {kind})")
    for variable in environment.get("environmentVariables") or []:
        _check_one_of(f"environment variable {variable.get('name')}: type", variable.get("type", "PLAINTEXT"),
                      CODEBUILD_VARIABLE_TYPES, "InvalidInputException")


def _check_cache(cache: dict, privileged: bool) -> None:
    """A LOCAL cache names one or more modes, and the Docker layer cache needs privileged mode (user guide,
    "Cache builds": "If you choose this mode, you must run your build in privileged mode"). The messages for
    these two are the simulation's."""
    kind, modes = cache.get("type", "NO_CACHE"), cache.get("modes") or []
    _check_one_of("cache type", kind, CODEBUILD_CACHE_TYPES, "InvalidInputException")
    if kind == "LOCAL" and not modes:
        raise AwsRefusal("InvalidInputException: a LOCAL cache needs one or more modes of "
                         f"{', '.join(CODEBUILD_CACHE_MODES)}")
    for mode in modes:
        _check_one_of("cache mode", mode, CODEBUILD_CACHE_MODES, "InvalidInputException")
    if "LOCAL_DOCKER_LAYER_CACHE" in modes and not privileged:
        raise AwsRefusal("InvalidInputException: the LOCAL_DOCKER_LAYER_CACHE mode needs privileged mode")


# CodePipeline. Stage and action paths count from 1, as CodePipeline's messages do.

def _check_stages(stages: list[dict], region: str) -> None:
    """The pipeline's declared structure: at least two stages, unique names, source actions in the first stage
    and only there, each action of a type CodePipeline has with what that type requires. The message for a
    first stage that holds another action is the simulation's, after CodePipeline's for the converse."""
    if len(stages) < PIPELINE_MIN_STAGES:
        raise AwsRefusal(f"InvalidStructureException: Pipeline has only {len(stages)} stage(s). There should be a "
                         f"minimum of {PIPELINE_MIN_STAGES} stages in a pipeline")
    _check_unique("Stage", [stage.get("name") for stage in stages], "the pipeline")
    for index, stage in enumerate(stages, 1):
        check_name(PIPELINE_STAGE_OR_ACTION_NAME, stage.get("name"))
        actions = stage.get("actions") or []
        _check_unique("Action", [action.get("name") for action in actions], f"stage {stage.get('name')}")
        for position, action in enumerate(actions, 1):
            check_name(PIPELINE_STAGE_OR_ACTION_NAME, action.get("name"))
            if (index == 1) != (action.get("category") == "Source"):
                rule = ("Source actions can only be included in the first stage of the pipeline" if index > 1 else
                        "The first stage of the pipeline can only contain source actions")
                raise AwsRefusal(f"InvalidStructureException: {rule} (action {action.get('name')})")
            _check_action(action, f"pipeline.stages.{index}.member.actions.{position}.member", region)


def _check_unique(what: str, names: list, where: str) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise AwsRefusal(f"InvalidStructureException: {what} names must be unique within {where}; "
                         f"{', '.join(repeated)} occurs more than once")


def _check_action(action: dict, path: str, region: str) -> None:
    name, category, provider = action.get("name"), action.get("category"), action.get("provider")
    declared = PIPELINE_ACTION_TYPES.get((category, provider))
    if declared is None and provider not in {p for _, p in PIPELINE_ACTION_TYPES}:
        raise NotImplementedError(f"the simulated CodePipeline knows the action types {list(PIPELINE_ACTION_TYPES)} "
                                  f"only, not {provider}")
    if declared is None:
        raise AwsRefusal(f"InvalidActionDeclarationException: ActionType (Category: '{category}', Provider: "
                         f"'{provider}', Owner: '{action.get('owner')}', Version: '{action.get('version')}') in action "
                         f"'{name}' is not available in region '{region.upper().replace('-', '_')}'")
    required, input_bounds, output_bounds = declared
    configuration = action.get("configuration") or {}
    for key in required:
        if key not in configuration:
            raise AwsRefusal(f"InvalidActionDeclarationException: Action configuration for action '{name}' is missing "
                             f"required configuration '{key}'")
    low, high = PIPELINE_CONFIGURATION_VALUE_LENGTH
    if any(known(value) and not low <= len(str(value)) <= high for value in configuration.values()):
        raise AwsRefusal(f"ValidationException: 1 validation error detected: Value at '{path}.configuration' failed "
                         "to satisfy constraint: Map value must satisfy constraint: [Member must have length less "
                         f"than or equal to {high}, Member must have length greater than or equal to {low}]")
    for kind, (least, most) in (("input", input_bounds), ("output", output_bounds)):
        artifacts = action.get(f"{kind}Artifacts") or []
        if not least <= len(artifacts) <= most:
            bound = ("less than the minimum", least) if len(artifacts) < least else ("more than the maximum", most)
            raise AwsRefusal(f"InvalidActionDeclarationException: Action {name} declares {len(artifacts)} {kind} "
                             f"artifacts which is {bound[0]} count ({bound[1]})")
        for artifact in artifacts:
            check_name(PIPELINE_ARTIFACT_NAME, artifact)
    if action.get("namespace") is not None:
        check_name(PIPELINE_NAMESPACE, action["namespace"])


def _runs(stage: dict) -> list[list[dict]]:
    """A stage's actions in the order they run: by runOrder (1 when not given), those of one runOrder together."""
    actions = stage.get("actions") or []
    orders = sorted({action.get("runOrder") or 1 for action in actions})
    return [[action for action in actions if (action.get("runOrder") or 1) == order] for order in orders]


def _check_flow(stages: list[dict]) -> None:
    """What each action takes comes from actions that run before it (an earlier stage, or a lower runOrder of
    its own): its input artifacts, and the namespaces of the variables it references. Output artifact names
    and namespaces are unique in the pipeline, and no namespace is an artifact's name (user guide,
    "Variables reference" and "Input and output artifacts"). The messages for artifacts are the simulation's."""
    produced: set = set()
    namespaces: set = set(PIPELINE_RESERVED_NAMESPACES)
    for stage in stages:
        for run in _runs(stage):
            for action in run:
                _check_inputs(stage, action, produced)
                _check_references(stage, action, namespaces)
            for action in run:
                _add_outputs(stage, action, produced)
                _add_namespace(stage, action, namespaces)
    clashing = sorted((namespaces - set(PIPELINE_RESERVED_NAMESPACES)) & produced)
    if clashing:
        raise AwsRefusal(f"InvalidActionDeclarationException: namespace {', '.join(clashing)} is also the name of "
                         "an artifact; a namespace must not be an artifact's name")


def _check_inputs(stage: dict, action: dict, produced: set) -> None:
    for artifact in action.get("inputArtifacts") or []:
        if artifact not in produced:
            raise AwsRefusal(f"InvalidStructureException: input artifact '{artifact}' of action '{action.get('name')}' "
                             f"in stage '{stage.get('name')}' is not an output artifact of an action that runs before "
                             "it (in an earlier stage, or with a lower runOrder in its own)")


def _check_references(stage: dict, action: dict, namespaces: set) -> None:
    for key, value in (action.get("configuration") or {}).items():
        for reference in _VARIABLE.findall(value) if known(value) and isinstance(value, str) else []:
            namespace, dot, variable = reference.partition(".")
            if not (dot and variable and namespace in namespaces):
                raise AwsRefusal("InvalidActionDeclarationException: Valid format for a pipeline execution variable "
                                 "reference is a namespace and a key separated by a period (.). The following "
                                 "pipeline execution variables are referencing a namespace that does not exist. "
                                 f"StageName=[{stage.get('name')}], ActionName=[{action.get('name')}], "
                                 f"ActionConfigurationKey=[{key}], VariableReferenceText=[{reference}]")


def _add_outputs(stage: dict, action: dict, produced: set) -> None:
    for artifact in action.get("outputArtifacts") or []:
        if artifact in produced:
            raise AwsRefusal(f"InvalidStructureException: output artifact '{artifact}' of action "
                             f"'{action.get('name')}' in stage '{stage.get('name')}' is already the output of another "
                             "action; every output artifact in the pipeline must have a unique name")
        produced.add(artifact)


def _add_namespace(stage: dict, action: dict, namespaces: set) -> None:
    namespace = action.get("namespace")
    if namespace is None:
        return
    if namespace in namespaces:
        raise AwsRefusal("InvalidActionDeclarationException: Namespaces must be unique across the pipeline "
                         "definition. The following occur more than once in the pipeline. "
                         f"StageName=[{stage.get('name')}], ActionName=[{action.get('name')}], Namespace=[{namespace}]")
    namespaces.add(namespace)


def _check_triggers(triggers: list[dict], version: Any, stages: list[dict]) -> None:
    """V2 triggers: each starts the pipeline from one CodeStarSourceConnection source action, with at most 3
    push (and 3 pull request) filters of 1..8 patterns each. "Triggers can only be used with V2 pipelines" is
    the simulation's, after CodePipeline's "Triggers on tag can only be used with V2 pipelines"; so is the
    message for a trigger that names no such source action."""
    if triggers and version != "V2":
        raise AwsRefusal("InvalidStructureException: Triggers can only be used with V2 pipelines")
    first_stage = (stages[0].get("actions") or []) if stages else []
    sources = {action.get("name") for action in first_stage if action.get("provider") == "CodeStarSourceConnection"}
    for index, trigger in enumerate(triggers, 1):
        _check_one_of("providerType", trigger.get("providerType"), ("CodeStarSourceConnection",))
        git = trigger.get("gitConfiguration") or {}
        if known(git.get("sourceActionName")) and git.get("sourceActionName") not in sources:
            raise AwsRefusal(f"InvalidStructureException: the trigger's sourceActionName "
                             f"{git.get('sourceActionName')!r} is not a CodeStarSourceConnection source action of "
                             "the pipeline")
        for key, member in (("pushes", "push"), ("pullRequests", "pullRequest")):
            if key in git:
                _check_filters(git[key], f"pipeline.triggers.{index}.member.gitConfiguration.{member}")


def _check_filters(filters: list[dict], path: str) -> None:
    _check_length(path, filters, (1, PIPELINE_MAX_PUSH_FILTERS))
    for index, git_filter in enumerate(filters, 1):
        for criterion in ("branches", "filePaths", "tags"):
            for side in ("includes", "excludes"):
                patterns = (git_filter.get(criterion) or {}).get(side)
                if patterns is None:
                    continue
                where = f"{path}.{index}.member.{criterion}.{side}"
                _check_length(where, patterns, (1, PIPELINE_MAX_PATTERNS))
                for number, pattern in enumerate(patterns, 1):
                    _check_length(f"{where}.{number}.member", pattern, (1, PIPELINE_MAX_PATTERN_LENGTH))


# CodeDeploy.

def _check_platform(platform: Any) -> None:
    if known(platform) and platform not in CODEDEPLOY_COMPUTE_PLATFORMS:
        raise AwsRefusal("InvalidComputePlatformException: The computePlatform is invalid. The computePlatform should "
                         "be Lambda, Server, or ECS.")


def _check_traffic_routing(config: Optional[dict]) -> None:
    """A Lambda (or ECS) configuration says how traffic moves: a canary or linear shift of 1..99 % at a time,
    at most 2,880 minutes apart. The messages are the simulation's, under CodeDeploy's exception."""
    error = "InvalidTrafficRoutingConfigurationException"
    if not config:
        raise AwsRefusal(f"{error}: a Lambda or ECS deployment configuration needs a trafficRoutingConfig")
    kind = config.get("type", "AllAtOnce")
    _check_one_of("trafficRoutingConfig.type", kind, CODEDEPLOY_TRAFFIC_TYPES, error)
    key = {"TimeBasedCanary": "timeBasedCanary", "TimeBasedLinear": "timeBasedLinear"}.get(kind)
    if key is None:
        return
    shift = config.get(key) or {}
    for field, bounds in (("percentage", CODEDEPLOY_SHIFT_PERCENT), ("interval", CODEDEPLOY_SHIFT_INTERVAL_MINUTES)):
        value = shift.get(field)
        if value is None or (known(value) and not bounds[0] <= value <= bounds[1]):
            raise AwsRefusal(f"{error}: a {kind} configuration needs {key}.{field} in {bounds[0]}..{bounds[1]}, "
                             f"not {value}")


def _predefined_platform(config_name: str) -> Optional[str]:
    if config_name.startswith("CodeDeployDefault.Lambda"):
        return "Lambda"
    if config_name.startswith("CodeDeployDefault.ECS"):
        return "ECS"
    return "Server" if config_name in CODEDEPLOY_SERVER_DEFAULTS else None


def _check_lambda_style(style: Optional[dict]) -> None:
    """A Lambda application's group shifts traffic between versions: BLUE_GREEN with WITH_TRAFFIC_CONTROL, the
    only style CodeDeploy takes for Lambda (when none is given, CodeDeploy sets it)."""
    if style and (style.get("deploymentType"), style.get("deploymentOption")) != ("BLUE_GREEN", "WITH_TRAFFIC_CONTROL"):
        raise AwsRefusal(f"InvalidDeploymentStyleException: a deployment group of a Lambda application must be "
                         f"BLUE_GREEN with WITH_TRAFFIC_CONTROL, not {style.get('deploymentType')} with "
                         f"{style.get('deploymentOption')}")


def _check_alarms_and_rollback(alarms: dict, rollback: dict) -> None:
    """CreateDeploymentGroup's alarm and rollback rules, in the words of botocore's codedeploy model; that
    stopping on an alarm needs alarms to watch is the simulation's wording."""
    names = alarms.get("alarms") or []
    if len(names) > CODEDEPLOY_MAX_ALARMS:
        raise AwsRefusal(f"AlarmsLimitExceededException: The maximum number of alarms for a deployment group "
                         f"({CODEDEPLOY_MAX_ALARMS}) was exceeded.")
    if alarms.get("enabled") and not names:
        raise AwsRefusal("InvalidAlarmConfigException: The alarm configuration is enabled, but the alarm list is "
                         "empty.")
    if len(set(names)) != len(names):
        raise AwsRefusal("InvalidAlarmConfigException: Two alarms with the same name have been specified.")
    events = rollback.get("events") or []
    for event in events:
        _check_one_of("rollback event", event, CODEDEPLOY_ROLLBACK_EVENTS, "InvalidAutoRollbackConfigException")
    if rollback.get("enabled") and not events:
        raise AwsRefusal("InvalidAutoRollbackConfigException: automatic rollback is enabled, but no event types "
                         "were listed")
    if rollback.get("enabled") and "DEPLOYMENT_STOP_ON_ALARM" in events and not alarms.get("enabled"):
        raise AwsRefusal("InvalidAutoRollbackConfigException: DEPLOYMENT_STOP_ON_ALARM needs an enabled alarm "
                         "configuration")
