"""Who may do what in the simulated account: each role's policies and each resource's policy, read from what the
stack's updates created, and every call decided by IAM's evaluation (iam_policy.py).

A role calls as a session of itself (arn:aws:sts::<account>:assumed-role/<role>/<session>), as a service calls
with the role it was given. A service that acts with its own identity (CodeDeploy assuming its role, SNS asking
KMS for a data key on a publisher's behalf) calls as its service principal, which only a resource-based policy
can allow. A person's `pulumi up` (the deployer) is an administrator here, as the README's "Deploy for real"
asks of whoever runs the first `up`.
"""

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from aws_account.iam import ATTACHMENT, MANAGED_POLICY, ROLE, ROLE_POLICY
from aws_account.iam_policy import Decision, Policy, Request, access_denied, evaluate
from aws_account.refusals import AwsRefusal, known

SESSION = "rehearsal"
KMS_KEY = "aws:kms/key:Key"
_RESOURCE_POLICIES = {  # type -> (the property naming what it governs, the policy's property)
    "aws:s3/bucketPolicy:BucketPolicy": ("bucket", "policy"),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("repository", "policy"),
    "aws:sns/topicPolicy:TopicPolicy": ("arn", "policy"),
}


@dataclass(frozen=True)
class Principal:
    """Who makes a call: a role's session, or a service as itself."""

    name: str  # for people: "role/lambdakit-prod-deploy", "codedeploy.amazonaws.com", "deployer"
    arn: str
    role_arn: Optional[str] = None
    administrator: bool = False  # a person's credentials: every call allowed


@dataclass(frozen=True)
class Verdict:
    principal: Principal
    action: str
    resource: str
    decision: Decision
    context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    def message(self) -> str:
        """AWS's AccessDenied text, naming the statement (or none) that decided."""
        return access_denied(Request(self.principal.arn, self.action, self.resource, dict(self.context)),
                             self.decision)


def _document(text: Any) -> Optional[dict]:
    if isinstance(text, dict):
        return text
    return json.loads(text) if known(text) and text else None


