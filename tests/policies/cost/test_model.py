"""The cost model's figures, each worked by hand.

Prices come from a table made here with round figures (so the arithmetic shows, and refreshing prices.json
changes nothing); the last tests check the real prices.json. A month is AWS's 730 h = 2,628,000 s, so
730/24 = 30.4167 days; 1 GiB = 2^30 bytes.
"""

import json
import math
from dataclasses import replace

import pytest
from pytest import approx

from policies.cost import prices as price_list
from policies.cost.model import estimate, project
from policies.cost.plan import (CODEBUILD_PROJECT, FUNCTION, FUNCTION_URL, IMAGE_SIZE_TAG, PIPELINE,
                                PROVISIONED_CONCURRENCY, UNKNOWN, Resource)
from policies.cost.usage import FunctionUsage, Usage

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


# 1. Lambda on demand.

@pytest.mark.parametrize("architecture, requests_usd, duration_usd", [
    # 1,000,000 requests × $1/M = $1; 1,000,000 × 0.1 s × 2 GB = 200,000 GB-s × $0.00001 = $2
    ("arm64", 1.00, 2.00),
    # 1,000,000 requests × $2/M = $2; 200,000 GB-s × $0.00002 = $4
    ("x86_64", 2.00, 4.00),
])
def test_function_reached_through_its_url_serves_the_usage_requests(architecture, requests_usd, duration_usd):
    item = line(priced(served(architectures=[architecture])), FUNCTION)
    assert [c.usd for c in item.charges] == [approx(requests_usd), approx(duration_usd)]
    assert "1,000,000 requests (through its URL)" in item.basis


def test_function_without_architecture_or_memory_runs_x86_64_with_128_mb():
    # Lambda's defaults: x86_64, 128 MB. $2 of requests + 1,000,000 × 0.1 s × 0.125 GB = 12,500 GB-s × $0.00002 = $0.25
    fn = resource(FUNCTION, "fn", {"name": "fn", "packageType": "Image"})
    assert line(priced([fn, url()]), FUNCTION).usd == approx(2.25)


def test_function_nothing_calls_costs_nothing_and_says_why():
    item = line(priced([function()]), FUNCTION)
    assert item.usd == 0
    assert item.basis == "no requests (nothing in this stack calls it)"


def test_function_a_pipeline_invokes_runs_once_a_run_for_at_most_its_timeout():
    # 10 runs × 1 invocation (1 minute of scan) = 10 requests × $1/M = $0.00001;
    # 10 × 60 s (its timeout) × 0.25 GB = 150 GB-s × $0.00001 = $0.0015; URL traffic is not its
    gate = function("gate", memorySize=256, timeout=60)
    item = line(priced([gate, pipeline(source(), invoke("gate"))]), FUNCTION, "gate")
    assert item.usd == approx(0.00151)
    assert "10 requests (1 action a pipeline run, called about once a minute for its 1 minutes)" in item.basis


def test_issue_24_a_gate_that_waits_for_the_scan_is_called_again_each_minute_and_its_action_bills_the_wait():
    """The scan gate answers at once and CodePipeline calls it again while ECR scans: its action bills until the
    scan is done, not one minute."""
    # 10 runs × 6 minutes of scan = 60 calls × $1/M = $0.00006; 60 × 60 s × 0.25 GB = 900 GB-s × $0.00001 = $0.009
    gate = function("gate", memorySize=256, timeout=60)
    result = priced([gate, pipeline(source(), invoke("gate"))], usage(scan_minutes_per_run=6))
    assert line(result, FUNCTION, "gate").usd == approx(0.00906)
    # Per run: source 1 + the gate's 6 = 7 action minutes; 10 runs × 7 = 70 × $0.002 = $0.14
    assert line(result, PIPELINE, "delivery").usd == approx(0.14)


# 2. Provisioned concurrency.

def test_provisioned_concurrency_config_bills_count_by_memory_all_month():
    # 2 environments × 2 GB × 2,628,000 s (730 h) × $0.000004 = $42.048
    item = line(priced([*served(), provisioned(2)]), PROVISIONED_CONCURRENCY)
    assert item.usd == approx(42.048)
    assert item.basis == "2 × 2048 MB × 730 h provisioned, arm64"


def test_provisioned_config_takes_the_architecture_of_its_function():
    # 2 × 2 GB × 2,628,000 s × $0.000005 (x86_64) = $52.56
    item = line(priced([*served(architectures=["x86_64"]), provisioned(2)]), PROVISIONED_CONCURRENCY)
    assert item.usd == approx(52.56)


def test_calls_that_fit_the_provisioned_environments_run_at_the_provisioned_duration_price():
    # Busy on average: 1,000,000 × 0.1 s / 2,628,000 s = 0.038 environments ≤ 2 provisioned: all calls on them.
    # $1 of requests + 200,000 GB-s × $0.000008 = $1.60; no on-demand duration.
    item = line(priced([*served(), provisioned(2)]), FUNCTION)
    assert [c.usd for c in item.charges] == [approx(1.00), approx(1.60)]
    assert "on provisioned environments" in item.charges[1].basis


def test_calls_beyond_the_provisioned_environments_spill_over_to_on_demand():
    # 2,628,000 requests × 2 s = 2 environments busy on average, 1 provisioned: 1/2 of the calls on it.
    # requests: 2,628,000 × $1/M = $2.628
    # on demand: 1,314,000 × 2 s × 1 GB = 2,628,000 GB-s × $0.00001 = $26.28
    # provisioned: 1,314,000 × 2 s × 1 GB = 2,628,000 GB-s × $0.000008 = $21.024
    result = priced([*served(memorySize=1024), provisioned(1)],
                    usage(requests_per_month=2_628_000, average_duration_ms=2000))
    item = line(result, FUNCTION)
    assert [c.usd for c in item.charges] == [approx(2.628), approx(26.28), approx(21.024)]
    assert item.charges[1].basis.startswith("1,314,000 × 2000 ms")


def test_provisioned_environments_without_traffic_still_cost_their_month():
    result = priced([*served(), provisioned(2)], usage(requests_per_month=0))
    assert line(result, PROVISIONED_CONCURRENCY).usd == approx(42.048)
    assert line(result, FUNCTION).usd == 0
    assert result.total == approx(42.048)


def test_free_tier_covers_on_demand_requests_and_gb_seconds():
    # 3,000,000 requests - 1,000,000 free = 2,000,000 × $1/M = $2
    # 3,000,000 × 0.1 s × 2 GB = 600,000 GB-s - 400,000 free = 200,000 × $0.00001 = $2
    item = line(priced(served(), usage(requests_per_month=3_000_000, free_tier=True)), FUNCTION)
    assert [c.usd for c in item.charges] == [approx(2.00), approx(2.00)]
    assert "(1,000,000 Requests free)" in item.charges[0].basis


