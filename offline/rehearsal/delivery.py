"""One execution of the stack's pipeline, stage by stage and action by action as the pipeline in the account defines
them (its run orders, its variables, each CodeBuild project's buildspec), each call made by the principal that makes
it on AWS:

    Source   CodePipeline (the pipeline's role) fetches the commit through the connection into the artifact bucket
    Build    CodeBuild: the Test action (the test role), then every Image action at once (the build role): a
             function's image is pushed under its content tag only if it is new (images.py)
    Scan     CodePipeline invokes the gate once per image, all at once; the gate (its role) reads ECR's findings once
             each scan is done, and ends its job (images.py)
    Deploy   CodeBuild (the deploy role): the Pulumi token, then one `pulumi up --refresh` with every digest
             (deploy.py); then every Canary action at once: CodeBuild (the release role) starts a function's CodeDeploy
             deployment and CodeDeploy (the function's role) runs it (canary.py)

Each action's variables are what CodePipeline resolves: #{Namespace.NAME} from the variables an earlier action
exported, and the rehearsal hands them to the project's own pipeline/ code (the digests' check, the versions' export,
the release's choice of its version). An execution whose Deploy changed the pipeline's own definition ends Cancelled
after the PulumiUp action, as AWS ends it; what the stack does then is ending.py's.
"""

import json
import re
from pathlib import Path
from typing import Optional

from aws_account.authority import Authority, Principal
from aws_account.refusals import AwsRefusal
from offline.rehearsal.canary import CanaryRun, Release, Traffic, run_canaries
from offline.rehearsal.deploy import pulumi_up
from offline.rehearsal.ending import cancelled, failed
from offline.rehearsal.execution import DEPLOY_MINUTES, PIPELINE, PROJECT, Execution, StageFailed
from offline.rehearsal.images import build, scan
from offline.rehearsal.timeline import Timeline
from pipeline.deploy_stage import BadInput, digest_entries, function_versions
from pipeline.release import target_version

_REFERENCE = re.compile(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_]+)\}")


