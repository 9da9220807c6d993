"""The simulated account's delivery services refuse what AWS refuses, and accept what AWS accepts: CodeConnections,
CodeBuild and CodePipeline.

Each test asks for one thing AWS (or the AWS provider, before it calls AWS) refuses, checks the refusal and
its error, and, where the two differ by one change, asks for the nearest thing AWS accepts, so that a
simulation that refused everything, or nothing, fails here. The accepted shapes are the program's own
(delivery_inputs.py). The rules and their sources are in aws_account/delivery.py and aws_limits.py.
"""

import re

import pytest

from tests.aws_account.delivery_inputs import (ARTIFACT_BUCKET, BUILD_PROJECT, DEPLOY_PROJECT, PROGRAM_PIPELINE,
                                               SCAN_ACTION, SOURCE_ACTION, build_action)
from tests.aws_account.steps import ACCOUNT, changed, refused, register, service_role

BUCKET = "aws:s3/bucket:Bucket"
CONNECTION = "aws:codeconnections/connection:Connection"
PROJECT = "aws:codebuild/project:Project"
PIPELINE = "aws:codepipeline/pipeline:Pipeline"
PIPELINE_ARN = f"arn:aws:codepipeline:eu-west-1:{ACCOUNT}:lambdakit-prod"


# CodeConnections.

def test_a_connection_is_created_pending(cloud):
    state = register(cloud, CONNECTION, "c", {"name": "lambdakit-prod", "providerType": "GitHub"})
    assert re.fullmatch(rf"arn:aws:codeconnections:eu-west-1:{ACCOUNT}:connection/[0-9a-f-]{{36}}", state["arn"])
    assert (state["id"], state["connectionStatus"]) == (state["arn"], "PENDING")


@pytest.mark.parametrize("inputs, message", [
    ({"name": "c" * 33, "providerType": "GitHub"}, "ValidationException: CodeConnections connection name"),
    ({"name": "c", "providerType": "GitHubEnterpriseServer"},
     "ValidationException: ProviderType 'GitHubEnterpriseServer' must be one of GitHub, GitLab, Bitbucket"),
    ({"name": "c"}, "ValidationException: ProviderType ''"),
], ids=["name of 33", "self-managed provider without a host", "no provider"])
def test_connection_refusals(cloud, inputs, message):
    with refused(message):
        register(cloud, CONNECTION, "c", inputs)
    assert register(cloud, CONNECTION, "c", {"name": "c" * 32, "providerType": "GitLab"})["arn"]


# CodeBuild.

@pytest.fixture
def build_role(cloud) -> list:
    return service_role(cloud, "lambdakit-prod-build", "codebuild")


@pytest.mark.parametrize("project", [BUILD_PROJECT, DEPLOY_PROJECT], ids=["build", "deploy"])
def test_the_programs_projects_are_accepted(cloud, build_role, project):
    state = register(cloud, PROJECT, project["name"], project, build_role)
    assert state["arn"] == state["id"] == f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/{project['name']}"