def test_free_tier_is_the_accounts_shared_by_its_functions():
    # Each: 1,000,000 requests, 200,000 GB-s. The first uses the 1,000,000 free requests; the second pays $1.
    # 400,000 free GB-s cover both.
    result = priced([*served("a"), *served("b")], usage(free_tier=True))
    assert [line(result, FUNCTION, n).usd for n in "ab"] == [approx(0.0), approx(1.00)]


def test_free_tier_never_covers_provisioned_concurrency():
    # Config: 2 × 2 GB × 2,628,000 s × $0.000004 = $42.048; calls on it: 200,000 GB-s × $0.000008 = $1.60
    result = priced([*served(), provisioned(2)], usage(free_tier=True))
    assert line(result, PROVISIONED_CONCURRENCY).usd == approx(42.048)
    assert charge(line(result, FUNCTION), "on provisioned environments").usd == approx(1.60)


def test_free_tier_does_not_apply_to_a_function_with_provisioned_concurrency():
    # As in the spill-over test: $2.628 + $26.28 + $21.024 = $49.932, free tier or not
    result = priced([*served(memorySize=1024), provisioned(1)],
                    usage(requests_per_month=2_628_000, average_duration_ms=2000, free_tier=True))
    assert line(result, FUNCTION).usd == approx(49.932)


# 3. Ephemeral storage.

def test_ephemeral_storage_above_512_mb_is_billed_while_running():
    # (2560 - 512) / 1024 = 2 GB × 1,000,000 × 0.1 s = 200,000 GB-s × $0.0000001 = $0.02
    item = line(priced(served(ephemeralStorage={"size": 2560})), FUNCTION)
    assert charge(item, "/tmp").usd == approx(0.02)
    assert item.usd == approx(3.02)


def test_ephemeral_storage_of_512_mb_is_included():
    assert len(line(priced(served()), FUNCTION).charges) == 2


# 4. X-Ray.

def recorded(requests: float, busy_seconds: float) -> float:
    """X-Ray's default sampling of calls arriving at random (Poisson) over `busy_seconds`: a second with a call
    (probability 1 - e^-r at r calls a second) records its first, and 5% of the rest are recorded."""
    first = busy_seconds * (1 - math.exp(-requests / busy_seconds))
    return first + 0.05 * (requests - first)


@pytest.mark.parametrize("requests, busy_hours, traces", [
    # 1,000,000 calls over the month's 2,628,000 s: r = 0.3805 a second, 1 - e^-r = 0.3165 of the seconds hold one
    (1_000_000, 24, recorded(1_000_000, 2_628_000)),    # 831,742 + 5% × 168,258 = 840,155 traces
    (12_628_000, 24, recorded(12_628_000, 2_628_000)),  # r = 4.805: 2,606,484 + 5% × 10,021,516 = 3,107,560
    # 12 busy hours a day: the same calls in 1,314,000 s, r = 0.761: fewer seconds hold a call, fewer are first
    (1_000_000, 12, recorded(1_000_000, 1_314_000)),    # 700,122 + 5% × 299,878 = 715,116
])
def test_issue_24_active_tracing_records_the_default_sampling_of_the_traffics_shape(requests, busy_hours, traces):
    """Issue 24: the 1-a-second reservoir was counted for every second of the month, as if calls came evenly."""
    item = line(priced(served(tracingConfig={"mode": "Active"}),
                       usage(requests_per_month=requests, busy_hours_per_day=busy_hours)), FUNCTION)
    assert charge(item, "traces recorded").usd == approx(traces * 0.000005)  # $5 a million


def test_issue_24_traces_of_prods_traffic_are_fewer_than_the_reservoir_for_every_second():
    # prod: 3,000,000 calls. Evenly spaced: 2,628,000 + 5% × 372,000 = 2,646,600 recorded, the old figure, now the
    # bound the basis shows; at random all day: r = 1.1416, 1 - e^-r = 0.6807: 1,788,819 + 5% × 1,211,181 = 1,849,378
    item = line(priced(served(tracingConfig={"mode": "Active"}), usage(requests_per_month=3_000_000)), FUNCTION)
    traces = charge(item, "traces recorded")
    assert traces.usd == approx(recorded(3_000_000, 2_628_000) * 0.000005) and traces.usd < 2_646_600 * 0.000005
    assert "at most 2,646,600 were they evenly spaced" in traces.basis


def test_pass_through_tracing_records_nothing():
    assert not [c for c in line(priced(served()), FUNCTION).charges if "traces" in c.basis]


# 5. ECR repository.

def test_repository_stores_the_image_times_the_images_its_lifecycle_keeps():
    # 536,870,912 B = 0.5 GiB × 20 images = 10 GiB-months × $0.10 = $1.00
    fn = function(tags={IMAGE_SIZE_TAG: "536870912"})
    item = line(priced([fn, repository(), ecr_lifecycle(keep=20)]), REPOSITORY)
    assert item.usd == approx(1.00)
    assert item.basis.startswith("20 images × 536.9 MB")


def test_repository_without_a_count_rule_is_unknown():
    item = line(priced([function(), repository()]), REPOSITORY)
    assert item.usd is None and "no lifecycle rule bounds" in item.basis


@pytest.mark.parametrize("props", [
    {"imageUri": UNKNOWN},                         # the image is not pushed yet
    {"tags": {IMAGE_SIZE_TAG: UNKNOWN}},           # nor its size known
    {"tags": {"app": "api"}},                      # no size recorded
])
def test_repository_whose_image_size_is_not_known_is_unknown_and_the_rest_still_adds_up(props):
    result = priced([function(**props), repository(), ecr_lifecycle(keep=20), kms_key()])
    assert line(result, REPOSITORY).usd is None
    assert result.partial
    assert result.total == approx(1.00)  # the key; the function, which nothing calls, $0


def test_repository_no_function_runs_from_costs_nothing():
    item = line(priced([function(), repository("other"), ecr_lifecycle(20, "other")]), REPOSITORY, "other")
    assert item.usd == 0 and item.basis == "holds no image a function of this stack runs"


@pytest.mark.parametrize("scan_type, usd", [("ENHANCED", 1.00), ("BASIC", 0.0)])
def test_enhanced_scanning_scans_one_image_a_pipeline_run(scan_type, usd):
    # 10 runs = 10 images pushed × $0.10 = $1.00; basic scanning is free
    assert line(priced([scanning(scan_type)]), SCANNING, "scanning").usd == approx(usd)


# 6. Log groups.

def test_lambda_log_group_ingests_requests_times_bytes_and_stores_its_retention():
    # 1,048,576 requests × 1,024 B = 2^30 B = 1 GiB × $0.50 = $0.50 ingested;
    # kept 365 days = 365 / 30.4167 = 12 months' worth: 12 GB × $0.10 = $1.20 stored
    result = priced([*served(), log_group("/aws/lambda/fn")],
                    usage(requests_per_month=1_048_576, log_bytes_per_request=1024))
    assert [c.usd for c in line(result, LOG_GROUP, "logs").charges] == [approx(0.50), approx(1.20)]