def default_key_policy(partition: str, account_id: str) -> dict:
    """What KMS gives a key created without a policy: the account administers it through IAM."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"}]}


class Authority:
    """Reads the account's IAM as it stands now: a change the update just made counts from the next call on,
    as IAM's own does once it has propagated."""

    def __init__(self, cloud):
        self.cloud = cloud

    def role(self, role_name: str) -> Principal:
        return Principal(f"role/{role_name}",
                         f"arn:{self.cloud.partition}:sts::{self.cloud.account_id}:assumed-role/{role_name}/{SESSION}",
                         f"arn:{self.cloud.partition}:iam::{self.cloud.account_id}:role/{role_name}")

    @staticmethod
    def service(service: str) -> Principal:
        principal = f"{service}.amazonaws.com"
        return Principal(principal, principal)

    def deployer(self) -> Principal:
        return Principal("deployer", self.cloud.deployer_arn, administrator=True)

    # What the account holds.

    def _roles(self) -> dict[str, dict]:
        return {r.outputs["name"]: r.outputs for r in self.cloud._resources_of(ROLE)}

    def identity(self, role_name: str) -> tuple[list[Policy], Optional[Policy]]:
        """The role's inline and attached policies, and its permissions boundary."""
        role = self._roles().get(role_name)
        if role is None:
            raise AwsRefusal(f"NoSuchEntity: The role with name {role_name} cannot be found.")
        inline = [Policy(f"role/{role_name} inline policy {r.outputs.get('name')}", _document(r.inputs["policy"]))
                  for r in self.cloud._resources_of(ROLE_POLICY) if r.inputs.get("role") == role_name]
        managed = {r.outputs["arn"]: r.inputs.get("policy") for r in self.cloud._resources_of(MANAGED_POLICY)}
        attached = [Policy(f"role/{role_name} managed policy {r.inputs['policyArn'].rsplit('/', 1)[-1]}",
                           _document(managed[r.inputs["policyArn"]]))
                    for r in self.cloud._resources_of(ATTACHMENT)
                    if r.inputs.get("role") == role_name and r.inputs.get("policyArn") in managed]
        boundary_arn = role.get("permissionsBoundary")
        boundary = (Policy(f"permissions boundary {boundary_arn.rsplit('/', 1)[-1]}", _document(managed[boundary_arn]))
                    if boundary_arn and boundary_arn in managed else None)
        return inline + attached, boundary

    def trust_policy(self, role_arn: str) -> Optional[Policy]:
        role = next((r for r in self._roles().values() if r.get("arn") == role_arn), None)
        return Policy(f"trust policy of {role_arn}", _document(role["assumeRolePolicy"])) if role else None

    def resource_policy(self, resource: str) -> tuple[Optional[Policy], bool]:
        """The resource-based policy that governs `resource`, and whether it must allow (KMS keys' do)."""
        if resource.startswith(f"arn:{self.cloud.partition}:kms:") and ":key/" in resource:
            key = next((r for r in self.cloud._resources_of(KMS_KEY) if r.outputs.get("arn") == resource), None)
            document = (_document(key.inputs.get("policy")) if key else None) or default_key_policy(
                self.cloud.partition, self.cloud.account_id)
            return Policy(f"key policy of {resource}", document), True
        if resource.startswith(f"arn:{self.cloud.partition}:lambda:"):
            return self._function_policy(resource), False
        for typ, (governed, text) in _RESOURCE_POLICIES.items():
            for found in self.cloud._resources_of(typ):
                if _governs(found.inputs.get(governed), resource):
                    return Policy(f"{typ.rsplit(':', 1)[-1]} of {found.inputs.get(governed)}",
                                  _document(found.inputs.get(text))), False
        return None, False

    def _function_policy(self, resource: str) -> Optional[Policy]:
        name, _, qualifier = resource.split(":function:", 1)[1].partition(":")
        statements = [{**s, "Resource": resource, "Condition": s.get("Condition") or {}}
                      for s in self.cloud.function_policies.get((name, qualifier), {}).values()]
        return Policy(f"resource policy of function {name}", {"Statement": statements}) if statements else None

    # Decisions.

    def decide(self, principal: Principal, action: str, resource: str,
               context: Optional[Mapping[str, Any]] = None) -> Verdict:
        context = {**self._known_context(action, resource), **(context or {})}
        if principal.administrator:
            return Verdict(principal, action, resource, Decision(True, "a person's administrator credentials"),
                           context)
        identity, boundary = ([], None)
        if principal.role_arn:
            identity, boundary = self.identity(principal.role_arn.rsplit("/", 1)[-1])
        resource_policy, required = self.resource_policy(resource)
        request = Request(principal.arn, action, resource, context)
        decision = evaluate(request, identity, boundary, resource_policy, role_arn=principal.role_arn,
                            resource_policy_required=required)
        return Verdict(principal, action, resource, decision, context)

    def _known_context(self, action: str, resource: str) -> dict:
        """What IAM adds to a request from the resource itself: a role's boundary (iam:PermissionsBoundary) on a
        call that changes the role's permissions."""
        if not action.startswith("iam:") or ":role/" not in resource:
            return {}
        role = self._roles().get(resource.rsplit("/", 1)[-1])
        boundary = (role or {}).get("permissionsBoundary")
        return {"iam:PermissionsBoundary": boundary} if known(boundary) and boundary else {}

    def assume(self, service: str, role_arn: str, source_arn: str = "", source_account: str = "") -> Verdict:
        """A service assumes a role for a resource (of this account unless `source_account` says otherwise): the
        role's trust policy decides, with the context the service sends (aws:SourceAccount, aws:SourceArn)."""
        principal = self.service(service)
        trust = self.trust_policy(role_arn)
        context = {"aws:SourceAccount": source_account or self.cloud.account_id,
                   **({"aws:SourceArn": source_arn} if source_arn else {})}
        request = Request(principal.arn, "sts:AssumeRole", role_arn, context)
        decision = (evaluate(request, [], None, trust, resource_policy_required=True) if trust
                    else Decision(False, f"the role {role_arn} does not exist"))
        return Verdict(principal, "sts:AssumeRole", role_arn, decision, context)


def _governs(governed: Any, resource: str) -> bool:
    """Whether a bucket, repository or topic policy (by the name or ARN it is attached to) covers `resource`."""
    if not known(governed) or not governed:
        return False
    if resource.startswith("arn:") and ":s3:::" in resource:
        return resource.split(":::", 1)[1].split("/", 1)[0] == governed
    return resource == governed or resource.endswith(f"/{governed}") or resource.endswith(f":{governed}")
