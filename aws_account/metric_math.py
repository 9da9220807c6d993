"""CloudWatch metric math over the periods an alarm reads ("Using metric math", CloudWatch User Guide): the
functions and operators the project's alarms use (IF, FILL, >=, *, /), with the other arithmetic, comparison and
logical operators. A series is evaluated per period of the evaluation range."""

import operator
import re
from typing import Mapping, Optional, Union

Series = list[Optional[float]]  # one value per period of the evaluation range, oldest first; None = missing
Value = Union[float, Series]

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z_]\w*)|(==|!=|<=|>=|&&|\|\||[-+*/<>(),]))")
_OPERATIONS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
    "/": lambda a, b: None if b == 0 else a / b,  # "attempt to divide by zero, the data point is dropped"
    "==": lambda a, b: float(a == b), "!=": lambda a, b: float(a != b), "<": lambda a, b: float(a < b),
    "<=": lambda a, b: float(a <= b), ">": lambda a, b: float(a > b), ">=": lambda a, b: float(a >= b),
    "AND": lambda a, b: float(bool(a) and bool(b)), "OR": lambda a, b: float(bool(a) or bool(b)),
}
# From the loosest to the tightest binding; each maps how an operator is written to how _OPERATIONS names it.
_LEVELS = ({"||": "OR", "OR": "OR"}, {"&&": "AND", "AND": "AND"},
           {symbol: symbol for symbol in ("==", "!=", "<=", ">=", "<", ">")},
           {"+": "+", "-": "-"}, {"*": "*", "/": "/"})


def metric_math(expression: str, series: Mapping[str, Value]) -> Value:
    """`expression` over `series` (each metric query's values by id, oldest first, None = missing)."""
    reading = _Expression(expression, series)
    result = reading.level(0)
    if reading.peek() is not None:
        raise ValueError(f"unexpected {reading.peek()!r} in metric math {expression!r}")
    return result


def _combine(symbol: str, left: Value, right: Value) -> Value:
    operation = _OPERATIONS[symbol]
    if not isinstance(left, list) and not isinstance(right, list):
        return operation(left, right)
    if not isinstance(right, list):
        return [None if value is None else operation(value, right) for value in left]
    if not isinstance(left, list):
        return [None if value is None else operation(left, value) for value in right]
    # "Missing values in a time series are treated as 0" when the other series has a value (arithmetic), and a
    # comparison "treats the missing value in the other time series as 0"; missing in both stays missing.
    return [None if a is None and b is None else operation(a or 0.0, b or 0.0) for a, b in zip(left, right)]


def _if(condition: Value, when_true: Value, when_false: Optional[Value] = None) -> Value:
    """[math] "Using IF expressions": a missing condition or a missing false branch drops the datapoint; a true
    condition whose true series is missing gives 0."""
    if not isinstance(condition, list):
        return when_true if condition else when_false
    return [None if test is None else _pick(when_true, index, 0.0) if test else _pick(when_false, index, None)
            for index, test in enumerate(condition)]


def _pick(branch: Optional[Value], index: int, when_missing: Optional[float]) -> Optional[float]:
    if isinstance(branch, list):
        return when_missing if branch[index] is None else branch[index]
    return branch


def _fill(series: Value, filler: Value) -> Series:
    """[math] FILL(series, value or series): "Fills the missing values of a time series"."""
    return [_pick(filler, index, None) if value is None else value for index, value in enumerate(as_series(series))]


_FUNCTIONS = {"IF": _if, "FILL": _fill}


def as_series(value: Value) -> Series:
    if not isinstance(value, list):
        raise ValueError(f"a metric math result must be a time series, not the scalar {value}")
    return value


class _Expression:
    """A recursive-descent reading of one expression, computing as it reads."""

    def __init__(self, text: str, series: Mapping[str, Value]):
        self.text, self.series, self.tokens, self.position = text, series, [], 0
        end = 0
        while match := _TOKEN.match(text, end):
            self.tokens.append(match.group(match.lastindex))
            end = match.end()
        if text[end:].strip():
            raise ValueError(f"metric math {text!r}: cannot read {text[end:]!r}")

    def peek(self) -> Optional[str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: Optional[str] = None) -> str:
        token = self.peek()
        if token is None or (expected and token != expected):
            raise ValueError(f"expected {expected or 'more'} in metric math {self.text!r}")
        self.position += 1
        return token

    def level(self, depth: int) -> Value:
        if depth == len(_LEVELS):
            return self.primary()
        left = self.level(depth + 1)
        while self.peek() in _LEVELS[depth]:
            left = _combine(_LEVELS[depth][self.take()], left, self.level(depth + 1))
        return left

    def primary(self) -> Value:
        token = self.take()
        if token == "-":
            return _combine("*", -1.0, self.primary())
        if token == "(":
            inner = self.level(0)
            self.take(")")
            return inner
        if token[0].isdigit() or token[0] == ".":
            return float(token)
        if self.peek() == "(":
            return self.call(token)
        if token in ("REPEAT", "LINEAR"):
            raise NotImplementedError(f"FILL with {token} is not simulated: only a value or a series fills")
        if token not in self.series:
            raise ValueError(f"metric math {self.text!r} uses {token!r}, which no metric query defines")
        return self.series[token]

    def call(self, name: str) -> Value:
        if name not in _FUNCTIONS:
            raise NotImplementedError(f"metric math function {name} is not simulated (only {', '.join(_FUNCTIONS)})")
        self.take("(")
        arguments = [self.level(0)]
        while self.peek() == ",":
            self.take()
            arguments.append(self.level(0))
        self.take(")")
        return _FUNCTIONS[name](*arguments)