def test_build_log_group_ingests_build_minutes_times_bytes_a_minute():
    # 8 runs × 1 build × 4 min = 32 build minutes × 32 MiB = 1 GiB × $1.00 = $1.00 ingested;
    # 12 GB × $0.10 = $1.20 stored
    result = priced([build_project("build"), pipeline(source(), build("build")), log_group("/aws/codebuild/build")],
                    usage(pipeline_runs_per_month=8, build_minutes_per_run=4, build_log_bytes_per_minute=2 ** 25))
    item = line(result, LOG_GROUP, "logs")
    assert [c.usd for c in item.charges] == [approx(1.00), approx(1.20)]
    assert "from 32 build minutes" in item.basis


def test_log_group_kept_forever_is_unknown():
    item = line(priced([*served(), log_group("/aws/lambda/fn", retention=None)]), LOG_GROUP, "logs")
    assert item.usd is None and "keeps logs forever" in item.basis


def test_log_group_nothing_writes_to_costs_nothing():
    item = line(priced([*served(), log_group("/aws/lambda/other")]), LOG_GROUP, "logs")
    assert item.usd == 0 and item.basis == "nothing in this stack writes to it"


# 7. Metrics and alarms.

def test_metric_filter_publishes_one_custom_metric():
    assert line(priced([metric_filter()]), METRIC_FILTER, "cold-starts").usd == approx(0.30)  # 1 × $0.30


def test_metric_filter_with_dimensions_is_unknown():
    item = line(priced([metric_filter(dimensions={"path": "$.path"})]), METRIC_FILTER, "cold-starts")
    assert item.usd is None and "one metric per value" in item.basis


@pytest.mark.parametrize("props, usd", [
    ({"metricName": "Throttles", "namespace": "AWS/Lambda", "period": 60, "statistic": "Sum"}, 0.10),  # 1 × $0.10
    ({"metricName": "Throttles", "namespace": "AWS/Lambda", "period": 10, "statistic": "Sum"}, 0.30),  # 1 × $0.30 high res
    ({"metricQueries": [query(300), query(300, "Invocations"), RATE]}, 0.20),  # 2 metrics (not the expression) × $0.10
    ({"metricQueries": [query(30), query(300, "Invocations"), RATE]}, 0.60),   # one period < 60 s: 2 × $0.30
])
def test_alarm_is_billed_per_metric_at_its_resolution(props, usd):
    assert line(priced([alarm(**props)]), ALARM, "alarm").usd == approx(usd)


@pytest.mark.parametrize("period, usd", [("10", 0.30), ("60", 0.10), (" 300 ", 0.10)])
def test_an_alarm_period_given_as_its_text_is_read_as_the_number(period, usd):
    """Issue 26: a program passing config strings straight through sends "60"; the model compared it with 60."""
    props = {"metricName": "Throttles", "namespace": "AWS/Lambda", "period": period, "statistic": "Sum"}
    assert line(priced([alarm(**props)]), ALARM, "alarm").usd == approx(usd)


def test_a_value_that_cannot_be_read_makes_its_item_unknown_and_is_counted_apart():
    result = priced([kms_key(), alarm(metricName="Errors", period="a minute")])
    item = line(result, ALARM, "alarm")
    assert item.usd is None and item.unreadable and not item.no_price
    assert item.basis == "unknown: period of alarm is 'a minute' (a string), not a number"
    assert result.partial_note == "partial: 1 item with a value the model cannot read"
    assert result.total == approx(1.00)


def test_alarm_whose_query_period_is_unknown_is_unknown():
    result = priced([alarm(metricQueries=[query(UNKNOWN), RATE]), kms_key()])
    assert line(result, ALARM, "alarm").usd is None
    assert result.total == approx(1.00)


# 8. Flat monthly prices, storage.

@pytest.mark.parametrize("item, usd", [(dashboard(), 3.00), (kms_key(), 1.00), (secret(), 0.40)])
def test_flat_monthly_price(item, usd):
    assert line(priced([item]), item.type, item.name).usd == approx(usd)


# 10 runs × 512 MB = 5 GB a month, expired after 73 days = 73 / 30.4167 = 2.4 months: 12 GB × $0.02 = $0.24
ARTIFACTS_USD = 0.24


def test_artifact_bucket_stores_the_runs_artifacts_until_they_expire():
    result = priced([bucket(), bucket_lifecycle(days=73), pipeline(source(), location="artifacts")])
    assert line(result, BUCKET, "artifacts").usd == approx(ARTIFACTS_USD)


def test_artifact_bucket_whose_name_is_generated_is_followed_through_links():
    store = bucket(generated=True)
    result = priced([store, bucket_lifecycle(days=73, bucket_name=UNKNOWN, links={"bucket": (store.urn,)}),
                     pipeline(source(), location=UNKNOWN, links={"artifactStores": (store.urn,)})])
    assert line(result, BUCKET, "artifacts").usd == approx(ARTIFACTS_USD)


def test_bucket_neither_named_nor_linked_by_a_pipeline_costs_nothing():
    result = priced([bucket(generated=True), bucket_lifecycle(days=73, bucket_name=UNKNOWN),
                     pipeline(source(), location=UNKNOWN)])
    item = line(result, BUCKET, "artifacts")
    assert item.usd == 0 and item.basis == "nothing in this stack writes to it"


def test_artifact_bucket_whose_objects_never_expire_is_unknown():
    assert line(priced([bucket(), pipeline(source())]), BUCKET, "artifacts").usd is None


def test_bucket_whose_name_is_unknown_is_not_another_buckets_artifact_store():
    store, other = bucket(generated=True), resource(BUCKET, "other", {"bucket": UNKNOWN})
    result = priced([store, other, pipeline(source(), location=UNKNOWN, links={"artifactStores": (store.urn,)})])
    assert line(result, BUCKET, "other").usd == 0


# 9. Delivery.

@pytest.mark.parametrize("environment_type, usd", [
    ("ARM_CONTAINER", 0.20),    # 10 runs × 5 min = 50 build minutes × $0.004
    ("LINUX_CONTAINER", 0.25),  # 50 × $0.005
])
def test_build_project_a_pipeline_starts_is_billed_per_build_minute(environment_type, usd):
    result = priced([build_project("build", environment_type), pipeline(source(), build("build"))])
    assert line(result, CODEBUILD_PROJECT, "build").usd == approx(usd)


def test_build_project_no_pipeline_starts_costs_nothing():
    item = line(priced([build_project("build"), pipeline(source(), build("other"))]), CODEBUILD_PROJECT, "build")
    assert item.usd == 0 and item.basis.startswith("no pipeline of this stack starts it")


