"""What the cost model's tests build and read: a price table made here with round figures (so the arithmetic shows,
and refreshing prices.json changes nothing), the usage, resources with their inputs as the engine hands them
over (pulumi-aws 7's wire format), and readers of an estimate.

A month is AWS's 730 h = 2,628,000 s, so 730/24 = 30.4167 days; 1 GiB = 2^30 bytes."""

import json

from policies.cost import prices as price_list
from policies.cost.model import estimate
from policies.cost.plan import (CODEBUILD_PROJECT, FUNCTION, FUNCTION_URL, IMAGE_SIZE_TAG, PIPELINE,
                                PROVISIONED_CONCURRENCY, UNKNOWN, Resource)
from policies.cost.usage import Usage

REGION = "eu-west-1"
# key -> (unit, USD a unit, the free allowance it draws on)
TEST_PRICES = {
    "lambda.requests.arm64": ("Requests", 0.000001, "lambda-requests"),     # $1 a million
    "lambda.requests.x86_64": ("Requests", 0.000002, "lambda-requests"),    # $2 a million
    "lambda.duration.arm64": ("Lambda-GB-Second", 0.00001, "lambda-gb-seconds"),
    "lambda.duration.x86_64": ("Lambda-GB-Second", 0.00002, "lambda-gb-seconds"),
    "lambda.provisioned.arm64": ("Lambda-GB-Second", 0.000004, None),
    "lambda.provisioned.x86_64": ("Lambda-GB-Second", 0.000005, None),
    "lambda.provisioned-duration.arm64": ("Lambda-GB-Second", 0.000008, None),
    "lambda.provisioned-duration.x86_64": ("Lambda-GB-Second", 0.00001, None),
    "lambda.ephemeral-storage.arm64": ("GB-Seconds", 0.0000001, None),
    "lambda.ephemeral-storage.x86_64": ("GB-Seconds", 0.0000002, None),
    "xray.traces-recorded": ("Traces", 0.000005, None),                     # $5 a million
    "ecr.storage": ("GB-Mo", 0.1, None),
    "inspector.ecr-initial-scan": ("Images", 0.1, None),
    "logs.lambda-ingestion": ("GB", 0.5, None),
    "logs.ingestion": ("GB", 1.0, None),
    "logs.storage": ("GB-Mo", 0.1, None),
    "cloudwatch.metric": ("Metrics", 0.3, None),
    "cloudwatch.alarm": ("Alarms", 0.1, None),
    "cloudwatch.alarm-high-resolution": ("Alarms", 0.3, None),
    "cloudwatch.dashboard": ("Dashboards", 3.0, None),
    "kms.key": ("Keys", 1.0, None),
    "secretsmanager.secret": ("Secrets", 0.4, None),
    "s3.storage": ("GB-Mo", 0.02, None),
    "codepipeline.action-minute": ("minutes", 0.002, None),
    "codepipeline.v1-active-pipeline": ("pipelines", 1.0, None),
    "codebuild.ARM_CONTAINER.BUILD_GENERAL1_SMALL": ("minutes", 0.004, None),
    "codebuild.LINUX_CONTAINER.BUILD_GENERAL1_SMALL": ("minutes", 0.005, None),
    "logs.insights-scan": ("GB", 0.01, None),
    "scheduler.invocations": ("Invocations", 0.000001, None),               # $1 a million
    "vpc.nat-gateway-hour": ("Hrs", 0.05, None),
    "elb.application-hour": ("Hrs", 0.02, None),
    "elb.network-hour": ("Hrs", 0.03, None),
    "vpc.public-ipv4-hour": ("Hrs", 0.005, None),
    "vpc.interface-endpoint-hour": ("Hrs", 0.01, None),
    "fargate.vcpu-hour.x86_64": ("hours", 0.04, None),
    "fargate.gb-hour.x86_64": ("hours", 0.004, None),
    "fargate.vcpu-hour.arm64": ("hours", 0.03, None),
    "fargate.gb-hour.arm64": ("hours", 0.003, None),
}
AS_OF = "2030-01-31"
TABLE = {
    "freeTier": {"lambda-requests": {"quantity": 1_000_000}, "lambda-gb-seconds": {"quantity": 400_000}},
    "items": {key: {"offerCode": "Test", "unit": unit, **({"freeTier": free} if free else {}),
                    "regions": {REGION: {"usageType": key, "usd": usd, "seen": "made for the tests", "asOf": AS_OF}}}
              for key, (unit, usd, free) in TEST_PRICES.items()},
}
PRICES = price_list.load_prices(REGION, TABLE)

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPOSITORY = "aws:ecr/repository:Repository"
BUCKET = "aws:s3/bucket:Bucket"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
KMS_KEY = "aws:kms/key:Key"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
SECRET = "aws:secretsmanager/secret:Secret"
SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
ROLE = "aws:iam/role:Role"
ACCOUNT = "123456789012"


