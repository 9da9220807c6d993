"""DeliveryPipeline: every change reaches the stack through one CodePipeline (V2), and nothing reaches it
unscanned or past the policy pack. One pipeline for all of the stack's functions:

    Source   the branch of the repository, through a CodeConnections connection, on pushes that change
             what is deployed (TRIGGER_PATHS)
    Build    CodeBuild on arm64 (privileged, for Docker): the project's tests once, then every function's image
             in parallel, each pushed under the program's content tag (an unchanged one keeps its digest)
    Scan     the scan-gate Lambda function, once per image, in parallel
    Deploy   1. PulumiUp: CodeBuild on arm64, one `pulumi up --refresh --policy-pack policies` with every
                scanned digest in lambdakit:imageDigests; exports each function's version
             2. Canary-<name>: CodeBuild on arm64, one CodeDeploy canary per function (CanaryRelease), in
                parallel, each rolled back by its own function's alarms only

components/pipeline_stages.py names the actions, their namespaces and variables, and checks CodePipeline's limits.
Executions are QUEUED (none skipped), and a stage holds one execution at a time: with the `up` and the canaries
in one stage, a `pulumi up` never runs while a canary holds an alias's weights (Lambda refuses a
provisioned-concurrency change on a weighted alias). Failures go to the stack's alarm topic. The buildspecs
are files in pipeline/.
"""

import json
from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.canary_release import CanaryRelease
from components.iam import policy_document, service_role
from components.pipeline_permissions import (DEPLOY_CONCERNS, Artifacts, DeployReach, StackScope,
                                             build_statements, deploy_statements, pipeline_statements,
                                             release_statements, test_statements)
from components.pipeline_stages import (DEPLOY_ACTION, DEPLOY_NAMESPACE, FUNCTION_VERSIONS, TEST_ACTION,
                                        build_variables, canary_action, deploy_variables, image_action,
                                        reference, scan_action, scan_namespace, scan_parameters)
from settings import BUILD_STAGES, DeliveryNames

# CodeBuild's Amazon Linux 2023 image for arm64: the function's image is built natively, not emulated.
BUILD_IMAGE = "aws/codebuild/amazonlinux-aarch64-standard:3.0"
BUILDSPECS = {stage: f"pipeline/buildspec-{stage}.yml" for stage in BUILD_STAGES}
SOURCE_ARTIFACT = "source"
# What CodeStar Notifications tells the alarm topic of: a run that failed at any stage, and one cancelled
# because the run itself changed the pipeline's definition (RESTART_PATTERN then starts the next).
NOTIFIED_EVENTS = ["codepipeline-pipeline-pipeline-execution-failed",
                   "codepipeline-pipeline-pipeline-execution-canceled"]
# A run whose Deploy changed the pipeline ends CANCELED ("the pipeline's definition was updated before the
# pipeline execution could be completed"): its new version was published but never released. A new run of the
# same commit, on the new definition, releases it.
RESTART_STATE = "CANCELED"
# A build waits at most this long; the release waits for the canary on top of it.
BUILD_TIMEOUT_MINUTES = 60


def trigger_paths(stack: str) -> list[str]:
    """Pushes that change what is deployed: the functions, the program, the pack, the pipeline, the settings of
    this stack and the pinned packages (at most 8 patterns, CodePipeline's limit)."""
    return ["functions/**", "components/**", "policies/**", "pipeline/**", "*.py", "Pulumi.yaml",
            f"Pulumi.{stack}.yaml", "requirements.txt"]


def console_link(region: str) -> str:
    """Where a person completes a new connection's handshake (Settings > Connections > Update pending connection)."""
    return f"https://{region}.console.aws.amazon.com/codesuite/settings/connections?region={region}"


@dataclass(frozen=True)
class DeliveredFunction:
    """One function the pipeline builds, scans, deploys and releases."""

    app: str  # its folder under functions/: the last part of its action names
    platform: str
    function_name: str
    function_arn: pulumi.Input[str]
    alias_name: str
    repository_name: pulumi.Input[str]
    repository_url: pulumi.Input[str]
    repository_arn: pulumi.Input[str]
    release: CanaryRelease