def test_v2_pipeline_is_billed_per_action_minute():
    # Per run: source 1 + build 5 + scan gate invoke 1 + pulumi up 5 + canary 5 = 17 action minutes;
    # 10 runs × 17 = 170 × $0.002 = $0.34
    delivery = pipeline(source(), build("build"), invoke("gate"), build("deploy"), build("release"))
    item = line(priced([delivery]), PIPELINE, "delivery")
    assert item.usd == approx(0.34)
    assert item.basis == "10 runs × 17 action minutes"


@pytest.mark.parametrize("pipeline_type", ["V1", None])  # V1 unless it says V2
def test_v1_pipeline_is_billed_as_one_active_pipeline(pipeline_type):
    item = line(priced([pipeline(source(), build("build"), pipeline_type=pipeline_type)]), PIPELINE, "delivery")
    assert item.usd == approx(1.00)


def test_v2_pipeline_does_not_charge_manual_approval():
    # 10 runs × (source 1 + build 5) = 60 action minutes × $0.002 = $0.12; the approval is free
    approval = action("Approve", "Approval", "Manual", CustomData="Release?")
    assert line(priced([pipeline(source(), approval, build("build"))]), PIPELINE, "delivery").usd == approx(0.12)


# 10. What is listed.

def test_free_resource_is_listed_with_its_reason():
    role = resource(ROLE, "api", {"assumeRolePolicy": "{}"})
    result = priced([role])
    item = line(result, ROLE, "api")
    assert item.charges == () and item.usd == 0
    assert item.basis == "free: IAM has no charge"
    assert item in result.items


def test_resource_type_the_model_does_not_know_is_unknown():
    result = priced([resource("aws:ec2/instance:Instance", "box", {"instanceType": "t4g.nano"}), kms_key()])
    item = line(result, "aws:ec2/instance:Instance", "box")
    assert item.usd is None and "no price for aws:ec2/instance:Instance" in item.basis
    assert result.partial and result.total == approx(1.00)


def test_components_and_providers_are_not_listed():
    component = resource("lambdakit:function:ContainerFunction", "api", {})
    provider = resource("pulumi:providers:aws", "default", {"region": REGION})
    result = priced([component, provider, kms_key()])
    assert [i.type for i in result.items] == [KMS_KEY]


# 11. Projections.

def test_on_x86_64_reprices_functions_and_arm_builds():
    # arm64: function $1 requests + 200,000 GB-s × $0.000008 = $2.60; 2 × 2 GB × 2,628,000 s × $0.000004 = $42.048;
    #        build 50 min × $0.004 = $0.20; pipeline 10 × (1 + 5) min × $0.002 = $0.12        → $44.968
    # x86_64: $2 + 200,000 × $0.00001 = $4.00; × $0.000005 = $52.56; 50 × $0.005 = $0.25; $0.12 → $56.93
    resources = [*served(), provisioned(2), build_project("build"), pipeline(source(), build("build"))]
    projection = project(resources, usage(), PRICES)
    assert projection.planned.total == approx(44.968)
    assert projection.on_x86_64.total == approx(56.93)
    assert projection.on_x86_64.total - projection.planned.total == approx(11.962)  # what arm64 saves a month


def test_by_traffic_scales_requests_only():
    # 1x: $1 + $2 = $3; 10x: 10,000,000 × $1/M = $10 + 2,000,000 GB-s × $0.00001 = $20 → $30; 100x: $100 + $200 = $300
    resources = [*served(), build_project("build"), pipeline(source(), build("build"))]
    projection = project(resources, usage(), PRICES)
    assert [line(e, FUNCTION).usd for e in (projection.planned, *projection.by_traffic.values())] == [
        approx(3.00), approx(30.00), approx(300.00)]
    assert list(projection.by_traffic) == [10, 100]
    for scaled in projection.by_traffic.values():
        assert line(scaled, PIPELINE, "delivery").usd == approx(0.12)
        assert line(scaled, CODEBUILD_PROJECT, "build").usd == approx(0.20)


# 12. Unknowns.

def test_provisioned_count_not_known_leaves_the_rest_summed():
    result = priced([*served(), provisioned(UNKNOWN), kms_key()])
    assert line(result, PROVISIONED_CONCURRENCY).usd is None
    # Which calls run on provisioned environments depends on the count too.
    assert line(result, FUNCTION).usd is None
    assert result.partial and result.total == approx(1.00)


def unknown_logs_config() -> list[Resource]:
    project_props = {**build_project("build").props, "logsConfig": UNKNOWN}
    return [resource(CODEBUILD_PROJECT, "build", project_props), log_group("/aws/codebuild/build")]


def unknown_expiration() -> list[Resource]:
    lifecycle = bucket_lifecycle(days=73)
    rules = [{**lifecycle.props["rules"][0], "expiration": {"days": UNKNOWN}}]
    return [bucket(), resource(lifecycle.type, lifecycle.name, {**lifecycle.props, "rules": rules}), pipeline(source())]


@pytest.mark.parametrize("resources, typ, name, rest_usd", [
    # The rest: the key $1 (the project no pipeline starts: $0)
    (unknown_logs_config(), LOG_GROUP, "logs", 1.00),
    # The rest: the key $1 + 10 runs × 1 source minute × $0.002 = $1.02
    (unknown_expiration(), BUCKET, "artifacts", 1.02),
])
def test_an_unknown_nested_input_makes_its_item_unknown(resources, typ, name, rest_usd):
    result = priced([*resources, kms_key()])
    assert line(result, typ, name).usd is None
    assert result.total == approx(rest_usd)


def test_without_usage_what_depends_on_it_is_unknown():
    resources = [*served(), log_group("/aws/lambda/fn"), build_project("build"), pipeline(source(), build("build")),
                 bucket(), bucket_lifecycle(days=73), kms_key()]
    result = estimate(resources, None, PRICES)
    for typ, name in [(FUNCTION, "fn"), (LOG_GROUP, "logs"), (CODEBUILD_PROJECT, "build"), (PIPELINE, "delivery"),
                      (BUCKET, "artifacts")]:
        assert "usage* settings" in line(result, typ, name).basis
    assert line(result, FUNCTION_URL).charges == ()
    assert result.total == approx(1.00)


def test_region_the_table_does_not_cover_prices_as_unknown_and_says_the_table_lacks_it():
    """Issue 22: a region missing from the table was "partial: N items not known until the update", total 0.00."""
    result = priced([kms_key(), resource(ROLE, "api", {}), function("gate", tags={})],
                    prices=price_list.load_prices("ap-southeast-7", TABLE))
    item = line(result, KMS_KEY, "key")
    assert item.usd is None and item.basis == "unknown: prices.json has no prices for ap-southeast-7"
    assert item.no_price and result.prices_as_of is None
    assert line(result, ROLE, "api").charges == ()
    assert line(result, FUNCTION, "gate").usd == 0  # nothing calls it: known without a price
    assert result.partial_note == "partial: 1 item with no price for ap-southeast-7 in prices.json"
    assert result.total == 0 and result.known_total is None  # 0.00 would pass for a figure