def usage(**changes) -> Usage:
    """1,000,000 requests a month × 100 ms all day, 10 pipeline runs × 5 build minutes and 1 of scan, free tier not
    counted; the dashboard viewed 300 times, each saved query run 30 times over 24 h."""
    base = dict(requests_per_month=1_000_000, average_duration_ms=100, log_bytes_per_request=1024,
                pipeline_runs_per_month=10, build_minutes_per_run=5, build_log_bytes_per_minute=1024,
                artifact_mb_per_run=512, free_tier=False, busy_hours_per_day=24, dashboard_views_per_month=300,
                log_query_runs_per_month=30, log_query_hours=24, scan_minutes_per_run=1)
    return Usage(**{**base, **changes})


# Resources, with inputs as the engine hands them over (pulumi-aws 7's wire format).

def resource(typ: str, name: str, props: dict, links: dict = None) -> Resource:
    return Resource(typ, name, props, f"urn:pulumi:prod::lambdakit::{typ}::{name}", links or {})


def function(name: str = "fn", **props) -> Resource:
    """An arm64 container function of 2 GB (2048 MB)."""
    return resource(FUNCTION, name, {
        "name": name, "architectures": ["arm64"], "memorySize": 2048, "timeout": 15,
        "ephemeralStorage": {"size": 512}, "tracingConfig": {"mode": "PassThrough"},
        "loggingConfig": {"logFormat": "JSON", "logGroup": f"/aws/lambda/{name}"},
        "imageUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{name}@sha256:{'8a' * 32}",
        "tags": {"app": "api", IMAGE_SIZE_TAG: "84000000"}, "packageType": "Image", **props})


def url(function_name: str = "fn") -> Resource:
    return resource(FUNCTION_URL, function_name,
                    {"functionName": function_name, "qualifier": "live", "authorizationType": "AWS_IAM"})


def served(name: str = "fn", **props) -> list[Resource]:
    """A function and the URL its callers reach it through."""
    return [function(name, **props), url(name)]


def provisioned(count=2, function_name: str = "fn") -> Resource:
    return resource(PROVISIONED_CONCURRENCY, function_name, {
        "functionName": function_name, "qualifier": "live", "provisionedConcurrentExecutions": count})


def action(name: str, category: str, provider: str, **configuration) -> dict:
    return {"name": name, "category": category, "owner": "AWS", "provider": provider, "version": "1",
            "configuration": configuration}


def source() -> dict:
    return {**action("Source", "Source", "CodeStarSourceConnection", BranchName="main", DetectChanges="false",
                     ConnectionArn=f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/2a31d410",
                     FullRepositoryId="example-org/lambdakit", OutputArtifactFormat="CODE_ZIP"),
            "outputArtifacts": ["source"]}


def build(project_name: str) -> dict:
    return {**action(project_name, "Build", "CodeBuild", ProjectName=project_name), "inputArtifacts": ["source"]}


def invoke(function_name: str) -> dict:
    return action(function_name, "Invoke", "Lambda", FunctionName=function_name, UserParameters="{}")


def pipeline(*actions: dict, pipeline_type: str = "V2", location=None, links: dict = None) -> Resource:
    """A pipeline with a stage per action, in order."""
    props = {"name": "delivery", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/pipeline", "executionMode": "QUEUED",
             "artifactStores": [{"type": "S3", "location": location or "artifacts"}],
             "stages": [{"name": a["name"], "actions": [a]} for a in actions]}
    return resource(PIPELINE, "delivery", {**props, "pipelineType": pipeline_type} if pipeline_type else props, links)


def build_project(name: str = "build", environment_type: str = "ARM_CONTAINER",
                  compute_type: str = "BUILD_GENERAL1_SMALL") -> Resource:
    return resource(CODEBUILD_PROJECT, name, {
        "name": name, "buildTimeout": 60, "serviceRole": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "environment": {"type": environment_type, "computeType": compute_type, "privilegedMode": False,
                        "image": "aws/codebuild/amazonlinux-aarch64-standard:3.0", "environmentVariables": []},
        "source": {"type": "CODEPIPELINE", "buildspec": f"pipeline/buildspec-{name}.yml"},
        "artifacts": {"type": "CODEPIPELINE"}, "logsConfig": {"cloudwatchLogs": {"groupName": f"/aws/codebuild/{name}"}}})


def log_group(group: str, retention=365, name: str = "logs") -> Resource:
    return resource(LOG_GROUP, name, {"name": group, "tags": {"app": "api"},
                                      **({"retentionInDays": retention} if retention else {})})


def repository(name: str = "fn") -> Resource:
    return resource(REPOSITORY, name, {"name": name, "imageTagMutability": "IMMUTABLE", "forceDelete": False,
                                       "imageScanningConfiguration": {"scanOnPush": True}})


