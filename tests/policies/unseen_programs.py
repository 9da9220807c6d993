"""Resources as programs the pack never saw may send them: hypothesis strategies for test_unseen_programs.py.

`well_formed(type)` gives a resource's properties with every value of the type the provider's schema gives it,
optional ones sometimes left out and policy documents as JSON text or as an object. `mistyped(props)` then drops,
nulls, makes unknown (Pulumi's sentinels, as during a preview) or gives another JSON type to a few values, at any
depth. `as_text(props)` gives its numbers and booleans as their text, and its one-item lists of strings (where AWS
takes one string or a list) as the string: what a program passing config strings straight through sends.

Names are few and shared (functions `api` and `worker`, their log groups, the repository `api`, the bucket
`artifacts`, the build `build`), so that in a generated stack resources refer to one another as in a real one.
"""

import json
from typing import Any

from hypothesis import strategies as st
from pulumi_policy.proxy import (UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE,
                                 UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE)

FUNCTION = "aws:lambda/function:Function"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
PROVISIONED = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
CODEBUILD_PROJECT = "aws:codebuild/project:Project"
REPOSITORY = "aws:ecr/repository:Repository"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
KMS_KEY = "aws:kms/key:Key"
SECRET = "aws:secretsmanager/secret:Secret"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
PIPELINE = "aws:codepipeline/pipeline:Pipeline"
BUDGET = "aws:budgets/budget:Budget"

ACCOUNT = "123456789012"
REGISTRY = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
FUNCTION_NAMES = ("api", "worker")
UNKNOWNS = (UNKNOWN_STRING_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_ARRAY_VALUE,
            UNKNOWN_OBJECT_VALUE)
# Where AWS takes one string or a list of them, and the rules read both alike.
ONE_OR_MANY = {"architectures", "alarmActions", "Action", "NotAction", "Resource"}


def _one_of(*values: Any) -> st.SearchStrategy:
    return st.sampled_from(values)


def _props(required: dict, optional: dict = None) -> st.SearchStrategy:
    return st.fixed_dictionaries(required, optional=optional or {})


