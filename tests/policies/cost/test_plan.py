"""How the cost model reads a plan: inputs in wire format with Pulumi's unknown sentinel, and what one
resource says about another."""

import pytest

from policies.cost.plan import (CODEBUILD_PROJECT, FUNCTION, FUNCTION_URL, PIPELINE, PROVISIONED_CONCURRENCY, UNKNOWN,
                                Plan, Resource, Unpriced, is_unknown, log_group_of, pipeline_actions, repository_of)
from policies.cost.wire import Malformed


LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def resource(typ: str, name: str, props: dict, links: dict = None) -> Resource:
    return Resource(typ, name, props, f"urn:pulumi:prod::lambdakit::{typ}::{name}", links or {})


def function(name: str = "fn", **props) -> Resource:
    return resource(FUNCTION, name, {"name": name, "arn": f"arn:aws:lambda:eu-west-1:123456789012:function:{name}",
                                     **props})


def pipeline(*actions: dict, **props) -> Resource:
    return resource(PIPELINE, "delivery", {"pipelineType": "V2", "stages": [{"name": "Only", "actions": list(actions)}],
                                           **props})


def invoke(function_name) -> dict:
    return {"name": "Invoke", "category": "Invoke", "provider": "Lambda", "configuration": {"FunctionName": function_name}}


def build(project_name) -> dict:
    return {"name": "Build", "category": "Build", "provider": "CodeBuild", "configuration": {"ProjectName": project_name}}


# Resource.get and number.

SUBJECT = function(memorySize=2048, tracingConfig={"mode": UNKNOWN}, tags=UNKNOWN, ephemeralStorage={"size": 512},
                   environment={"variables": None})


def test_get_follows_a_dotted_path():
    assert SUBJECT.get("ephemeralStorage.size") == 512


@pytest.mark.parametrize("path", ["timeout", "ephemeralStorage.missing", "environment.variables.X"])
def test_get_gives_the_default_for_what_is_absent(path):
    assert SUBJECT.get(path, "default") == "default"


def test_get_through_a_value_that_is_no_object_is_malformed():
    with pytest.raises(Malformed, match="memorySize of fn is 2048 \\(a number\\), not an object"):
        SUBJECT.get("memorySize.deeper", "default")


@pytest.mark.parametrize("path", ["tracingConfig.mode", "tags", "tags.lambdakit:image-size-bytes"])
def test_get_raises_unpriced_on_an_unknown_value_even_mid_path(path):
    with pytest.raises(Unpriced, match=f"{path} of fn is not known until the update"):
        SUBJECT.get(path)


def test_number_reads_a_float_or_its_default():
    assert SUBJECT.number("memorySize") == 2048.0
    assert SUBJECT.number("timeout", 3) == 3.0


@pytest.mark.parametrize("given, read", [("2048", 2048), (" 60 ", 60), ("0.5", 0.5), (2048.0, 2048)])
def test_number_reads_a_number_given_as_text(given, read):
    assert function(memorySize=given).number("memorySize") == read


@pytest.mark.parametrize("given", ["2 GB", "nan", True, [2048], {"mb": 2048}])
def test_number_refuses_what_means_no_number(given):
    with pytest.raises(Malformed, match="memorySize of fn is .*, not a number"):
        function(memorySize=given).number("memorySize")


def test_number_without_a_default_is_unpriced_when_absent():
    with pytest.raises(Unpriced, match="fn has no timeout"):
        SUBJECT.number("timeout")


def test_is_unknown_only_for_the_sentinel():
    assert is_unknown(UNKNOWN)
    assert not is_unknown("04da6b54") and not is_unknown(None) and not is_unknown([UNKNOWN])


# References.

@pytest.mark.parametrize("image_uri, repository", [
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v1", "api"),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:" + "ab" * 32, "api"),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1@sha256:" + "ab" * 32, "team/api"),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api", "team/api"),
    ("localhost:5000/api:latest", "api"),
])
def test_repository_of_an_image_uri(image_uri, repository):
    assert repository_of(image_uri) == repository


