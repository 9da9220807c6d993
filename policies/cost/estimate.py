"""A stack's monthly cost estimate as its readers see it (the preview prints it, the pack's stack-monthly-budget
judges it): line items of charges, the totals, what is unknown and why. model.py prices the plan into one."""

from dataclasses import dataclass
from typing import Optional

from .usage import Usage


@dataclass(frozen=True)
class Charge:
    usd: Optional[float]  # None: depends on something not known yet (see basis)
    basis: str
    no_price: bool = False  # unknown because the price table lacks the price, not because the plan lacks a value
    unreadable: bool = False  # unknown because a value the price depends on cannot mean what its property means


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
        return "; ".join(c.basis for c in self.charges) or f"free: {self.note}"

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
    def label(self) -> str:
        return f"{self.kind} {self.name}"

    def as_json(self) -> dict:
        return {"type": self.type, "name": self.name, "monthlyUsd": self.usd, "basis": self.basis,
                "free": not self.charges, "charges": [{"monthlyUsd": c.usd, "basis": c.basis} for c in self.charges]}


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
    def partial_note(self) -> str:
        no_price = sum(1 for item in self.unknown if item.no_price)
        unreadable = len(self.unreadable)
        not_yet = len(self.unknown) - no_price - unreadable
        reasons = []
        if no_price:
            reasons.append(f"{_items(no_price)} with no price for {self.region} in prices.json")
        if unreadable:
            reasons.append(f"{_items(unreadable)} with a value the model cannot read")
        if not_yet:
            reasons.append(f"{_items(not_yet)} not known until the update")
        return "partial: " + ", ".join(reasons) if reasons else ""

    def largest(self, count: int) -> list[LineItem]:
        return sorted((i for i in self.items if i.usd), key=lambda i: -i.usd)[:count]

    def as_json(self) -> dict:
        return {"region": self.region, "pricesAsOf": self.prices_as_of, "monthlyUsd": round(self.total, 4),
                "partial": self.partial, "items": [item.as_json() for item in self.items]}


@dataclass(frozen=True)
class Projection:
    """The stack as planned, beside the same stack on x86_64 and at 10x and 100x the traffic."""
    planned: Estimate
    on_x86_64: Estimate
    by_traffic: dict[int, Estimate]

    def as_json(self) -> dict:
        return {**self.planned.as_json(), "x86_64MonthlyUsd": round(self.on_x86_64.total, 4),
                "byTraffic": {f"{factor}x": {"monthlyUsd": round(e.total, 4), "partial": e.partial}
                              for factor, e in self.by_traffic.items()}}


def _items(count: int) -> str:
    return f"{count} item{'s' * (count != 1)}"