def _one_or_list(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(values, st.lists(values, min_size=1, max_size=3))


# Policy documents: IAM's JSON, as text or as an object (both are what programs pass).
_STATEMENT = _props({"Effect": _one_of("Allow", "Deny"),
                     "Action": _one_or_list(_one_of("s3:GetObject", "s3:*", "kms:*", "kms:Decrypt", "logs:Put*", "*")),
                     "Resource": _one_of("*", "arn:aws:s3:::artifacts/*")},
                    {"Principal": _one_of({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"AWS": ACCOUNT},
                                          {"Service": "lambda.amazonaws.com"}, "*"),
                     "Sid": _one_of("Grant")})
_DOCUMENT_OBJECT = _props({"Version": _one_of("2012-10-17"), "Statement": st.lists(_STATEMENT, min_size=1, max_size=3)})
DOCUMENT = _DOCUMENT_OBJECT.flatmap(lambda document: _one_of(document, json.dumps(document)))
_POLICY_ARN = _one_of("arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess",
                      "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                      f"arn:aws:iam::{ACCOUNT}:policy/mine")
_POLICY_ARNS = st.lists(_POLICY_ARN, max_size=3)

_FUNCTION_NAME = _one_of(*FUNCTION_NAMES)
_IMAGE_URI = _one_of(f"{REGISTRY}/api@sha256:{'ab' * 32}", f"{REGISTRY}/api:v1", "public.ecr.aws/lambda/python:3.12")
_LOG_GROUP_NAME = _one_of(*(f"/aws/lambda/{name}" for name in FUNCTION_NAMES), "/codebuild/build")
_ALARM_ACTIONS = st.lists(_one_of(f"arn:aws:sns:eu-west-1:{ACCOUNT}:alarms"), min_size=1, max_size=1)
_METRIC = _props({"metricName": _one_of("Errors", "InitDuration"), "namespace": _one_of("AWS/Lambda", "lambdakit")},
                 {"dimensions": _props({"FunctionName": _FUNCTION_NAME}), "period": _one_of(10, 60, 300),
                  "stat": _one_of("Sum")})

_FUNCTION = _props({"name": _FUNCTION_NAME, "role": _one_of(f"arn:aws:iam::{ACCOUNT}:role/lambda")}, {
    "packageType": _one_of("Image", "Zip"),
    "imageUri": _IMAGE_URI,
    "architectures": st.lists(_one_of("arm64", "x86_64"), min_size=1, max_size=1),
    "memorySize": st.integers(128, 10240),
    "timeout": st.integers(1, 900),
    "reservedConcurrentExecutions": st.integers(-1, 100),
    "tags": _props({}, {"lambdakit:image-size-bytes": st.integers(1, 10 ** 10).map(str), "team": _one_of("core")}),
    "loggingConfig": _props({}, {"logFormat": _one_of("JSON", "Text"), "systemLogLevel": _one_of("INFO", "WARN"),
                                 "logGroup": _LOG_GROUP_NAME}),
    "ephemeralStorage": _props({"size": st.integers(512, 10240)}),
    "tracingConfig": _props({"mode": _one_of("Active", "PassThrough")}),
})

_ACTION = st.one_of(
    _props({"name": _one_of("Build"), "category": _one_of("Build"), "owner": _one_of("AWS"),
            "provider": _one_of("CodeBuild"), "configuration": _props({"ProjectName": _one_of("build")})}),
    _props({"name": _one_of("Gate"), "category": _one_of("Invoke"), "owner": _one_of("AWS"),
            "provider": _one_of("Lambda"), "configuration": _props({"FunctionName": _FUNCTION_NAME})}),
    _props({"name": _one_of("Approve"), "category": _one_of("Approval"), "owner": _one_of("AWS"),
            "provider": _one_of("Manual")}),
)

SHAPES: dict[str, st.SearchStrategy] = {
    FUNCTION: _FUNCTION,
    FUNCTION_URL: _props({"functionName": _FUNCTION_NAME, "authorizationType": _one_of("NONE", "AWS_IAM")},
                         {"qualifier": _one_of("live")}),
    PROVISIONED: _props({"functionName": _FUNCTION_NAME, "qualifier": _one_of("live", "$LATEST"),
                         "provisionedConcurrentExecutions": st.integers(1, 10)}),
    CODEBUILD_PROJECT: _props({"name": _one_of("build"), "environment": _props({
        "type": _one_of("ARM_CONTAINER", "LINUX_CONTAINER", "ARM_LAMBDA_CONTAINER"),
        "computeType": _one_of("BUILD_GENERAL1_SMALL", "BUILD_LAMBDA_2GB"),
        "image": _one_of("aws/codebuild/amazonlinux-aarch64-standard:3.0")})},
        {"logsConfig": _props({"cloudwatchLogs": _props({"groupName": _one_of("/codebuild/build")})})}),
    REPOSITORY: _props({"name": _one_of("api", "tools")},
                       {"imageScanningConfiguration": _props({"scanOnPush": st.booleans()})}),
    REGISTRY_SCANNING: _props({"scanType": _one_of("BASIC", "ENHANCED")}, {"rules": st.lists(_props({
        "scanFrequency": _one_of("SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL"),
        "repositoryFilters": st.lists(_props({"filter": _one_of("api", "t*", "other"),
                                              "filterType": _one_of("WILDCARD")}), min_size=1, max_size=2)}),
        max_size=2)}),
    LIFECYCLE_POLICY: _props({"repository": _one_of("api"), "policy": _props({"rules": st.lists(_props({
        "rulePriority": _one_of(1), "action": _one_of({"type": "expire"}),
        "selection": _props({"tagStatus": _one_of("any", "tagged"), "countType": _one_of("imageCountMoreThan"),
                             "countNumber": st.integers(1, 100)})}), min_size=1, max_size=2)}).flatmap(
        lambda policy: _one_of(policy, json.dumps(policy)))}),
    LOG_GROUP: _props({"name": _LOG_GROUP_NAME}, {"retentionInDays": _one_of(1, 7, 30, 90, 3653)}),
    METRIC_FILTER: _props({"logGroupName": _LOG_GROUP_NAME, "name": _one_of("init-duration"),
                           "pattern": _one_of('{ $.type = "platform.report" }',
                                              '[type=REPORT, a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, '
                                              'label1="Init", label2="Duration:", init, unit]'),
                           "metricTransformation": _props({"name": _one_of("InitDuration"),
                                                           "namespace": _one_of("lambdakit"),
                                                           "value": _one_of("$.record.metrics.initDurationMs",
                                                                            "$init")})}),
    ALARM: st.one_of(
        _props({"metricName": _one_of("Errors", "InitDuration"), "namespace": _one_of("AWS/Lambda", "lambdakit"),
                "period": _one_of(10, 60, 300), "alarmActions": _ALARM_ACTIONS},
               {"dimensions": _props({"FunctionName": _FUNCTION_NAME}), "actionsEnabled": st.booleans()}),
        _props({"alarmActions": _ALARM_ACTIONS, "metricQueries": st.lists(
            _props({"id": _one_of("m1")}, {"metric": _METRIC, "expression": _one_of("m1 * 2")}),
            min_size=1, max_size=2)})),
    DASHBOARD: _props({"dashboardName": _one_of("lambdakit"), "dashboardBody": _one_of('{"widgets": []}')}),
    KMS_KEY: _props({}, {"enableKeyRotation": st.booleans(), "policy": DOCUMENT}),
    SECRET: _props({"name": _one_of("token")}),
    BUCKET: _props({"bucket": _one_of("artifacts")}, {"policy": DOCUMENT}),
    BUCKET_LIFECYCLE: _props({"bucket": _one_of("artifacts"), "rules": st.lists(_props(
        {"id": _one_of("expire"), "status": _one_of("Enabled", "Disabled")},
        {"expiration": _props({"days": st.integers(1, 365)})}), min_size=1, max_size=2)}),
    PIPELINE: _props({"name": _one_of("delivery"),
                      "artifactStores": st.lists(_props({"location": _one_of("artifacts"), "type": _one_of("S3")}),
                                                 min_size=1, max_size=1),
                      "stages": st.lists(_props({"name": _one_of("Stage"),
                                                 "actions": st.lists(_ACTION, min_size=1, max_size=3)}),
                                         min_size=1, max_size=3)},
                     {"pipelineType": _one_of("V1", "V2")}),
    BUDGET: _props({"name": _one_of("monthly"), "budgetType": _one_of("COST"), "timeUnit": _one_of("MONTHLY"),
                    "limitUnit": _one_of("USD"), "limitAmount": _one_of("5", "50.0", "1000")}),
    # What iam-no-wildcard-actions reads: identity and resource policies, and managed policies attached by ARN.
    **{typ: _props({"policy": DOCUMENT}) for typ in (
        "aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy", "aws:s3/bucketPolicy:BucketPolicy", "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sns/topicPolicy:TopicPolicy", "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "aws:ecr/registryPolicy:RegistryPolicy", "aws:kms/keyPolicy:KeyPolicy")},
    **{typ: _props({}, {"policy": DOCUMENT}) for typ in (
        "aws:s3/bucketV2:BucketV2", "aws:sqs/queue:Queue", "aws:sns/topic:Topic", "aws:kms/externalKey:ExternalKey",
        "aws:kms/replicaKey:ReplicaKey", "aws:kms/replicaExternalKey:ReplicaExternalKey")},
    "aws:iam/role:Role": _props({"assumeRolePolicy": DOCUMENT}, {
        "inlinePolicies": st.lists(_props({"name": _one_of("inline"), "policy": DOCUMENT}), max_size=2),
        "managedPolicyArns": _POLICY_ARNS}),
    **{typ: _props({"policyArn": _POLICY_ARN}) for typ in (
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment")},
    **{typ: _props({"policyArns": _POLICY_ARNS}) for typ in (
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
        "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive")},
}


def well_formed(typ: str) -> st.SearchStrategy:
    return SHAPES[typ]


def _keys(value: Any) -> list:
    return list(value) if isinstance(value, dict) else list(range(len(value))) if isinstance(value, list) else []


@st.composite
def _place(draw, value: Any) -> tuple:
    """A place in a value (a key of an object, an item of a list), as deep as a coin says: each level is as likely
    as the next, however many places lie below it."""
    key = draw(st.sampled_from(_keys(value)))
    inner = value[key]
    if _keys(inner) and draw(st.booleans()):
        return (key, *draw(_place(inner)))
    return (key,)


_SHORT_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)  # the wire carries UTF-8
# Another type is the likeliest change: it has the most ways to be wrong.
_CHANGES = _one_of("drop", "null", "unknown", "retype", "retype", "retype")


def _retyped(value: Any) -> st.SearchStrategy:
    """Another JSON value in the place of `value`: another type, its text, one item for a list, a list or an
    object around it, a document's text for an object."""
    others = [st.integers(-5, 10 ** 6), st.booleans(), _SHORT_TEXT, st.just([]), st.just({}), st.just([value]),
              st.just({"value": value})]
    if isinstance(value, bool):
        others += [st.just(str(value).lower()), st.just(int(value))]
    elif isinstance(value, (int, float)):
        others += [st.just(str(value)), st.just(f"{value} units"), st.just(value + 0.5)]
    elif isinstance(value, list) and value:
        others += [st.just(value[0]), st.just({str(i): item for i, item in enumerate(value)})]
    elif isinstance(value, dict):
        others += [st.just(json.dumps(value)), st.just(list(value.values()))]
    elif isinstance(value, str):
        others += [st.just(value + "{"), st.just(value.upper())]
    return st.one_of(others)


def _at(value: Any, path: tuple) -> Any:
    """The value at `path`, or None when an earlier change took the path away."""
    for key in path:
        if not _holds(value, key):
            return None
        value = value[key]
    return value


def _holds(value: Any, key: Any) -> bool:
    return (isinstance(value, dict) and key in value) or (isinstance(value, list) and isinstance(key, int)
                                                          and key < len(value))


@st.composite
def mistyped(draw, props: dict) -> dict:
    """`props` with one to three of its values dropped, null, unknown or of another type."""
    changed = json.loads(json.dumps(props))
    if not changed:
        return {draw(_SHORT_TEXT): draw(_retyped(None))}
    # The deepest and last places first, so that one change never moves another's place.
    for *to_parent, last in sorted(draw(st.lists(_place(changed), min_size=1, max_size=3, unique=True)), reverse=True):
        parent = _at(changed, tuple(to_parent))
        if not _holds(parent, last):
            continue  # inside a value an earlier change took away
        change = draw(_CHANGES)
        if change == "drop":
            del parent[last]
        elif change == "null":
            parent[last] = None
        elif change == "unknown":
            parent[last] = draw(_one_of(*UNKNOWNS))
        else:
            parent[last] = draw(_retyped(parent[last]))
    return changed


def as_text(value: Any, key: Any = None) -> Any:
    """The value as a program passing config strings straight through sends it: numbers and booleans as their
    text, a one-item list of strings as the string where AWS takes either."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return {k: as_text(v, k) for k, v in value.items()}
    if isinstance(value, list):
        if key in ONE_OR_MANY and len(value) == 1 and isinstance(value[0], str):
            return value[0]
        return [as_text(item) for item in value]
    return value