def ecr_lifecycle(keep: int, repository_name: str = "fn") -> Resource:
    rules = [{"rulePriority": 1, "action": {"type": "expire"},
              "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                            "countNumber": 7}},
             {"rulePriority": 2, "action": {"type": "expire"},
              "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep}}]
    return resource("aws:ecr/lifecyclePolicy:LifecyclePolicy", repository_name,
                    {"repository": repository_name, "policy": json.dumps({"rules": rules})})


def bucket(name: str = "artifacts", generated: bool = False) -> Resource:
    """A bucket named `name`, or (generated) one whose name AWS makes from a prefix: not known until the update."""
    naming = {"bucketPrefix": f"{name}-"} if generated else {"bucket": name}
    return resource(BUCKET, name, {"forceDestroy": True, **naming})


def bucket_lifecycle(days: int, bucket_name=None, links: dict = None) -> Resource:
    rule = {"id": "expire-old-artifacts", "status": "Enabled", "filter": {}, "expiration": {"days": days},
            "noncurrentVersionExpiration": {"noncurrentDays": 1}}
    return resource("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "artifacts",
                    {"bucket": bucket_name or "artifacts", "rules": [rule]}, links)


def alarm(**props) -> Resource:
    return resource(ALARM, "alarm", {"name": "alarm", "comparisonOperator": "GreaterThanThreshold", "threshold": 1,
                                     "evaluationPeriods": 3, "treatMissingData": "notBreaching", **props})


def query(period: int, metric_name: str = "Errors") -> dict:
    return {"id": metric_name.lower(), "returnData": False,
            "metric": {"metricName": metric_name, "namespace": "AWS/Lambda", "period": period, "stat": "Sum",
                       "dimensions": {"FunctionName": "fn"}}}


RATE = {"id": "rate", "returnData": True, "expression": "100 * errors / invocations"}


def kms_key(rotated: bool = False, **props) -> Resource:
    return resource(KMS_KEY, "key", {"enableKeyRotation": rotated, "deletionWindowInDays": 30, **props})


def dashboard() -> Resource:
    return resource(DASHBOARD, "dashboard", {"dashboardName": "prod", "dashboardBody": "{}"})


def secret() -> Resource:
    return resource(SECRET, "token", {"name": "prod/token", "recoveryWindowInDays": 7})


def metric_filter(name: str = "cold-starts", **transformation) -> Resource:
    return resource(METRIC_FILTER, name, {
        "name": name, "logGroupName": "/aws/lambda/fn", "pattern": '{ $.type = "platform.initStart" }',
        "metricTransformation": {"name": "ColdStarts", "namespace": "lambdakit/fn", "value": "1", "unit": "Count",
                                 **transformation}})


def scanning(scan_type: str) -> Resource:
    return resource(SCANNING, "scanning", {"scanType": scan_type, "rules": [
        {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]})


def log_widget(*groups: str) -> dict:
    sources = " | ".join(f"SOURCE '{g}'" for g in groups)
    return {"type": "log", "width": 12, "height": 6,
            "properties": {"query": f"{sources} | fields @timestamp | limit 20", "region": REGION}}


def dashboard_with(*widgets: dict, **body) -> Resource:
    return resource(DASHBOARD, "dashboard", {"dashboardName": "prod",
                                             "dashboardBody": json.dumps({"widgets": list(widgets), **body})})


def stack_function(short: str, **props) -> Resource:
    """A function of stack prod of project lambdakit, named as the program names it."""
    return Resource(FUNCTION, short, function(f"lambdakit-prod-{short}", **props).props,
                    f"urn:pulumi:prod::lambdakit::lambdakit:function:ContainerFunction${FUNCTION}::{short}")


def schedule(expression: str, target_urn: str = "", arn: str = UNKNOWN, state: str = "ENABLED") -> Resource:
    return resource("aws:scheduler/schedule:Schedule", "worker", {
        "scheduleExpression": expression, "state": state, "flexibleTimeWindow": {"mode": "OFF"},
        "target": {"arn": arn, "roleArn": f"arn:aws:iam::{ACCOUNT}:role/scheduler",
                   "retryPolicy": {"maximumRetryAttempts": 3}, "deadLetterConfig": {"arn": UNKNOWN}}},
        {"target": (target_urn,)} if target_urn else {})


def fargate_service(architecture: str = "X86_64", count: int = 2) -> list[Resource]:
    definition = resource("aws:ecs/taskDefinition:TaskDefinition", "web", {
        "family": "web", "cpu": "512", "memory": "1024", "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"cpuArchitecture": architecture, "operatingSystemFamily": "LINUX"}})
    service = resource("aws:ecs/service:Service", "web", {"launchType": "FARGATE", "desiredCount": count,
                                                          "taskDefinition": UNKNOWN},
                       {"taskDefinition": (definition.urn,)})
    return [definition, service]


# Reading an estimate.

def priced(resources: list[Resource], use=None, prices=PRICES):
    return estimate(resources, usage() if use is None else use, prices)


def line(result, typ: str, name: str = "fn"):
    [item] = [i for i in result.items if (i.type, i.name) == (typ, name)]
    return item


def charge(item, word: str):
    """The one charge of the item whose basis says `word`."""
    [found] = [c for c in item.charges if word in c.basis]
    return found
