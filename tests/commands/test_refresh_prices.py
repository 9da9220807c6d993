"""`python -m commands.refresh_prices` against a stubbed Price List Query API: answers shaped as GetProducts
sends them (PriceList as JSON strings, FormatVersion aws_v1, NextToken), requests asserted to the exact Filters."""

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import boto3
import pytest
from botocore.validate import validate_parameters

from commands.refresh_prices import main, request
from policies.cost.prices import TABLE, read_table
from tests.conftest import PROJECT_DIR, stubbed_client

PUBLISHED = "2026-10-01T17:24:58Z"
SEEN = "Price List API, offer published 2026-10-01"
AS_OF = "2025-06-30"  # long before today, so a moved date shows

# A small table: a plain item, a tiered one and a global one with an extra filter, each in two regions.
SMALL_ITEMS = {
    "lambda.requests.arm64": {
        "offerCode": "AWSLambda", "unit": "Requests", "freeTier": "lambda-requests",
        "regions": {"eu-west-1": {"usageType": "EU-Request-ARM", "usd": 2e-07, "seen": "old"},
                    "us-east-1": {"usageType": "Request-ARM", "usd": 2e-07, "seen": "old"}}},
    "lambda.duration.arm64": {
        "offerCode": "AWSLambda", "unit": "Lambda-GB-Second",
        "regions": {"eu-west-1": {"usageType": "EU-Lambda-GB-Second-ARM", "usd": 1.33334e-05, "seen": "old"},
                    "us-east-1": {"usageType": "Lambda-GB-Second-ARM", "usd": 1.33334e-05, "seen": "old"}}},
    "cloudwatch.dashboard": {
        "offerCode": "AmazonCloudWatch", "unit": "Dashboards", "global": True,
        "filters": {"productFamily": "Dashboard"},
        "regions": {"eu-west-1": {"usageType": "DashboardsUsageHour-Basic", "usd": 3.0, "seen": "old"},
                    "us-east-1": {"usageType": "DashboardsUsageHour-Basic", "usd": 3.0, "seen": "old"}}},
    "inspector.ecr-initial-scan": {
        "offerCode": "AmazonInspectorV2", "unit": "Images",
        "regions": {"eu-west-1": {"usageType": None, "usd": 0.09, "seen": "pricing page"},
                    "us-east-1": {"usageType": None, "usd": 0.09, "seen": "pricing page"}}},
}


def write_table(tmp_path: Path, *keys: str) -> Path:
    """A table of some of SMALL_ITEMS, formatted as prices.json is."""
    path = tmp_path / "prices.json"
    table = {"asOf": AS_OF, "source": "test", "freeTier": {}, "items": {key: SMALL_ITEMS[key] for key in keys}}
    path.write_text(json.dumps(table, indent=1) + "\n")
    return path


def figure(path: Path, key: str, region: str) -> dict:
    return json.loads(path.read_text())["items"][key]["regions"][region]


def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def params(service: str, usage_type: str, region: Optional[str] = None, next_token: Optional[str] = None,
           **extra: str) -> dict:
    """What the command must send, to the letter."""
    fields = {"usagetype": usage_type, **({"regionCode": region} if region else {}), **extra}
    sent = {"ServiceCode": service, "FormatVersion": "aws_v1",
            "Filters": [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in fields.items()]}
    return {**sent, "NextToken": next_token} if next_token else sent


def dimension(usd: str, unit: str, begin: str = "0", end: str = "Inf") -> dict:
    return {"unit": unit, "beginRange": begin, "endRange": end, "pricePerUnit": {"USD": usd},
            "description": f"${usd} per {unit}", "appliesTo": [], "rateCode": f"RATE.{begin}"}


def product(usage_type: str, region: Optional[str], *dimensions: dict, sku: str = "SKU1") -> str:
    """One PriceList entry as the API sends it: a JSON string, with on-demand and reserved terms."""
    term = f"{sku}.JRTCKXETXF"
    attributes = {"usagetype": usage_type, "servicecode": "AWSLambda", **({"regionCode": region} if region else {})}
    return json.dumps({
        "product": {"productFamily": "Serverless", "attributes": attributes, "sku": sku},
        "serviceCode": "AWSLambda",
        "terms": {
            "OnDemand": {term: {"offerTermCode": "JRTCKXETXF", "sku": sku, "effectiveDate": "2026-10-01T00:00:00Z",
                                "termAttributes": {},
                                "priceDimensions": {f"{term}.{i}": d for i, d in enumerate(dimensions)}}},
            # Never the table's figure, even with its own tier at 0.
            "Reserved": {f"{sku}.4NA7Y494T4": {"priceDimensions": {"r": dimension("0.0000000001", "Requests")}}}},
        "version": "20261001172458",
        "publicationDate": PUBLISHED,
    })


