"""`python -m commands.refresh_prices` against a stubbed Price List Query API: answers shaped as GetProducts
sends them (PriceList as JSON strings, FormatVersion aws_v1, NextToken), requests asserted to the exact Filters.
A region new to the table is tests/commands/test_refresh_prices_new_region.py."""

import json
import os
import subprocess
import sys

import boto3
from botocore.validate import validate_parameters

from commands.refresh_prices import main, request
from policies.cost.prices import TABLE, load_prices, read_table
from tests.commands.price_list_answers import (AS_OF, SEEN, SMALL_ITEMS, dates, dimension, figure, one, page, params,
                                               product, region_query, today, write_table)
from tests.conftest import PROJECT_DIR


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
    assert set(dates(path).values()) == {today()}  # changed or not, every figure was read today
    assert figure(path, "lambda.requests.arm64", "eu-west-1") == {"usageType": "EU-Request-ARM", "usd": 2.1e-07,
                                                                  "seen": SEEN, "asOf": today()}
    assert figure(path, "lambda.requests.arm64", "us-east-1") == {"usageType": "Request-ARM", "usd": 2e-07,
                                                                  "seen": SEEN, "asOf": today()}
    assert figure(path, "lambda.duration.arm64", "eu-west-1")["usd"] == 1.33334e-05
    assert figure(path, "lambda.duration.arm64", "us-east-1")["usd"] == 1.4e-05  # unit matched case-insensitively
    assert {f["seen"] for f in table["items"]["cloudwatch.dashboard"]["regions"].values()} == {SEEN}
    assert path.read_text() == json.dumps(table, indent=1) + "\n"
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["lambda.requests.arm64 eu-west-1 2e-07 -> 2.1e-07",
                       "lambda.duration.arm64 us-east-1 1.33334e-05 -> 1.4e-05"]  # unchanged figures make no line
    assert out[2].endswith(f"6 figures refreshed and dated {today()} (2 changed, 0 added), 0 skipped, 0 failed")


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

    assert figure(path, "lambda.requests.arm64", "eu-west-1") == {
        **SMALL_ITEMS["lambda.requests.arm64"]["regions"]["eu-west-1"], "asOf": AS_OF}  # its old figure and date
    assert figure(path, "lambda.requests.arm64", "us-east-1")["usd"] == 2.5e-07  # the rest still refreshed
    assert figure(path, "lambda.requests.arm64", "us-east-1")["asOf"] == today()
    captured = capsys.readouterr()
    assert "lambda.requests.arm64 eu-west-1: 2 products match AWSLambda usagetype=EU-Request-ARM " \
           "regionCode=eu-west-1, expected 1 (SKU1, SKU2); kept the old figure" in captured.err
    assert "1 figures refreshed" in captured.out and "1 failed" in captured.out


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

    assert figure(path, "lambda.requests.arm64", "eu-west-1") == {
        **SMALL_ITEMS["lambda.requests.arm64"]["regions"]["eu-west-1"], "asOf": AS_OF}
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

    assert main(["--table", str(path), "--region", "eu-west-1"], pricing=client) == 0  # skipped is not failed

    assert figure(path, "inspector.ecr-initial-scan", "eu-west-1") == {
        **SMALL_ITEMS["inspector.ecr-initial-scan"]["regions"]["eu-west-1"], "asOf": AS_OF}  # not read, not dated
    assert figure(path, "lambda.requests.arm64", "eu-west-1")["asOf"] == today()
    captured = capsys.readouterr()
    assert "warning: inspector.ecr-initial-scan eu-west-1: no usage type in the table" in captured.err
    assert f"1 figures refreshed and dated {today()} (0 changed, 0 added), 1 skipped, 0 failed" in captured.out


def test_a_run_for_one_region_dates_only_that_regions_figures(pricing, tmp_path, capsys):
    """Issue 22: a --region eu-west-1 run moved the one date of the whole table, us-east-1's figures too."""
    client, stubber = pricing
    path = write_table(tmp_path, "lambda.requests.arm64", "cloudwatch.dashboard")
    stubber.add_response("get_products", one("EU-Request-ARM", "eu-west-1", "0.0000002000", "Requests"),
                         params("AWSLambda", "EU-Request-ARM", "eu-west-1"))
    stubber.add_response("get_products", one("DashboardsUsageHour-Basic", None, "3.0000000000", "Dashboards"),
                         params("AmazonCloudWatch", "DashboardsUsageHour-Basic", productFamily="Dashboard"))

    assert main(["--table", str(path), "--region", "eu-west-1"], pricing=client) == 0

    assert dates(path) == {("lambda.requests.arm64", "eu-west-1"): today(),
                           ("lambda.requests.arm64", "us-east-1"): AS_OF,
                           ("cloudwatch.dashboard", "eu-west-1"): today(),
                           ("cloudwatch.dashboard", "us-east-1"): AS_OF}  # the same product, but not its figure
    table = json.loads(path.read_text())
    assert load_prices("eu-west-1", table).as_of == today()
    assert load_prices("us-east-1", table).as_of == AS_OF  # what the estimate of a us-east-1 stack says


def test_a_run_that_refreshes_nothing_fails_and_says_why_for_each_figure(pricing, tmp_path, capsys):
    """Issue 22: `make prices ARGS="--region ap-south-2"` skipped every figure, exited 0 and re-dated the table."""
    client, stubber = pricing
    path = write_table(tmp_path, "lambda.requests.arm64", "inspector.ecr-initial-scan")
    original = path.read_text()
    # The region's Lambda products, none of them the arm64 requests the table's usage types name.
    stubber.add_response("get_products", page(product("APS5-Request", "ap-south-2", dimension("2e-07", "Requests"))),
                         region_query("AWSLambda", "ap-south-2"))

    assert main(["--table", str(path), "--region", "ap-south-2"], pricing=client) == 1

    assert path.read_text() == original
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "error: lambda.requests.arm64 ap-south-2: 0 products match AWSLambda regionCode=ap-south-2 "
        "usagetype=*Request-ARM, expected 1; none added",
        "warning: inspector.ecr-initial-scan ap-south-2: the table has no usage type for it in any region, "
        "so none to look for in ap-south-2",
        "error: no figure of ap-south-2 was refreshed (the lines above say why, figure by figure); nothing was written"]
    assert captured.out.endswith("0 figures refreshed (0 changed, 0 added), 1 skipped, 1 failed\n")


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


def test_issue_24_a_figure_copied_from_another_region_is_its_own_once_read(pricing, tmp_path):
    """A figure marked copiedFrom (another region's, its own not seen) is marked in the estimate until `make prices`
    reads its own."""
    client, stubber = pricing
    path = write_table(tmp_path, "lambda.requests.arm64")
    table = json.loads(path.read_text())
    table["items"]["lambda.requests.arm64"]["regions"]["eu-west-1"]["copiedFrom"] = "us-east-1"
    path.write_text(json.dumps(table, indent=1) + "\n")
    assert load_prices("eu-west-1", table).prices["lambda.requests.arm64"].copied_from == "us-east-1"
    stubber.add_response("get_products", one("EU-Request-ARM", "eu-west-1", "0.0000002000", "Requests"),
                         params("AWSLambda", "EU-Request-ARM", "eu-west-1"))

    assert main(["--table", str(path), "--region", "eu-west-1"], pricing=client) == 0

    assert "copiedFrom" not in figure(path, "lambda.requests.arm64", "eu-west-1")
    assert load_prices("eu-west-1", json.loads(path.read_text())).prices["lambda.requests.arm64"].copied_from is None
