"""What the tests of `python -m commands.refresh_prices` build: a small price table, and the Price List Query API's
answers shaped as GetProducts sends them (PriceList as JSON strings, FormatVersion aws_v1, NextToken) with the exact
requests the command must send."""

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

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
    """A table of some of SMALL_ITEMS, formatted as prices.json is, every figure read on AS_OF."""
    path = tmp_path / "prices.json"
    items = {key: {**SMALL_ITEMS[key], "regions": {region: {**figure, "asOf": AS_OF}
                                                   for region, figure in SMALL_ITEMS[key]["regions"].items()}}
             for key in keys}
    table = {"source": "test", "freeTier": {}, "items": items}
    path.write_text(json.dumps(table, indent=1) + "\n")
    return path


def figure(path: Path, key: str, region: str) -> dict:
    return json.loads(path.read_text())["items"][key]["regions"][region]


def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def dates(path: Path) -> dict[tuple[str, str], str]:
    """(item, region) -> the figure's asOf."""
    return {(key, region): figure["asOf"] for key, item in json.loads(path.read_text())["items"].items()
            for region, figure in item["regions"].items()}


def params(service: str, usage_type: str, region: Optional[str] = None, next_token: Optional[str] = None,
           **extra: str) -> dict:
    """What the command must send, to the letter."""
    fields = {"usagetype": usage_type, **({"regionCode": region} if region else {}), **extra}
    sent = {"ServiceCode": service, "FormatVersion": "aws_v1",
            "Filters": [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in fields.items()]}
    return {**sent, "NextToken": next_token} if next_token else sent


def region_query(service: str, region: str) -> dict:
    """What the command sends for every product of a region, to find the one a new figure is."""
    return {"ServiceCode": service, "FormatVersion": "aws_v1",
            "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]}


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
