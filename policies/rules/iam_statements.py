"""Rules on IAM policy documents wherever a resource carries one, and on the AWS managed policies a resource
attaches by ARN (whose documents the table in managed_policies.py holds)."""

import re
from typing import Any, Iterator, Mapping, Optional, Sequence

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity
from pulumi_policy.proxy import UnknownValueError

from cost import wire
from rules.aws import caller_account
from rules.common import resource_rule, schema, setting
from rules.managed_policies import ManagedPolicy, wildcard_policy
from rules.policy_document import allows, as_list, has_not_action, is_list, is_wildcard, statements

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
# Resource types that attach managed policies by ARN, and the property that holds the ARN (policyArn) or the list
# of ARNs (the others), as in pulumi_aws. A PolicyAttachment attaches its policyArn to its roles, users and groups.
_ATTACHMENTS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/role:Role": "managedPolicyArns",
}
# An account's root as a key policy names it: its ARN in any partition, or the bare account id.
_ACCOUNT_ROOT = re.compile(r"^(?:arn:aws[a-z-]*:iam::(\d{12}):root|(\d{12}))$")
_EXAMPLES = 3  # of a managed policy's wildcard actions, quoted in its finding

_WILDCARDS = schema(
    allowedActions={
        "type": "array", "items": {"type": "string"}, "default": [],
        "description": "Wildcard actions that are nevertheless allowed (exact text, e.g. \"s3:Get*\"), in a "
                       "document or in an attached AWS managed policy."},
    allowedManagedPolicies={
        "type": "array", "items": {"type": "string"}, "default": [],
        "description": "AWS managed policies that may be attached although they allow wildcard actions, by name "
                       "(e.g. \"ReadOnlyAccess\") or ARN."})


def _documents(args: ResourceValidationArgs) -> Iterator[tuple[str, Any]]:
    for key in _POLICY_DOCUMENTS.get(args.resource_type, ()):
        if args.props.get(key):
            yield key, args.props.get(key)
    if args.resource_type == "aws:iam/role:Role":
        inline_policies = args.props.get("inlinePolicies")
        for index, inline in enumerate(inline_policies if is_list(inline_policies) else []):
            if isinstance(inline, Mapping) and inline.get("policy"):
                yield f"inlinePolicies[{index}]", inline.get("policy")


def _known(values: Any, key: Any) -> Any:
    """values[key]; None when it is absent or not known yet (during a preview)."""
    try:
        return values[key]
    except (KeyError, IndexError, UnknownValueError):
        return None


def _attached_arns(args: ResourceValidationArgs) -> Iterator[tuple[str, str]]:
    """Where and which policy ARNs the resource attaches. An ARN not known during a preview is passed over: AWS
    managed ARNs are fixed text, so it is a policy the stack creates, whose document this rule reads on that
    resource. A list not known as a whole may hold anything: reading it, the engine says the rule cannot run."""
    key = _ATTACHMENTS.get(args.resource_type)
    if key == "policyArn":
        found = [(key, _known(args.props, key))]
    elif key is not None:
        listed = args.props.get(key)
        listed = [listed] if isinstance(listed, str) else listed  # one ARN given where a list is due
        found = [(f"{key}[{index}]", _known(listed, index)) for index in range(len(listed))] if is_list(listed) else []
    else:
        found = []
    yield from ((where, arn) for where, arn in found if isinstance(arn, str))


def _quoted(actions: Sequence[str]) -> str:
    return ", ".join(map(repr, actions[:_EXAMPLES])) + (", …" if len(actions) > _EXAMPLES else "")


def _managed_wildcards(policy: ManagedPolicy, allowed_actions: Sequence[str]) -> Optional[str]:
    """What the managed policy allows beyond named actions, less the allowed wildcard actions; None when nothing."""
    actions = [action for action in policy.actions if action not in allowed_actions]
    grants = []
    if policy.not_actions:
        grants.append(f"every action except {_quoted(policy.not_actions)} (an Allow with NotAction)")
    if actions:
        grants.append(f"{len(actions)} wildcard action{'s' if len(actions) > 1 else ''} ({_quoted(actions)})")
    return " and ".join(grants) or None


def _single_account_root(principal: Any) -> Optional[str]:
    """The account, when the principal is exactly {"AWS": <one account's root>}."""
    if not isinstance(principal, Mapping) or list(principal) != ["AWS"]:
        return None
    aws = principal.get("AWS")
    aws = aws[0] if is_list(aws) and len(aws) == 1 else aws
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
               "\"*\" in any Action (except kms actions for the account's own root in a key policy), and no AWS "
               "managed policy attached whose statements have one.",
               Severity.CRITICAL, _WILDCARDS, *_POLICY_DOCUMENTS, *_ATTACHMENTS)
def iam_no_wildcard_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    allowed = setting(config, _WILDCARDS, "allowedActions")
    for where, given in _documents(args):
        # A document that is no JSON object is not passed over as harmless: the guard says it could not be judged.
        document = wire.document(given, where)
        for statement in filter(allows, statements(document)):
            if has_not_action(statement):
                report(f"'{args.name}' {where}: an Allow with NotAction grants every other action.")
            for action in as_list(statement.get("Action")):
                if (not is_wildcard(action) or action in allowed
                        or _default_key_grant(args.resource_type, statement, action)):
                    continue
                hint = ("; in a key policy only the account's own root may have kms:* or another kms wildcard"
                        if args.resource_type in _KEY_POLICIES and _is_kms_action(action) else "")
                report(f"'{args.name}' {where}: action {action!r} is a wildcard; name the actions needed{hint}.")
    allowed_policies = setting(config, _WILDCARDS, "allowedManagedPolicies")
    for where, arn in _attached_arns(args):
        policy = wildcard_policy(arn)
        if policy is None or {policy.name, policy.arn, arn} & set(allowed_policies):
            continue
        grants = _managed_wildcards(policy, allowed)
        if grants:
            report(f"'{args.name}' {where}: the AWS managed policy {policy.name} allows {grants}; attach a policy "
                   "that names the actions needed.")