def page(*entries: str, next_token: Optional[str] = None) -> dict:
    answer = {"FormatVersion": "aws_v1", "PriceList": list(entries)}
    return {**answer, "NextToken": next_token} if next_token else answer


def one(usage_type: str, region: Optional[str], usd: str, unit: str) -> dict:
    """A page with the one product asked for, priced flat."""
    return page(product(usage_type, region, dimension(usd, unit)))


@pytest.fixture
def pricing():
    with stubbed_client("pricing", "us-east-1") as stubbed:
        yield stubbed


def test_refreshes_the_figures_and_dates_the_table(pricing, tmp_path, capsys):
    client, stubber = pricing
    path = write_table(tmp_path, "lambda.requests.arm64", "lambda.duration.arm64", "cloudwatch.dashboard")
    stubber.add_response("get_products", one("EU-Request-ARM", "eu-west-1", "0.0000002100", "Requests"),
                         params("AWSLambda", "EU-Request-ARM", "eu-west-1"))
    # An empty first page with a NextToken, as the API may send: the product is on the second.
    stubber.add_response("get_products", page(next_token="page-2"), params("AWSLambda", "Request-ARM", "us-east-1"))
    stubber.add_response("get_products", one("Request-ARM", "us-east-1", "0.0000002000", "Requests"),
                         params("AWSLambda", "Request-ARM", "us-east-1", next_token="page-2"))
    # Tiers out of order, as the API may give them: the table takes the one beginning at 0.
    stubber.add_response("get_products", page(product(
        "EU-Lambda-GB-Second-ARM", "eu-west-1",
        dimension("0.0000120001", "Lambda-GB-Second", "6000000000", "15000000000"),
        dimension("0.0000106667", "Lambda-GB-Second", "15000000000", "Inf"),
        dimension("0.0000133334", "Lambda-GB-Second", "0", "6000000000"))),
        params("AWSLambda", "EU-Lambda-GB-Second-ARM", "eu-west-1"))
    stubber.add_response("get_products", one("Lambda-GB-Second-ARM", "us-east-1", "0.0000140000", "lambda-gb-second"),
                         params("AWSLambda", "Lambda-GB-Second-ARM", "us-east-1"))
    # A global product: no regionCode, asked once for both regions.
    stubber.add_response("get_products", one("DashboardsUsageHour-Basic", None, "3.0000000000", "Dashboards"),
                         params("AmazonCloudWatch", "DashboardsUsageHour-Basic", productFamily="Dashboard"))

    assert main(["--table", str(path)], pricing=client) == 0

    table = json.loads(path.read_text())
    assert table["asOf"] == today()
    assert figure(path, "lambda.requests.arm64", "eu-west-1") == {"usageType": "EU-Request-ARM", "usd": 2.1e-07,
                                                                  "seen": SEEN}
    assert figure(path, "lambda.requests.arm64", "us-east-1") == {"usageType": "Request-ARM", "usd": 2e-07,
                                                                  "seen": SEEN}
    assert figure(path, "lambda.duration.arm64", "eu-west-1")["usd"] == 1.33334e-05
    assert figure(path, "lambda.duration.arm64", "us-east-1")["usd"] == 1.4e-05  # unit matched case-insensitively
    assert {f["seen"] for f in table["items"]["cloudwatch.dashboard"]["regions"].values()} == {SEEN}
    assert path.read_text() == json.dumps(table, indent=1) + "\n"
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["lambda.requests.arm64 eu-west-1 2e-07 -> 2.1e-07",
                       "lambda.duration.arm64 us-east-1 1.33334e-05 -> 1.4e-05"]  # unchanged figures make no line
    assert out[2].endswith(f"6 figures refreshed (2 changed), 0 skipped, 0 failed; asOf {AS_OF} -> {today()}")