@pytest.mark.parametrize("path, value, message", [
    ("environment.computeType", "BUILD_LAMBDA_1GB",
     "InvalidInputException: AWS CodeBuild curated image aws/codebuild/amazonlinux-aarch64-standard:3.0 is not "
     "supported for projects with environment type ARM_CONTAINER and compute type BUILD_LAMBDA_1GB"),
    ("environment.image", "aws/codebuild/amazonlinux-x86_64-standard:5.0",
     "curated image aws/codebuild/amazonlinux-x86_64-standard:5.0 is not supported for projects with environment "
     "type ARM_CONTAINER"),
    ("environment.type", "LINUX_CONTAINER",
     "curated image aws/codebuild/amazonlinux-aarch64-standard:3.0 is not supported for projects with environment "
     "type LINUX_CONTAINER"),
    ("environment.type", "ARM_LAMBDA_CONTAINER", "environment type ARM_LAMBDA_CONTAINER and compute type "
                                                 "BUILD_GENERAL1_SMALL"),
    ("environment.environmentVariables.0.type", "SECRET",
     "InvalidInputException: environment variable REPOSITORY_URL: type 'SECRET' must be one of PLAINTEXT"),
    ("cache.modes", [], "InvalidInputException: a LOCAL cache needs one or more modes"),
    ("cache.modes", ["LOCAL_DOCKER_CACHE"], "InvalidInputException: cache mode 'LOCAL_DOCKER_CACHE'"),
    ("cache.type", "EFS", "InvalidInputException: cache type 'EFS' must be one of NO_CACHE, S3, LOCAL"),
    ("environment.privilegedMode", False,
     "InvalidInputException: the LOCAL_DOCKER_LAYER_CACHE mode needs privileged mode"),
    ("buildTimeout", 4, "buildTimeout 4 is outside 5..2160"),
    ("buildTimeout", 2161, "buildTimeout 2161 is outside 5..2160"),
    ("queuedTimeout", 481, "queuedTimeout 481 is outside 5..480"),
    ("artifacts.type", "NO_ARTIFACTS", "InvalidInputException: Invalid input: when using CodePipeline both "
                                       "sourceType, and artifactType must be set to: CODEPIPELINE"),
    ("source.type", "GITHUB", "when using CodePipeline both sourceType, and artifactType must be set to"),
    ("name", "-build", "ValidationException: CodeBuild project name '-build'"),
    ("name", "b", "CodeBuild project name 'b'"),
], ids=["ARM with Lambda compute", "ARM with an x86 image", "x86 with an aarch64 image", "Lambda with EC2 compute",
        "variable type SECRET", "LOCAL cache without modes", "unknown cache mode", "unknown cache type",
        "Docker layer cache without privileged mode", "timeout 4", "timeout 2161", "queued timeout 481",
        "CODEPIPELINE source without its artifacts", "CODEPIPELINE artifacts without its source",
        "name with a hyphen first",
        "name of one character"])
def test_project_settings_codebuild_refuses(cloud, build_role, path, value, message):
    with refused(message):
        register(cloud, PROJECT, "p", changed(BUILD_PROJECT, path, value), build_role)


def lambda_environment(kind: str, image: str, privileged: bool = False) -> dict:
    return {"type": kind, "computeType": "BUILD_LAMBDA_2GB", "image": image, "privilegedMode": privileged}


ARM_LAMBDA_IMAGE = "aws/codebuild/amazonlinux-aarch64-lambda-standard:python3.12"


