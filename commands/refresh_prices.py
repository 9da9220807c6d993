"""Refresh the price table (policies/cost/prices.json) from the AWS Price List Query API (pricing:GetProducts).

Each figure is asked for by its item's offer code and the region's usage type (plus the region and the item's
extra filters); the answer must be exactly one product, priced in the item's unit, and the figure is the first
tier of its on-demand price. A figure that cannot be refreshed keeps its old value and is reported; the table's
date moves to today only when every figure asked for was refreshed.
"""

import argparse
import json
import os
import stat
import sys
import tempfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import boto3
from botocore.exceptions import (BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError,
                                 PartialCredentialsError, ProfileNotFound)

from policies.cost.prices import TABLE

EXIT_OK, EXIT_FAILED, EXIT_NO_ACCESS = 0, 1, 2
# The Price List Query API has endpoints in a few regions only; us-east-1 serves every offer.
API_REGION = "us-east-1"
NEEDS = ("AWS credentials allowed pricing:GetProducts (e.g. AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
         f"AWS_SECRET_ACCESS_KEY) and access to the Price List API in {API_REGION}")
# Failures of the caller, not of one item: asking for the other items would fail the same way.
NO_ACCESS_ERRORS = (NoCredentialsError, PartialCredentialsError, ProfileNotFound, EndpointConnectionError)
NO_ACCESS_CODES = {"AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId",
                   "InvalidSignatureException", "ExpiredTokenException", "ExpiredToken"}


class NoAccess(Exception):
    """The API cannot be asked at all: the message says why."""


class PriceError(Exception):
    """One figure cannot be refreshed: the message says why."""


def request(item: dict, region: str) -> Optional[dict]:
    """The GetProducts parameters for `item` in `region`; None when the table knows no usage type to ask for."""
    usage_type = item["regions"].get(region, {}).get("usageType")
    if usage_type is None:
        return None
    fields = {"usagetype": usage_type}
    if not item.get("global"):  # a global product (CloudWatch dashboards) has no regionCode attribute
        fields["regionCode"] = region
    fields.update(item.get("filters", {}))  # e.g. alarmType, when one usage type covers several products
    return {"ServiceCode": item["offerCode"], "FormatVersion": "aws_v1",
            "Filters": [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in fields.items()]}


def describe(params: dict) -> str:
    return " ".join([params["ServiceCode"]] + [f"{f['Field']}={f['Value']}" for f in params["Filters"]])


def products(pricing, params: dict) -> list[dict]:
    """Every product the API answers `params` with, over all pages."""
    try:
        pages = pricing.get_paginator("get_products").paginate(**params)
        return [json.loads(entry) for page in pages for entry in page["PriceList"]]
    except NO_ACCESS_ERRORS as error:
        raise NoAccess(str(error)) from error
    except ClientError as error:
        code, message = error.response["Error"].get("Code"), error.response["Error"].get("Message")
        if code in NO_ACCESS_CODES:
            raise NoAccess(f"{code}: {message}") from error
        raise PriceError(f"the API refused {describe(params)}: {code}: {message}") from error
    except BotoCoreError as error:
        raise PriceError(f"asking for {describe(params)} failed: {error}") from error


def first_tier(product: dict, unit: str) -> tuple[float, str]:
    """The first tier of the product's on-demand price, and where it was seen.

    Tiers are dimensions of one term, in no particular order: the first is the one beginning at 0."""
    dimensions = [dimension for term in product["terms"].get("OnDemand", {}).values()
                  for dimension in term["priceDimensions"].values()]
    firsts = [d for d in dimensions if float(d.get("beginRange", "0")) == 0]
    if len(firsts) != 1:
        raise PriceError(f"{len(firsts)} on-demand prices begin at 0 for sku {product['product'].get('sku')}, "
                         "expected 1")
    [dimension] = firsts
    # The cost model multiplies quantities in the table's unit: a changed unit must not pass silently.
    if dimension["unit"].lower() != unit.lower():
        raise PriceError(f"priced per {dimension['unit']!r}, the table's unit is {unit!r}")
    published = product["publicationDate"][:10]
    return float(dimension["pricePerUnit"]["USD"]), f"Price List API, offer published {published}"


