"""Rules on IAM policy documents wherever a resource carries one."""

import json
import re
from typing import Any, Iterator, Mapping, Optional, Sequence

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from rules.aws import caller_account
from rules.common import resource_rule, schema, setting

# KMS keys and the resource that sets a key's policy on its own (types and the `policy` property as in pulumi_aws).
_KEY_POLICIES = ("aws:kms/key:Key", "aws:kms/externalKey:ExternalKey", "aws:kms/replicaKey:ReplicaKey",
                 "aws:kms/replicaExternalKey:ReplicaExternalKey", "aws:kms/keyPolicy:KeyPolicy")
# Resource types and the properties that hold a policy document (JSON text, or an object when the program
# passed a dict): identity policies, and the resource policies that buckets, queues, topics, repositories,
# the registry and keys carry, standalone or as the resource's own `policy`.
_POLICY_DOCUMENTS = {
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/role:Role": ("assumeRolePolicy",),
    **{resource_type: ("policy",) for resource_type in (
        "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2",
        "aws:sqs/queuePolicy:QueuePolicy", "aws:sqs/queue:Queue",
        "aws:sns/topicPolicy:TopicPolicy", "aws:sns/topic:Topic",
        "aws:ecr/repositoryPolicy:RepositoryPolicy", "aws:ecr/registryPolicy:RegistryPolicy",
        *_KEY_POLICIES)},
}
# An account's root as a key policy names it: its ARN in any partition, or the bare account id.
_ACCOUNT_ROOT = re.compile(r"^(?:arn:aws[a-z-]*:iam::(\d{12}):root|(\d{12}))$")

_WILDCARDS = schema(allowedActions={
    "type": "array", "items": {"type": "string"}, "default": [],
    "description": "Wildcard actions that are nevertheless allowed (exact text, e.g. \"s3:Get*\")."})


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _documents(args: ResourceValidationArgs) -> Iterator[tuple[str, Any]]:
    for key in _POLICY_DOCUMENTS.get(args.resource_type, ()):
        if args.props.get(key):
            yield key, args.props.get(key)
    if args.resource_type == "aws:iam/role:Role":
        inline_policies = args.props.get("inlinePolicies")
        for index, inline in enumerate(inline_policies if _is_list(inline_policies) else []):
            if isinstance(inline, Mapping) and inline.get("policy"):
                yield f"inlinePolicies[{index}]", inline.get("policy")


def _statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a document; none when it is not a policy document at all (AWS refuses those,
    and a policy check is no place to crash on them)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    statements = document.get("Statement") if isinstance(document, Mapping) else None
    statements = [statements] if isinstance(statements, Mapping) else statements if _is_list(statements) else []
    return [statement for statement in statements if isinstance(statement, Mapping)]


def _as_list(value: Any) -> list[str]:
    values = [value] if isinstance(value, str) else value if _is_list(value) else []
    return [v for v in values if isinstance(v, str)]


def _single_account_root(principal: Any) -> Optional[str]:
    """The account, when the principal is exactly {"AWS": <one account's root>}."""
    if not isinstance(principal, Mapping) or list(principal) != ["AWS"]:
        return None
    aws = principal.get("AWS")
    aws = aws[0] if _is_list(aws) and len(aws) == 1 else aws
    match = _ACCOUNT_ROOT.match(aws) if isinstance(aws, str) else None
    return (match[1] or match[2]) if match else None


def _default_key_grant(resource_type: str, statement: Mapping[str, Any], action: str) -> bool:
    """AWS's default key policy: kms:* for the key's own account root, so that IAM policies can grant use of
    the key. Any narrower kms pattern for that root (kms:Create*, kms:Describe*, … as keys made in the console
    list them) grants part of what kms:* grants, so it is exempt too. Which account is "own" is known only with
    credentials (STS); without, any single account root."""
    if resource_type not in _KEY_POLICIES or not _is_kms_action(action):
        return False
    account = _single_account_root(statement.get("Principal"))
    own = caller_account() if account else None
    return account is not None and own in (None, account)


def _is_kms_action(action: str) -> bool:
    return action.lower().startswith("kms:")


@resource_rule("iam-no-wildcard-actions", "IAM and resource policy statements that allow name their actions; no "
               "\"*\" in any Action (except kms actions for the account's own root in a key policy).",
               Severity.CRITICAL, _WILDCARDS, *_POLICY_DOCUMENTS)
def iam_no_wildcard_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    allowed = setting(args.get_config(), _WILDCARDS, "allowedActions")
    for where, document in _documents(args):
        for statement in _statements(document):
            # A statement without Effect is invalid; reading it as Allow is the conservative choice.
            if (statement.get("Effect") or "Allow") != "Allow":
                continue
            if statement.get("NotAction") is not None:
                report(f"'{args.name}' {where}: an Allow with NotAction grants every other action.")
            for action in _as_list(statement.get("Action")):
                if "*" not in action or action in allowed or _default_key_grant(args.resource_type, statement, action):
                    continue
                hint = ("; in a key policy only the account's own root may have kms:* or another kms wildcard"
                        if args.resource_type in _KEY_POLICIES and _is_kms_action(action) else "")
                report(f"'{args.name}' {where}: action {action!r} is a wildcard; name the actions needed{hint}.")