@pytest.mark.parametrize("props, group", [
    ({"name": "fn", "loggingConfig": {"logFormat": "JSON", "logGroup": "/custom/fn"}}, "/custom/fn"),
    ({"name": "fn", "loggingConfig": {"logFormat": "Text"}}, "/aws/lambda/fn"),
    ({"name": "fn"}, "/aws/lambda/fn"),
    ({}, None),
])
def test_log_group_of_a_function(props, group):
    assert log_group_of(props) == group


def test_refers_to_by_the_engines_dependencies_while_the_value_is_unknown():
    target = function()
    config = resource(PROVISIONED_CONCURRENCY, "fn", {"functionName": UNKNOWN}, {"functionName": (target.urn,)})
    assert config.refers_to("functionName", target, "name")


@pytest.mark.parametrize("value", ["fn", "arn:aws:lambda:eu-west-1:123456789012:function:fn"])
def test_refers_to_by_equal_values(value):
    assert resource(FUNCTION_URL, "fn", {"functionName": value}).refers_to("functionName", function(), "name", "arn")


@pytest.mark.parametrize("props", [{"functionName": UNKNOWN}, {"functionName": "other"}, {}])
def test_refers_to_nothing_without_a_link_or_an_equal_known_value(props):
    target = function(name=UNKNOWN)  # an unknown never equals an unknown
    assert not resource(FUNCTION_URL, "fn", props).refers_to("functionName", target, "name", "arn")


def test_pipeline_actions_of_every_stage_and_none_of_unknown_stages():
    two_stages = resource(PIPELINE, "p", {"stages": [{"name": "A", "actions": [invoke("a")]},
                                                     {"name": "B", "actions": [build("b"), UNKNOWN]}, UNKNOWN]})
    assert [a["name"] for a in pipeline_actions(two_stages)] == ["Invoke", "Build"]
    assert list(pipeline_actions(resource(PIPELINE, "p", {"stages": UNKNOWN}))) == []


# Plan.

def test_runs_per_pipeline_run_counts_the_actions_that_target_the_resource():
    project = resource(CODEBUILD_PROJECT, "build", {"name": "build"})
    plan = Plan([function("gate"), function("idle"), project,
                 pipeline(invoke("gate"), build("build"), invoke("gate"), invoke(UNKNOWN), build("fn"))])
    assert plan.runs_per_pipeline_run(plan.resources[0]) == 2  # the action whose target is unknown counts for none
    assert plan.runs_per_pipeline_run(project) == 1
    assert plan.runs_per_pipeline_run(plan.resources[1]) is None


def test_runs_per_pipeline_run_tells_functions_from_projects_of_the_same_name():
    plan = Plan([function("same"), pipeline(build("same"))])
    assert plan.runs_per_pipeline_run(plan.resources[0]) is None


def test_an_unreadable_action_leaves_every_question_of_its_provider_unanswered_and_no_other():
    """Each question used to read every action of its provider: a malformed one answers none of them (not only the
    first asked), while the other provider's answers and an action whose provider is not text stand."""
    project = resource(CODEBUILD_PROJECT, "build", {"name": "build"})
    plan = Plan([function("gate"), function("idle"), project,
                 pipeline(invoke("gate"), {"provider": "Lambda", "configuration": ["not", "an object"]},
                          {"provider": ["CodeBuild"], "configuration": {}}, build("build"))])
    for fn in plan.resources[:2]:
        with pytest.raises(Malformed):
            plan.runs_per_pipeline_run(fn)
    assert plan.runs_per_pipeline_run(project) == 1


def test_the_writers_of_a_group_are_found_in_the_plans_order_by_name_or_link():
    group = resource(LOG_GROUP, "logs", {"name": "/shared"})
    linked = resource(FUNCTION, "linked", {"loggingConfig": {"logGroup": UNKNOWN}}, {"loggingConfig": (group.urn,)})
    named = [function(f"fn{n}", loggingConfig={"logGroup": "/shared"}) for n in range(3)]
    plan = Plan([named[2], linked, named[0], named[1]])
    assert plan.log_writers(group) == ([named[2], linked, named[0], named[1]], [])
    unreadable = function("bad", loggingConfig="not an object")
    with pytest.raises(Malformed, match="function bad"):
        Plan([*named, unreadable]).log_writers(group)
    linked_unreadable = resource(FUNCTION, "bad", {"loggingConfig": "no"}, {"loggingConfig": (group.urn,)})
    assert Plan([named[0], linked_unreadable]).log_writers(group) == ([named[0], linked_unreadable], [])