@pytest.mark.parametrize("path, value", [
    ("environment.computeType", "BUILD_GENERAL1_2XLARGE"),
    ("environment", lambda_environment("ARM_LAMBDA_CONTAINER", ARM_LAMBDA_IMAGE)),
    ("environment.image", f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/builder:1"),
    ("cache", {"type": "NO_CACHE"}),
    ("buildTimeout", 2160),
], ids=["ARM 2XLARGE", "ARM Lambda compute", "the account's own image", "no cache", "timeout 2160"])
def test_project_settings_codebuild_accepts(cloud, build_role, path, value):
    project = changed(BUILD_PROJECT, path, value)
    if path == "environment":
        project = changed(project, "cache", None)
    assert register(cloud, PROJECT, "p", project, build_role)["arn"]


def test_lambda_compute_runs_no_privileged_builds(cloud, build_role):
    project = changed(changed(BUILD_PROJECT, "cache", None), "environment",
                      lambda_environment("ARM_LAMBDA_CONTAINER", ARM_LAMBDA_IMAGE, privileged=True))
    with refused("InvalidInputException: privileged mode is not supported by Lambda compute (environment type "
                 "ARM_LAMBDA_CONTAINER)"):
        register(cloud, PROJECT, "p", project, build_role)


# CodePipeline.

PUSH = "triggers.0.gitConfiguration.pushes"
FILE_PATHS = f"{PUSH}.0.filePaths.includes"


@pytest.fixture
def pipeline_role(cloud) -> list:
    register(cloud, BUCKET, "artifacts", {"bucket": ARTIFACT_BUCKET})
    return service_role(cloud, "lambdakit-prod-pipeline", "codepipeline")


def test_the_programs_pipeline_is_accepted(cloud, pipeline_role):
    assert register(cloud, PIPELINE, "p", PROGRAM_PIPELINE, pipeline_role)["arn"] == PIPELINE_ARN


def stage(name: str, *actions: dict) -> dict:
    return {"name": name, "actions": list(actions)}


SCAN_BEFORE_BUILD = changed(SCAN_ACTION, "configuration.UserParameters", "#{Deploy.FUNCTION_VERSION}")


@pytest.mark.parametrize("path, value, message", [
    ("stages", PROGRAM_PIPELINE["stages"][:1],
     "InvalidStructureException: Pipeline has only 1 stage(s). There should be a minimum of 2 stages in a pipeline"),
    ("stages.2.name", "Build", "InvalidStructureException: Stage names must be unique within the pipeline; Build"),
    ("stages.2.actions", [SCAN_ACTION, {**SCAN_ACTION, "namespace": "Scan2"}],
     "InvalidStructureException: Action names must be unique within stage Scan; ScanGate occurs more than once"),
    ("stages.2.name", "Scan gate", "ValidationException: CodePipeline stage or action name 'Scan gate'"),
    ("stages.2.actions.0.name", "Scan/Gate", "CodePipeline stage or action name 'Scan/Gate'"),
    ("stages.2.actions.0.namespace", "Scan.Gate", "ValidationException: CodePipeline action namespace 'Scan.Gate'"),
    ("stages.0.actions.0.outputArtifacts", ["source.zip"],
     "ValidationException: CodePipeline artifact name 'source.zip'"),
    ("stages.0.actions", [SOURCE_ACTION, {**SCAN_ACTION, "configuration": {"FunctionName": "f"}}],
     "InvalidStructureException: The first stage of the pipeline can only contain source actions (action ScanGate)"),
    ("stages.2.actions", [{**SOURCE_ACTION, "outputArtifacts": ["more"]}],
     "InvalidStructureException: Source actions can only be included in the first stage of the pipeline"),
    ("stages.0.actions.0.provider", "CodeBuild",
     "InvalidActionDeclarationException: ActionType (Category: 'Source', Provider: 'CodeBuild', Owner: 'AWS', "
     "Version: '1') in action 'Source' is not available in region 'EU_WEST_1'"),
    ("stages.0.actions.0.configuration.ConnectionArn", None,
     "InvalidActionDeclarationException: Action configuration for action 'Source' is missing required "
     "configuration 'ConnectionArn'"),
    ("stages.1.actions.0.configuration.ProjectName", None, "missing required configuration 'ProjectName'"),
    ("stages.2.actions.0.configuration.FunctionName", None, "missing required configuration 'FunctionName'"),
    ("stages.2.actions.0.configuration.UserParameters", "x" * 1001,
     "ValidationException: 1 validation error detected: Value at 'pipeline.stages.3.member.actions.1.member."
     "configuration' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length "
     "less than or equal to 1000, Member must have length greater than or equal to 1]"),
    ("stages.1.actions.0.inputArtifacts", [],
     "InvalidActionDeclarationException: Action Image declares 0 input artifacts which is less than the minimum "
     "count (1)"),
    ("stages.0.actions.0.outputArtifacts", ["source", "more"],
     "Action Source declares 2 output artifacts which is more than the maximum count (1)"),
    ("stages.3.actions.0.inputArtifacts", ["built"],
     "InvalidStructureException: input artifact 'built' of action 'PulumiUp' in stage 'Deploy' is not an output "
     "artifact of an action that runs before it"),
    ("stages.1.actions.0.outputArtifacts", ["source"],
     "InvalidStructureException: output artifact 'source' of action 'Image' in stage 'Build' is already the output "
     "of another action"),
    ("stages.3.actions.0.namespace", "Build",
     "InvalidActionDeclarationException: Namespaces must be unique across the pipeline definition. The following "
     "occur more than once in the pipeline. StageName=[Deploy], ActionName=[PulumiUp], Namespace=[Build]"),
    ("stages.4.actions.0.namespace", "source",
     "InvalidActionDeclarationException: namespace source is also the name of an artifact"),
    ("stages.2.actions.0.configuration.UserParameters", "#{Gate.IMAGE_DIGEST}",
     "InvalidActionDeclarationException: Valid format for a pipeline execution variable reference is a namespace "
     "and a key separated by a period (.). The following pipeline execution variables are referencing a namespace "
     "that does not exist. StageName=[Scan], ActionName=[ScanGate], ActionConfigurationKey=[UserParameters], "
     "VariableReferenceText=[Gate.IMAGE_DIGEST]"),
    ("stages.2.actions.0.configuration.UserParameters", "#{IMAGE_DIGEST}", "VariableReferenceText=[IMAGE_DIGEST]"),
    ("stages.2", stage("Scan", SCAN_BEFORE_BUILD),
     "VariableReferenceText=[Deploy.FUNCTION_VERSION]"),
], ids=["one stage", "stage name twice", "action name twice in a stage", "stage name with a space",
        "action name with a slash", "namespace with a dot", "artifact name with a dot", "first stage holds a build",
        "source action in a later stage", "source category with the CodeBuild provider", "no ConnectionArn",
        "no ProjectName", "no FunctionName", "configuration value of 1001", "build with no input artifact",
        "source with two outputs", "input artifact no action produces", "output artifact name twice",
        "namespace twice", "namespace named as an artifact", "reference to an unknown namespace",
        "reference without a namespace", "reference to a later stage's namespace"])
def test_pipeline_structure_codepipeline_refuses(cloud, pipeline_role, path, value, message):
    with refused(message):
        register(cloud, PIPELINE, "p", changed(PROGRAM_PIPELINE, path, value), pipeline_role)


@pytest.mark.parametrize("path, value", [
    ("stages.2.actions.0.configuration.UserParameters", "#{codepipeline.PipelineExecutionId}"),
    ("stages.2.actions.0.configuration.UserParameters", "x" * 1000),
    # An action may take what an action of its own stage with a lower runOrder produces.
    ("stages.1.actions", [
        build_action("Image", "lambdakit-prod-build", {}, "Build") | {"outputArtifacts": ["image"]},
        build_action("Check", "lambdakit-prod-build", {"DIGEST": "#{Build.IMAGE_DIGEST}"}, "Check")
        | {"inputArtifacts": ["image"], "runOrder": 2}]),
], ids=["execution variable", "configuration value of 1000", "lower runOrder in the same stage"])
def test_pipeline_structure_codepipeline_accepts(cloud, pipeline_role, path, value):
    assert register(cloud, PIPELINE, "p", changed(PROGRAM_PIPELINE, path, value), pipeline_role)["arn"]


def test_a_reference_to_an_action_running_at_the_same_time_is_refused(cloud, pipeline_role):
    same_run = [build_action("Image", "lambdakit-prod-build", {}, "Build"),
                build_action("Check", "lambdakit-prod-build", {"DIGEST": "#{Build.IMAGE_DIGEST}"}, "Check")]
    with refused("StageName=[Build], ActionName=[Check], ActionConfigurationKey=[EnvironmentVariables]"):
        register(cloud, PIPELINE, "p", changed(PROGRAM_PIPELINE, "stages.1.actions", same_run), pipeline_role)


@pytest.mark.parametrize("path, value, message", [
    ("pipelineType", "V1", "InvalidStructureException: Execution mode QUEUED can only be used with V2 pipelines"),
    ("pipelineType", "V3", "ValidationException: pipelineType 'V3' must be one of V1, V2"),
    ("executionMode", "SERIAL", "ValidationException: executionMode 'SERIAL' must be one of QUEUED, SUPERSEDED"),
    ("triggers.0.gitConfiguration.sourceActionName", "Checkout",
     "InvalidStructureException: the trigger's sourceActionName 'Checkout' is not a CodeStarSourceConnection source "
     "action of the pipeline"),
    ("triggers.0.providerType", "GitHub", "ValidationException: providerType 'GitHub'"),
    (PUSH, PROGRAM_PIPELINE["triggers"][0]["gitConfiguration"]["pushes"] * 4,
     "at 'pipeline.triggers.1.member.gitConfiguration.push' failed to satisfy constraint: Member must have length "
     "less than or equal to 3"),
    (FILE_PATHS, [f"dir{n}/**" for n in range(9)],
     "at 'pipeline.triggers.1.member.gitConfiguration.push.1.member.filePaths.includes' failed to satisfy "
     "constraint: Member must have length less than or equal to 8"),
    (FILE_PATHS, [], "filePaths.includes' failed to satisfy constraint: Member must have length greater than or "
                     "equal to 1"),
    (f"{FILE_PATHS}.1", "d" * 256, "at 'pipeline.triggers.1.member.gitConfiguration.push.1.member.filePaths."
                                   "includes.2.member' failed to satisfy constraint: Member must have length less "
                                   "than or equal to 255"),
    (f"{PUSH}.0.branches.includes", [f"release/{n}" for n in range(9)], "branches.includes' failed to satisfy"),
], ids=["QUEUED on V1", "type V3", "mode SERIAL", "trigger of an unknown action",
        "trigger provider GitHub", "4 push filters", "9 file paths", "no file path", "file path of 256",
        "9 branches"])
def test_execution_mode_and_triggers_codepipeline_refuses(cloud, pipeline_role, path, value, message):
    with refused(message):
        register(cloud, PIPELINE, "p", changed(PROGRAM_PIPELINE, path, value), pipeline_role)


def test_triggers_need_a_v2_pipeline(cloud, pipeline_role):
    superseded = changed(PROGRAM_PIPELINE, "executionMode", None)
    with refused("InvalidStructureException: Triggers can only be used with V2 pipelines"):
        register(cloud, PIPELINE, "p", changed(superseded, "pipelineType", "V1"), pipeline_role)
    assert register(cloud, PIPELINE, "p", superseded, pipeline_role)["arn"] == PIPELINE_ARN


@pytest.mark.parametrize("path, value", [
    ("executionMode", "PARALLEL"), (PUSH, PROGRAM_PIPELINE["triggers"][0]["gitConfiguration"]["pushes"] * 3),
    (f"{FILE_PATHS}.1", "d" * 255),
], ids=["PARALLEL on V2", "3 push filters", "file path of 255"])
def test_execution_mode_and_triggers_codepipeline_accepts(cloud, pipeline_role, path, value):
    assert register(cloud, PIPELINE, "p", changed(PROGRAM_PIPELINE, path, value), pipeline_role)["arn"]


def test_a_v1_pipeline_without_triggers_runs_superseded(cloud, pipeline_role):
    v1 = {k: v for k, v in PROGRAM_PIPELINE.items() if k not in ("pipelineType", "executionMode", "triggers")}
    assert register(cloud, PIPELINE, "p", v1, pipeline_role)["arn"] == PIPELINE_ARN


def test_the_artifact_store_is_a_bucket_of_the_account(cloud):
    role = service_role(cloud, "lambdakit-prod-pipeline", "codepipeline")
    with refused("InvalidStructureException: the artifact store is not an S3 bucket of the account (artifact store "
                 f"location '{ARTIFACT_BUCKET}')"):
        register(cloud, PIPELINE, "p", PROGRAM_PIPELINE, role)


@pytest.mark.parametrize("name", ["lambdakit prod", "p" * 101, "lambdakit/prod"])
def test_pipeline_names_codepipeline_refuses(cloud, pipeline_role, name):
    with refused(f"ValidationException: CodePipeline pipeline name {name!r}"):
        register(cloud, PIPELINE, "p", {**PROGRAM_PIPELINE, "name": name}, pipeline_role)