def ask(pricing, item: dict, params: dict) -> tuple[float, str]:
    """The figure for one request, from the one product it must match."""
    found = products(pricing, params)
    if len(found) != 1:
        skus = ", ".join(p["product"].get("sku", "?") for p in found)
        raise PriceError(f"{len(found)} products match {describe(params)}, expected 1" + (f" ({skus})" if skus else ""))
    return first_tier(found[0], item["unit"])


def refresh(table: dict, regions: list[str], pricing) -> Counter:
    """Update the table's figures in place, printing each change; how many were refreshed, changed, skipped, failed."""
    counts: Counter = Counter()
    answers: dict[str, Any] = {}  # a global item asks the same for every region: once is enough
    for key, item in table["items"].items():
        for region in regions:
            params = request(item, region)
            if params is None:
                print(f"warning: {key} {region}: no usage type in the table, left as it is", file=sys.stderr)
                counts["skipped"] += 1
                continue
            asked = json.dumps(params, sort_keys=True)
            if asked not in answers:
                try:
                    answers[asked] = ask(pricing, item, params)
                except PriceError as error:
                    answers[asked] = error
            if isinstance(answers[asked], PriceError):
                print(f"error: {key} {region}: {answers[asked]}; kept the old figure", file=sys.stderr)
                counts["failed"] += 1
                continue
            figure = item["regions"][region]
            usd, figure["seen"] = answers[asked]
            if usd != figure["usd"]:
                print(f"{key} {region} {figure['usd']!r} -> {usd!r}")
                counts["changed"] += 1
            figure["usd"] = usd
            counts["refreshed"] += 1
    return counts


def write_table(path: Path, text: str) -> None:
    """Replace the file in one step, so a failure never leaves half a table."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(text)
        os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))  # mkstemp's file is private; keep the table's mode
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m commands.refresh_prices", description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=TABLE, metavar="PATH",
                        help="the price table to refresh (default: policies/cost/prices.json)")
    parser.add_argument("--region", action="append", dest="regions", metavar="REGION",
                        help="refresh this region's figures (repeatable; default: every region in the table)")
    parser.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    args = parser.parse_args(argv)
    if not args.table.is_file():
        parser.error(f"no price table at {args.table}")
    return args


def main(argv: Optional[list[str]] = None, pricing=None) -> int:
    """Run the command; `pricing` is a boto3 pricing client (tests pass a stubbed one)."""
    args = parse_args(argv)
    original = args.table.read_text()
    table = json.loads(original)
    regions = args.regions or sorted({region for item in table["items"].values() for region in item["regions"]})
    try:
        pricing = pricing or boto3.client("pricing", region_name=API_REGION)
        counts = refresh(table, regions, pricing)
    except (NoAccess, ProfileNotFound) as error:
        print(f"error: cannot ask the AWS Price List API ({error}); `make prices` needs {NEEDS}. "
              "Nothing was written.", file=sys.stderr)
        return EXIT_NO_ACCESS
    as_of = table["asOf"]
    if not counts["failed"]:  # a date over figures not all refreshed would claim what was not checked
        table["asOf"] = datetime.now(timezone.utc).date().isoformat()
    text = json.dumps(table, indent=1) + "\n"
    dated = f"asOf {as_of} -> {table['asOf']}" if table["asOf"] != as_of else f"asOf stays {as_of}"
    print(f"{args.table}: {counts['refreshed']} figures refreshed ({counts['changed']} changed), "
          f"{counts['skipped']} skipped, {counts['failed']} failed; {dated}")
    if args.dry_run:
        print("dry run: nothing written")
    elif text != original:
        write_table(args.table, text)
    return EXIT_FAILED if counts["failed"] else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
