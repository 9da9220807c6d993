"""stack-monthly-budget, through the real pack process: the estimate the preview prints (policies/cost), held to
the pack config's maxMonthlyUsd or else to the stack's own AWS budget; a partial estimate blocks only when
what is known already exceeds the budget."""

import dataclasses
import json

import pytest
from pulumi.runtime.proto import analyzer_pb2

from offline.policy_engine import _finding
from offline.stack_config import StackConfig
from policies.cost.model import estimate
from policies.cost.plan import UNKNOWN, Resource
from policies.cost.prices import load_prices
from policies.cost.usage import usage_from_config
from tests.policies.conftest import STACK, aws_environment, by_policy, start_pack

POLICY = "stack-monthly-budget"
FUNCTION, URL = "aws:lambda/function:Function", "aws:lambda/functionUrl:FunctionUrl"
PROVISIONED = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
BUDGET = "aws:budgets/budget:Budget"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def plan(environments=2, budget_usd=None) -> list[tuple[str, str, dict]]:
    """A function behind a URL with provisioned environments, and, when given, the stack's AWS budget."""
    resources = [
        (FUNCTION, "api", {"name": "fn", "architectures": ["arm64"], "memorySize": 2048, "timeout": 15,
                           "packageType": "Image"}),
        (URL, "api", {"functionName": "fn", "qualifier": "live", "authorizationType": "AWS_IAM"}),
        (PROVISIONED, "api", {"functionName": "fn", "qualifier": "live",
                              "provisionedConcurrentExecutions": environments}),
    ]
    if budget_usd is not None:
        resources.append((BUDGET, "budget", {"name": "p-dev-monthly", "budgetType": "COST", "timeUnit": "MONTHLY",
                                             "limitAmount": str(budget_usd), "limitUnit": "USD"}))
    return resources


def expected_total(resources) -> float:
    """The same model over the same plan with the dev stack's usage: what the preview prints for it."""
    usage = usage_from_config(lambda key: STACK.values.get(f"lambdakit:{key}"))
    return estimate([Resource(t, n, p) for t, n, p in resources], usage, load_prices("eu-west-1")).total


def test_a_stack_within_its_budget_passes(pack):
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 1000}}'):
        assert by_policy(pack.analyze_stack(plan()), POLICY) == []


def test_a_stack_over_its_budget_is_blocked_with_the_total_the_budget_and_the_largest_items(pack):
    total = expected_total(plan())
    assert 30 < total < 60  # 2 × 2 GB provisioned around the clock: about $35 at arm64 prices
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 30}}'):
        [finding] = by_policy(pack.analyze_stack(plan()), POLICY)
    assert finding.enforcement_level == "mandatory" and finding.severity == "medium"
    assert f"the stack's estimate is {total:.2f} USD a month in eu-west-1" in finding.message
    assert "over its budget of 30.00 USD (maxMonthlyUsd)" in finding.message
    assert "Largest: lambda/provisionedConcurrencyConfig api 35.04, lambda/function api 0.18." in finding.message


def test_without_max_monthly_usd_the_stacks_own_aws_budget_is_the_limit(pack):
    [finding] = by_policy(pack.analyze_stack(plan(budget_usd=20)), POLICY)
    assert "over its budget of 20.00 USD (the limit of the stack's AWS budget p-dev-monthly)" in finding.message
    assert by_policy(pack.analyze_stack(plan(budget_usd=500)), POLICY) == []
    # The pack's config is the platform's word: it wins over the stack's own budget.
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 1000}}'):
        assert by_policy(pack.analyze_stack(plan(budget_usd=20)), POLICY) == []


def test_no_budget_anywhere_nothing_to_hold_the_stack_to(pack):
    assert by_policy(pack.analyze_stack(plan(environments=100)), POLICY) == []


def test_a_partial_estimate_blocks_only_when_what_is_known_is_already_over(pack):
    """During a preview a second function's memory may be unknown: its item is unknown, the rest still counts."""
    partly_known = plan() + [
        (FUNCTION, "worker", {"name": "worker", "architectures": ["arm64"], "memorySize": UNKNOWN, "timeout": 15}),
        (URL, "worker", {"functionName": "worker", "authorizationType": "AWS_IAM"})]
    known_part = expected_total(partly_known)
    assert known_part == pytest.approx(expected_total(plan()))
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 40}}'):
        assert by_policy(pack.analyze_stack(partly_known), POLICY) == []  # cannot tell yet: no verdict
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 30}}'):
        [finding] = by_policy(pack.analyze_stack(partly_known), POLICY)
    assert f"at least {known_part:.2f} (partial: 1 item not known until the update) USD a month" in finding.message


