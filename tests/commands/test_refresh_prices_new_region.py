"""`make prices ARGS="--region ca-central-1"` (commands/refresh_prices.py): a region the table lacks is added by the
region-free part of each item's usage types (`Request-ARM` of `EU-Request-ARM`), looked for among that region's
products, against a stubbed Price List Query API."""

import json

import pytest

from commands.refresh_prices import in_region, main, region_free_name
from policies.cost.prices import TABLE, load_prices, read_table
from tests.commands.price_list_answers import (AS_OF, SEEN, dates, dimension, figure, one, page, params, product,
                                               region_query, today, write_table)


def test_a_region_new_to_the_table_is_added_by_the_region_free_part_of_its_usage_types(pricing, tmp_path, capsys):
    client, stubber = pricing
    path = write_table(tmp_path, "lambda.requests.arm64", "lambda.duration.arm64", "cloudwatch.dashboard",
                       "inspector.ecr-initial-scan")
    # The region's Lambda products, asked for once for both Lambda items, over two pages.
    region_products = region_query("AWSLambda", "ca-central-1")
    stubber.add_response("get_products", page(
        product("CAN1-Request", "ca-central-1", dimension("0.0000002000", "Requests"), sku="X86"),
        product("CAN1-Request-ARM", "ca-central-1", dimension("0.0000002200", "Requests"), sku="ARM"),
        # Ends as the arm64 requests do, behind more than a region's prefix: another product.
        product("CAN1-Lambda-Edge-Request-ARM", "ca-central-1", dimension("0.0000006", "Requests"), sku="EDGE"),
        next_token="page-2"), region_products)
    stubber.add_response("get_products", page(
        product("CAN1-Lambda-Provisioned-GB-Second-ARM", "ca-central-1", dimension("0.000008", "Lambda-GB-Second"),
                sku="PROVISIONED"),
        product("CAN1-Lambda-GB-Second-ARM", "ca-central-1", dimension("0.0000147", "Lambda-GB-Second", "0", "6e9"),
                dimension("0.000013", "Lambda-GB-Second", "6e9", "Inf"), sku="DURATION")),
        {**region_products, "NextToken": "page-2"})
    # A global product is the same everywhere: asked for by its usage type, without a region.
    stubber.add_response("get_products", one("DashboardsUsageHour-Basic", None, "3.0000000000", "Dashboards"),
                         params("AmazonCloudWatch", "DashboardsUsageHour-Basic", productFamily="Dashboard"))

    assert main(["--table", str(path), "--region", "ca-central-1"], pricing=client) == 0  # one skipped: not failed

    table = json.loads(path.read_text())
    assert figure(path, "lambda.requests.arm64", "ca-central-1") == {
        "usageType": "CAN1-Request-ARM", "usd": 2.2e-07, "seen": SEEN, "asOf": today()}
    assert figure(path, "lambda.duration.arm64", "ca-central-1")["usageType"] == "CAN1-Lambda-GB-Second-ARM"
    assert figure(path, "lambda.duration.arm64", "ca-central-1")["usd"] == 1.47e-05  # the first tier
    assert figure(path, "cloudwatch.dashboard", "ca-central-1")["usageType"] == "DashboardsUsageHour-Basic"
    assert "ca-central-1" not in table["items"]["inspector.ecr-initial-scan"]["regions"]
    assert list(table["items"]["lambda.requests.arm64"]["regions"]) == ["ca-central-1", "eu-west-1", "us-east-1"]
    assert {date for (key, region), date in dates(path).items() if region != "ca-central-1"} == {AS_OF}
    added = load_prices("ca-central-1", table)
    assert set(added.prices) == {"lambda.requests.arm64", "lambda.duration.arm64", "cloudwatch.dashboard"}
    assert added.as_of == today()
    captured = capsys.readouterr()
    assert "lambda.requests.arm64 ca-central-1 added: 2.2e-07 (CAN1-Request-ARM)" in captured.out
    assert f"3 figures refreshed and dated {today()} (0 changed, 3 added), 1 skipped, 0 failed" in captured.out
    assert "inspector.ecr-initial-scan ca-central-1: the table has no usage type for it in any region" in captured.err


@pytest.mark.parametrize("usage_types, name", [
    ({"eu-west-1": "EU-Request-ARM", "us-east-1": "Request-ARM"}, "Request-ARM"),
    ({"eu-west-1": "EU-VendedLog-Bytes", "us-east-1": "USE1-VendedLog-Bytes"}, "VendedLog-Bytes"),
    ({"eu-west-1": "eu-west-1-KMS-Keys", "us-east-1": "us-east-1-KMS-Keys"}, "KMS-Keys"),
    ({"eu-west-1": "EU-CW:MetricMonitorUsage", "us-east-1": "CW:MetricMonitorUsage"}, "CW:MetricMonitorUsage"),
    ({"eu-west-1": "EU-Request-ARM", "us-east-1": None}, "EU-Request-ARM"),  # one region: no prefix seen to drop
    ({"eu-west-1": None, "us-east-1": None}, None),
])
def test_the_region_free_name_is_what_the_usage_types_share_without_their_region(usage_types, name):
    item = {"regions": {region: {"usageType": usage_type} for region, usage_type in usage_types.items()}}
    assert region_free_name(item) == name


@pytest.mark.parametrize("usage_type, found", [
    ("CAN1-Request-ARM", True), ("ca-central-1-Request-ARM", True), ("Request-ARM", True),
    ("CAN1-Lambda-Edge-Request-ARM", False), ("eu-west-1-Request-ARM", False), ("CAN1-Request-ARM-Edge", False),
])
def test_a_usage_type_is_the_name_behind_one_regions_prefix(usage_type, found):
    assert in_region(usage_type, "Request-ARM", "ca-central-1") is found


def test_every_item_of_the_real_table_with_usage_types_can_be_looked_up_in_a_new_region():
    """The region-free name of each item finds the usage types the table has for it in each of its regions."""
    for key, item in read_table(TABLE)["items"].items():
        usage_types = {region: figure["usageType"] for region, figure in item["regions"].items()}
        if set(usage_types.values()) == {None}:
            continue  # nothing to look for: `make prices` says so and leaves it
        name = region_free_name(item)
        assert name and all(in_region(usage_type, name, region) for region, usage_type in usage_types.items()), key