class PipelineRun:
    def __init__(self, cloud, settings, checkout: Path, timeline: Timeline, findings: dict[str, int],
                 traffic: dict[str, Traffic]):
        """`findings`: what ECR's scan finds in each image this run pushes; `traffic`: by function name."""
        self.cloud, self.settings, self.checkout = cloud, settings, checkout
        self.authority, self.timeline, self.findings, self.traffic = Authority(cloud), timeline, findings, traffic
        self.names = settings.delivery_names
        self.execution = Execution()
        self.variables = self.execution.variables  # namespace -> what its action exported
        self.pushed_repositories: set[str] = set()  # the repositories this run's Build pushed a new image to

    # The account's state, and the pipeline's definition in it.

    def state(self, typ: str, **match) -> dict:
        found = [r.outputs for r in self.cloud._resources_of(typ)
                 if all(r.outputs.get(k) == v for k, v in match.items())]
        if len(found) != 1:
            raise StageFailed("account", f"expected one {typ} with {match}, found {len(found)}")
        return found[0]

    def _pipeline(self) -> dict:
        return self.state(PIPELINE, name=self.names.pipeline)

    def runs_of(self, stage: str) -> list[list[dict]]:
        """The stage's actions as they run: by runOrder, those of one runOrder side by side."""
        actions = next(s["actions"] for s in self._pipeline()["stages"] if s["name"] == stage)
        orders = sorted({action.get("runOrder") or 1 for action in actions})
        return [[action for action in actions if (action.get("runOrder") or 1) == order] for order in orders]

    def resolve(self, stage: str, text: str) -> str:
        """#{Namespace.NAME} references replaced by what those actions exported, as CodePipeline does."""
        def value(found: re.Match) -> str:
            exported = self.variables.get(found[1], {})
            if found[2] not in exported:
                raise StageFailed(stage, f"the variable {found[0]} was not exported by an earlier action")
            return exported[found[2]]
        return _REFERENCE.sub(value, text)

    def action_variables(self, stage: str, action: dict) -> dict[str, str]:
        declared = json.loads(action["configuration"].get("EnvironmentVariables") or "[]")
        return {variable["name"]: self.resolve(stage, variable["value"]) for variable in declared}

    def export(self, action: dict, variables: dict[str, str]) -> None:
        if action.get("namespace"):
            self.variables[action["namespace"]] = variables

    def _artifacts(self) -> tuple[str, str]:
        store = self._pipeline()["artifactStores"][0]
        return (f"arn:{self.cloud.partition}:s3:::{store['location']}/{self.names.pipeline}/source/commit.zip",
                store["encryptionKey"]["id"])

    # Calls.

    def call(self, stage: str, principal: Principal, action: str, resource: str, **context) -> None:
        verdict = self.timeline.call(stage, self.authority.decide(principal, action, resource, context))
        if not verdict.allowed:
            raise StageFailed(stage, verdict.message())

    def assume(self, stage: str, service: str, role_arn: str, source_arn: str = "") -> Principal:
        verdict = self.timeline.call(stage, self.authority.assume(service, role_arn, source_arn))
        if not verdict.allowed:
            raise StageFailed(stage, verdict.message())
        return self.authority.role(role_arn.rsplit("/", 1)[-1])

    def start_build(self, stage: str, pipeline_role: Principal, action: dict) -> tuple[Principal, dict]:
        """CodePipeline starts the action's CodeBuild project; CodeBuild assumes the project's role for it, and the
        build writes its log and reads the source artifact."""
        project = self.state(PROJECT, name=action["configuration"]["ProjectName"])
        for call in ("codebuild:StartBuild", "codebuild:BatchGetBuilds"):
            self.call(stage, pipeline_role, call, project["arn"])
        role = self.assume(stage, "codebuild", project["serviceRole"], project["arn"])
        group = f"arn:{self.cloud.partition}:logs:{self.cloud.region}:{self.cloud.account_id}:log-group:" \
                f"/aws/codebuild/{project['name']}"
        for call in ("logs:CreateLogStream", "logs:PutLogEvents"):
            self.call(stage, role, call, f"{group}:log-stream:build")
        source, key = self._artifacts()
        bucket = source.split("/", 1)[0]
        self.call(stage, role, "s3:GetBucketAcl", bucket)
        self.call(stage, role, "s3:GetBucketLocation", bucket)
        self.call(stage, role, "s3:GetObject", source)
        self.call(stage, role, "kms:Decrypt", key)
        return role, project

    # The stages.

    def source(self, pipeline_role: Principal) -> None:
        stage = "Source"
        configuration = self._pipeline()["stages"][0]["actions"][0]["configuration"]
        connection = configuration["ConnectionArn"]
        self.call(stage, pipeline_role, f"{connection.split(':')[2]}:UseConnection", connection)
        source, key = self._artifacts()
        bucket = source.split("/", 1)[0]
        # CodePipeline checks the artifact bucket (its owner, its Region, its versioning) before it writes to it.
        for action in ("s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"):
            self.call(stage, pipeline_role, action, bucket)
        self.call(stage, pipeline_role, "kms:GenerateDataKey", key)
        for action in ("s3:PutObject", "s3:PutObjectAcl"):
            self.call(stage, pipeline_role, action, source)
        self.timeline.event(stage, "codepipeline", f"{configuration['FullRepositoryId']}@"
                                                   f"{configuration['BranchName']} fetched")

    def deploy(self, pipeline_role: Principal, action: dict, config) -> bool:
        """The PulumiUp action: one `pulumi up` with every digest the action was given; True when it changed the
        pipeline's own definition."""
        stage, execution = "Deploy", self.execution
        role, project = self.start_build(stage, pipeline_role, action)
        self.call(stage, role, "secretsmanager:GetSecretValue",
                  self.state("aws:secretsmanager/secret:Secret", name=self.names.token_secret)["arn"])
        try:
            entries = digest_entries(self.action_variables(stage, action)["IMAGE_DIGESTS"])
        except BadInput as bad:
            raise StageFailed(stage, str(bad)) from None
        # What `pulumi config set-all --path` makes of them (pipeline/deploy_stage.py): a list of strings.
        config.values[f"{config.project}:imageDigests"] = json.dumps(entries)
        outcome = pulumi_up(self.checkout, config, self.authority, role, self.timeline,
                            bool(project["environment"].get("privilegedMode")), PIPELINE)
        self.timeline.advance(DEPLOY_MINUTES)
        if outcome.refused:
            raise StageFailed(stage, outcome.refused)
        execution.versions = function_versions(outcome.run.exports["functions"])
        self.export(action, {"FUNCTION_VERSIONS": json.dumps(execution.versions, separators=(",", ":"))})
        self.timeline.event(stage, role.name, "pulumi up done; the functions' versions: " + ", ".join(
            f"{name} {version}" for name, version in execution.versions.items()))
        return outcome.pipeline_changed

    def _release(self, pipeline_role: Principal, action: dict) -> Optional[CanaryRun]:
        """One Canary action up to CodeDeploy taking the deployment; None when the function's alias runs the version
        already (pipeline/release.py starts nothing then)."""
        stage = "Canary"
        role, _ = self.start_build(stage, pipeline_role, action)
        given = self.action_variables(stage, action)
        function_name = given["FUNCTION_NAME"]
        version = target_version(given["FUNCTION_VERSIONS"], function_name)
        function = self.state("aws:lambda/function:Function", name=function_name)
        alias = self.state("aws:lambda/alias:Alias", functionName=function_name, name=given["ALIAS"])
        self.call(stage, role, "lambda:GetAlias", function["arn"])
        if alias["functionVersion"] == version:
            self.timeline.event(stage, role.name, f"{action['name']}: {function_name}:{alias['name']} runs version "
                                                  f"{version} already; nothing to release")
            self.execution.unchanged.append(function_name)
            return None
        group = self.state("aws:codedeploy/deploymentGroup:DeploymentGroup", appName=given["APPLICATION"],
                           deploymentGroupName=given["DEPLOYMENT_GROUP"])
        configuration = self.state("aws:codedeploy/deploymentConfig:DeploymentConfig",
                                   deploymentConfigName=group["deploymentConfigName"])
        canary = configuration["trafficRoutingConfig"]["timeBasedCanary"]
        application = f"arn:{self.cloud.partition}:codedeploy:{self.cloud.region}:{self.cloud.account_id}:" \
                      f"application:{group['appName']}"
        self.call(stage, role, "codedeploy:RegisterApplicationRevision", application)
        for call in ("codedeploy:CreateDeployment", "codedeploy:GetDeployment"):
            self.call(stage, role, call, group["arn"])
        self.call(stage, role, "codedeploy:GetDeploymentConfig", configuration["arn"])
        watched = set((group.get("alarmConfiguration") or {}).get("alarms") or [])
        alarms = tuple(r.outputs for r in self.cloud._resources_of("aws:cloudwatch/metricAlarm:MetricAlarm")
                       if r.outputs["name"] in watched)
        release = Release(function_name, function["arn"], alias["name"], alias["functionVersion"], version,
                          canary["percentage"], canary["interval"], group["serviceRoleArn"], group["arn"], alarms)
        return CanaryRun(self.authority, self.timeline, release, self.traffic[function_name])

    def canaries(self, pipeline_role: Principal, actions: list[dict]) -> None:
        """Every Canary action at once; the stage fails when one is rolled back or refused, and the others go on to
        their own end."""
        runs = {action["name"]: run for action in actions if (run := self._release(pipeline_role, action))}
        run_canaries(list(runs.values()), self.timeline)
        self.execution.canaries = {run.release.function_name: run.outcome for run in runs.values()}
        ended = [f"{name}: {run.outcome.refused or 'rolled back: an alarm fired'}"
                 for name, run in runs.items() if run.outcome.refused or run.outcome.rolled_back]
        if ended:
            raise StageFailed("Canary", "; ".join(ended))

    def _deploy_stage(self, pipeline_role: Principal, config) -> bool:
        """PulumiUp, then every Canary action; True when the execution was cancelled by its own definition change."""
        execution = self.execution
        execution.stage = "Deploy"
        up, releases = self.runs_of("Deploy")
        if self.deploy(pipeline_role, up[0], config):
            cancelled(self)
            return True
        execution.stage = "Canary"
        self.canaries(pipeline_role, releases)
        return False

    def run(self, config, rolling_back: Optional[Execution] = None) -> Execution:
        """Every stage in turn; or, `rolling_back` to an earlier execution, its Deploy stage again with that
        execution's variables (the checkout is its source), as CodePipeline's stage rollback runs it. The ending
        (told, restarted) is ending.py's."""
        execution = self.execution
        execution.definition = json.dumps(self._pipeline()["stages"], sort_keys=True)
        try:
            pipeline_role = self.assume("Source", "codepipeline", self._pipeline()["roleArn"])
            if rolling_back is not None:
                execution.kind = "ROLLBACK"
                self.variables.update(rolling_back.variables)
                self.timeline.event("Deploy", "codepipeline", "the Deploy stage rolls back to an earlier execution",
                                    "its source and its variables: " + self.action_variables(
                                        "Deploy", self.runs_of("Deploy")[0][0])["IMAGE_DIGESTS"])
            else:
                execution.stage = "Source"
                self.source(pipeline_role)
                execution.stage = "Build"
                build(self, pipeline_role)
                execution.stage = "Scan"
                scan(self, pipeline_role)
            if self._deploy_stage(pipeline_role, config):
                return execution
        except (StageFailed, AwsRefusal) as failure:
            failed(self, str(failure))
            return execution
        execution.status = "Succeeded"
        self.timeline.event("Canary", "codepipeline", "execution Succeeded")
        return execution