@pytest.mark.parametrize("budget", [0, -5, "lots"])
def test_a_budget_that_is_not_a_positive_number_is_refused_as_pack_config(pack, budget):
    with pytest.raises(Exception, match="stack-monthly-budget: maxMonthlyUsd"):
        with pack.configured(f'{{"stack-monthly-budget": {{"maxMonthlyUsd": {budget!r}}}}}'.replace("'", '"')):
            pass


def test_without_the_stacks_usage_settings_only_what_needs_no_usage_is_priced(tmp_path):
    """A stack whose configuration lacks the usage* settings: the provisioned environments are still priced
    (they bill by the hour, called or not), the function's calls are not, and that partial part may block."""
    bare = dataclasses.replace(STACK, values={k: v for k, v in STACK.values.items() if ":usage" not in k})
    assert isinstance(bare, StackConfig) and bare.values != STACK.values
    with start_pack(aws_environment(tmp_path), bare) as pack:
        with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 30}}'):
            [finding] = by_policy(pack.analyze_stack(plan()), POLICY)
    # Issue 24: the function's item is unknown for want of usage settings, not "until the update"
    assert "at least 35.04 (partial: 1 item that need the stack's usage* settings)" in finding.message


def test_issue_26_an_alarm_period_given_as_text_is_a_number_and_every_stack_policy_answers(pack):
    """A program that passes config strings straight through sends an alarm's period as "60": the estimate compared
    it with 60, and the TypeError ended AnalyzeStack, every stack policy's verdict with it."""
    alarm = {"metricName": "Errors", "namespace": "AWS/Lambda", "dimensions": {"FunctionName": "fn"},
             "alarmActions": ["arn:aws:sns:eu-west-1:123456789012:alarms"]}
    as_text, as_number = (plan() + [(ALARM, "errors", {**alarm, "period": period})] for period in ("60", 60))
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 30}}'):
        findings = pack.analyze_stack(as_text)  # a gRPC error would raise here
        assert sorted(findings, key=str) == sorted(pack.analyze_stack(as_number), key=str)
    # Every stack policy with something to say about this stack says it: the function has no log group of the
    # stack's and no init-duration alarm, and the stack is over its budget.
    assert {f.policy for f in findings} == {"stack-monthly-budget", "lambda-managed-log-group",
                                            "lambda-monitoring-coverage"}
    [over] = by_policy(findings, POLICY)
    assert f"the stack's estimate is {expected_total(as_number):.2f} USD a month" in over.message


def test_a_value_the_estimate_cannot_read_leaves_the_budget_unjudged_unless_the_rest_is_already_over(pack):
    unreadable = plan() + [(ALARM, "errors", {"metricName": "Errors", "period": "a minute"})]
    known_part = expected_total(plan())
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 1000}}'):
        [unjudged] = by_policy(pack.analyze_stack(unreadable), POLICY)
    assert unjudged.enforcement_level == "advisory"
    assert (f"could not judge the stack: the estimate, {known_part:.2f} USD a month without them, lacks items whose "
            "values cannot be read (cloudwatch/metricAlarm errors: period of errors is 'a minute' (a string), not a "
            "number), so whether the stack stays within its budget of 1000.00 USD cannot be told") in unjudged.message
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 30}}'):
        [over] = by_policy(pack.analyze_stack(unreadable), POLICY)
    assert over.enforcement_level == "mandatory"
    assert f"at least {known_part:.2f} (partial: 1 item with a value the model cannot read)" in over.message


# Issue 24: a budget the rule cannot verify is said as such, naming what the estimate leaves out.

NAT = ("aws:ec2/natGateway:NatGateway", "nat", {"subnetId": "subnet-1", "connectivityType": "public"})
DATABASE = ("aws:rds/instance:Instance", "db", {"instanceClass": "db.r6g.large", "engine": "postgres"})
CLUSTER = ("aws:redshift/cluster:Cluster", "warehouse", {"nodeType": "ra3.xlplus", "numberOfNodes": 2})


def test_issue_24_a_nat_gateway_is_priced_so_a_tiny_budget_no_longer_passes(pack):
    """A $0.01 budget passed a stack with a NAT gateway: the model had no price for it, and said nothing."""
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 0.01}}'):
        [finding] = by_policy(pack.analyze_stack([NAT]), POLICY)
    assert finding.enforcement_level == "mandatory"
    assert "the stack's estimate is 35.04 USD a month in eu-west-1" in finding.message  # 730 h × $0.048


