"""Property values as the engine sends them, read for what they mean.

A program the pack never saw may send any JSON value where the provider's schema wants one type: a number as
text (a config string passed straight through), one string for a list, an object for a list, a document as JSON
text or as an object. These readers give a value its meaning when it has one (the text "60" is the number 60) and
raise `Malformed`, naming the property and saying what it holds, when it has none. Absent and null read as None:
what that means is the caller's to say (Lambda's default, mostly).

The cost model and the rules (which import this as `cost.wire`) share it, so both read a value alike.
"""

import json
import math
import re
from typing import Any, Mapping, Optional, Sequence

# A number as JSON writes it, with the spaces a config value may carry: not Python's float() syntax, which also
# takes "nan", "inf", "1_000" and other scripts' digits.
_NUMBER_TEXT = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*")
# What the providers take for a boolean given as text.
_BOOLEAN_TEXT = {"true": True, "false": False}
_QUOTED_CHARACTERS = 40


class Malformed(ValueError):
    """A property whose value cannot mean what the property means; the message names it and says what it holds."""


def _refused(what: str, value: Any, expected: str) -> Malformed:
    return Malformed(f"{what} is {describe(value)}, not {expected}")


def describe(value: Any) -> str:
    """A value for a message: its JSON type, and its text when it is short enough to read."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return f"{value:g} (a number)"
    if isinstance(value, str):
        shown = value if len(value) <= _QUOTED_CHARACTERS else value[:_QUOTED_CHARACTERS] + "…"
        return f"{shown!r} (a string)"
    if isinstance(value, Mapping):
        return "an object"
    if is_list(value):
        return "a list"
    return f"a {type(value).__name__}"  # an asset or an archive


def is_list(value: Any) -> bool:
    # pulumi_policy hands lists over as Sequence proxies, not as lists.
    return isinstance(value, Sequence) and not isinstance(value, str)


def number(value: Any, what: str) -> Optional[float]:
    """A number, also given as its text; an int when it is whole, so that messages show 512, not 512.0."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    read = float(value) if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value) else value
    if not isinstance(read, float) or not math.isfinite(read):
        raise _refused(what, value, "a number")
    return int(read) if read.is_integer() else read


def boolean(value: Any, what: str) -> Optional[bool]:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[value.lower()]
    raise _refused(what, value, "a boolean")


def text(value: Any, what: str) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    raise _refused(what, value, "a string")


def texts(value: Any, what: str) -> Optional[list[str]]:
    """A list of strings, also given as one string (as IAM takes an Action)."""
    if value is None:
        return None
    listed = [value] if isinstance(value, str) else list(value) if is_list(value) else None
    if listed is None or not all(isinstance(item, str) for item in listed):
        raise _refused(what, value, "a list of strings")
    return listed


def mapping(value: Any, what: str) -> Optional[Mapping]:
    if value is None or isinstance(value, Mapping):
        return value
    raise _refused(what, value, "an object")


def mappings(value: Any, what: str) -> list[Mapping]:
    """A list of objects, also given as one object; absent or null is none."""
    if value is None:
        return []
    listed = [value] if isinstance(value, Mapping) else list(value) if is_list(value) else None
    if listed is None or not all(isinstance(item, Mapping) for item in listed):
        raise _refused(what, value, "a list of objects")
    return listed


def document(value: Any, what: str) -> Optional[Mapping]:
    """A JSON document, given as its text or as an object."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _refused(what, value, "a JSON document") from None
    if value is None or isinstance(value, Mapping):
        return value
    raise _refused(what, value, "a JSON document")
