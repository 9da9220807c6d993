"""The cost model's figures, each worked by hand.

Prices come from a table made here with round figures (so the arithmetic shows, and refreshing prices.json
changes nothing); the last tests check the real prices.json. A month is AWS's 730 h = 2,628,000 s, so
730/24 = 30.4167 days; 1 GiB = 2^30 bytes.
"""

import json

import pytest
from pytest import approx

from policies.cost import prices as price_list
from policies.cost.model import estimate, project
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
    """1,000,000 requests a month × 100 ms, 10 pipeline runs × 5 build minutes, free tier not counted."""
    base = dict(requests_per_month=1_000_000, average_duration_ms=100, log_bytes_per_request=1024,
                pipeline_runs_per_month=10, build_minutes_per_run=5, build_log_bytes_per_minute=1024,
                artifact_mb_per_run=512, free_tier=False)
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


def kms_key() -> Resource:
    return resource(KMS_KEY, "key", {"enableKeyRotation": True, "deletionWindowInDays": 30})


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
    # 10 runs × 1 invocation = 10 requests × $1/M = $0.00001;
    # 10 × 60 s (its timeout) × 0.25 GB = 150 GB-s × $0.00001 = $0.0015; URL traffic is not its
    gate = function("gate", memorySize=256, timeout=60)
    item = line(priced([gate, pipeline(source(), invoke("gate"))]), FUNCTION, "gate")
    assert item.usd == approx(0.00151)
    assert "10 requests (1 a pipeline run)" in item.basis


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

@pytest.mark.parametrize("requests, traces_usd", [
    # below 1 a second (2,628,000 a month): every request traced, 1,000,000 × $5/M = $5
    (1_000_000, 5.00),
    # above: 2,628,000 + 5% × (12,628,000 - 2,628,000) = 3,128,000 traces × $5/M = $15.64
    (12_628_000, 15.64),
])
def test_active_tracing_records_the_default_sampling(requests, traces_usd):
    item = line(priced(served(tracingConfig={"mode": "Active"}), usage(requests_per_month=requests)), FUNCTION)
    assert charge(item, "traces recorded").usd == approx(traces_usd)


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
    key_basis = "1 customer managed key; each of its first two yearly rotations adds $1"
    assert result.as_json() == {
        "region": REGION, "pricesAsOf": "2030-01-31", "monthlyUsd": 1.0, "partial": True,
        "items": [
            {"type": KMS_KEY, "name": "key", "monthlyUsd": 1.0, "free": False,
             "basis": key_basis, "charges": [{"monthlyUsd": 1.0, "basis": key_basis}]},
            {"type": ROLE, "name": "api", "monthlyUsd": 0, "free": True, "basis": "free: IAM has no charge", "charges": []},
            {"type": "aws:ec2/instance:Instance", "name": "box", "monthlyUsd": None, "free": False,
             "basis": "unknown: the cost model has no price for aws:ec2/instance:Instance",
             "charges": [{"monthlyUsd": None,
                          "basis": "unknown: the cost model has no price for aws:ec2/instance:Instance"}]},
        ]}


def test_projection_as_json_adds_x86_64_and_traffic():
    document = project(served(), usage(), PRICES).as_json()
    assert document["monthlyUsd"] == 3.0
    assert document["x86_64MonthlyUsd"] == 6.0
    assert document["byTraffic"] == {"10x": {"monthlyUsd": 30.0, "partial": False},
                                     "100x": {"monthlyUsd": 300.0, "partial": False}}


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
    return [*served(ephemeralStorage={"size": 1024}, tracingConfig={"mode": "Active"}), provisioned(1),
            repository(), ecr_lifecycle(keep=20), log_group("/aws/lambda/fn", name="fn"),
            log_group(f"/aws/codebuild/{builds[0].name}", name="build"),
            scanning("ENHANCED"), metric_filter(), alarm(metricName="Errors", period=60),
            resource(ALARM, "fast", {"metricName": "Errors", "period": 10}), dashboard(), kms_key(), secret(),
            store, bucket_lifecycle(days=30),
            *builds, pipeline(source(), *(build(b.name) for b in builds)),
            resource(PIPELINE, "v1", {"pipelineType": "V1", "stages": []})]


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
