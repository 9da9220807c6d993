"""What the estimate needs from a stack's configuration, read alike by the offline preview and by the pack
(each hands over its own way of looking a key up: the preview's stack files, the pack's PULUMI_CONFIG)."""

from typing import Callable, Mapping, Optional

from .prices import PriceTable, load_prices
from .usage import Usage, usage_from_config


def region_of(value_of: Callable[[str], Optional[str]], environ: Mapping[str, str]) -> str:
    """The AWS provider's region: the stack's aws:region, else the environment's, as the provider picks it."""
    return value_of("aws:region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or ""


def stack_inputs(value_of: Callable[[str], Optional[str]], project: str,
                 environ: Mapping[str, str]) -> tuple[Optional[Usage], PriceTable]:
    """The stack's usage settings (namespaced by the project) and the prices of its region."""
    usage = usage_from_config(lambda key: value_of(f"{project}:{key}"))
    return usage, load_prices(region_of(value_of, environ))
