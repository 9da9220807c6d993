"""The price table, prices.json: what each priced quantity costs in each region the stacks use, when each figure
was last read, and where it comes from in the AWS Price List API (offer code and usage type), so `make prices`
can refresh it. The estimate never goes to the network: a region missing here prices as unknown.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from .plan import Unpriced

TABLE = Path(__file__).with_name("prices.json")


class NoPrice(Unpriced):
    """The table has no figure for a price in the region (not a value the plan lacks): `make prices` looks for it."""

    kind = "price"


@dataclass(frozen=True)
class Price:
    key: str
    usd: float           # per unit
    unit: str            # the Price List's unit (Requests, Lambda-GB-Second, GB-Mo, ...)
    offer_code: str      # the Price List's service code, e.g. AWSLambda
    usage_type: str      # the product's usagetype in this region, e.g. EU-Request-ARM
    free_tier: Optional[str] = None  # the account's always-free allowance this quantity draws on
    copied_from: Optional[str] = None  # the region whose figure this is, when this region's was not seen


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: Optional[str]  # when the region's figures were read: a date, or the oldest to the newest; None: no figures
    prices: Mapping[str, Price]
    free_tier: Mapping[str, float]  # allowance -> quantity free each month, per account

    def price(self, key: str) -> Price:
        if key not in self.prices:
            missing = "prices" if self.as_of is None else key
            raise NoPrice(f"prices.json has no {missing} for {self.region}")
        return self.prices[key]


def read_table(path: Path = TABLE) -> dict:
    return json.loads(path.read_text())


def _span(dates: list[str]) -> Optional[str]:
    """One date, or the oldest to the newest; None for none."""
    dates = sorted(set(dates))
    if not dates:
        return None
    return dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"


def load_prices(region: str, table: Optional[dict] = None) -> PriceTable:
    """The prices of one region (none at all when the table does not cover it)."""
    table = read_table() if table is None else table
    prices = {key: Price(key, item["regions"][region]["usd"], item["unit"], item["offerCode"],
                         item["regions"][region]["usageType"], item.get("freeTier"),
                         item["regions"][region].get("copiedFrom"))
              for key, item in table["items"].items() if region in item["regions"]}
    dates = [item["regions"][region]["asOf"] for item in table["items"].values() if region in item["regions"]]
    return PriceTable(region, _span(dates), prices,
                      {name: allowance["quantity"] for name, allowance in table["freeTier"].items()})
