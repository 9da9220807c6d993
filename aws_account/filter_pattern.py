"""CloudWatch Logs filter patterns, evaluated as CloudWatch evaluates them for metric filters.

Written by hand because no library does it: moto (5.2.5) treats every pattern that starts with `{`,
`[`, `?` or `-` as matching everything and never computes a metric filter's value; LocalStack's free
edition does not filter at all. This is the smallest evaluator for the syntax of AWS's "Filter pattern
syntax" page: terms (`ERROR`, `"a phrase"`, `?a ?b`, `-excluded`), JSON patterns (`{ $.a.b[0] = "x" &&
($.n > 1 || $.m NOT EXISTS) }`, with `*` wildcards, IS NULL / IS TRUE / IS FALSE) and space-delimited
patterns (`[ip, user, ..., status = 4*, bytes > 1000]`), plus a metric value (`$.json.path`, `$field`
or a number). Regular expressions (`%…%`) are not evaluated: `UnsupportedPattern`, never a wrong answer.
"""

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Optional, Union


class InvalidPattern(ValueError):
    """CloudWatch refuses the pattern (InvalidParameterException: Invalid metric filter pattern)."""


class UnsupportedPattern(ValueError):
    """Valid for CloudWatch, outside what this evaluator implements."""


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_JSON_TOKEN = re.compile(r"""\s*(?:(?P<selector>\$\.[A-Za-z0-9_\-.\[\]]+)|(?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))
                             |(?P<keyword>IS\s+NULL|IS\s+TRUE|IS\s+FALSE|NOT\s+EXISTS)|(?P<quoted>"(?:[^"\\]|\\.)*")
                             |(?P<bare>[^\s()&|=!<>"]+))""", re.VERBOSE)
_SELECTOR_PART = re.compile(r"([A-Za-z0-9_\-]+)((?:\[\d+\])*)")
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_MISSING = object()


def _wildcard_equal(actual: str, expected: str) -> bool:
    """`*` at the start or the end of a value stands for any text; elsewhere it is itself."""
    if expected == "*":
        return True
    starts, ends = expected.startswith("*"), expected.endswith("*")
    core = expected[starts:len(expected) - ends]
    if starts and ends:
        return core in actual
    if starts:
        return actual.endswith(core)
    if ends:
        return actual.startswith(core)
    return actual == expected


def _compare(actual: Any, op: str, expected: str, quoted: bool) -> bool:
    """One condition on one scalar value (a JSON value, or a space-delimited field's text)."""
    if isinstance(actual, bool) or actual is None or isinstance(actual, (dict, list)):
        return False  # IS TRUE / IS NULL test those; an object or array never matches a value
    if not quoted and _NUMBER.match(expected) and op in ("=", "!=", "<", ">", "<=", ">="):
        number = _as_number(actual)
        if number is None:
            return op == "!="
        wanted = float(expected)
        return {"=": number == wanted, "!=": number != wanted, "<": number < wanted, ">": number > wanted,
                "<=": number <= wanted, ">=": number >= wanted}[op]
    if op not in ("=", "!="):
        raise InvalidPattern(f"{op} needs a number, not {expected!r}")
    text = actual if isinstance(actual, str) else json.dumps(actual)
    return _wildcard_equal(text, expected) == (op == "=")


def _as_number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return None


# JSON patterns: an expression tree of conditions joined by && and ||.

@dataclass(frozen=True)
class _JsonCondition:
    path: tuple[Union[str, int], ...]
    op: str  # = != < > <= >= or a keyword
    value: str = ""
    quoted: bool = False

    def holds(self, document: Any) -> bool:
        found = _resolve(document, self.path)
        if self.op == "NOT EXISTS":
            return found is _MISSING
        if found is _MISSING:
            return False
        if self.op == "IS NULL":
            return found is None
        if self.op in ("IS TRUE", "IS FALSE"):
            return found is (self.op == "IS TRUE")
        return _compare(found, self.op, self.value, self.quoted)


@dataclass(frozen=True)
class _Both:
    left: Any
    right: Any
    any_of: bool  # || when True, && when False

    def holds(self, document: Any) -> bool:
        if self.any_of:
            return self.left.holds(document) or self.right.holds(document)
        return self.left.holds(document) and self.right.holds(document)


def _selector_path(selector: str) -> tuple[Union[str, int], ...]:
    path: list[Union[str, int]] = []
    for part in selector[2:].split("."):
        match = _SELECTOR_PART.fullmatch(part)
        if not match:
            raise InvalidPattern(f"bad selector {selector!r}")
        path.append(match.group(1))
        path.extend(int(index) for index in re.findall(r"\d+", match.group(2)))
    return tuple(path)


