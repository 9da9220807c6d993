"""The pack on programs it never saw (issue 26), property-based: for each policy, generated resources of every type
it judges (unseen_programs.py), sent through the real pack process (one for the whole session), as the engine
sends them.

- Every Analyze and AnalyzeStack call answers, whatever the properties hold: a gRPC error would raise here.
- A well-formed resource (or stack) is judged: no "could not judge" finding.
- A resource with values dropped, null, unknown or of another type is judged, or refused in its rule's words
  ("could not judge …: memorySize is 'abc' (a string), not a number"), never by the guard catching an exception
  ("the policy failed"); and such a finding is advisory by default.
- A value given as its text (60 as "60", true as "true", ["arm64"] as "arm64") gets the very verdicts of the value.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.policies.unseen_programs import (ALARM, BUCKET, BUCKET_LIFECYCLE, BUDGET, CODEBUILD_PROJECT, DASHBOARD,
                                            FUNCTION, FUNCTION_URL, KMS_KEY, LIFECYCLE_POLICY, LOG_GROUP,
                                            METRIC_FILTER, PIPELINE, PROVISIONED, REGISTRY_SCANNING, REPOSITORY,
                                            SECRET, SHAPES, as_text, mistyped, well_formed)

COULD_NOT_JUDGE, FAILED = "could not judge", "the policy failed"
# The policy under test and the types it judges: every policy of the pack is here (the first test checks).
IAM_TYPES = sorted(t for t in SHAPES if t.startswith(("aws:iam/", "aws:s3/bucketPolicy", "aws:s3/bucketV2",
                                                        "aws:sqs/", "aws:sns/", "aws:ecr/repositoryPolicy",
                                                        "aws:ecr/registryPolicy", "aws:kms/"))) + [BUCKET]
RESOURCE_POLICIES = {
    **{policy: [FUNCTION] for policy in (
        "lambda-architecture", "lambda-image-size", "lambda-image-size-unmeasured", "lambda-memory",
        "lambda-image-by-digest", "lambda-image-scan-findings", "lambda-image-scan-findings-unread")},
    "function-url-auth-in-production": [FUNCTION_URL],
    "provisioned-concurrency-not-on-latest": [PROVISIONED],
    "codebuild-arm64": [CODEBUILD_PROJECT],
    "ecr-scan-on-push-fix": [REPOSITORY],
    "iam-no-wildcard-actions": IAM_TYPES,
}
STACK_POLICIES = {
    "ecr-scan-on-push": [REPOSITORY, REGISTRY_SCANNING],
    "function-url-public-needs-reservation": [FUNCTION_URL, FUNCTION],
    "lambda-managed-log-group": [FUNCTION, LOG_GROUP],
    "lambda-monitoring-coverage": [FUNCTION, ALARM, METRIC_FILTER, LOG_GROUP],
    "stack-monthly-budget": [FUNCTION, FUNCTION_URL, PROVISIONED, REPOSITORY, LIFECYCLE_POLICY, REGISTRY_SCANNING,
                             LOG_GROUP, METRIC_FILTER, ALARM, DASHBOARD, KMS_KEY, SECRET, BUCKET, BUCKET_LIFECYCLE,
                             CODEBUILD_PROJECT, PIPELINE, BUDGET],
}
RESOURCE_TYPES = sorted({typ for types in RESOURCE_POLICIES.values() for typ in types})
# A budget that some generated stacks exceed, and the remediation on, so that every policy has work to do.
PACK_CONFIG = '{"stack-monthly-budget": {"maxMonthlyUsd": 20}, "ecr-scan-on-push-fix": "remediate"}'

# Fixed examples (derandomize), no example database, and counts that keep the module well under a minute in CI;
# mistyped values have the most ways to go wrong, so they get the most examples.
EXAMPLES = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MISTYPED_EXAMPLES = settings(EXAMPLES, max_examples=60)
STACK_EXAMPLES = settings(EXAMPLES, max_examples=40)
MISTYPED_STACK_EXAMPLES = settings(EXAMPLES, max_examples=150)


@pytest.fixture(scope="module")
def judging(pack):
    with pack.configured(PACK_CONFIG) as configured:
        yield configured


def verdicts(findings) -> list[tuple[str, str, str]]:
    return sorted((f.policy, f.enforcement_level, f.message) for f in findings)


def analyze(pack, typ: str, props: dict) -> list:
    """Remediate and Analyze, as the engine sends every resource: each must answer."""
    pack.analyzer.Remediate(pack.request(typ, props))
    return pack.analyze(typ, props)


def stack(types: list[str], change=st.just) -> st.SearchStrategy:
    """One to eight resources of the given types, each made by `change` from a well-formed one."""
    resource = st.sampled_from(types).flatmap(
        lambda typ: well_formed(typ).flatmap(change).map(lambda props: (typ, props)))
    return st.lists(resource, min_size=1, max_size=8).map(
        lambda resources: [(typ, f"r{index}", props) for index, (typ, props) in enumerate(resources)])


def may_be_mistyped(props: dict) -> st.SearchStrategy:
    """Two resources in three mistyped: the others show that one unreadable resource costs them no verdict."""
    return st.one_of(st.just(props), mistyped(props), mistyped(props))


def test_every_policy_of_the_pack_is_generated_for(pack):
    assert set(RESOURCE_POLICIES) | set(STACK_POLICIES) == {p.name for p in pack.info.policies}


@pytest.mark.parametrize("typ", RESOURCE_TYPES)
@EXAMPLES
@given(data=st.data())
def test_a_well_formed_resource_is_judged(judging, typ, data):
    findings = analyze(judging, typ, data.draw(well_formed(typ)))
    assert not [f for f in findings if COULD_NOT_JUDGE in f.message]


@pytest.mark.parametrize("typ", RESOURCE_TYPES)
@MISTYPED_EXAMPLES
@given(data=st.data())
def test_a_mistyped_resource_is_judged_or_refused_in_its_rules_words(judging, typ, data):
    findings = analyze(judging, typ, data.draw(well_formed(typ).flatmap(mistyped)))
    assert not [f for f in findings if FAILED in f.message]
    assert {f.enforcement_level for f in findings if COULD_NOT_JUDGE in f.message} <= {"advisory"}


@pytest.mark.parametrize("typ", RESOURCE_TYPES)
@EXAMPLES
@given(data=st.data())
def test_a_value_given_as_its_text_is_judged_as_the_value(judging, typ, data):
    props = data.draw(well_formed(typ))
    assert verdicts(analyze(judging, typ, as_text(props))) == verdicts(analyze(judging, typ, props))


@pytest.mark.parametrize("policy", sorted(STACK_POLICIES))
@STACK_EXAMPLES
@given(data=st.data())
def test_a_well_formed_stack_is_judged(judging, policy, data):
    findings = judging.analyze_stack(data.draw(stack(STACK_POLICIES[policy])))
    assert not [f for f in findings if COULD_NOT_JUDGE in f.message]


@pytest.mark.parametrize("policy", sorted(STACK_POLICIES))
@MISTYPED_STACK_EXAMPLES
@given(data=st.data())
def test_a_mistyped_stack_is_judged_or_refused_in_its_rules_words(judging, policy, data):
    findings = judging.analyze_stack(data.draw(stack(STACK_POLICIES[policy], may_be_mistyped)))
    assert not [f for f in findings if FAILED in f.message]
    assert {f.enforcement_level for f in findings if COULD_NOT_JUDGE in f.message} <= {"advisory"}


@pytest.mark.parametrize("policy", sorted(STACK_POLICIES))
@STACK_EXAMPLES
@given(data=st.data())
def test_a_stack_given_as_text_is_judged_as_the_stack(judging, policy, data):
    resources = data.draw(stack(STACK_POLICIES[policy]))
    as_given = [(typ, name, as_text(props)) for typ, name, props in resources]
    assert verdicts(judging.analyze_stack(as_given)) == verdicts(judging.analyze_stack(resources))
