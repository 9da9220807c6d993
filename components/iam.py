"""IAM documents the components write alike: a policy from its statements, and a role only one AWS service may
assume, for this account only."""

import json
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

# Services that tell IAM on whose behalf they assume a role (aws:SourceAccount, aws:SourceArn): their trust
# policies hold them to this account, so no other account's project, deployment group or rule can make the service
# act with the role (the confused deputy). CodeDeploy ("Cross-service confused deputy prevention", CodeDeploy User
# Guide) and EventBridge (the rule's ARN) document both keys, as does EventBridge Scheduler (its schedule group's ARN,
# "Confused deputy prevention in EventBridge Scheduler"); CodeBuild sends the project's ARN. Lambda and
# CodePipeline document none for their service roles: a condition there might never match, and the function or
# the pipeline could not start.
SOURCE_CONTEXT_SERVICES = ("codebuild", "codedeploy", "events", "scheduler")


def policy_document(statements: Sequence[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_policy(service: str, account_id: str, source_arn: str = "") -> str:
    """A role that only `service` (lambda, codebuild, codepipeline, codedeploy, events, scheduler) may assume, and,
    where the service says for whom, only for this account (and `source_arn`, the resources of it that use the
    role)."""
    statement = {"Effect": "Allow", "Principal": {"Service": f"{service}.amazonaws.com"}, "Action": "sts:AssumeRole"}
    if service in SOURCE_CONTEXT_SERVICES:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account_id},
                                  **({"ArnLike": {"aws:SourceArn": source_arn}} if source_arn else {})}
    return policy_document([statement])


def service_role(name: str, role_name: str, service: str, tags: dict[str, str], parent: pulumi.Resource,
                 boundary_arn: Optional[pulumi.Input[str]], source_arn: str = "") -> aws.iam.Role:
    """A role of the stack for `service`, under the stack's permissions boundary (None only for the pipeline's
    own roles, which a person manages). `source_arn` may hold ${Partition}, ${Region}, ${Account}."""
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    trust = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                              aws.get_region_output(opts=invoke).region,
                              aws.get_caller_identity_output(opts=invoke).account_id).apply(
        lambda v: trust_policy(service, v[2], source_arn.replace("${Partition}", v[0]).replace("${Region}", v[1])
                               .replace("${Account}", v[2])))
    return aws.iam.Role(name, name=role_name, assume_role_policy=trust, permissions_boundary=boundary_arn, tags=tags,
                        opts=pulumi.ResourceOptions(parent=parent))
