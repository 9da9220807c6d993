"""Argument types the commands share: each refuses a bad value with a message argparse prints (exit 2)."""

import argparse
from typing import Callable


def _bounded(convert: Callable[[str], float], low: float, high: float, allowed: str) -> Callable[[str], float]:
    def parse(text: str):
        value = convert(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {text}")
        return value
    return parse


positive_int = _bounded(int, 1, float("inf"), "1 or more")
port = _bounded(int, 0, 65535, "a port, 0..65535 (0: any free one)")
non_negative = _bounded(float, 0, float("inf"), "0 or more")
positive = _bounded(float, 0.001, float("inf"), "more than 0")
percent = _bounded(float, 0, 100, "a percentage, 0..100")