def test_two_matching_products_fail_that_figure_and_keep_the_date(pricing, tmp_path, capsys):
    client, stubber = pricing
    path = write_table(tmp_path, "lambda.requests.arm64")
    # One product on each page: only reading every page finds both.
    stubber.add_response("get_products", page(product("EU-Request-ARM", "eu-west-1",
                                                      dimension("0.0000002100", "Requests"), sku="SKU1"),
                                              next_token="more"),
                         params("AWSLambda", "EU-Request-ARM", "eu-west-1"))
    stubber.add_response("get_products", page(product("EU-Request-ARM", "eu-west-1",
                                                      dimension("0.0000009000", "Requests"), sku="SKU2")),
                         params("AWSLambda", "EU-Request-ARM", "eu-west-1", next_token="more"))
    stubber.add_response("get_products", one("Request-ARM", "us-east-1", "0.0000002500", "Requests"),
                         params("AWSLambda", "Request-ARM", "us-east-1"))

    assert main(["--table", str(path)], pricing=client) == 1

    assert figure(path, "lambda.requests.arm64", "eu-west-1") == SMALL_ITEMS["lambda.requests.arm64"]["regions"][
        "eu-west-1"]
    assert figure(path, "lambda.requests.arm64", "us-east-1")["usd"] == 2.5e-07  # the rest still refreshed
    assert json.loads(path.read_text())["asOf"] == AS_OF
    captured = capsys.readouterr()
    assert "lambda.requests.arm64 eu-west-1: 2 products match AWSLambda usagetype=EU-Request-ARM " \
           "regionCode=eu-west-1, expected 1 (SKU1, SKU2)" in captured.err
    assert f"1 failed; asOf stays {AS_OF}" in captured.out


def test_no_matching_product_is_an_error(pricing, tmp_path, capsys):
    client, stubber = pricing
    path = write_table(tmp_path, "lambda.requests.arm64")
    original = path.read_text()
    stubber.add_response("get_products", page(), params("AWSLambda", "EU-Request-ARM", "eu-west-1"))

    assert main(["--table", str(path), "--region", "eu-west-1"], pricing=client) == 1

    assert path.read_text() == original
    assert "0 products match" in capsys.readouterr().err


def test_a_changed_unit_is_an_error(pricing, tmp_path, capsys):
    client, stubber = pricing
    path = write_table(tmp_path, "lambda.requests.arm64")
    stubber.add_response("get_products", one("EU-Request-ARM", "eu-west-1", "0.2000000000", "1M Requests"),
                         params("AWSLambda", "EU-Request-ARM", "eu-west-1"))
    stubber.add_response("get_products", one("Request-ARM", "us-east-1", "0.0000002000", "Requests"),
                         params("AWSLambda", "Request-ARM", "us-east-1"))

    assert main(["--table", str(path)], pricing=client) == 1

    assert figure(path, "lambda.requests.arm64", "eu-west-1") == SMALL_ITEMS["lambda.requests.arm64"]["regions"][
        "eu-west-1"]
    assert json.loads(path.read_text())["asOf"] == AS_OF
    assert "lambda.requests.arm64 eu-west-1: priced per '1M Requests', the table's unit is 'Requests'" \
        in capsys.readouterr().err


def test_a_global_item_is_asked_for_without_a_region(pricing, tmp_path):
    client, stubber = pricing
    path = write_table(tmp_path, "cloudwatch.dashboard")
    stubber.add_response("get_products", one("DashboardsUsageHour-Basic", None, "2.5000000000", "Dashboards"),
                         {"ServiceCode": "AmazonCloudWatch", "FormatVersion": "aws_v1",
                          "Filters": [{"Type": "TERM_MATCH", "Field": "usagetype", "Value": "DashboardsUsageHour-Basic"},
                                      {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "Dashboard"}]})

    assert main(["--table", str(path)], pricing=client) == 0

    assert figure(path, "cloudwatch.dashboard", "eu-west-1")["usd"] == 2.5
    assert figure(path, "cloudwatch.dashboard", "us-east-1")["usd"] == 2.5


def test_a_figure_with_no_usage_type_is_skipped_with_a_warning(pricing, tmp_path, capsys):
    client, stubber = pricing
    path = write_table(tmp_path, "inspector.ecr-initial-scan", "lambda.requests.arm64")
    stubber.add_response("get_products", one("EU-Request-ARM", "eu-west-1", "0.0000002000", "Requests"),
                         params("AWSLambda", "EU-Request-ARM", "eu-west-1"))

    assert main(["--table", str(path), "--region", "eu-west-1"], pricing=client) == 0

    assert figure(path, "inspector.ecr-initial-scan", "eu-west-1") == SMALL_ITEMS["inspector.ecr-initial-scan"][
        "regions"]["eu-west-1"]
    assert json.loads(path.read_text())["asOf"] == today()  # skipped is not failed
    captured = capsys.readouterr()
    assert "warning: inspector.ecr-initial-scan eu-west-1: no usage type in the table" in captured.err
    assert "1 figures refreshed (0 changed), 1 skipped, 0 failed" in captured.out