def test_issue_24_a_budget_over_unpriced_types_cannot_be_verified_and_says_which_advisory_by_default(pack):
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 1000}}'):
        [finding] = by_policy(pack.analyze_stack(plan() + [DATABASE, CLUSTER]), POLICY)
    assert finding.enforcement_level == "advisory"
    assert "the stack's budget of 1000.00 USD (maxMonthlyUsd) cannot be verified" in finding.message
    assert ("leaves out resources of 2 types the cost model has no price for (aws:rds/instance:Instance, "
            "aws:redshift/cluster:Cluster)") in finding.message


def test_issue_24_blockwhenunpriced_refuses_a_budget_that_cannot_be_verified(pack):
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 1000, "blockWhenUnpriced": true}}'):
        [finding] = by_policy(pack.analyze_stack(plan() + [DATABASE]), POLICY)
    assert finding.enforcement_level == "mandatory"
    assert "aws:rds/instance:Instance" in finding.message
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 1000, "blockWhenUnpriced": true}}'):
        assert by_policy(pack.analyze_stack(plan()), POLICY) == []  # everything priced: nothing to say


def test_issue_24_a_stack_in_a_region_without_prices_is_not_passed_in_silence(tmp_path):
    """stack-monthly-budget was silent when the total was unknown (a region the price table lacks)."""
    elsewhere = dataclasses.replace(STACK, values={**STACK.values, "aws:region": "ap-southeast-7"})
    with start_pack(aws_environment(tmp_path), elsewhere) as pack:
        with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 100}}'):
            [finding] = by_policy(pack.analyze_stack(plan()), POLICY)
    assert finding.enforcement_level == "advisory"
    assert ("cannot be verified: the estimate, nothing known in ap-southeast-7, leaves out 2 items with no price "
            "for ap-southeast-7 in prices.json") in finding.message


# Issue 23: several functions, each with its own image repository.

REPOSITORY, LIFECYCLE = "aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy"
IMAGE, SIZE_TAG = "docker:index/image:Image", "lambdakit:image-size-bytes"
KEEP_20 = json.dumps({"rules": [{"rulePriority": 1, "action": {"type": "expire"}, "selection": {
    "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}}]})


def analyze_linked(pack, resources: list[tuple[str, str, dict, dict]]) -> list:
    """AnalyzeStack with the engine's property dependencies: each resource's links name (type, name) pairs."""
    requests = {(typ, name): pack.request(typ, props, name) for typ, name, props, _ in resources}
    request = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=typ, name=name, urn=requests[typ, name].urn,
                                      properties=requests[typ, name].properties, propertyDependencies={
                                          prop: analyzer_pb2.AnalyzerPropertyDependencies(
                                              urns=[requests[target].urn for target in targets])
                                          for prop, targets in links.items()})
        for typ, name, _, links in resources])
    return [_finding(d, "") for d in pack.analyzer.AnalyzeStack(request).diagnostics]


def two_functions() -> list[tuple[str, str, dict, dict]]:
    """api, whose image is not pushed yet (its imageUri made from the image pushed to its repository), and worker,
    whose 5 GB image is: 20 kept × 5,000,000,000 B = 93.13 GiB × $0.10 = $9.31 a month in its repository."""
    registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    resources = [
        (FUNCTION, "api", {"name": "p-dev-api", "packageType": "Image", "imageUri": UNKNOWN,
                           "tags": {SIZE_TAG: UNKNOWN}}, {"imageUri": [(IMAGE, "api")]}),
        (IMAGE, "api", {"imageName": UNKNOWN}, {"imageName": [(REPOSITORY, "api")]}),
        (FUNCTION, "worker", {"name": "p-dev-worker", "packageType": "Image",
                              "imageUri": f"{registry}/p-dev-worker@sha256:{'ab' * 32}",
                              "tags": {SIZE_TAG: "5000000000"}}, {"imageUri": [(REPOSITORY, "worker")]})]
    for name in ("api", "worker"):
        resources += [(REPOSITORY, name, {"name": f"p-dev-{name}"}, {}),
                      (LIFECYCLE, name, {"repository": f"p-dev-{name}", "policy": KEEP_20},
                       {"repository": [(REPOSITORY, name)]})]
    return resources


def test_issue_23_each_repository_is_judged_by_its_own_functions_image_while_another_is_not_pushed(pack):
    """The worker's repository alone is over the budget; before, every repository was unknown while the api's
    image was not pushed, and the rule passed the stack in silence."""
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 5}}'):
        [finding] = by_policy(analyze_linked(pack, two_functions()), POLICY)
    assert finding.enforcement_level == "mandatory"
    assert "at least 9.31 (partial: 1 item not known until the update) USD a month" in finding.message
    assert "Largest: ecr/repository worker 9.31" in finding.message
    with pack.configured('{"stack-monthly-budget": {"maxMonthlyUsd": 10}}'):
        assert by_policy(analyze_linked(pack, two_functions()), POLICY) == []  # the api's is judged at the update
