"""A stack's monthly cost estimate as its readers see it (the preview prints it, the pack's stack-monthly-budget
judges it): line items of charges, the totals, what is unknown and why. model.py prices the plan into one."""

from dataclasses import dataclass
from typing import Optional

from .usage import Usage


# Why a charge is unknown, as the estimate counts its unknowns (plan.Unpriced's kinds, and a value that cannot be
# read): what the reader is told of each kind.
UNKNOWN_KINDS = {
    "price": "with no price for {region} in prices.json",
    "type": "of a type the cost model has no price for",
    "unreadable": "with a value the model cannot read",
    "usage": "that need the stack's usage* settings",
    "bound": "with no bound in the plan (their lines say why)",
    "later": "not known until the update",
}


@dataclass(frozen=True)
class Charge:
    usd: Optional[float]  # None: depends on something not known (see basis and unknown)
    basis: str
    unknown: str = ""  # why usd is None: a key of UNKNOWN_KINDS
    first_year_usd: Optional[float] = None  # what it is in the resource's first year, when less (a key's rotations)
    copied_from: Optional[str] = None  # priced at this region's figure: the estimate's region's was not seen

    @property
    def no_price(self) -> bool:
        """Unknown because the price table lacks the price, not because the plan lacks a value."""
        return self.unknown == "price"

    @property
    def unreadable(self) -> bool:
        """Unknown because a value the price depends on cannot mean what its property means."""
        return self.unknown == "unreadable"


@dataclass(frozen=True)
class LineItem:
    type: str
    name: str
    charges: tuple[Charge, ...] = ()
    note: str = ""  # a free resource's reason

    @property
    def usd(self) -> Optional[float]:
        return None if any(c.usd is None for c in self.charges) else sum(c.usd for c in self.charges)

    @property
    def basis(self) -> str:
        return "; ".join(c.basis + (f" [price: {c.copied_from}'s]" if c.copied_from else "")
                         for c in self.charges) or f"free: {self.note}"

    @property
    def kind(self) -> str:
        """aws:lambda/alias:Alias as lambda/alias: short, and a Lambda alias still not a KMS one."""
        return self.type.split(":")[1]

    @property
    def no_price(self) -> bool:
        return any(c.no_price for c in self.charges)

    @property
    def unreadable(self) -> bool:
        return any(c.unreadable for c in self.charges)

    @property
    def unknown_kind(self) -> str:
        """Why the item is unknown ("" when it is not): its first unknown charge's kind."""
        return next((c.unknown for c in self.charges if c.usd is None), "")

    @property
    def first_year_usd(self) -> Optional[float]:
        if self.usd is None:
            return None
        return sum(c.usd if c.first_year_usd is None else c.first_year_usd for c in self.charges)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"

    def as_json(self) -> dict:
        return {"type": self.type, "name": self.name, "monthlyUsd": self.usd, "basis": self.basis,
                "free": not self.charges, "charges": [{"monthlyUsd": c.usd, "basis": c.basis,
                                                       **({"priceCopiedFrom": c.copied_from} if c.copied_from else {}),
                                                       **({"unknown": c.unknown} if c.unknown else {})}
                                                      for c in self.charges]}


@dataclass(frozen=True)
class Estimate:
    region: str
    prices_as_of: Optional[str]  # None: the price table has no prices for the region
    usage: Optional[Usage]
    items: tuple[LineItem, ...]

    @property
    def total(self) -> float:
        """What the priced items add up to (all of it unless `partial`)."""
        return sum(item.usd for item in self.items if item.usd is not None)

    @property
    def unknown(self) -> list[LineItem]:
        return [item for item in self.items if item.usd is None]

    @property
    def partial(self) -> bool:
        return bool(self.unknown)

    @property
    def known_total(self) -> Optional[float]:
        """The total, or None when it is partial and nothing known costs anything: then 0.00 would say nothing."""
        return None if self.partial and not self.total else self.total

    @property
    def unreadable(self) -> list[LineItem]:
        return [item for item in self.unknown if item.unreadable]

    @property
    def first_year_total(self) -> float:
        """The total in the resources' first year (a rotated key bills its later key versions from its second)."""
        return sum(item.first_year_usd for item in self.items if item.usd is not None)

    def unknown_of(self, *kinds: str) -> list[LineItem]:
        return [item for item in self.unknown if item.unknown_kind in kinds]

    @property
    def unverifiable(self) -> list[LineItem]:
        """The unknown items the update will not make known: no price, no bound, no usage (not unreadable ones,
        which are said apart, nor values only the update knows)."""
        return self.unknown_of("price", "type", "bound", "usage")

    @property
    def partial_note(self) -> str:
        reasons = [f"{_items(count)} {text.format(region=self.region)}" for kind, text in UNKNOWN_KINDS.items()
                   if (count := len(self.unknown_of(kind)))]
        return "partial: " + ", ".join(reasons) if reasons else ""

    @property
    def unpriced_types(self) -> list[str]:
        """The resource types the model has no price for, each once, in the order met."""
        return list(dict.fromkeys(item.type for item in self.unknown_of("type")))

    @property
    def copied_prices(self) -> list[LineItem]:
        """The items priced, in part, at another region's figure."""
        return [item for item in self.items if any(c.copied_from for c in item.charges)]

    def largest(self, count: int) -> list[LineItem]:
        return sorted((i for i in self.items if i.usd), key=lambda i: -i.usd)[:count]

    @property
    def known_total_json(self) -> Optional[float]:
        return None if self.known_total is None else round(self.known_total, 4)

    def as_json(self) -> dict:
        """`monthlyUsd` is null when the estimate is partial and nothing known costs anything (a region without
        prices): 0 would pass for a figure."""
        return {"region": self.region, "pricesAsOf": self.prices_as_of, "monthlyUsd": self.known_total_json,
                "firstYearMonthlyUsd": None if self.known_total is None else round(self.first_year_total, 4),
                "partial": self.partial, "partialNote": self.partial_note,
                "items": [item.as_json() for item in self.items]}


@dataclass(frozen=True)
class Projection:
    """The stack as planned, beside the same stack on x86_64 and at 10x and 100x the traffic."""
    planned: Estimate
    on_x86_64: Estimate
    by_traffic: dict[int, Estimate]

    def as_json(self) -> dict:
        return {**self.planned.as_json(), "x86_64MonthlyUsd": self.on_x86_64.known_total_json,
                "byTraffic": {f"{factor}x": {"monthlyUsd": e.known_total_json, "partial": e.partial}
                              for factor, e in self.by_traffic.items()}}


def _items(count: int) -> str:
    return f"{count} item{'s' * (count != 1)}"