def _resolve(document: Any, path: tuple[Union[str, int], ...]) -> Any:
    for step in path:
        if isinstance(step, int) and isinstance(document, list) and step < len(document):
            document = document[step]
        elif isinstance(step, str) and isinstance(document, dict) and step in document:
            document = document[step]
        else:
            return _MISSING
    return document


class _JsonParser:
    """Recursive descent over `||` (lowest), `&&`, then parentheses or one condition."""

    def __init__(self, body: str):
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(body.rstrip()):
            match = _JSON_TOKEN.match(body, position)
            if not match or match.end() == position:
                raise InvalidPattern(f"unexpected text at {body[position:position + 20]!r}")
            kind = match.lastgroup
            self.tokens.append((kind, re.sub(r"\s+", " ", match.group(kind))))
            position = match.end()
        self.position = 0

    def parse(self) -> Any:
        if not self.tokens:
            raise InvalidPattern("an empty JSON pattern")
        tree = self._any_of()
        if self.position != len(self.tokens):
            raise InvalidPattern(f"unexpected {self.tokens[self.position][1]!r}")
        return tree

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token[0] == "end":
            raise InvalidPattern("the pattern ends too early")
        self.position += 1
        return token

    def _any_of(self) -> Any:
        return self._chain("||", self._all_of, any_of=True)

    def _all_of(self) -> Any:
        return self._chain("&&", self._term, any_of=False)

    def _chain(self, operator: str, operand: Any, any_of: bool) -> Any:
        tree = operand()
        while self._peek() == ("op", operator):
            self._take()
            tree = _Both(tree, operand(), any_of=any_of)
        return tree

    def _term(self) -> Any:
        kind, text = self._take()
        if (kind, text) == ("op", "("):
            tree = self._any_of()
            if self._take() != ("op", ")"):
                raise InvalidPattern("a parenthesis is not closed")
            return tree
        if kind != "selector":
            raise InvalidPattern(f"expected a $. selector, found {text!r}")
        path = _selector_path(text)
        kind, op = self._take()
        if kind == "keyword":
            return _JsonCondition(path, op)
        if kind != "op" or op not in ("=", "!=", "<", ">", "<=", ">="):
            raise InvalidPattern(f"expected an operator after {text}, found {op!r}")
        kind, value = self._take()
        if kind == "quoted":
            return _JsonCondition(path, op, json.loads(value), quoted=True)
        if kind != "bare":
            raise InvalidPattern(f"expected a value after {text} {op}, found {value!r}")
        if op in ("<", ">", "<=", ">=") and not _NUMBER.match(value):
            raise InvalidPattern(f"{op} needs a number, not {value!r}")
        return _JsonCondition(path, op, value)


# Space-delimited patterns: one slot per field of the event, `...` for any number of fields.

_FIELD_CONDITION = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(!=|<=|>=|=|<|>)\s*(\"(?:[^\"\\]|\\.)*\"|[^\s&|]+)\s*$")
_EVENT_FIELD = re.compile(r'"([^"]*)"|\[([^\]]*)\]|(\S+)')


@dataclass(frozen=True)
class _Slot:
    name: str
    alternatives: tuple[tuple[tuple[str, str, bool], ...], ...] = ()  # OR of ANDs of (op, value, quoted)

    def holds(self, text: str) -> bool:
        return not self.alternatives or any(all(_compare(text, op, value, quoted) for op, value, quoted in conditions)
                                            for conditions in self.alternatives)


def _slot(text: str) -> _Slot:
    text = text.strip()
    if _FIELD_NAME.match(text):
        return _Slot(text)
    name, alternatives = None, []
    for alternative in text.split("||"):
        conditions = []
        for condition in alternative.split("&&"):
            match = _FIELD_CONDITION.match(condition)
            if not match or (name is not None and match.group(1) != name):
                raise InvalidPattern(f"bad field {text!r}")
            name, op, value = match.groups()
            quoted = value.startswith('"')
            conditions.append((op, json.loads(value) if quoted else value, quoted))
        alternatives.append(tuple(conditions))
    return _Slot(name, tuple(alternatives))


def _split_fields(body: str) -> list[str]:
    """Commas separate fields, except inside a quoted value."""
    fields, current, quoted = [], "", False
    for character in body:
        if character == '"':
            quoted = not quoted
        if character == "," and not quoted:
            fields.append(current)
            current = ""
        else:
            current += character
    return [*fields, current]