def test_a_price_missing_from_a_covered_region_names_the_price():
    table = {**TABLE, "items": {key: item for key, item in TABLE["items"].items() if key != "kms.key"}}
    result = priced([kms_key(), secret()], prices=price_list.load_prices(REGION, table))
    assert line(result, KMS_KEY, "key").basis == f"unknown: prices.json has no kms.key for {REGION}"
    assert result.partial_note == f"partial: 1 item with no price for {REGION} in prices.json"
    assert result.known_total == approx(0.40)  # the secret: a partial total that says something


def test_unknowns_of_both_kinds_are_counted_apart():
    result = priced([kms_key(), resource(KMS_KEY, "later", {"enableKeyRotation": UNKNOWN})],
                    prices=price_list.load_prices("ap-southeast-7", TABLE))
    assert line(result, KMS_KEY, "later").basis == "unknown: enableKeyRotation of later is not known until the update"
    assert result.partial_note == ("partial: 1 item with no price for ap-southeast-7 in prices.json, "
                                   "1 item not known until the update")


def test_prices_are_dated_by_their_figures_oldest_to_newest():
    """Figures are read one by one (issue 22): the estimate says how old the ones of its region are."""
    items = {key: {**item, "regions": {REGION: {**item["regions"][REGION], "asOf": "2030-03-01"}}}
             if key.startswith("lambda.") else item for key, item in TABLE["items"].items()}
    assert price_list.load_prices(REGION, {**TABLE, "items": items}).as_of == f"{AS_OF} to 2030-03-01"
    assert PRICES.as_of == AS_OF


# 13. Reading the estimate.

def test_largest_are_the_dearest_priced_items():
    resources = [secret(), kms_key(), dashboard(), alarm(metricName="Errors", period=60),
                 resource(ROLE, "api", {}), resource("aws:ec2/instance:Instance", "box", {})]
    assert [i.name for i in priced(resources).largest(3)] == ["dashboard", "key", "token"]  # $3, $1, $0.40


def test_as_json():
    result = priced([kms_key(), resource(ROLE, "api", {}), resource("aws:ec2/instance:Instance", "box", {})])
    key_basis = "1 customer managed key"
    assert result.as_json() == {
        "region": REGION, "pricesAsOf": "2030-01-31", "monthlyUsd": 1.0, "partial": True,
        "items": [
            {"type": KMS_KEY, "name": "key", "monthlyUsd": 1.0, "free": False,
             "basis": key_basis, "charges": [{"monthlyUsd": 1.0, "basis": key_basis}]},
            {"type": ROLE, "name": "api", "monthlyUsd": 0, "free": True, "basis": "free: IAM has no charge", "charges": []},
            {"type": "aws:ec2/instance:Instance", "name": "box", "monthlyUsd": None, "free": False,
             "basis": "unknown: the cost model has no price for aws:ec2/instance:Instance",
             "charges": [{"monthlyUsd": None, "unknown": "type",
                          "basis": "unknown: the cost model has no price for aws:ec2/instance:Instance"}]},
        ],
        "firstYearMonthlyUsd": 1.0,
        "partialNote": "partial: 1 item of a type the cost model has no price for"}


def test_projection_as_json_adds_x86_64_and_traffic():
    document = project(served(), usage(), PRICES).as_json()
    assert document["monthlyUsd"] == 3.0
    assert document["x86_64MonthlyUsd"] == 6.0
    assert document["byTraffic"] == {"10x": {"monthlyUsd": 30.0, "partial": False},
                                     "100x": {"monthlyUsd": 300.0, "partial": False}}


# 14. Issue 24: metric filters publish only in the hours a log line can match.

def filtered(*metric_filters: Resource, provisioned_count: int = 0, called: bool = True, **use) -> list:
    """The function fn (reached through its URL unless not `called`), its log group, and the filters on it."""
    resources = [*(served() if called else [function()]), log_group("/aws/lambda/fn"), *metric_filters]
    return resources + ([provisioned(provisioned_count)] if provisioned_count else [])


PROVISIONED_INITS = '{ $.type = "platform.initStart" && $.record.initializationType = "provisioned-concurrency" }'


def test_issue_24_a_metric_filter_on_a_function_nothing_calls_publishes_nothing():
    item = line(priced(filtered(metric_filter(), called=False)), METRIC_FILTER, "cold-starts")
    assert item.usd == 0
    assert "publishes nothing: nothing in this stack calls what writes to its log group" in item.basis


def test_issue_24_a_provisioned_inits_filter_publishes_only_where_environments_are_provisioned():
    counting = resource(METRIC_FILTER, "provisioned-inits", {**metric_filter().props, "pattern": PROVISIONED_INITS})
    assert line(priced(filtered(counting)), METRIC_FILTER, "provisioned-inits").usd == 0
    # With 2 provisioned environments Lambda initialises them again every few hours: every hour at most, $0.30
    assert line(priced(filtered(counting, provisioned_count=2)), METRIC_FILTER, "provisioned-inits").usd == approx(0.30)


def test_issue_24_a_metric_filter_publishes_in_the_hours_its_function_is_called():
    # 1,000,000 calls all day: 1,370 an hour, every one of the 730 hours has one: $0.30
    assert line(priced(filtered(metric_filter())), METRIC_FILTER, "cold-starts").usd == approx(0.30)
    # 1,000 calls over 8 busy hours a day (243.3 h a month): 4.11 an hour, 1 - e^-4.11 = 98.4% of those hours have
    # one: 239.3 h of 730 × $0.30 = $0.0984
    busy = 8 / 24 * 730
    hours = busy * (1 - math.exp(-1000 / busy))
    result = priced(filtered(metric_filter()), usage(requests_per_month=1000, busy_hours_per_day=8))
    assert line(result, METRIC_FILTER, "cold-starts").usd == approx(0.30 * hours / 730)


def test_issue_24_a_metric_filter_with_a_default_value_publishes_whenever_its_log_group_is_written():
    with_default = metric_filter(defaultValue="0")
    counting = resource(METRIC_FILTER, "provisioned-inits", {**with_default.props, "pattern": PROVISIONED_INITS})
    assert line(priced(filtered(counting)), METRIC_FILTER, "provisioned-inits").usd == approx(0.30)


def test_a_metric_filter_on_a_log_group_outside_the_stack_is_priced_as_always_published():
    outside = resource(METRIC_FILTER, "elsewhere", {**metric_filter().props, "logGroupName": "/other/app"})
    item = line(priced([outside]), METRIC_FILTER, "elsewhere")
    assert item.usd == approx(0.30) and "not this stack's" in item.basis


# 15. Issue 24: KMS keys bill their first two rotations.

