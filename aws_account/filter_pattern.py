"""CloudWatch Logs filter patterns, evaluated as CloudWatch evaluates them for metric filters.

Written by hand because no library does it: moto (5.2.5) treats every pattern that starts with `{`,
`[`, `?` or `-` as matching everything and never computes a metric filter's value; LocalStack's free
edition does not filter at all. This is the smallest evaluator for the syntax of AWS's "Filter pattern
syntax" page: terms (`ERROR`, `"a phrase"`, `?a ?b`, `-excluded`), JSON patterns (`{ $.a.b[0] = "x" &&
($.n > 1 || $.m NOT EXISTS) }`, `$.['key.with.dot']`, `*` wildcards in values, IS NULL / IS TRUE / IS FALSE)
and space-delimited patterns (`[ip, user, ..., status = 4*, bytes > 1000]`, empty fields as in `[..., a,]`),
plus a metric value (`$.json.path`, `$field`, `$7` or a number). Regular expressions (`%…%`) and wildcard
selectors (`$.a[*]`) are not evaluated: `UnsupportedPattern`, never a wrong answer.
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
# A selector: `$.` then names, [index], ['quoted.name'] (for keys holding a period) or wildcards.
_SELECTOR = (r"""\$\.(?:[A-Za-z0-9_\-]+|\[(?:\d+|'[^']*'|\*)\]|\*)"""
             r"""(?:\.[A-Za-z0-9_\-]+|\.?\[(?:\d+|'[^']*'|\*)\]|\.\*)*""")
_JSON_TOKEN = re.compile(r"""\s*(?:(?P<selector>""" + _SELECTOR + r""")|(?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))
                             |(?P<keyword>IS\s+NULL|IS\s+TRUE|IS\s+FALSE|NOT\s+EXISTS)|(?P<quoted>"(?:[^"\\]|\\.)*")
                             |(?P<bare>[^\s()&|=!<>"]+))""", re.VERBOSE)
_SELECTOR_PART = re.compile(r"\.?([A-Za-z0-9_\-]+)|\.?\[(\d+)\]|\.?\['([^']*)'\]|(\.?\[\*\]|\.\*)")
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
    if not re.fullmatch(_SELECTOR, selector):
        raise InvalidPattern(f"bad selector {selector!r}")
    path: list[Union[str, int]] = []
    for name, index, quoted, wildcard in _SELECTOR_PART.findall(selector[1:]):
        if wildcard:  # valid for CloudWatch (any element or field); not evaluated here
            raise UnsupportedPattern(f"the wildcard selector {selector!r}")
        path.append(int(index) if index else (name or quoted))
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
    # None for an empty field (`[..., status_code=4*,]`): AWS matches any text there and extracts it by position.
    name: Optional[str]
    # OR of ANDs of (field, op, value, quoted). A condition may name another field of the pattern, as AWS's
    # `status_code = 4* && bytes > 1000` does; the field itself is named by its first condition.
    alternatives: tuple[tuple[tuple[str, str, str, bool], ...], ...] = ()

    def holds(self, text: str, named: dict[str, str]) -> bool:
        return not self.alternatives or any(
            all(_compare(text if field == self.name else named[field], op, value, quoted)
                for field, op, value, quoted in conditions) for conditions in self.alternatives)


def _slot(text: str) -> _Slot:
    text = text.strip()
    if not text or _FIELD_NAME.match(text):
        return _Slot(text or None)
    alternatives = []
    for alternative in text.split("||"):
        conditions = []
        for condition in alternative.split("&&"):
            match = _FIELD_CONDITION.match(condition)
            if not match:
                raise InvalidPattern(f"bad field {text!r}")
            field, op, value = match.groups()
            quoted = value.startswith('"')
            conditions.append((field, op, json.loads(value) if quoted else value, quoted))
        alternatives.append(tuple(conditions))
    return _Slot(alternatives[0][0][0], tuple(alternatives))


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
        """A matching event's fields as TestMetricFilter's extractedValues gives them (`$name` for a named field,
        `$7` for the 7th of the event when no name covers it), or None when the event does not match."""
        tokens = [next(g for g in match.groups() if g is not None) for match in _EVENT_FIELD.finditer(message)]
        if self.after is None:
            if len(tokens) != len(self.before):
                return None
            slots: list[Optional[_Slot]] = list(self.before)
        else:
            if len(tokens) < len(self.before) + len(self.after):
                return None
            slots = [*self.before, *[None] * (len(tokens) - len(self.before) - len(self.after)), *self.after]
        extracted = {f"${slot.name}" if slot and slot.name else f"${position}": token
                     for position, (slot, token) in enumerate(zip(slots, tokens), 1)}
        named = {slot.name: token for slot, token in zip(slots, tokens) if slot and slot.name}
        if not all(slot.holds(token, named) for slot, token in zip(slots, tokens) if slot):
            return None
        return extracted


def _delimited(body: str) -> _Delimited:
    if not body.strip():
        return _Delimited((), ())  # `[]` matches every event and extracts each field by position
    parts = [part.strip() for part in _split_fields(body)]
    ellipses = [i for i, part in enumerate(parts) if part == "..."]
    if len(ellipses) > 1:
        raise UnsupportedPattern("more than one ellipsis")
    slots = [_slot(part) for part in parts if part != "..."]
    names = {slot.name for slot in slots}
    for field in {condition[0] for slot in slots for conditions in slot.alternatives for condition in conditions}:
        if field not in names:  # AWS accepts it but documents nothing it could be compared with
            raise UnsupportedPattern(f"a condition on {field!r}, which no field of the pattern is")
    if not ellipses:
        return _Delimited(tuple(slots), None)
    at = ellipses[0]
    return _Delimited(tuple(slots[:at]), tuple(slots[at:]))


# Term patterns: words and phrases that must (or, with ?, may; with -, must not) appear.

_TERM = re.compile(r'([?-]?)("(?:[^"\\]|\\.)*"|\S+)')


@dataclass(frozen=True)
class _Terms:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    excluded: tuple[str, ...]

    def holds(self, message: str) -> bool:
        # "If you combine ? with other filter patterns, all question mark terms will be ignored" (AWS's page).
        if self.optional and not self.required and not self.excluded:
            return any(term in message for term in self.optional)
        return all(t in message for t in self.required) and not any(t in message for t in self.excluded)


def _terms(text: str) -> _Terms:
    groups: dict[str, list[str]] = {"": [], "?": [], "-": []}
    for prefix, term in _TERM.findall(text):
        term = json.loads(term) if term.startswith('"') else term
        if term.strip():  # `" "` is AWS's "match everything": a blank phrase asks for nothing
            groups[prefix].append(term)
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
            # a named field, or a field by its position in the event ("numeric identifiers", AWS's page)
            if metric_value[1:] in names or re.fullmatch(r"\$[1-9][0-9]*", metric_value):
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
            value = _as_number((self.tree.fields(message) or {}).get(metric_value))
        return value if value is not None and math.isfinite(value) else None
