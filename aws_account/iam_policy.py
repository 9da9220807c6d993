"""Whether IAM allows one request made within one account, decided as AWS documents it, for the release
rehearsal that replays a delivery's calls as the principals that really make them. moto's evaluator is
not used: it reads a failed condition on an Allow as a Deny.

Sources (AWS IAM User Guide unless named):
- "Policy evaluation logic" and "How AWS enforcement code logic evaluates requests to allow or deny
  access": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
- "Permissions boundaries for IAM entities", "Evaluating effective permissions with boundaries":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
- "AWS JSON policy elements: Principal" and "NotPrincipal", "IAM JSON policy elements: Action", "Resource"
- AWS KMS "Default key policy" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html)
- "Troubleshooting access denied error messages":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html

Not modelled: SCPs, RCPs, session policies, cross-account requests, the root user, anonymous callers.
A service principal ("codedeploy.amazonaws.com") calls as itself: pass that string as the principal;
it has no identity-based policies and is matched only by a resource-based policy's {"Service": ...}.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional, Sequence

from aws_account.iam_conditions import arn_like, condition_test, context_by_key, like

IDENTITY_BASED = "identity-based policy"
PERMISSIONS_BOUNDARY = "permissions boundary"
RESOURCE_BASED = "resource-based policy"
_ARTICLE = {IDENTITY_BASED: "an", PERMISSIONS_BOUNDARY: "a", RESOURCE_BASED: "a"}
_SESSION = re.compile(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+")
_ROLE = re.compile(r"arn:[\w-]+:iam::(\d{12}):role/(?:.*/)?([^/]+)")  # account, name (after any path)

# How a resource-based policy's Principal names the caller, which decides what else must allow:
_CALLER = "caller"  # the caller's own ARN (a session, a user), a service principal, or "*": enough alone
_ROLE_NAMED = "role"  # the caller's role: "limited by an implicit deny in a permissions boundary"
_ACCOUNT = "account"  # the caller's account: "delegates authority to the account" (its IAM policies)


@dataclass(frozen=True)
class Policy:
    name: str  # where the statements live, for messages: "role/x-deploy inline policy deploy"
    document: dict  # the parsed JSON policy document (Statement a dict or a list)


@dataclass(frozen=True)
class Request:
    """One call. aws:PrincipalArn (a session's role) and aws:PrincipalAccount come from the principal
    unless the context sets them."""
    principal_arn: str  # a role session, a role, a user, or a service principal
    action: str  # "iam:GetPolicy"
    resource: str  # the ARN the action is authorized against, or "*" for an action without resource types
    context: Mapping[str, Any] = field(default_factory=dict)  # condition key -> str, bool, number or list


@dataclass(frozen=True)
class Decision:
    allowed: bool
    decided_by: str  # 'explicit deny in role/x inline policy deploy (Sid NotThePipelinesRoles)', ...
    statement_sid: Optional[str] = None
    policy_name: Optional[str] = None
    policy_type: Optional[str] = None  # for a denial: IDENTITY_BASED, PERMISSIONS_BOUNDARY or RESOURCE_BASED
    explicit_deny: bool = False


@dataclass(frozen=True)
class _Caller:
    arn: str
    role_arn: Optional[str]  # the role behind a session, with its path when the caller gave it
    account: Optional[str]
    has_boundary: bool


@dataclass(frozen=True)
class _Match:
    policy: Policy
    index: int  # 1-based, to name a statement without a Sid
    statement: dict
    principal: Optional[str] = None  # how a resource-based statement names the caller

    def label(self) -> str:
        sid = self.statement.get("Sid")
        return f"{self.policy.name} ({f'Sid {sid}' if sid else f'statement {self.index}'})"


def _caller(principal_arn: str, role_arn: Optional[str], has_boundary: bool) -> _Caller:
    session = _SESSION.fullmatch(principal_arn)
    if session and not role_arn:
        partition, account, role = session.groups()
        role_arn = f"arn:{partition}:iam::{account}:role/{role}"
    elif not session and _ROLE.fullmatch(principal_arn):
        role_arn = principal_arn
    parts = principal_arn.split(":")
    account = parts[4] if principal_arn.startswith("arn:") and len(parts) > 5 else None
    return _Caller(principal_arn, role_arn, account, has_boundary)


def _context(request: Request, caller: _Caller) -> dict[str, Any]:
    """aws:PrincipalArn of a role session is the role's ARN ("AWS global condition context keys")."""
    derived = {}
    if caller.account:
        derived = {"aws:principalaccount": caller.account, "aws:principalarn": caller.role_arn or caller.arn}
    return {**derived, **context_by_key(request.context)}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _statements(policy: Policy) -> Iterator[tuple[int, dict]]:
    return enumerate(_as_list(policy.document.get("Statement", [])), start=1)


def _action_matches(statement: dict, action: str) -> bool:
    """Service prefix and action name are case-insensitive; any entry of a list may match."""
    if "Action" in statement:
        return any(like(pattern, action, {}, ignore_case=True) for pattern in _as_list(statement["Action"]))
    return not any(like(pattern, action, {}, ignore_case=True) for pattern in _as_list(statement["NotAction"]))


def _resource_matches(statement: dict, resource: str, context: Mapping[str, Any]) -> bool:
    """A statement without Resource or NotResource (a role trust policy) covers the resource it is on."""
    if "Resource" in statement:
        return any(arn_like(pattern, resource, context) for pattern in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(arn_like(pattern, resource, context) for pattern in _as_list(statement["NotResource"]))
    return True


def _names_account(name: str, account: Optional[str]) -> bool:
    """ "arn:aws:iam::123456789012:root" and "123456789012" both mean the whole account."""
    return account is not None and (name == account or bool(re.fullmatch(rf"arn:[\w-]+:iam::{account}:root", name)))


def _names_role(name: str, role_arn: Optional[str]) -> bool:
    """Role names "must be unique within the account" whatever their path ("IAM and AWS STS quotas, name
    requirements"), so a session's role is known by account and name even when its ARN hides the path."""
    named, own = _ROLE.fullmatch(name), _ROLE.fullmatch(role_arn or "")
    return bool(named and own) and named.groups() == own.groups()


def _kinds_named(principal: Any, caller: _Caller) -> set[str]:
    """The ways `principal` (a Principal element) names the caller. No wildcard matches part of a
    principal: "*" is all principals or nothing."""
    if principal == "*":
        return {_CALLER, _ROLE_NAMED, _ACCOUNT}
    found = set()
    for kind, names in principal.items():
        for name in _as_list(names):
            if name == "*" and kind == "AWS":
                found |= {_CALLER, _ROLE_NAMED, _ACCOUNT}
            elif kind == "AWS" and _names_role(name, caller.role_arn):
                found.add(_ROLE_NAMED)
            elif name == caller.arn:
                found.add(_CALLER)
            elif kind == "AWS" and _names_account(name, caller.account):
                found.add(_ACCOUNT)
    return found


def _identities(caller: _Caller) -> set[str]:
    """What AWS may check a caller as: "AWS might validate the account first, then the role, and then
    the assumed-role user" ("NotPrincipal")."""
    own = {_ROLE_NAMED} if caller.arn == caller.role_arn else {_CALLER} | ({_ROLE_NAMED} if caller.role_arn else set())
    return own | ({_ACCOUNT} if caller.account else set())


def _principal_of(statement: dict, caller: _Caller) -> Optional[str]:
    """The strongest way the statement's Principal or NotPrincipal names the caller, if it does."""
    if "Principal" in statement:
        named = _kinds_named(statement["Principal"], caller)
        return next((kind for kind in (_CALLER, _ROLE_NAMED, _ACCOUNT) if kind in named), None)
    if "NotPrincipal" not in statement:
        return None
    if statement.get("Effect") == "Deny" and caller.has_boundary:
        # "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
        # permissions boundary policy attached, regardless of the values specified" ("Permissions
        # boundaries for IAM entities").
        return _CALLER
    # Spared only if named as each thing AWS may check it as: the doc's examples list the session, the
    # role and the account, and warn that leaving out the role or account may deny them.
    return None if _identities(caller) <= _kinds_named(statement["NotPrincipal"], caller) else _CALLER


def _applies(statement: dict, request: Request, context: Mapping[str, Any]) -> bool:
    holds = condition_test(statement.get("Condition", {}))  # read first: an unknown operator always raises
    return (_action_matches(statement, request.action) and _resource_matches(statement, request.resource, context)
            and holds(context))


def statement_matches(statement: dict, request: Request, role_arn: Optional[str] = None,
                      check_principal: bool = False) -> bool:
    """Whether `statement` applies to `request`, whatever its Effect; with `check_principal` (a
    resource-based statement) its Principal or NotPrincipal must also name the caller in some way."""
    caller = _caller(request.principal_arn, role_arn, has_boundary=False)
    if check_principal and _principal_of(statement, caller) is None:
        return False
    return _applies(statement, request, _context(request, caller))


def _matching(policies: Sequence[Policy], effect: str, request: Request, context: Mapping[str, Any],
              caller: Optional[_Caller] = None) -> list[_Match]:
    """The statements of `effect` that apply; with `caller`, resource-based ones naming the caller."""
    found = []
    for policy in policies:
        for index, statement in _statements(policy):
            principal = _principal_of(statement, caller) if caller else None
            names_caller = principal is not None or caller is None
            if statement.get("Effect") == effect and names_caller and _applies(statement, request, context):
                found.append(_Match(policy, index, statement, principal))
    return found


def _decided(match: _Match, allowed: bool, policy_type: Optional[str] = None, why: str = "") -> Decision:
    verb = "allowed by" if allowed else "explicit deny in"
    return Decision(allowed, f"{verb} {match.label()}{why}", match.statement.get("Sid"), match.policy.name,
                    policy_type, explicit_deny=not allowed)


def _denied(why: str, policy_type: str, policy: Optional[Policy] = None) -> Decision:
    return Decision(False, why, policy_name=policy.name if policy else None, policy_type=policy_type)


def evaluate(request: Request, identity: Sequence[Policy], boundary: Optional[Policy] = None,
             resource_policy: Optional[Policy] = None, role_arn: Optional[str] = None,
             resource_policy_required: bool = False) -> Decision:
    """IAM's decision on `request` from the caller's identity-based policies, its permissions boundary
    and the resource's policy. `role_arn` is the caller's role with its path, for aws:PrincipalArn, when
    the caller is a session of a role under a path. `resource_policy_required` is for KMS keys and role
    trust policies, which "must explicitly allow access for principals": an identity-based policy counts
    only where the resource policy names the account ("Allows access to the AWS account and enables IAM
    policies", the default key policy's statement)."""
    caller = _caller(request.principal_arn, role_arn, has_boundary=boundary is not None)
    context = _context(request, caller)
    boundaries = [boundary] if boundary else []
    resource_policies = [resource_policy] if resource_policy else []

    # "If the enforcement code finds even one explicit deny that applies, [it] returns a final decision of Deny."
    for policy_type, policies, principal in ((IDENTITY_BASED, identity, None), (PERMISSIONS_BOUNDARY, boundaries, None),
                                             (RESOURCE_BASED, resource_policies, caller)):
        denies = _matching(policies, "Deny", request, context, principal)
        if denies:
            return _decided(denies[0], False, policy_type)

    identity_allows = _matching(identity, "Allow", request, context)
    boundary_allows = not boundary or bool(_matching(boundaries, "Allow", request, context))
    grants = {}
    for match in _matching(resource_policies, "Allow", request, context, caller):
        grants.setdefault(match.principal, match)

    # Granted to the session, user or service itself: "not limited by an implicit deny in an
    # identity-based policy, a permissions boundary, or session policy".
    if _CALLER in grants:
        return _decided(grants[_CALLER], True)
    # Granted to the role: "limited by an implicit deny in a permissions boundary", not by identity policies.
    if _ROLE_NAMED in grants and boundary_allows:
        return _decided(grants[_ROLE_NAMED], True)
    delegated = not resource_policy_required or _ACCOUNT in grants
    if identity_allows and delegated and boundary_allows:
        why = f", as {grants[_ACCOUNT].label()} lets IAM policies allow it" if resource_policy_required else ""
        return _decided(identity_allows[0], True, why=why)

    if resource_policy_required and not grants:
        why = f"{resource_policy.name} does not allow it" if resource_policy else "no resource-based policy allows it"
        return _denied(why, RESOURCE_BASED, resource_policy)
    if not boundary_allows and ((identity_allows and delegated) or _ROLE_NAMED in grants):
        return _denied(f"the permissions boundary {boundary.name} does not allow it", PERMISSIONS_BOUNDARY, boundary)
    return _denied("no identity-based policy allows it", IDENTITY_BASED)


def access_denied(request: Request, decision: Decision) -> str:
    """AWS's AccessDenied message for a denial ("Troubleshooting access denied error messages"), with the
    deciding policy and statement appended in parentheses. A denial with no policy type (made outside
    `evaluate`) reads as AWS's older messages do, without the "because" clause."""
    if decision.allowed:
        raise ValueError(f"{request.action} on {request.resource} is allowed ({decision.decided_by})")
    reason = ""
    if decision.policy_type:
        policy = f"{_ARTICLE[decision.policy_type]} {decision.policy_type}"
        reason = (f" with an explicit deny in {policy}" if decision.explicit_deny
                  else f" because no {decision.policy_type} allows the {request.action} action")
    return (f"User: {request.principal_arn} is not authorized to perform: {request.action} on resource: "
            f"{request.resource}{reason} ({decision.decided_by})")
