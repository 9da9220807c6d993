"""The program's own delivery resources, as `python -m offline preview --stack prod --json` records them
(components/pipeline.py, canary_release.py): the shapes the simulated account must accept, which the tests
change one setting at a time."""

import json

from tests.aws_account.steps import ACCOUNT

KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/26bafd66-9a3e-50ca-9a4c-d525caa9b363"
CONNECTION_ARN = f"arn:aws:codeconnections:eu-west-1:{ACCOUNT}:connection/2a31d410-2ee9-5c26-aaf8-d9c740a3aef1"

# CodeBuild.

BUILD_PROJECT = {
    "name": "lambdakit-prod-build", "buildTimeout": 60,
    "environment": {"environmentVariables": [{"value": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/lambdakit-prod-api",
                                              "name": "REPOSITORY_URL"}],
                    "computeType": "BUILD_GENERAL1_SMALL", "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0",
                    "type": "ARM_CONTAINER", "privilegedMode": True},
    "source": {"buildspec": "pipeline/buildspec-build.yml", "type": "CODEPIPELINE"},
    "cache": {"type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]},
    "logsConfig": {"cloudwatchLogs": {"groupName": "/aws/codebuild/lambdakit-prod-build"}},
    "artifacts": {"type": "CODEPIPELINE"},
    "serviceRole": f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-build",
}
DEPLOY_PROJECT = {
    **BUILD_PROJECT, "name": "lambdakit-prod-deploy", "cache": None,
    "environment": {"environmentVariables": [
        {"value": "lambdakit/prod", "name": "PULUMI_STACK"},
        {"value": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:lambdakit-prod/pulumi-access-token-a1b2c3",
         "type": "SECRETS_MANAGER", "name": "PULUMI_ACCESS_TOKEN"}],
        "computeType": "BUILD_GENERAL1_SMALL", "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0",
        "type": "ARM_CONTAINER", "privilegedMode": False},
    "source": {"buildspec": "pipeline/buildspec-deploy.yml", "type": "CODEPIPELINE"},
    "serviceRole": f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-build",
}
DEPLOY_PROJECT = {k: v for k, v in DEPLOY_PROJECT.items() if v is not None}


# CodePipeline.

ARTIFACT_BUCKET = "lambdakit-prod-artifacts-20261123181123353400000001"
PIPELINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-pipeline"


def build_action(name: str, project: str, variables: dict, namespace: str) -> dict:
    return {"version": "1", "inputArtifacts": ["source"], "owner": "AWS", "namespace": namespace,
            "category": "Build", "provider": "CodeBuild", "name": name,
            "configuration": {"ProjectName": project, "EnvironmentVariables": json.dumps(
                [{"name": k, "value": v, "type": "PLAINTEXT"} for k, v in variables.items()])}}


SOURCE_ACTION = {"version": "1", "owner": "AWS", "category": "Source", "provider": "CodeStarSourceConnection",
                 "configuration": {"DetectChanges": "false", "ConnectionArn": CONNECTION_ARN,
                                   "OutputArtifactFormat": "CODE_ZIP", "FullRepositoryId": "example-org/lambdakit",
                                   "BranchName": "main"},
                 "outputArtifacts": ["source"], "name": "Source"}
SCAN_ACTION = {"version": "1", "owner": "AWS", "namespace": "Scan", "category": "Invoke", "provider": "Lambda",
               "configuration": {"FunctionName": "lambdakit-prod-scan-gate",
                                 "UserParameters": "{\"imageDigest\": \"#{Build.IMAGE_DIGEST}\"}"},
               "name": "ScanGate"}
PROGRAM_PIPELINE = {
    "name": "lambdakit-prod", "pipelineType": "V2", "executionMode": "QUEUED", "roleArn": PIPELINE_ROLE,
    "artifactStores": [{"encryptionKey": {"type": "KMS", "id": KEY_ARN}, "type": "S3", "location": ARTIFACT_BUCKET}],
    "stages": [
        {"name": "Source", "actions": [SOURCE_ACTION]},
        {"name": "Build", "actions": [build_action("Image", "lambdakit-prod-build",
                                                   {"APP": "api", "PLATFORM": "linux/arm64"}, "Build")]},
        {"name": "Scan", "actions": [SCAN_ACTION]},
        {"name": "Deploy", "actions": [build_action("PulumiUp", "lambdakit-prod-deploy",
                                                    {"IMAGE_DIGEST": "#{Scan.imageDigest}"}, "Deploy")]},
        {"name": "Traffic", "actions": [build_action("Canary", "lambdakit-prod-release", {
            "FUNCTION_NAME": "lambdakit-prod-api", "ALIAS": "live", "TARGET_VERSION": "#{Deploy.FUNCTION_VERSION}",
            "APPLICATION": "lambdakit-prod-api", "DEPLOYMENT_GROUP": "live"}, "Traffic")]},
    ],
    "triggers": [{"providerType": "CodeStarSourceConnection", "gitConfiguration": {
        "sourceActionName": "Source",
        "pushes": [{"branches": {"includes": ["main"]},
                    "filePaths": {"includes": ["functions/**", "components/**", "policies/**", "pipeline/**", "*.py",
                                               "Pulumi.yaml", "Pulumi.prod.yaml", "requirements.txt"]}}]}}],
}


# CodeDeploy.

PROGRAM_APPLICATION = {"computePlatform": "Lambda", "name": "lambdakit-prod-api"}
PROGRAM_CONFIG = {"deploymentConfigName": "lambdakit-prod-api-canary-10pct-5min", "computePlatform": "Lambda",
                  "trafficRoutingConfig": {"type": "TimeBasedCanary",
                                           "timeBasedCanary": {"interval": 5, "percentage": 10}}}
LIVE_GROUP = {
    "appName": "lambdakit-prod-api", "deploymentConfigName": "lambdakit-prod-api-canary-10pct-5min",
    "serviceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/lambdakit-prod-api-codedeploy", "deploymentGroupName": "live",
    "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
    "alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [
        "lambdakit-prod-api-error-rate", "lambdakit-prod-api-url-5xx-rate", "lambdakit-prod-api-throttles",
        "lambdakit-prod-api-duration"]},
}
