"""Argument types the commands share: each refuses a bad value with a message argparse prints (exit 2)."""

import argparse
import math
import os
from pathlib import Path
from typing import Callable


def _checked(convert: Callable[[str], float], accepts: Callable[[float], bool],
             allowed: str) -> Callable[[str], float]:
    def parse(text: str):
        try:
            value = convert(text)
            if accepts(value):
                return value
        except ValueError:  # not a number at all; argparse itself would say only "invalid parse value"
            pass
        raise argparse.ArgumentTypeError(f"must be {allowed}, not {text!r}")
    return parse


positive_int = _checked(int, lambda value: value >= 1, "a whole number, 1 or more")
port = _checked(int, lambda value: 0 <= value <= 65535, "a port number, 1..65535 (or 0: any free one)")
# float() reads "nan" and "inf" too: neither is a duration, a size or a threshold.
non_negative = _checked(float, lambda value: math.isfinite(value) and value >= 0, "a finite number, 0 or more")
positive = _checked(float, lambda value: math.isfinite(value) and value > 0, "a positive finite number")
percent = _checked(float, lambda value: 0 <= value <= 100, "a percentage, 0..100")


def writable_file(text: str) -> Path:
    """A file the command writes once it has run: a folder that is missing or not writable is found before the run,
    not after it."""
    path = Path(text)
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text}: the folder {folder} does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text}: it is a folder")
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot write {text}: permission denied")
    return path
