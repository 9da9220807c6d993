"""One execution of the stack's pipeline, stage by stage, each call made by the principal that makes it on AWS:

    Source   CodePipeline (the pipeline's role) fetches the commit through the connection into the artifact bucket
    Build    CodeBuild (the build role) logs in to ECR and pushes the image under its content tag, if it is new;
             a Docker daemon only in a privileged project
    Scan     CodePipeline invokes the gate; the gate (its role) reads ECR's findings once the scan is done, and
             ends the job
    Deploy   CodeBuild (the deploy role): the Pulumi token, then `pulumi up --refresh` (deploy.py)
    Canary   CodeBuild (the release role) starts a CodeDeploy deployment; CodeDeploy (its role) runs it (canary.py)

An execution whose Deploy changed the pipeline's own definition ends Cancelled after the Deploy action, as AWS ends
it; what the stack does about that (its notification rule, its EventBridge rule) happens here too.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from aws_account.authority import Authority, Principal
from aws_account.refusals import AwsRefusal
from components.container_image import content_tag, image_build
from offline.engine import _working_directory
from offline.rehearsal.canary import CanaryOutcome, CanaryRun, Release, Traffic
from offline.rehearsal.deploy import pulumi_up
from offline.rehearsal.timeline import Timeline
from policies.scan_findings import Finding, Outcome, Scan, Thresholds, judge

PIPELINE = "aws:codepipeline/pipeline:Pipeline"
PROJECT = "aws:codebuild/project:Project"
# How long each stage takes on the clock (minutes). A basic scan on push completes a minute or two after the push.
BUILD_MINUTES, SCAN_MINUTES, DEPLOY_MINUTES, GATE_RETRY_MINUTES = 6, 2, 4, 1


class StageFailed(Exception):
    def __init__(self, stage: str, reason: str):
        super().__init__(f"{stage}: {reason}")
        self.stage, self.reason = stage, reason


@dataclass
class Execution:
    status: str = "InProgress"  # Succeeded | Failed | Cancelled
    stage: str = ""  # where it ended
    reason: str = ""
    digest: str = ""
    version: str = ""
    canary: Optional[CanaryOutcome] = None
    notified: list[str] = field(default_factory=list)  # events the alarm topic received


class PipelineRun:
    def __init__(self, cloud, settings, checkout: Path, timeline: Timeline, findings: dict[str, int],
                 traffic: Traffic):
        self.cloud, self.settings, self.checkout = cloud, settings, checkout
        self.authority, self.timeline, self.findings, self.traffic = Authority(cloud), timeline, findings, traffic
        self.names = settings.delivery_names
        self.execution = Execution()

    # The account's state.

    def _state(self, typ: str, **match) -> dict:
        found = [r.outputs for r in self.cloud._resources_of(typ)
                 if all(r.outputs.get(k) == v for k, v in match.items())]
        if len(found) != 1:
            raise StageFailed("account", f"expected one {typ} with {match}, found {len(found)}")
        return found[0]

    def _project(self, stage: str) -> dict:
        return self._state(PROJECT, name=self.names.stage_role(stage))

    def _pipeline(self) -> dict:
        return self._state(PIPELINE, name=self.names.pipeline)

    def _artifacts(self) -> tuple[str, str]:
        store = self._pipeline()["artifactStores"][0]
        return (f"arn:{self.cloud.partition}:s3:::{store['location']}/{self.names.pipeline}/source/commit.zip",
                store["encryptionKey"]["id"])

    # Calls.

    def _as(self, stage: str, principal: Principal, action: str, resource: str, **context) -> None:
        verdict = self.timeline.call(stage, self.authority.decide(principal, action, resource, context))
        if not verdict.allowed:
            raise StageFailed(stage, verdict.message())

    def _assume(self, stage: str, service: str, role_arn: str, source_arn: str = "") -> Principal:
        verdict = self.timeline.call(stage, self.authority.assume(service, role_arn, source_arn))
        if not verdict.allowed:
            raise StageFailed(stage, verdict.message())
        return self.authority.role(role_arn.rsplit("/", 1)[-1])

    def _pipeline_role(self) -> Principal:
        return self._assume("Source", "codepipeline", self._pipeline()["roleArn"])

    def _start_build(self, stage: str, pipeline_role: Principal, project_stage: str) -> tuple[Principal, dict]:
        """CodePipeline starts the project's build; CodeBuild assumes the project's role for it, and the build
        writes its log and reads the source artifact."""
        project = self._project(project_stage)
        for action in ("codebuild:StartBuild", "codebuild:BatchGetBuilds"):
            self._as(stage, pipeline_role, action, project["arn"])
        role = self._assume(stage, "codebuild", project["serviceRole"], project["arn"])
        group = f"arn:{self.cloud.partition}:logs:{self.cloud.region}:{self.cloud.account_id}:log-group:" \
                f"/aws/codebuild/{project['name']}"
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            self._as(stage, role, action, f"{group}:log-stream:build")
        source, key = self._artifacts()
        bucket = source.split("/", 1)[0]
        self._as(stage, role, "s3:GetBucketAcl", bucket)
        self._as(stage, role, "s3:GetBucketLocation", bucket)
        self._as(stage, role, "s3:GetObject", source)
        self._as(stage, role, "kms:Decrypt", key)
        return role, project

    # The stages.

    def source(self, pipeline_role: Principal) -> None:
        stage = "Source"
        configuration = self._pipeline()["stages"][0]["actions"][0]["configuration"]
        connection = configuration["ConnectionArn"]
        self._as(stage, pipeline_role, f"{connection.split(':')[2]}:UseConnection", connection)
        source, key = self._artifacts()
        bucket = source.split("/", 1)[0]
        # CodePipeline checks the artifact bucket (its owner, its Region, its versioning) before it writes to it.
        for action in ("s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"):
            self._as(stage, pipeline_role, action, bucket)
        self._as(stage, pipeline_role, "kms:GenerateDataKey", key)
        for action in ("s3:PutObject", "s3:PutObjectAcl"):
            self._as(stage, pipeline_role, action, source)
        self.timeline.event(stage, "codepipeline", f"{configuration['FullRepositoryId']}@"
                                                   f"{configuration['BranchName']} fetched")

    def build(self, pipeline_role: Principal) -> str:
        stage = "Build"
        role, project = self._start_build(stage, pipeline_role, "build")
        self.timeline.advance(BUILD_MINUTES)
        repository = self._state("aws:ecr/repository:Repository", name=self.settings.function_name)
        with _working_directory(self.checkout):
            app = Path("functions", self.settings.app)
            tag = content_tag(app, image_build(app, self.settings.platform, {}))
        self._as(stage, role, "ecr:DescribeImages", repository["arn"])
        known = self.cloud.repositories[repository["name"]].tags.get(tag)
        if known:
            self.timeline.event(stage, role.name, f"{repository['name']}:{tag} is already pushed; not built again")
            return known
        if not project["environment"].get("privilegedMode"):
            raise StageFailed(stage, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock "
                                     "(the project is not privileged)")
        self._as(stage, role, "ecr:GetAuthorizationToken", "*")
        for action in ("ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                       "ecr:CompleteLayerUpload", "ecr:PutImage"):
            self._as(stage, role, action, repository["arn"])
        digest = self.cloud.push_built_image(repository["name"], tag)
        self.timeline.event(stage, role.name, f"pushed {repository['name']}:{tag}", digest)
        return digest

    def scan(self, pipeline_role: Principal, digest: str) -> None:
        """The gate waits (CodePipeline invokes it again) until ECR's scan of the image is complete."""
        stage = "Scan"
        gate = self._state("aws:lambda/function:Function", name=self.settings.scan_gate_function_name)
        repository = self._state("aws:ecr/repository:Repository", name=self.settings.function_name)
        pushed_at = self.timeline.minute
        thresholds = Thresholds.from_mapping(self.settings.gate_defaults)
        self._as(stage, pipeline_role, "lambda:ListFunctions", "*")
        while True:
            self._as(stage, pipeline_role, "lambda:InvokeFunction", gate["arn"])
            role = self._assume(stage, "lambda", gate["role"])
            self._as(stage, role, "ecr:DescribeImageScanFindings", repository["arn"])
            done = self.timeline.minute - pushed_at >= SCAN_MINUTES
            found = tuple(Finding(f"CVE-2026-{severity}-{n}", severity, "YES")
                          for severity, count in self.findings.items() for n in range(count))
            scan = Scan(image=f"{repository['name']}@{digest}", status="COMPLETE" if done else "IN_PROGRESS",
                        findings=found, counts=dict(self.findings), listed=len(found), completed=done)
            verdict = judge(scan, thresholds)
            result = "codepipeline:PutJobFailureResult" if verdict.outcome is Outcome.FAIL else \
                "codepipeline:PutJobSuccessResult"
            self._as(stage, role, result, "*")
            self.timeline.event(stage, role.name, verdict.outcome.value, verdict.reason)
            if verdict.outcome is Outcome.FAIL:
                raise StageFailed(stage, verdict.reason)
            if verdict.outcome is Outcome.PASS:
                return
            self.timeline.advance(GATE_RETRY_MINUTES)

    def deploy(self, pipeline_role: Principal, digest: str, config) -> bool:
        """True when the update changed the pipeline's own definition."""
        stage = "Deploy"
        role, project = self._start_build(stage, pipeline_role, "deploy")
        self._as(stage, role, "secretsmanager:GetSecretValue",
                 self._state("aws:secretsmanager/secret:Secret", name=self.names.token_secret)["arn"])
        config.values[f"{config.project}:imageDigest"] = digest
        outcome = pulumi_up(self.checkout, config, self.authority, role, self.timeline,
                            bool(project["environment"].get("privilegedMode")), PIPELINE)
        self.timeline.advance(DEPLOY_MINUTES)
        if outcome.refused:
            raise StageFailed(stage, outcome.refused)
        self.execution.version = outcome.run.exports["functionVersion"]
        self.timeline.event(stage, role.name, f"pulumi up done; the function's newest version is "
                                              f"{self.execution.version}")
        return outcome.pipeline_changed

    def canary(self, pipeline_role: Principal) -> CanaryOutcome:
        stage = "Canary"
        role, _ = self._start_build(stage, pipeline_role, "release")
        function = self._state("aws:lambda/function:Function", name=self.settings.function_name)
        alias = self._state("aws:lambda/alias:Alias", functionName=self.settings.function_name)
        group = self._state("aws:codedeploy/deploymentGroup:DeploymentGroup", appName=self.settings.function_name)
        configuration = self._state("aws:codedeploy/deploymentConfig:DeploymentConfig",
                                    deploymentConfigName=group["deploymentConfigName"])
        canary = configuration["trafficRoutingConfig"]["timeBasedCanary"]
        application = f"arn:{self.cloud.partition}:codedeploy:{self.cloud.region}:{self.cloud.account_id}:" \
                      f"application:{group['appName']}"
        self._as(stage, role, "lambda:GetAlias", function["arn"])
        self._as(stage, role, "codedeploy:RegisterApplicationRevision", application)
        self._as(stage, role, "codedeploy:CreateDeployment", group["arn"])
        self._as(stage, role, "codedeploy:GetDeploymentConfig", configuration["arn"])
        if alias["functionVersion"] == self.execution.version:
            self.timeline.event(stage, role.name, f"{alias['name']} runs version {self.execution.version} already")
            return CanaryOutcome(True)
        watched = set((group.get("alarmConfiguration") or {}).get("alarms") or [])
        alarms = tuple(r.outputs for r in self.cloud._resources_of("aws:cloudwatch/metricAlarm:MetricAlarm")
                       if r.outputs["name"] in watched)
        release = Release(function["name"], function["arn"], alias["name"], alias["functionVersion"],
                          self.execution.version, canary["percentage"], canary["interval"], group["serviceRoleArn"],
                          group["arn"], alarms)
        return CanaryRun(self.authority, self.timeline, release, self.traffic).run()

    # What the stack does when an execution ends.

    def _notify(self, event: str) -> None:
        """The notification rule, if it covers `event`, publishes to the alarm topic as CodeStar Notifications."""
        rules = [r.outputs for r in self.cloud._resources_of("aws:codestarnotifications/notificationRule:"
                                                              "NotificationRule") if event in r.outputs["eventTypeIds"]]
        for rule in rules:
            topic = rule["targets"][0]["address"]
            service = self.authority.service("codestar-notifications")
            context = {"aws:SourceAccount": self.cloud.account_id, "aws:SourceArn": rule["arn"]}
            key = self._state("aws:sns/topic:Topic", arn=topic)["kmsMasterKeyId"]
            through_sns = {"kms:ViaService": f"sns.{self.cloud.region}.amazonaws.com"}
            verdicts = [self.timeline.call("Notify", self.authority.decide(service, "sns:Publish", topic, context))]
            verdicts += [self.timeline.call("Notify", self.authority.decide(service, action, key, through_sns))
                         for action in ("kms:GenerateDataKey", "kms:Decrypt")]
            if all(v.allowed for v in verdicts):  # a refused delivery is lost, as SNS loses it
                self.execution.notified.append(event)
                self.timeline.event("Notify", "codestar-notifications", f"{event} published to the alarm topic")

    def restart_if_cancelled(self) -> bool:
        """EventBridge's rules for a CANCELED execution: True when one started a new execution."""
        started = False
        pipeline = self._pipeline()
        for rule in self.cloud._resources_of("aws:cloudwatch/eventRule:EventRule"):
            pattern = rule.inputs.get("eventPattern") or "{}"
            if '"CANCELED"' not in pattern or self.names.pipeline not in pattern:
                continue
            for target in self.cloud._resources_of("aws:cloudwatch/eventTarget:EventTarget"):
                if target.inputs.get("rule") != rule.outputs["name"] or target.inputs.get("arn") != pipeline["arn"]:
                    continue
                role = self._assume("Restart", "events", target.inputs["roleArn"], rule.outputs["arn"])
                self._as("Restart", role, "codepipeline:StartPipelineExecution", pipeline["arn"])
                self.timeline.event("Restart", "events", f"a new execution of {self.names.pipeline} started")
                started = True
        return started

    def run(self, config) -> Execution:
        execution = self.execution
        try:
            pipeline_role = self._pipeline_role()
            execution.stage = "Source"
            self.source(pipeline_role)
            execution.stage = "Build"
            execution.digest = self.build(pipeline_role)
            execution.stage = "Scan"
            self.scan(pipeline_role, execution.digest)
            execution.stage = "Deploy"
            if self.deploy(pipeline_role, execution.digest, config):
                execution.status = "Cancelled"
                execution.reason = "the pipeline's definition was updated before the pipeline execution could be " \
                                   "completed"
                self.timeline.event("Deploy", "codepipeline", "execution Cancelled", execution.reason)
                self._notify("codepipeline-pipeline-pipeline-execution-canceled")
                return execution
            execution.stage = "Canary"
            execution.canary = self.canary(pipeline_role)
            if execution.canary.refused or execution.canary.rolled_back:
                raise StageFailed("Canary", execution.canary.refused or "rolled back: an alarm fired")
        except (StageFailed, AwsRefusal) as failure:
            execution.status, execution.reason = "Failed", str(failure)
            self.timeline.event(execution.stage, "codepipeline", "execution Failed", execution.reason)
            self._notify("codepipeline-pipeline-pipeline-execution-failed")
            return execution
        execution.status = "Succeeded"
        self.timeline.event("Canary", "codepipeline", "execution Succeeded")
        return execution

