"""What every pricer of the cost model shares: the month's units, the meter that turns quantities into charges
(drawing on the account's free allowances), the context a resource is priced in (the plan, the usage) and the
figures a basis shows."""

from dataclasses import dataclass
from typing import Callable, Optional

from .estimate import Charge
from .plan import Plan, Resource, Unpriced
from .prices import PriceTable
from .usage import FunctionUsage, Usage

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
GIB = 1024 ** 3  # AWS bills data and storage in binary gigabytes


class NoModel(Unpriced):
    kind = "type"


class NoUsage(Unpriced):
    kind = "usage"


class Meter:
    """Turns quantities into charges, drawing on the account's free allowances when the usage counts them
    (in the order resources are priced: the free tier is the account's, shared by everything in it)."""

    def __init__(self, prices: PriceTable, free_tier: bool):
        self.prices = prices
        self.left = dict(prices.free_tier) if free_tier else {}

    def charge(self, key: str, quantity: float, basis: str, free_tier: bool = True) -> Charge:
        """`free_tier` False: this quantity may not draw on the account's allowance even if its price has one."""
        price = self.prices.price(key)
        free = min(quantity, self.left.get(price.free_tier, 0.0)) if price.free_tier and free_tier else 0.0
        if free:
            self.left[price.free_tier] -= free
            basis += f" ({amount(free)} {price.unit} free)"
        return Charge((quantity - free) * price.usd, basis, copied_from=price.copied_from)


def data_size(gb: float) -> str:
    return f"{gb:,.2f} GB" if gb >= 1 else f"{gb * 1024:,.1f} MB"


def amount(quantity: float) -> str:
    return f"{quantity:,.0f}" if quantity >= 100 else f"{quantity:,.2f}".rstrip("0").rstrip(".")


def plural(count: float, word: str) -> str:
    return f"{amount(count)} {word}{'s' * (count != 1)}"


@dataclass
class Context:
    plan: Plan
    usage: Optional[Usage]
    meter: Meter

    def need_usage(self) -> Usage:
        if self.usage is None:
            raise NoUsage("the stack's usage* settings are missing or unreadable")
        return self.usage

    def own_usage(self, function: Resource) -> FunctionUsage:
        """The function's own usage settings: `<project>:functions` names a function by its short name, and the
        program names it `<project>-<stack>-<short name>` (project and stack as its URN has them)."""
        usage = self.need_usage()
        if not usage.functions:
            return FunctionUsage()
        parts = function.urn.split("::")
        name = function.props.get("name")
        if len(parts) < 4 or not parts[0].startswith("urn:pulumi:") or not isinstance(name, str):
            return FunctionUsage()
        prefix = f"{parts[1]}-{parts[0].removeprefix('urn:pulumi:')}-"
        return usage.own(name.removeprefix(prefix)) if name.startswith(prefix) else FunctionUsage()

    @property
    def busy_hours(self) -> float:
        """Hours a month the traffic comes in."""
        return self.need_usage().busy_hours_per_day / 24 * HOURS_PER_MONTH


# A resource type's pricer: its charges in this context.
Pricer = Callable[[Resource, Context], list[Charge]]