@dataclass(frozen=True)
class DeliveryPipelineArgs:
    names: DeliveryNames
    stack: str  # the stack's name: its settings file is Pulumi.<stack>.yaml
    pulumi_stack: str  # organization/project/stack: what the Deploy stage updates
    repository_id: str  # owner/name
    branch: str
    provider: str  # for a connection the stack creates
    connection_arn: str  # "" for one the stack creates
    artifact_days: int
    log_retention_days: int
    functions: list[DeliveredFunction]
    scan_gate_function_name: pulumi.Input[str]
    scan_gate_function_arn: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    role_boundary_arn: pulumi.Input[str]  # the stack's RoleBoundary, for the roles the deploy role may change
    tags: dict[str, str] = field(default_factory=dict)
    # The pipeline's own roles and their policies carry only these: the deploy role may not retag them.
    own_tags: dict[str, str] = field(default_factory=dict)
    # Opt-in: a failed Deploy stage (a canary rolled back, or the `up` refused) rolls the whole stage back to the
    # last successful run, every function's release of this run included (CodePipeline's stage rollback).
    rollback_together: bool = False


def tls_only_bucket_policy(bucket_arn: str) -> str:
    return policy_document([{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])


class DeliveryPipeline(pulumi.ComponentResource):
    pipeline_name: pulumi.Output[str]
    connection_arn: pulumi.Output[str]
    token_secret_arn: pulumi.Output[str]

    def __init__(self, name: str, args: DeliveryPipelineArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("lambdakit:delivery:DeliveryPipeline", name, None, opts)
        self._name, self._args = name, args
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._scope = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                                        aws.get_region_output(opts=invoke).region,
                                        aws.get_caller_identity_output(opts=invoke).account_id).apply(
            lambda values: StackScope(*values, prefix=args.names.stack_prefix, tags=args.tags))

        self._artifact_store()
        self.connection_arn = self._connection()
        self.connection_console = self._scope.apply(lambda scope: console_link(scope.region))
        # The Pulumi access token: the secret is made here, its value is stored by a person (README); the
        # deploy build reads it through CodeBuild, so it is never in a file, a setting or the build's variables.
        self.token_secret = aws.secretsmanager.Secret(
            f"{name}-pulumi-token", name=args.names.token_secret,
            description="Pulumi access token for the pipeline's `pulumi up` (put its value with put-secret-value)",
            recovery_window_in_days=7, tags=args.tags, opts=pulumi.ResourceOptions(parent=self))
        self.token_secret_arn = self.token_secret.arn

        artifacts = pulumi.Output.all(self.bucket.arn, self.key.arn).apply(lambda values: Artifacts(*values))
        projects = {
            # The tests run Docker themselves (the image tests build and run the functions' images).
            "test": self._project("test", privileged=True, inline=pulumi.Output.all(self._scope, artifacts).apply(
                lambda v: test_statements(v[0], v[1], args.names.stage_role("test")))),
            "build": self._project("build", privileged=True, layer_cache=True, inline=pulumi.Output.all(
                self._scope, artifacts).apply(lambda v: build_statements(v[0], v[1], args.names.stage_role("build")))),
            # Privileged too: pulumi-docker's provider connects to a Docker daemon whenever the state holds an
            # image (a stack's first `up` from a laptop builds one), even when nothing is built
            # (pulumi/pulumi-docker#1106); CodeBuild starts the daemon only in privileged mode.
            "deploy": self._project("deploy", privileged=True, managed=self._deploy_policies(artifacts),
                                    variables={"PULUMI_STACK": args.pulumi_stack},
                                    secrets={"PULUMI_ACCESS_TOKEN": self.token_secret.arn}),
            "release": self._project(
                "release", timeout=BUILD_TIMEOUT_MINUTES + max(f.release.canary_minutes for f in args.functions),
                inline=pulumi.Output.all(self._scope, artifacts).apply(
                    lambda v: release_statements(v[0], v[1], args.names.stage_role("release")))),
        }
        self.pipeline = self._pipeline(projects, artifacts)
        self._restart_when_cancelled()
        aws.codestarnotifications.NotificationRule(
            name, name=args.names.pipeline, resource=self.pipeline.arn, detail_type="FULL",
            event_type_ids=NOTIFIED_EVENTS,
            targets=[aws.codestarnotifications.NotificationRuleTargetArgs(address=args.topic_arn, type="SNS")],
            tags=args.tags, opts=pulumi.ResourceOptions(parent=self))

        self.pipeline_name = self.pipeline.name
        self.register_outputs({"pipelineName": self.pipeline_name, "connectionArn": self.connection_arn,
                               "connectionConsole": self.connection_console, "tokenSecretArn": self.token_secret_arn})

    # The artifact store: a bucket only the pipeline's roles use, encrypted with its own key.

    def _artifact_store(self) -> None:
        name, args = self._name, self._args
        child = pulumi.ResourceOptions(parent=self)
        self.key = aws.kms.Key(f"{name}-artifacts", description=f"Encrypts {args.names.pipeline}'s artifacts",
                               enable_key_rotation=True, deletion_window_in_days=30, tags=args.tags, opts=child)
        aws.kms.Alias(f"{name}-artifacts", name=f"alias/{args.names.stack_prefix}-artifacts",
                      target_key_id=self.key.key_id, opts=child)
        self.bucket = aws.s3.Bucket(f"{name}-artifacts", bucket_prefix=args.names.artifact_bucket_prefix,
                                    force_destroy=True, tags=args.tags, opts=child)
        aws.s3.BucketOwnershipControls(f"{name}-artifacts", bucket=self.bucket.id, rule=aws.s3.BucketOwnershipControlsRuleArgs(
            object_ownership="BucketOwnerEnforced"), opts=child)
        aws.s3.BucketPublicAccessBlock(f"{name}-artifacts", bucket=self.bucket.id, block_public_acls=True,
                                       block_public_policy=True, ignore_public_acls=True,
                                       restrict_public_buckets=True, opts=child)
        aws.s3.BucketVersioning(f"{name}-artifacts", bucket=self.bucket.id,
                                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                                    status="Enabled"), opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-artifacts", bucket=self.bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=self.key.arn),
                bucket_key_enabled=True)], opts=child)
        days = args.artifact_days
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-artifacts", bucket=self.bucket.id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-old-artifacts", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=1),
                abort_incomplete_multipart_upload=aws.s3.
                BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(days_after_initiation=1))],
            opts=child)
        aws.s3.BucketPolicy(f"{name}-artifacts", bucket=self.bucket.id,
                            policy=self.bucket.arn.apply(tls_only_bucket_policy), opts=child)

    def _connection(self) -> pulumi.Output[str]:
        args = self._args
        if args.connection_arn:
            return pulumi.Output.from_input(args.connection_arn)
        connection = aws.codeconnections.Connection(
            self._name, name=args.names.connection, provider_type=args.provider, tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self))
        return connection.arn

    # One role and one CodeBuild project per stage, each with only what that stage does.

    def _role(self, stage: str, service: str, inline: Optional[pulumi.Output[list]] = None,
              managed: Optional[dict[str, pulumi.Output[list]]] = None) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The stage's role with its inline policy, or with managed policies by concern (too much for one inline)."""
        role_name, child = self._args.names.stage_role(stage), pulumi.ResourceOptions(parent=self)
        role = service_role(f"{self._name}-{stage}", role_name, service, self._args.own_tags, self, None)
        attached: list[pulumi.Resource] = []
        if inline is not None:
            attached.append(aws.iam.RolePolicy(f"{self._name}-{stage}", role=role.id, policy=inline.apply(policy_document),
                                               opts=child))
        for concern, statements in (managed or {}).items():
            policy = aws.iam.Policy(f"{self._name}-{stage}-{concern}", name=f"{role_name}-{concern}",
                                    policy=statements.apply(policy_document), tags=self._args.own_tags, opts=child)
            attached.append(aws.iam.RolePolicyAttachment(f"{self._name}-{stage}-{concern}", role=role.name,
                                                         policy_arn=policy.arn, opts=child))
        return role, attached

    def _deploy_policies(self, artifacts: pulumi.Output[Artifacts]) -> dict[str, pulumi.Output[list]]:
        args = self._args
        reach = pulumi.Output.all(self.connection_arn, self.token_secret.arn, args.role_boundary_arn).apply(
            lambda v: DeployReach(v[0], v[1], v[2]))
        by_concern = pulumi.Output.all(self._scope, artifacts, reach).apply(
            lambda v: deploy_statements(v[0], v[1], args.names.stage_role("deploy"), v[2]))
        return {concern: by_concern.apply(lambda policies, c=concern: policies[c]) for concern in DEPLOY_CONCERNS}

    def _project(self, stage: str, inline: Optional[pulumi.Output[list]] = None,
                 managed: Optional[dict[str, pulumi.Output[list]]] = None, privileged: bool = False,
                 layer_cache: bool = False,
                 variables: Optional[dict] = None, secrets: Optional[dict] = None,
                 timeout: int = BUILD_TIMEOUT_MINUTES) -> aws.codebuild.Project:
        args = self._args
        project_name = args.names.stage_role(stage)
        role, role_policies = self._role(stage, "codebuild", inline, managed)
        log_group = aws.cloudwatch.LogGroup(f"{self._name}-{stage}", name=f"/aws/codebuild/{project_name}",
                                            retention_in_days=args.log_retention_days, tags=args.tags,
                                            opts=pulumi.ResourceOptions(parent=self))
        environment = [aws.codebuild.ProjectEnvironmentEnvironmentVariableArgs(name=key, value=value)
                       for key, value in (variables or {}).items()]
        # CodeBuild reads a SECRETS_MANAGER variable itself, with the project's role, when the build starts.
        environment += [aws.codebuild.ProjectEnvironmentEnvironmentVariableArgs(name=key, value=value,
                                                                                 type="SECRETS_MANAGER")
                        for key, value in (secrets or {}).items()]
        return aws.codebuild.Project(
            f"{self._name}-{stage}", name=project_name, service_role=role.arn, build_timeout=timeout,
            source=aws.codebuild.ProjectSourceArgs(type="CODEPIPELINE", buildspec=BUILDSPECS[stage]),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="CODEPIPELINE"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="ARM_CONTAINER", compute_type="BUILD_GENERAL1_SMALL", image=BUILD_IMAGE,
                privileged_mode=privileged, environment_variables=environment),
            # Docker's layers stay on the build host between builds: an unchanged dependency layer is not rebuilt.
            cache=aws.codebuild.ProjectCacheArgs(type="LOCAL", modes=["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"])
            if layer_cache else None,
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(group_name=log_group.name)),
            tags=args.tags,
            # CodeBuild checks that it may assume the role when the project is made; the first build needs its policy.
            opts=pulumi.ResourceOptions(parent=self, depends_on=role_policies))

    def _pipeline(self, projects: dict[str, aws.codebuild.Project],
                  artifacts: pulumi.Output[Artifacts]) -> aws.codepipeline.Pipeline:
        args = self._args
        role, role_policies = self._role("pipeline", "codepipeline", inline=pulumi.Output.all(
            self._scope, artifacts, self.connection_arn, [p.arn for p in projects.values()],
            args.scan_gate_function_arn).apply(lambda v: pipeline_statements(*v)))
        source = [_action("Source", "Source", "CodeStarSourceConnection", {
            "ConnectionArn": self.connection_arn, "FullRepositoryId": args.repository_id,
            "BranchName": args.branch, "OutputArtifactFormat": "CODE_ZIP",
            # The trigger below starts runs; left on, change detection would add a second, unfiltered one.
            "DetectChanges": "false"}, output_artifacts=[SOURCE_ARTIFACT])]
        # The tests once, then every image at once: a function's build waits for no other function's.
        build = [_build(TEST_ACTION, projects["test"], {}, run_order=1)] + [
            _build(image_action(f.app), projects["build"], {
                "APP": f.app, "PLATFORM": f.platform, "REPOSITORY_URL": f.repository_url}, run_order=2,
                namespace=image_action(f.app)) for f in args.functions]
        scan = [_action(scan_action(f.app), "Invoke", "Lambda", {
            "FunctionName": args.scan_gate_function_name,
            "UserParameters": pulumi.Output.from_input(f.repository_name).apply(
                lambda repository, app=f.app: scan_parameters(repository, app))},
            namespace=scan_namespace(place)) for place, f in enumerate(args.functions, start=1)]
        # One stage for the `up` and the canaries: a stage holds one execution at a time, so the next run's `up`
        # waits until this run's canaries have ended (it could not change a weighted alias anyway).
        deploy = [_build(DEPLOY_ACTION, projects["deploy"], deploy_variables(f.app for f in args.functions),
                         run_order=1, namespace=DEPLOY_NAMESPACE)] + [
            _build(canary_action(f.app), projects["release"], {
                "FUNCTION_NAME": f.function_name, "ALIAS": f.alias_name,
                "FUNCTION_VERSIONS": reference(DEPLOY_NAMESPACE, FUNCTION_VERSIONS),
                "APPLICATION": f.release.application_name, "DEPLOYMENT_GROUP": f.release.deployment_group_name},
                run_order=2) for f in args.functions]
        rollback = aws.codepipeline.PipelineStageOnFailureArgs(result="ROLLBACK") if args.rollback_together else None
        return aws.codepipeline.Pipeline(
            self._name, name=args.names.pipeline, pipeline_type="V2", execution_mode="QUEUED", role_arn=role.arn,
            artifact_stores=[aws.codepipeline.PipelineArtifactStoreArgs(
                location=self.bucket.bucket, type="S3",
                encryption_key=aws.codepipeline.PipelineArtifactStoreEncryptionKeyArgs(id=self.key.arn, type="KMS"))],
            stages=[aws.codepipeline.PipelineStageArgs(name="Source", actions=source),
                    aws.codepipeline.PipelineStageArgs(name="Build", actions=build),
                    aws.codepipeline.PipelineStageArgs(name="Scan", actions=scan),
                    aws.codepipeline.PipelineStageArgs(name="Deploy", actions=deploy, on_failure=rollback)],
            triggers=[aws.codepipeline.PipelineTriggerArgs(
                provider_type="CodeStarSourceConnection",
                git_configuration=aws.codepipeline.PipelineTriggerGitConfigurationArgs(
                    source_action_name="Source",
                    pushes=[aws.codepipeline.PipelineTriggerGitConfigurationPushArgs(
                        branches=aws.codepipeline.PipelineTriggerGitConfigurationPushBranchesArgs(
                            includes=[args.branch]),
                        file_paths=aws.codepipeline.PipelineTriggerGitConfigurationPushFilePathsArgs(
                            includes=trigger_paths(args.stack)))]))],
            tags=args.tags, opts=pulumi.ResourceOptions(parent=self, depends_on=role_policies))

    def _restart_when_cancelled(self) -> None:
        """EventBridge starts a new run when one ends CANCELED, with a role that may do only that."""
        args, child = self._args, pulumi.ResourceOptions(parent=self)
        rule_name = args.names.restart_rule
        role = service_role(f"{self._name}-restart", args.names.stage_role("restart"), "events", args.tags, self,
                            args.role_boundary_arn, source_arn=f"arn:${{Partition}}:events:${{Region}}:${{Account}}:"
                                                               f"rule/{rule_name}")
        role_policy = aws.iam.RolePolicy(
            f"{self._name}-restart", role=role.id, policy=self.pipeline.arn.apply(lambda arn: policy_document([
                {"Sid": "RestartThePipeline", "Effect": "Allow", "Action": ["codepipeline:StartPipelineExecution"],
                 "Resource": arn}])), opts=child)
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-restart", name=rule_name,
            description=f"Start {args.names.pipeline} again when a run ends cancelled by its own definition change",
            event_pattern=json.dumps({
                "source": ["aws.codepipeline"], "detail-type": ["CodePipeline Pipeline Execution State Change"],
                "detail": {"pipeline": [args.names.pipeline], "state": [RESTART_STATE]}}),
            tags=args.tags, opts=child)
        aws.cloudwatch.EventTarget(f"{self._name}-restart", rule=rule.name, arn=self.pipeline.arn, role_arn=role.arn,
                                   opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]))


def _action(name: str, category: str, provider: str, configuration: dict,
            **extra) -> aws.codepipeline.PipelineStageActionArgs:
    return aws.codepipeline.PipelineStageActionArgs(name=name, category=category, owner="AWS", provider=provider,
                                                    version="1", configuration=configuration, **extra)


def _build(name: str, project: aws.codebuild.Project, variables: dict,
           **extra) -> aws.codepipeline.PipelineStageActionArgs:
    """A CodeBuild action on the source, with its own variables (resolved by CodePipeline before the build starts)."""
    configuration = {"ProjectName": project.name}
    if variables:
        configuration["EnvironmentVariables"] = pulumi.Output.json_dumps(build_variables(variables))
    return _action(name, "Build", "CodeBuild", configuration, input_artifacts=[SOURCE_ARTIFACT], **extra)
