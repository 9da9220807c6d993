"""Refresh the price table (policies/cost/prices.json) from the AWS Price List Query API (pricing:GetProducts).

Each figure is asked for by its item's offer code and the region's usage type (plus the region and the item's
extra filters); the answer must be exactly one product, priced in the item's unit, and the figure is the first
tier of its on-demand price. A region the item has no figure for yet is looked up by the region-free part of the
usage types the table has (EU-Request-ARM and Request-ARM: Request-ARM), among the region's products. Each figure
read is dated today; one that cannot be refreshed keeps its old value and date and is reported, and a run that
refreshes nothing fails.
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


class Skip(Exception):
    """The table gives nothing to ask for one figure: the message says why."""


def _params(item: dict, region: str, fields: dict) -> dict:
    """GetProducts parameters: the item's offer code, `fields`, the region and the item's extra filters."""
    if not item.get("global"):  # a global product (CloudWatch dashboards) has no regionCode attribute
        fields["regionCode"] = region
    fields.update(item.get("filters", {}))  # e.g. alarmType, when one usage type covers several products
    return {"ServiceCode": item["offerCode"], "FormatVersion": "aws_v1",
            "Filters": [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in fields.items()]}


def request(item: dict, region: str) -> Optional[dict]:
    """The GetProducts parameters for `item` in `region` by the usage type the table has for it there (a global
    product's is every region's); None when the table has none."""
    figure = item["regions"].get(region)
    if figure is None and item.get("global"):
        figure = next(iter(item["regions"].values()))
    usage_type = (figure or {}).get("usageType")
    if usage_type is None:
        return None
    return _params(item, region, {"usagetype": usage_type})


def region_free_name(item: dict) -> Optional[str]:
    """What the item's usage types share once each region's prefix is off (EU-Request-ARM and Request-ARM:
    Request-ARM; eu-west-1-KMS-Keys and us-east-1-KMS-Keys: KMS-Keys); None when they share nothing."""
    names = [figure["usageType"].removeprefix(f"{region}-").split("-")
             for region, figure in item["regions"].items() if figure["usageType"]]
    shared: list[str] = []
    for parts in zip(*(reversed(name) for name in names)):
        if len(set(parts)) != 1:
            break
        shared.insert(0, parts[0])
    return "-".join(shared) or None


def in_region(usage_type: str, name: str, region: str) -> bool:
    """Whether `usage_type` is `name` behind a region's prefix: none, a code (CAN1-) or the region (ca-central-1-)."""
    if not usage_type.endswith(name):
        return False
    prefix = usage_type[:-len(name)]
    return prefix in ("", f"{region}-") or (prefix.endswith("-") and "-" not in prefix[:-1])


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


class PriceList:
    """The API's answers, each asked for once: a global product, or a region's products, serve several figures."""

    def __init__(self, pricing):
        self.pricing = pricing
        self.answers: dict[str, Any] = {}

    def products(self, params: dict) -> list[dict]:
        asked = json.dumps(params, sort_keys=True)
        if asked not in self.answers:
            try:
                self.answers[asked] = products(self.pricing, params)
            except PriceError as error:
                self.answers[asked] = error
        if isinstance(self.answers[asked], PriceError):
            raise self.answers[asked]
        return self.answers[asked]


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


def the_one(found: list[dict], asked: str) -> dict:
    """The one product `found`; `asked` describes what was asked for."""
    if len(found) != 1:
        skus = ", ".join(p["product"].get("sku", "?") for p in found)
        raise PriceError(f"{len(found)} products match {asked}, expected 1" + (f" ({skus})" if skus else ""))
    return found[0]


def lookup(prices: PriceList, item: dict, region: str) -> dict:
    """The item's figure in the region as the API has it now: usageType, usd and seen."""
    params = request(item, region)
    if params is not None:
        product = the_one(prices.products(params), describe(params))
    elif region in item["regions"]:
        raise Skip("no usage type in the table, left as it is")
    else:
        product = discover(prices, item, region)
    usd, seen = first_tier(product, item["unit"])
    return {"usageType": product["product"]["attributes"]["usagetype"], "usd": usd, "seen": seen}


def discover(prices: PriceList, item: dict, region: str) -> dict:
    """The product of a region the item has no figure for yet: the one among the region's whose usage type is the
    region-free name the table's usage types share."""
    name = region_free_name(item)
    if name is None:
        raise Skip(f"the table has no usage type for it in any region, so none to look for in {region}")
    params = _params(item, region, {})
    found = [p for p in prices.products(params) if in_region(p["product"]["attributes"].get("usagetype", ""),
                                                               name, region)]
    return the_one(found, f"{describe(params)} usagetype=*{name}")


def record(key: str, item: dict, region: str, read: dict, counts: Counter) -> None:
    """Put a figure read now into the table, printing what changed."""
    figure = item["regions"].get(region)
    if figure is None:
        print(f"{key} {region} added: {read['usd']!r} ({read['usageType']})")
        counts["added"] += 1
        item["regions"] = dict(sorted({**item["regions"], region: read}.items()))
    else:
        if read["usd"] != figure["usd"]:
            print(f"{key} {region} {figure['usd']!r} -> {read['usd']!r}")
            counts["changed"] += 1
        figure.pop("copiedFrom", None)  # read for this region now: no longer another region's figure
        figure.update(read)
    counts["refreshed"] += 1


def refresh(table: dict, regions: list[str], prices: PriceList, today: str) -> Counter:
    """Update the table's figures in place, dating each one read `today`; how many were refreshed, changed,
    added, skipped and failed."""
    counts: Counter = Counter()
    for key, item in table["items"].items():
        for region in regions:
            try:
                read = lookup(prices, item, region)
            except Skip as reason:
                print(f"warning: {key} {region}: {reason}", file=sys.stderr)
                counts["skipped"] += 1
                continue
            except PriceError as error:
                kept = "kept the old figure" if region in item["regions"] else "none added"
                print(f"error: {key} {region}: {error}; {kept}", file=sys.stderr)
                counts["failed"] += 1
                continue
            record(key, item, region, {**read, "asOf": today}, counts)
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
    today = datetime.now(timezone.utc).date().isoformat()
    try:
        counts = refresh(table, regions, PriceList(pricing or boto3.client("pricing", region_name=API_REGION)), today)
    except (NoAccess, ProfileNotFound) as error:
        print(f"error: cannot ask the AWS Price List API ({error}); `make prices` needs {NEEDS}. "
              "Nothing was written.", file=sys.stderr)
        return EXIT_NO_ACCESS
    dated = f" and dated {today}" if counts["refreshed"] else ""
    print(f"{args.table}: {counts['refreshed']} figures refreshed{dated} ({counts['changed']} changed, "
          f"{counts['added']} added), {counts['skipped']} skipped, {counts['failed']} failed")
    if not counts["refreshed"]:
        print(f"error: no figure of {', '.join(regions)} was refreshed (the lines above say why, figure by figure); "
              "nothing was written", file=sys.stderr)
        return EXIT_FAILED
    text = json.dumps(table, indent=1) + "\n"
    if args.dry_run:
        print("dry run: nothing written")
    elif text != original:
        write_table(args.table, text)
    return EXIT_FAILED if counts["failed"] else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