@dataclass(frozen=True)
class _Delimited:
    before: tuple[_Slot, ...]  # the slots before the ellipsis (all of them when there is none)
    after: Optional[tuple[_Slot, ...]]  # the slots after it; None when there is no ellipsis

    def fields(self, message: str) -> Optional[dict[str, str]]:
        """The named fields of a matching event, or None when it does not match."""
        tokens = [next(g for g in match.groups() if g is not None) for match in _EVENT_FIELD.finditer(message)]
        if self.after is None:
            if len(tokens) != len(self.before):
                return None
            pairs = list(zip(self.before, tokens))
        else:
            if len(tokens) < len(self.before) + len(self.after):
                return None
            pairs = list(zip(self.before, tokens)) + list(zip(self.after, tokens[len(tokens) - len(self.after):]))
        if not all(slot.holds(token) for slot, token in pairs):
            return None
        return {slot.name: token for slot, token in pairs}


def _delimited(body: str) -> _Delimited:
    parts = [part.strip() for part in _split_fields(body)]
    if parts and parts[-1] == "":
        parts.pop()  # AWS's own example ends with a comma
    ellipses = [i for i, part in enumerate(parts) if part == "..."]
    if len(ellipses) > 1:
        raise UnsupportedPattern("more than one ellipsis")
    slots = [None if part == "..." else _slot(part) for part in parts]
    if not ellipses:
        return _Delimited(tuple(slots), None)
    at = ellipses[0]
    return _Delimited(tuple(slots[:at]), tuple(slots[at + 1:]))


# Term patterns: words and phrases that must (or, with ?, may; with -, must not) appear.

_TERM = re.compile(r'([?-]?)("(?:[^"\\]|\\.)*"|\S+)')


@dataclass(frozen=True)
class _Terms:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    excluded: tuple[str, ...]

    def holds(self, message: str) -> bool:
        if self.optional:
            return any(term in message for term in self.optional)
        return all(t in message for t in self.required) and not any(t in message for t in self.excluded)


def _terms(text: str) -> _Terms:
    groups: dict[str, list[str]] = {"": [], "?": [], "-": []}
    for prefix, term in _TERM.findall(text):
        groups[prefix].append(json.loads(term) if term.startswith('"') else term)
    return _Terms(tuple(groups[""]), tuple(groups["?"]), tuple(groups["-"]))


@dataclass(frozen=True)
class FilterPattern:
    """A parsed pattern: `matches(event)` and `metric_value(event, value)` as a metric filter computes them."""

    text: str
    kind: str  # "all", "json", "delimited" or "terms"
    tree: Any = None

    @classmethod
    def parse(cls, text: str) -> "FilterPattern":
        stripped = text.strip()
        if "%" in stripped:
            raise UnsupportedPattern("regular expressions (%…%)")
        if not stripped:
            return cls(text, "all")
        if stripped.startswith("{"):
            if not stripped.endswith("}"):
                raise InvalidPattern("a JSON pattern must end with }")
            return cls(text, "json", _JsonParser(stripped[1:-1]).parse())
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise InvalidPattern("a space-delimited pattern must end with ]")
            return cls(text, "delimited", _delimited(stripped[1:-1]))
        return cls(text, "terms", _terms(stripped))

    def _document(self, message: str) -> Any:
        try:
            return json.loads(message)
        except ValueError:
            return _MISSING

    def matches(self, message: str) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "json":
            document = self._document(message)
            return isinstance(document, dict) and self.tree.holds(document)
        if self.kind == "delimited":
            return self.tree.fields(message) is not None
        return self.tree.holds(message)

    def check_value(self, metric_value: str) -> None:
        """PutMetricFilter refuses a value that is neither a number nor a field this pattern can give."""
        if _NUMBER.match(metric_value):
            return
        if self.kind == "json" and metric_value.startswith("$."):
            _selector_path(metric_value)
            return
        if self.kind == "delimited" and metric_value.startswith("$"):
            names = {slot.name for slot in (*self.tree.before, *(self.tree.after or ()))}
            if metric_value[1:] in names:
                return
        raise InvalidPattern(f"metric value {metric_value!r} is not a number or a field of the pattern")

    def metric_value(self, message: str, metric_value: str) -> Optional[float]:
        """What the filter publishes for `message`: None when it does not match or the field is not a number."""
        if not self.matches(message):
            return None
        if _NUMBER.match(metric_value):
            return float(metric_value)
        if self.kind == "json":
            value = _as_number(_resolve(self._document(message), _selector_path(metric_value)))
        else:
            value = _as_number((self.tree.fields(message) or {}).get(metric_value[1:]))
        return value if value is not None and math.isfinite(value) else None
