"""The dated price table, prices.json: what each priced quantity costs in each region the stacks use, and where
the figure comes from in the AWS Price List API (offer code and usage type), so `make prices` can refresh it.
The estimate never goes to the network: a region missing here prices as unknown.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from .plan import Unpriced

TABLE = Path(__file__).with_name("prices.json")


@dataclass(frozen=True)
class Price:
    key: str
    usd: float           # per unit
    unit: str            # the Price List's unit (Requests, Lambda-GB-Second, GB-Mo, ...)
    offer_code: str      # the Price List's service code, e.g. AWSLambda
    usage_type: str      # the product's usagetype in this region, e.g. EU-Request-ARM
    free_tier: Optional[str] = None  # the account's always-free allowance this quantity draws on


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: str
    prices: Mapping[str, Price]
    free_tier: Mapping[str, float]  # allowance -> quantity free each month, per account

    def price(self, key: str) -> Price:
        if key not in self.prices:
            raise Unpriced(f"prices.json (as of {self.as_of}) has no {key} for {self.region}; run `make prices`")
        return self.prices[key]


def read_table(path: Path = TABLE) -> dict:
    return json.loads(path.read_text())


def load_prices(region: str, table: Optional[dict] = None) -> PriceTable:
    """The prices of one region (none at all when the table does not cover it)."""
    table = read_table() if table is None else table
    prices = {key: Price(key, item["regions"][region]["usd"], item["unit"], item["offerCode"],
                         item["regions"][region]["usageType"], item.get("freeTier"))
              for key, item in table["items"].items() if region in item["regions"]}
    return PriceTable(region, table["asOf"], prices,
                      {name: allowance["quantity"] for name, allowance in table["freeTier"].items()})
