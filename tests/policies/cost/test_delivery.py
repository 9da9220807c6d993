"""Delivery (policies/cost/delivery.py): the artifact bucket, CodeBuild projects and CodePipeline."""

import pytest
from pytest import approx

from policies.cost.plan import CODEBUILD_PROJECT, PIPELINE, UNKNOWN
from tests.policies.cost.builders import (BUCKET, action, bucket, bucket_lifecycle, build, build_project, invoke,
                                          line, pipeline, priced, resource, source)


# The artifact bucket.

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


# Builds and pipelines.

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