def test_issue_24_a_rotated_key_settles_at_three_dollars_a_month():
    # $1 for the key, +$1 after each of its first two yearly rotations, later ones free: $3 from its third year;
    # $1 before its first rotation
    result = priced([kms_key(rotated=True)])
    item = line(result, KMS_KEY, "key")
    assert item.usd == approx(3.00) and item.first_year_usd == approx(1.00)
    assert result.total == approx(3.00) and result.first_year_total == approx(1.00)
    assert "3 key-months from day 730 on" in item.basis


def test_a_key_rotated_every_90_days_settles_after_180():
    item = line(priced([kms_key(rotated=True, rotationPeriodInDays=90)]), KMS_KEY, "key")
    assert item.usd == approx(3.00) and "from day 180 on" in item.basis


def test_a_key_without_rotation_stays_at_one_dollar():
    item = line(priced([kms_key(rotated=False)]), KMS_KEY, "key")
    assert item.usd == approx(1.00) and item.first_year_usd == approx(1.00)


# 16. Issue 24: Logs Insights scans of the dashboard's log widgets and of the saved queries.

def log_widget(*groups: str) -> dict:
    sources = " | ".join(f"SOURCE '{g}'" for g in groups)
    return {"type": "log", "width": 12, "height": 6,
            "properties": {"query": f"{sources} | fields @timestamp | limit 20", "region": REGION}}


def dashboard_with(*widgets: dict, **body) -> Resource:
    return resource(DASHBOARD, "dashboard", {"dashboardName": "prod",
                                             "dashboardBody": json.dumps({"widgets": list(widgets), **body})})


LOGGED = [*served(), log_group("/aws/lambda/fn")]  # 1,000,000 calls × 1,024 B = 0.9537 GiB a month


def test_issue_24_the_dashboards_log_widgets_scan_their_groups_on_every_view():
    # 0.9537 GiB a month over 730 h; a view scans the last 3 h (the default range): 0.9537 × 3 / 730 = 0.003919 GiB
    # per widget; 2 widgets × 300 views × 0.003919 = 2.352 GB × $0.01 = $0.0235; the dashboard $3
    per_widget = 1_000_000 * 1024 / 2 ** 30 * 3 / 730
    result = priced([*LOGGED, dashboard_with(log_widget("/aws/lambda/fn"), log_widget("/aws/lambda/fn"))])
    item = line(result, DASHBOARD, "dashboard")
    assert [c.usd for c in item.charges] == [approx(3.00), approx(2 * 300 * per_widget * 0.01)]
    assert "300 views × 2 log widgets" in item.basis


def test_issue_24_a_dashboard_range_and_busy_hours_set_what_a_view_scans():
    # -PT12H over 8 busy hours a day: a view scans 8 busy hours of the 243.3 a month: 0.9537 × 8 / 243.33 GiB
    per_view = 1_000_000 * 1024 / 2 ** 30 * 8 / (8 / 24 * 730)
    result = priced([*LOGGED, dashboard_with(log_widget("/aws/lambda/fn"), start="-PT12H")],
                    usage(busy_hours_per_day=8, dashboard_views_per_month=100))
    assert charge(line(result, DASHBOARD, "dashboard"), "views").usd == approx(100 * per_view * 0.01)


def test_a_dashboard_without_log_widgets_is_three_dollars_and_one_on_a_group_outside_the_stack_is_unknown():
    assert line(priced([dashboard()]), DASHBOARD, "dashboard").usd == approx(3.00)
    item = line(priced([*LOGGED, dashboard_with(log_widget("/other/app"))]), DASHBOARD, "dashboard")
    assert item.usd is None and "/other/app, a log group this stack does not write" in item.basis


def test_issue_24_a_saved_query_scans_its_groups_each_run():
    # 30 runs × the last 24 h: 0.9537 GiB × 24 / 730 = 0.03135 GiB a run; 30 × 0.03135 = 0.9406 GB × $0.01 = $0.0094
    definition = resource("aws:cloudwatch/queryDefinition:QueryDefinition", "errors", {
        "name": "fn/errors", "queryString": "fields @message", "logGroupNames": ["/aws/lambda/fn"]})
    item = line(priced([*LOGGED, definition]), definition.type, "errors")
    assert item.usd == approx(30 * 1_000_000 * 1024 / 2 ** 30 * 24 / 730 * 0.01)


# 17. Several functions: per-function usage, schedules.

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


def live_alias(function_resource: Resource) -> Resource:
    return resource("aws:lambda/alias:Alias", function_resource.name, {
        "name": "live", "functionName": function_resource.props["name"], "functionVersion": "1"})


def test_a_scheduled_function_is_priced_from_its_schedule_through_its_alias():
    # rate(5 minutes): 730 × 12 = 8,760 calls a month; 200 ms × 0.5 GB = 0.1 GB-s each:
    # 876 GB-s × $0.00001 = $0.00876
    # + 8,760 × $1/M = $0.00876 of requests; the schedule: 8,760 invocations × $1/M = $0.00876
    worker = stack_function("worker", memorySize=512)
    alias = live_alias(worker)
    use = usage(functions=(("worker", FunctionUsage(average_duration_ms=200)),))
    result = priced([worker, alias, schedule("rate(5 minutes)", alias.urn)], use)
    item = line(result, FUNCTION, "worker")
    assert [c.usd for c in item.charges] == [approx(0.00876), approx(0.00876)]
    assert "8,760 requests (rate(5 minutes): 8,760 a month)" in item.basis and "200 ms" in item.basis
    assert line(result, "aws:scheduler/schedule:Schedule", "worker").usd == approx(0.00876)


def test_a_schedule_found_by_the_functions_arn_and_a_disabled_one_invokes_nothing():
    worker = stack_function("worker")
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:lambdakit-prod-worker:live"
    assert line(priced([worker, schedule("rate(1 hour)", arn=arn)]), FUNCTION, "worker").charges[0].usd == \
        approx(730 * 0.000001)
    assert line(priced([worker, schedule("rate(1 hour)", arn=arn, state="DISABLED")]), FUNCTION, "worker").usd == 0


def test_a_functions_own_requests_keep_it_from_its_schedule_and_the_stacks_traffic():
    # its own 50,000 calls × $1/M = $0.05; × 0.1 s × 2 GB = 10,000 GB-s × $0.00001 = $0.10
    worker = stack_function("worker")
    use = usage(functions=(("worker", FunctionUsage(requests_per_month=50_000)),))
    item = line(priced([worker, live_alias(worker), schedule("rate(1 minute)", live_alias(worker).urn)], use),
                FUNCTION, "worker")
    assert item.usd == approx(0.15) and "its own usageRequestsPerMonth" in item.basis


def test_each_function_behind_a_url_takes_its_own_usage_over_the_stacks():
    # api: its own 3,000,000 × $1/M = $3 + 3,000,000 × 0.12 s × 2 GB = 720,000 GB-s × $0.00001 = $7.20
    # admin: the stack's 1,000,000 × 100 ms: $1 + $2
    api, admin = stack_function("api"), stack_function("admin")
    use = usage(functions=(("api", FunctionUsage(requests_per_month=3_000_000, average_duration_ms=120)),))
    result = priced([api, url("lambdakit-prod-api"), admin, url("lambdakit-prod-admin")], use)
    assert line(result, FUNCTION, "api").usd == approx(10.20)
    assert line(result, FUNCTION, "admin").usd == approx(3.00)


