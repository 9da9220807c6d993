"""What every pricer shares (policies/cost/meter.py): the account's free allowances, a figure copied from another
region, the usage settings a charge needs."""

from pytest import approx

from policies.cost import prices as price_list
from policies.cost.model import estimate
from policies.cost.plan import CODEBUILD_PROJECT, FUNCTION, FUNCTION_URL, PIPELINE
from tests.policies.cost.builders import (BUCKET, KMS_KEY, LOG_GROUP, PRICES, REGION, TABLE, bucket, bucket_lifecycle,
                                          build, build_project, kms_key, line, log_group, pipeline, priced, served,
                                          source, usage)


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


def test_a_figure_copied_from_another_region_says_so_in_its_line():
    items = {**TABLE["items"], "kms.key": {**TABLE["items"]["kms.key"], "regions": {REGION: {
        **TABLE["items"]["kms.key"]["regions"][REGION], "copiedFrom": "us-east-1"}}}}
    result = priced([kms_key()], prices=price_list.load_prices(REGION, {**TABLE, "items": items}))
    assert line(result, KMS_KEY, "key").basis == "1 customer managed key [price: us-east-1's]"
    assert [i.name for i in result.copied_prices] == ["key"]


def test_without_usage_what_depends_on_it_is_unknown():
    resources = [*served(), log_group("/aws/lambda/fn"), build_project("build"), pipeline(source(), build("build")),
                 bucket(), bucket_lifecycle(days=73), kms_key()]
    result = estimate(resources, None, PRICES)
    for typ, name in [(FUNCTION, "fn"), (LOG_GROUP, "logs"), (CODEBUILD_PROJECT, "build"), (PIPELINE, "delivery"),
                      (BUCKET, "artifacts")]:
        assert "usage* settings" in line(result, typ, name).basis
    assert line(result, FUNCTION_URL).charges == ()
    assert result.total == approx(1.00)
