"""IAM in the simulated account: roles and their inline policies, managed policies and their attachments, and
the check a service makes of the role it is given. The messages are IAM's own: "Cannot exceed quota for
PolicySize / PoliciesPerRole", "Maximum policy size of 10240 bytes exceeded for role", NoSuchEntity.
"""

import re
from fnmatch import fnmatchcase
from typing import Any

from aws_account.ids import prefixed_unique_id, short_hash
from aws_account.refusals import AwsRefusal, as_list, check_name, known, policy_document
from aws_limits import (IAM_MANAGED_POLICIES_PER_ROLE, IAM_MANAGED_POLICY_MAX_CHARS, IAM_POLICY_NAME,
                        IAM_ROLE_INLINE_POLICIES_MAX_CHARS, IAM_ROLE_NAME)

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

_WHITESPACE = re.compile(r"\s")


def policy_size(text: str) -> int:
    """A policy's size as IAM counts it against its quotas: whitespace is not counted."""
    return len(_WHITESPACE.sub("", text))


def _trusts(trust_policy: Any, service: str) -> bool:
    """Whether a role's trust policy lets `service` assume it (an unknown policy is taken as yes)."""
    if not known(trust_policy):
        return True
    principal = f"{service}.amazonaws.com"
    return any(s.get("Effect") == "Allow" and isinstance(s.get("Principal"), dict)
               and principal in as_list(s["Principal"].get("Service"))
               and any(fnmatchcase("sts:AssumeRole", a) for a in as_list(s.get("Action")))
               for s in policy_document("the trust policy", trust_policy)["Statement"])


class SimulatedIam:
    """Mixed into SimulatedCloud (account.py): needs `partition`, `account_id`, `_resources_of()`, `_state()` and
    `_existing()`."""

    def iam_creators(self) -> dict:
        return {
            ROLE: self._role,
            ROLE_POLICY: self._role_policy,
            MANAGED_POLICY: self._managed_policy,
            ATTACHMENT: self._attachment,
        }

    def _role(self, step, previous, inputs, name) -> dict:
        check_name(IAM_ROLE_NAME, name)
        if known(inputs.get("assumeRolePolicy")):
            policy_document("the trust policy", inputs["assumeRolePolicy"])
        return {"arn": f"arn:{self.partition}:iam::{self.account_id}:role/{name}"}

    def _role_policy(self, step, previous, inputs, name) -> dict:
        if known(inputs.get("policy")):
            policy_document("the role policy", inputs["policy"])
        self._check_inline_policies(step.urn, inputs)
        return {}

    def _check_inline_policies(self, urn: str, inputs: dict) -> None:
        """PutRolePolicy: a role's inline policies together hold at most 10,240 characters, whitespace not
        counted. A policy put again replaces its own earlier share."""
        role, text = inputs.get("role"), inputs.get("policy")
        if not known(role, text):
            return
        others = sum(policy_size(r.inputs["policy"]) for r in self._resources_of(ROLE_POLICY, besides=urn)
                     if r.inputs.get("role") == role and known(r.inputs.get("policy")))
        if others + policy_size(text) > IAM_ROLE_INLINE_POLICIES_MAX_CHARS:
            raise AwsRefusal(f"LimitExceeded: Maximum policy size of {IAM_ROLE_INLINE_POLICIES_MAX_CHARS} bytes "
                             f"exceeded for role {role}")

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
                "policyId": "ANPA" + short_hash(step.urn, 17).upper()}

    def _attachment(self, step, previous, inputs, name) -> dict:
        """AttachRolePolicy: the role and the policy must exist (AWS's own policies always do), and a role takes
        at most 10 managed policies."""
        role, policy_arn = inputs.get("role"), inputs.get("policyArn")
        self._existing(ROLE, "name", role, "role", "NoSuchEntity: The role cannot be found")
        if known(policy_arn) and ":iam::aws:policy/" not in policy_arn:
            self._existing(MANAGED_POLICY, "arn", policy_arn, "policy",
                           "NoSuchEntity: Policy does not exist or is not attachable")
        attached = [r for r in self._resources_of(ATTACHMENT, besides=step.urn) if r.inputs.get("role") == role]
        if len(attached) >= IAM_MANAGED_POLICIES_PER_ROLE:
            raise AwsRefusal(f"LimitExceeded: Cannot exceed quota for PoliciesPerRole: {IAM_MANAGED_POLICIES_PER_ROLE}")
        return {"id": prefixed_unique_id(f"{role}-", step.urn)}

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