def test_traffic_projections_scale_each_functions_own_requests_but_not_schedules():
    api, worker = stack_function("api"), stack_function("worker")
    use = usage(functions=(("api", FunctionUsage(requests_per_month=2_000_000)),))
    resources = [api, url("lambdakit-prod-api"), worker, live_alias(worker),
                 schedule("rate(1 hour)", live_alias(worker).urn)]
    tenfold = project(resources, use, PRICES).by_traffic[10]
    assert line(tenfold, FUNCTION, "api").charges[0].usd == approx(20.00)      # 20,000,000 × $1/M
    assert line(tenfold, FUNCTION, "worker").charges[0].usd == approx(0.00073)  # 730 × $1/M, as at 1×


def pushed_image(short: str, repository_resource: Resource) -> Resource:
    """The image the program builds and pushes to a function's repository (its name made from the repository's URL)."""
    return resource("docker:index/image:Image", short, {"imageName": UNKNOWN, "repoDigest": UNKNOWN},
                    {"imageName": (repository_resource.urn,), "registry": (repository_resource.urn,)})


def image_function(short: str, image_uri: str = UNKNOWN, size: str = "84000000", via: tuple = ()) -> Resource:
    """A function of the stack whose imageUri the engine made from `via` (by default, nothing it knows of)."""
    fn = stack_function(short, imageUri=image_uri, tags={"app": short, IMAGE_SIZE_TAG: size})
    return replace(fn, links={"imageUri": tuple(r.urn for r in via)})


def test_each_repository_is_priced_from_its_own_functions_image_while_another_is_not_pushed():
    # api's image is not pushed yet; worker's is: 20 × 500,000,000 B = 9.31 GiB × $0.10 = $0.93. Before, every
    # repository was unknown while any function's imageUri was.
    api_repo, worker_repo = repository("lambdakit-prod-api"), repository("lambdakit-prod-worker")
    worker_uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/lambdakit-prod-worker@sha256:{'8a' * 32}"
    api_image = pushed_image("api", api_repo)
    resources = [image_function("api", size=UNKNOWN, via=(api_image,)), api_image, api_repo,
                 ecr_lifecycle(20, "lambdakit-prod-api"),
                 image_function("worker", worker_uri, "500000000"), worker_repo,
                 ecr_lifecycle(20, "lambdakit-prod-worker")]
    result = priced(resources)
    assert line(result, REPOSITORY, "lambdakit-prod-worker").usd == approx(20 * 500_000_000 / 2**30 * 0.10)
    api_line = line(result, REPOSITORY, "lambdakit-prod-api")
    assert api_line.usd is None and f"tags.{IMAGE_SIZE_TAG} of api is not known until the update" in api_line.basis


def test_repositories_are_matched_to_functions_by_the_engines_dependencies_while_every_image_uri_is_unknown():
    # api's image (its imageUri made from the image pushed to its repository, two links away) is 100 MB, worker's
    # (made from its repository itself: a digest given by hand) 300 MB: 20 × each × $0.10 / GiB
    api_repo, worker_repo = repository("lambdakit-prod-api"), repository("lambdakit-prod-worker")
    api_image = pushed_image("api", api_repo)
    resources = [image_function("api", size="100000000", via=(api_image,)), api_image, api_repo,
                 image_function("worker", size="300000000", via=(worker_repo,)), worker_repo,
                 ecr_lifecycle(20, "lambdakit-prod-api"), ecr_lifecycle(20, "lambdakit-prod-worker")]
    result = priced(resources)
    assert line(result, REPOSITORY, "lambdakit-prod-api").usd == approx(20 * 100_000_000 / 2**30 * 0.10)
    assert line(result, REPOSITORY, "lambdakit-prod-worker").usd == approx(20 * 300_000_000 / 2**30 * 0.10)
    assert not result.partial


def test_a_function_whose_image_nothing_tells_leaves_every_repository_unknown():
    """An unknown imageUri with no dependency the model can follow may name any repository: it cannot be left out."""
    repo = repository("lambdakit-prod-api")
    known_uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/lambdakit-prod-api@sha256:{'8a' * 32}"
    result = priced([image_function("api", known_uri), image_function("other"), repo,
                     ecr_lifecycle(20, "lambdakit-prod-api")])
    item = line(result, REPOSITORY, "lambdakit-prod-api")
    assert item.usd is None and "imageUri of other is not known until the update" in item.basis


def test_the_scan_gates_actions_of_one_stage_run_at_once_and_share_their_hours():
    """One scan action per function, side by side in the Scan stage: twice the calls and action minutes, but the
    gate's log group is written in the same hours."""
    gate = function("gate", memorySize=256, timeout=60)
    side_by_side = pipeline(source(), invoke("gate"))
    side_by_side = replace(side_by_side, props={**side_by_side.props, "stages": [
        side_by_side.props["stages"][0], {"name": "Scan", "actions": [{**invoke("gate"), "name": "Scan-api"},
                                                                      {**invoke("gate"), "name": "Scan-worker"}]}]})
    one_after_the_other = pipeline(source(), invoke("gate"), invoke("gate"))
    for delivery, hours in ((side_by_side, 10), (one_after_the_other, 20)):
        result = priced([gate, log_group("/aws/lambda/gate", name="gate"), delivery,
                         resource(METRIC_FILTER, "gate-ColdStarts", {**metric_filter().props,
                                                                     "logGroupName": "/aws/lambda/gate"})])
        # 10 runs × 2 actions × 1 minute = 20 calls, whichever way the actions run
        assert "20 requests (2 actions a pipeline run" in line(result, FUNCTION, "gate").basis
        # 10 runs × (source 1 + 2 gate actions × 1) = 30 action minutes × $0.002
        assert line(result, PIPELINE, "delivery").usd == approx(0.06)
        # each run calls the gate in 1 hour when its actions run at once, 2 when one waits for the other
        assert line(result, METRIC_FILTER, "gate-ColdStarts").usd == approx(0.30 * hours / 730), hours


# 18. Issue 24: container and network resources, and what stays unpriced.