def test_dry_run_writes_nothing(pricing, tmp_path, capsys):
    client, stubber = pricing
    path = write_table(tmp_path, "lambda.requests.arm64")
    original = path.read_text()
    stubber.add_response("get_products", one("EU-Request-ARM", "eu-west-1", "0.0000002100", "Requests"),
                         params("AWSLambda", "EU-Request-ARM", "eu-west-1"))
    stubber.add_response("get_products", one("Request-ARM", "us-east-1", "0.0000002000", "Requests"),
                         params("AWSLambda", "Request-ARM", "us-east-1"))

    assert main(["--table", str(path), "--dry-run"], pricing=client) == 0

    assert path.read_text() == original
    assert [p.name for p in tmp_path.iterdir()] == ["prices.json"]  # no temporary file left either
    out = capsys.readouterr().out
    assert "lambda.requests.arm64 eu-west-1 2e-07 -> 2.1e-07" in out
    assert "dry run: nothing written" in out


def test_no_credentials_stops_with_status_2(tmp_path, monkeypatch, capsys):
    path = write_table(tmp_path, "lambda.requests.arm64")
    original = path.read_text()
    # No credentials anywhere boto3 looks, and no instance metadata to ask: the command's own client.
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a session that resolved credentials earlier

    assert main(["--table", str(path)]) == 2

    assert path.read_text() == original
    err = capsys.readouterr().err
    assert "Unable to locate credentials" in err
    assert "credentials allowed pricing:GetProducts" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_access_denied_stops_with_status_2(pricing, tmp_path, capsys):
    client, stubber = pricing
    path = write_table(tmp_path, "lambda.requests.arm64", "lambda.duration.arm64")
    original = path.read_text()
    stubber.add_client_error("get_products", "AccessDeniedException", "not authorized to perform: pricing:GetProducts",
                             http_status_code=400, expected_params=params("AWSLambda", "EU-Request-ARM", "eu-west-1"))

    assert main(["--table", str(path)], pricing=client) == 2  # and asks nothing more

    assert path.read_text() == original
    assert "AccessDeniedException" in capsys.readouterr().err


def test_every_figure_of_the_real_table_can_be_asked_for(pricing, tmp_path, capsys):
    """The real prices.json: each figure with a usage type makes a valid GetProducts request, and the command
    takes an answer for each (the figures as they stand) without a change or an error."""
    client, stubber = pricing
    table = read_table(TABLE)
    regions = sorted({region for item in table["items"].values() for region in item["regions"]})
    shape = client.meta.service_model.operation_model("GetProducts").input_shape
    asked, unaskable = {}, []
    for key, item in table["items"].items():
        for region in regions:
            sent = request(item, region)
            if sent is None:
                unaskable.append((key, region))
                continue
            validate_parameters(sent, shape)
            answer = one(item["regions"][region]["usageType"], region, repr(item["regions"][region]["usd"]),
                         item["unit"])
            asked.setdefault(json.dumps(sent), (sent, answer))
    for sent, answer in asked.values():
        stubber.add_response("get_products", answer, sent)

    assert request(table["items"]["lambda.requests.arm64"], "eu-west-1") == params(
        "AWSLambda", "EU-Request-ARM", "eu-west-1")
    assert request(table["items"]["cloudwatch.dashboard"], "eu-west-1") == params(
        "AmazonCloudWatch", "DashboardsUsageHour-Basic")
    assert request(table["items"]["cloudwatch.alarm"], "us-east-1") == params(
        "AmazonCloudWatch", "CW:AlarmMonitorUsage", "us-east-1", alarmType="Standard")
    # Whatever cannot be asked for is a figure the table says it has no usage type for.
    assert all(table["items"][key]["regions"][region]["usageType"] is None for key, region in unaskable)
    copy = tmp_path / "prices.json"
    copy.write_text(TABLE.read_text())
    assert main(["--table", str(copy)], pricing=client) == 0
    assert "0 failed" in capsys.readouterr().out
    assert json.loads(copy.read_text())["items"].keys() == table["items"].keys()


def test_runs_as_a_module():
    run = subprocess.run([sys.executable, "-m", "commands.refresh_prices", "--help"], cwd=PROJECT_DIR,
                         capture_output=True, text=True, check=True)
    assert run.stdout.startswith("usage: python -m commands.refresh_prices [-h] [--table PATH] [--region REGION]")
    assert "Refresh the price table" in run.stdout