def test_function_url_and_provisioned_config_linked_to_their_function():
    fn, other = function(), function("other")
    url = resource(FUNCTION_URL, "fn", {"functionName": UNKNOWN}, {"functionName": (fn.urn,)})
    config = resource(PROVISIONED_CONCURRENCY, "fn", {"functionName": "fn", "provisionedConcurrentExecutions": 2})
    plan = Plan([fn, other, url, config])
    assert plan.serves_traffic(fn) and not plan.serves_traffic(other)
    assert plan.provisioned_for(fn) == [config] and plan.provisioned_for(other) == []
    assert plan.function_of(config) is fn


def test_log_writers_are_the_functions_and_builds_logging_to_the_group():
    build_project = resource(CODEBUILD_PROJECT, "build", {"name": "build", "logsConfig": {
        "cloudwatchLogs": {"groupName": "/aws/codebuild/build"}}})
    plan = Plan([function(), function("other", loggingConfig={"logGroup": "/custom"}), build_project])
    assert plan.log_writers(log_group("/aws/lambda/fn")) == ([plan.resources[0]], [])
    assert plan.log_writers(log_group("/aws/codebuild/build")) == ([], [build_project])


def test_a_log_group_whose_name_is_not_known_is_found_by_the_engines_dependencies():
    group = resource(LOG_GROUP, "logs", {"name": UNKNOWN})
    writer = resource(FUNCTION, "writer", {"loggingConfig": {"logGroup": UNKNOWN}}, {"loggingConfig": (group.urn,)})
    stranger = resource(FUNCTION, "stranger", {"loggingConfig": {"logGroup": UNKNOWN}})  # another group's, not known yet
    assert Plan([group, writer, stranger]).log_writers(group) == ([writer], [])


def log_group(name: str) -> Resource:
    return resource(LOG_GROUP, "logs", {"name": name})


def test_image_size_is_the_largest_a_function_of_the_repository_records():
    sizes = [function(name, imageUri=f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{repo}:v1",
                      tags={"lambdakit:image-size-bytes": size})
             for name, repo, size in [("a", "api", "100"), ("b", "api", "300"), ("c", "other", "900")]]
    plan = Plan([*sizes, function("zip")])
    assert plan.image_size_bytes(resource("aws:ecr/repository:Repository", "api", {"name": "api"})) == 300
    assert plan.image_size_bytes(resource("aws:ecr/repository:Repository", "none", {"name": "none"})) is None


def test_expiration_days_are_the_fewest_of_the_enabled_rules():
    bucket = resource("aws:s3/bucket:Bucket", "artifacts", {"bucketPrefix": "artifacts-"})
    rules = [{"status": "Enabled", "expiration": {"days": 30}}, {"status": "Disabled", "expiration": {"days": 1}},
             {"status": "Enabled", "expiration": {"days": 90}},
             {"status": "Enabled", "noncurrentVersionExpiration": {"noncurrentDays": 1}}]
    lifecycle = resource("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "artifacts",
                         {"bucket": UNKNOWN, "rules": rules}, {"bucket": (bucket.urn,)})
    assert Plan([bucket, lifecycle]).expiration_days(bucket) == 30
    assert Plan([bucket]).expiration_days(bucket) is None


def test_artifact_store_by_location_or_by_link():
    named = resource("aws:s3/bucket:Bucket", "named", {"bucket": "named"})
    generated = resource("aws:s3/bucket:Bucket", "generated", {"bucketPrefix": "generated-"})
    by_name = pipeline(artifactStores=[{"type": "S3", "location": "named"}])
    by_link = resource(PIPELINE, "linked", {"artifactStores": [{"type": "S3", "location": UNKNOWN}]},
                       {"artifactStores": (generated.urn,)})
    plan = Plan([named, generated, by_name, by_link])
    assert plan.stores_artifacts_in(named) == [by_name]
    assert plan.stores_artifacts_in(generated) == [by_link]