def fargate_service(architecture: str = "X86_64", count: int = 2) -> list[Resource]:
    definition = resource("aws:ecs/taskDefinition:TaskDefinition", "web", {
        "family": "web", "cpu": "512", "memory": "1024", "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"cpuArchitecture": architecture, "operatingSystemFamily": "LINUX"}})
    service = resource("aws:ecs/service:Service", "web", {"launchType": "FARGATE", "desiredCount": count,
                                                          "taskDefinition": UNKNOWN},
                       {"taskDefinition": (definition.urn,)})
    return [definition, service]


@pytest.mark.parametrize("typ, props, usd", [
    ("aws:ec2/natGateway:NatGateway", {"subnetId": "subnet-1"}, 730 * 0.05),            # $36.50
    ("aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "application"}, 730 * 0.02),
    ("aws:lb/loadBalancer:LoadBalancer", {}, 730 * 0.02),                              # application by default
    ("aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "network"}, 730 * 0.03),
    ("aws:ec2/eip:Eip", {"domain": "vpc"}, 730 * 0.005),                                # $3.65
    ("aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Interface", "subnetIds": ["a", "b"]}, 2 * 730 * 0.01),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Gateway"}, 0.0),
])
def test_issue_24_hourly_network_resources(typ, props, usd):
    assert line(priced([resource(typ, "it", props)]), typ, "it").usd == approx(usd)


@pytest.mark.parametrize("architecture, usd", [
    # 2 tasks × 730 h × 0.5 vCPU × $0.04 = $29.20; × 1 GB × $0.004 = $5.84
    ("X86_64", 29.20 + 5.84),
    ("ARM64", 2 * 730 * 0.5 * 0.03 + 2 * 730 * 1 * 0.003),
])
def test_issue_24_a_fargate_service_bills_its_tasks_size_all_month(architecture, usd):
    assert line(priced(fargate_service(architecture)), "aws:ecs/service:Service", "web").usd == approx(usd)


def test_a_service_on_ec2_capacity_and_a_gateway_load_balancer_are_of_types_the_model_cannot_price():
    ec2 = resource("aws:ecs/service:Service", "web", {"launchType": "EC2", "desiredCount": 2})
    gateway = resource("aws:lb/loadBalancer:LoadBalancer", "gw", {"loadBalancerType": "gateway"})
    result = priced([ec2, gateway])
    assert {i.unknown_kind for i in result.unknown} == {"type"}
    assert result.partial_note == "partial: 2 items of a type the cost model has no price for"


def test_issue_24_unknowns_are_counted_by_why():
    """Issue 24's leftover: every unknown was "not known until the update", whatever kept it unknown."""
    resources = [resource("aws:rds/instance:Instance", "db", {"instanceClass": "db.t4g.micro"}),
                 log_group("/aws/lambda/fn", retention=None), *served(), kms_key(),
                 resource(KMS_KEY, "later", {"enableKeyRotation": UNKNOWN})]
    result = priced(resources)
    assert result.partial_note == ("partial: 1 item of a type the cost model has no price for, "
                                   "1 item with no bound in the plan (their lines say why), "
                                   "1 item not known until the update")
    assert result.unpriced_types == ["aws:rds/instance:Instance"]
    assert [i.name for i in result.unverifiable] == ["db", "logs"]


def test_a_figure_copied_from_another_region_says_so_in_its_line():
    items = {**TABLE["items"], "kms.key": {**TABLE["items"]["kms.key"], "regions": {REGION: {
        **TABLE["items"]["kms.key"]["regions"][REGION], "copiedFrom": "us-east-1"}}}}
    result = priced([kms_key()], prices=price_list.load_prices(REGION, {**TABLE, "items": items}))
    assert line(result, KMS_KEY, "key").basis == "1 customer managed key [price: us-east-1's]"
    assert [i.name for i in result.copied_prices] == ["key"]


# The real prices.json.

REAL_TABLE = price_list.read_table()
STACK_REGIONS = ["eu-west-1", "us-east-1"]


def every_priced_type() -> list[Resource]:
    """One resource of each type the model prices, so that together they ask for every price it can: a
    function with a URL, provisioned environments it spills over, extra /tmp and tracing, and a build of each
    environment and size the table has."""
    builds = [build_project(key.split(".", 1)[1].lower(), *key.split(".")[1:])
              for key in REAL_TABLE["items"] if key.startswith("codebuild.")]
    store = bucket()
    networks = [resource(typ, f"{typ}-{n}", props) for n, (typ, props, _) in enumerate([
        ("aws:ec2/natGateway:NatGateway", {}, 0), ("aws:lb/loadBalancer:LoadBalancer", {}, 0),
        ("aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "network"}, 0), ("aws:ec2/eip:Eip", {}, 0),
        ("aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Interface", "subnetIds": ["a"]}, 0)])]
    arm_service = [Resource(r.type, f"{r.name}-arm", r.props, f"{r.urn}-arm", {k: tuple(f"{u}-arm" for u in v)
                                                                               for k, v in r.links.items()})
                   for r in fargate_service("ARM64")]
    return [*served(ephemeralStorage={"size": 1024}, tracingConfig={"mode": "Active"}), provisioned(1),
            repository(), ecr_lifecycle(keep=20), log_group("/aws/lambda/fn", name="fn"),
            log_group(f"/aws/codebuild/{builds[0].name}", name="build"),
            scanning("ENHANCED"), metric_filter(), alarm(metricName="Errors", period=60),
            resource(ALARM, "fast", {"metricName": "Errors", "period": 10}),
            dashboard_with(log_widget("/aws/lambda/fn")), kms_key(), secret(),
            store, bucket_lifecycle(days=30), schedule("rate(1 hour)", arn="fn"),
            *builds, pipeline(source(), *(build(b.name) for b in builds)),
            resource(PIPELINE, "v1", {"pipelineType": "V1", "stages": []}),
            *networks, *fargate_service(), *arm_service]


@pytest.mark.parametrize("region", STACK_REGIONS)
def test_real_table_has_every_price_the_model_asks_for(region, monkeypatch):
    asked = set()
    ask = price_list.PriceTable.price

    def recording(table, key):
        asked.add(key)
        return ask(table, key)
    monkeypatch.setattr(price_list.PriceTable, "price", recording)
    # 2,628,000 calls × 2 s: 2 environments busy, 1 provisioned, so both duration prices are asked for
    projection = project(every_priced_type(), usage(requests_per_month=2_628_000, average_duration_ms=2000),
                         price_list.load_prices(region))
    assert [i.basis for e in (projection.planned, projection.on_x86_64) for i in e.unknown] == []
    # The plan above is representative: it asks for every price the table has.
    assert asked == set(REAL_TABLE["items"])


@pytest.mark.parametrize("key", sorted(REAL_TABLE["items"]))
def test_real_table_item_is_complete_for_the_stacks_regions(key):
    item = REAL_TABLE["items"][key]
    assert item["offerCode"] and item["unit"]
    assert item.get("freeTier") in (None, *REAL_TABLE["freeTier"])
    for region in STACK_REGIONS:
        assert item["regions"][region]["usd"] > 0 and item["regions"][region]["seen"]


def test_real_table_gives_provisioned_concurrency_no_free_tier():
    assert [key for key, item in REAL_TABLE["items"].items()
            if key.startswith(("lambda.provisioned.", "lambda.provisioned-duration.")) and item.get("freeTier")] == []
