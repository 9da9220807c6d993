"""Rules on IAM policy documents wherever a resource carries one."""

import json
from typing import Any, Iterator, Mapping

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from rules.common import resource_rule, schema, setting

# Resource types and the properties that hold an IAM policy document (JSON text).
_POLICY_DOCUMENTS = {
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("policy",),
}

_WILDCARDS = schema(allowedActions={
    "type": "array", "items": {"type": "string"}, "default": [],
    "description": "Wildcard actions that are nevertheless allowed (exact text, e.g. \"s3:Get*\")."})


def _documents(args: ResourceValidationArgs) -> Iterator[tuple[str, Any]]:
    for key in _POLICY_DOCUMENTS.get(args.resource_type, ()):
        if args.props.get(key):
            yield key, args.props[key]
    if args.resource_type == "aws:iam/role:Role":
        for index, inline in enumerate(args.props.get("inlinePolicies") or []):
            if inline.get("policy"):
                yield f"inlinePolicies[{index}]", inline["policy"]


def _statements(document: Any) -> list[Mapping[str, Any]]:
    parsed = json.loads(document) if isinstance(document, str) else document
    statements = parsed.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


@resource_rule("iam-no-wildcard-actions", "IAM statements that allow name their actions; no \"*\" in any Action.",
               Severity.CRITICAL, _WILDCARDS, *_POLICY_DOCUMENTS)
def iam_no_wildcard_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    allowed = setting(args.get_config(), _WILDCARDS, "allowedActions")
    for where, document in _documents(args):
        for statement in _statements(document):
            if statement.get("Effect", "Allow") != "Allow":
                continue
            if "NotAction" in statement:
                report(f"'{args.name}' {where}: an Allow with NotAction grants every other action.")
            for action in _as_list(statement.get("Action")):
                if "*" in action and action not in allowed:
                    report(f"'{args.name}' {where}: action {action!r} is a wildcard; name the actions needed.")
