"""An IAM statement's Condition block, and the wildcard and policy-variable patterns it shares with
the Action and Resource elements, as AWS documents them:

- "IAM JSON policy elements: Condition operators"
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- "Conditions with multiple context keys or values"
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
- "Single-valued vs. multivalued context keys"
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
- "IAM policy elements: Variables and tags"
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

A context is a mapping of lower-cased condition key to value (str, bool, number, or a list for a
multivalued key such as aws:TagKeys); build one with `context_by_key`.
"""

import ipaddress
import operator
import re
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Optional

Context = Mapping[str, Any]
# A value's test against one policy value, in its positive form (StringNotEquals tests equality).
ValueTest = Callable[[str, str, Context], bool]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_WITH_DEFAULT = re.compile(r"\s*(.+?)\s*,\s*'([^']*)'\s*")
# Stand-ins for the policy's own wildcards once variables are substituted: a `*` that came from a
# variable's value, or from `${*}`, is a literal character and must not match anything else.
_ANY_RUN, _ANY_ONE = "\ue000", "\ue001"
_OPERATOR = re.compile(r"(?:(ForAllValues|ForAnyValue):)?(.+?)(IfExists)?", re.IGNORECASE)


def context_by_key(context: Mapping[str, Any]) -> dict[str, Any]:
    """Condition key names are case-insensitive ("aws:CurrentTime" is "AWS:currenttime")."""
    return {key.lower(): value for key, value in context.items()}


def _as_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _is_multivalued(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, frozenset))


def _is_null(value: Any) -> bool:
    """Absent, or an empty set: "if the key values resolve to a null data set" (ForAllValues)."""
    return value is None or (_is_multivalued(value) and not value)


def _variable_value(inner: str, context: Context) -> Optional[str]:
    """`${key}`, `${key, 'default'}`, or one of the escapes `${*}` `${?}` `${$}`. A multivalued key
    cannot be a variable, so it has no value here, like an absent key."""
    if inner in ("*", "?", "$"):
        return inner
    with_default = _WITH_DEFAULT.fullmatch(inner)
    name, default = (with_default.group(1), with_default.group(2)) if with_default else (inner.strip(), None)
    value = context.get(name.lower())
    return default if value is None or _is_multivalued(value) else _as_text(value)


def _resolve(text: str, context: Context, wildcards: bool) -> Optional[str]:
    """`text` with its policy variables substituted and, if `wildcards`, its own `*` and `?` turned into
    stand-ins. None when a variable has no value: "the resource that includes a policy variable with no
    value will not match any resource", and positive condition operators do not match it."""
    parts = []
    for index, piece in enumerate(_VARIABLE.split(text)):  # literal, variable, literal, ...
        if index % 2:
            piece = _variable_value(piece, context)
            if piece is None:
                return None
        elif wildcards:
            piece = piece.replace("*", _ANY_RUN).replace("?", _ANY_ONE)
        parts.append(piece)
    return "".join(parts)


def _regex(resolved: str, ignore_case: bool = False) -> re.Pattern:
    pattern = "".join(".*" if c == _ANY_RUN else "." if c == _ANY_ONE else re.escape(c) for c in resolved)
    return re.compile(pattern, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _matches(pattern: str, value: str, context: Context, wildcards: bool, ignore_case: bool) -> bool:
    resolved = _resolve(pattern, context, wildcards)
    return resolved is not None and _regex(resolved, ignore_case).fullmatch(value) is not None


def like(pattern: str, value: str, context: Context, ignore_case: bool = False) -> bool:
    """`*` is any run of characters (also none, also `:` and `/`), `?` exactly one."""
    return _matches(pattern, value, context, wildcards=True, ignore_case=ignore_case)


def arn_like(pattern: str, arn: str, context: Context) -> bool:
    """ArnLike, and the Resource element: "Each of the six colon-delimited components of the ARN is
    checked separately", so a wildcard stays within its component, except in the sixth, which holds the
    rest of the ARN ("log-group:/aws/lambda/f:*"). A pattern or value of fewer components (`*`) is
    matched whole."""
    resolved = _resolve(pattern, context, wildcards=True)
    if resolved is None:
        return False
    pattern_parts, arn_parts = resolved.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) < 6 or len(arn_parts) < 6:
        pattern_parts, arn_parts = [resolved], [arn]
    return all(_regex(part).fullmatch(value) for part, value in zip(pattern_parts, arn_parts))


def _string_test(wildcards: bool = False, ignore_case: bool = False) -> ValueTest:
    return lambda value, policy_value, context: _matches(policy_value, value, context, wildcards, ignore_case)


def _compared_test(read: Callable[[str], float], compare: Callable[[float, float], bool]) -> ValueTest:
    """A numeric or date operator: both sides read as numbers; a side that is no number never matches."""
    def test(value: str, policy_value: str, context: Context) -> bool:
        try:
            return compare(read(value), read(policy_value))
        except ValueError:
            return False
    return test


def _instant(text: str) -> float:
    """Epoch seconds, or a W3C profile of ISO 8601 ("2020-01-01T00:00:01Z", "2020-01-01")."""
    try:
        return float(text)
    except ValueError:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _ip_test(value: str, policy_value: str, context: Context) -> bool:
    """A policy address without a prefix is a /32 (or /128); IPv4 is never inside an IPv6 range."""
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(policy_value, strict=False)
    except ValueError:
        return False


def _arn_test(value: str, policy_value: str, context: Context) -> bool:
    return arn_like(policy_value, value, context)


# Base operator (lower-cased) -> its positive test and whether the operator negates it.
_OPERATORS: dict[str, tuple[ValueTest, bool]] = {
    "stringequals": (_string_test(), False),
    "stringnotequals": (_string_test(), True),
    "stringequalsignorecase": (_string_test(ignore_case=True), False),
    "stringnotequalsignorecase": (_string_test(ignore_case=True), True),
    "stringlike": (_string_test(wildcards=True), False),
    "stringnotlike": (_string_test(wildcards=True), True),
    "numericequals": (_compared_test(float, operator.eq), False),
    "numericnotequals": (_compared_test(float, operator.eq), True),
    "numericlessthan": (_compared_test(float, operator.lt), False),
    "numericlessthanequals": (_compared_test(float, operator.le), False),
    "numericgreaterthan": (_compared_test(float, operator.gt), False),
    "numericgreaterthanequals": (_compared_test(float, operator.ge), False),
    "dateequals": (_compared_test(_instant, operator.eq), False),
    "datenotequals": (_compared_test(_instant, operator.eq), True),
    "datelessthan": (_compared_test(_instant, operator.lt), False),
    "datelessthanequals": (_compared_test(_instant, operator.le), False),
    "dategreaterthan": (_compared_test(_instant, operator.gt), False),
    "dategreaterthanequals": (_compared_test(_instant, operator.ge), False),
    "bool": (_string_test(ignore_case=True), False),
    "binaryequals": (_string_test(), False),
    "ipaddress": (_ip_test, False),
    "notipaddress": (_ip_test, True),
    "arnequals": (_arn_test, False),  # "ArnEquals and ArnLike behave identically"
    "arnlike": (_arn_test, False),
    "arnnotequals": (_arn_test, True),
    "arnnotlike": (_arn_test, True),
}


def _key_holds(qualifier: Optional[str], test: ValueTest, negated: bool, if_exists: bool,
               policy_values: list[str], value: Any, context: Context) -> bool:
    if _is_null(value):
        # "If the key ... is not present in the request context, the values do not match and the
        # condition is false. If the policy condition requires that the key is not matched, such as
        # StringNotLike or ArnNotLike, and the right key is not present, the condition is true."
        # ForAllValues "also returns true if there are no context keys in the request"; ForAnyValue
        # returns false; ...IfExists is true.
        if if_exists or qualifier == "forallvalues":
            return True
        return False if qualifier == "foranyvalue" else negated

    def one_value_holds(one: Any) -> bool:
        # Several policy values are ORed; for a negated operator they are NORed: none may match.
        return any(test(_as_text(one), policy_value, context) for policy_value in policy_values) != negated

    if qualifier is None:
        # "Multivalued context keys require a condition set operator": a bare operator never matches one.
        return not _is_multivalued(value) and one_value_holds(value)
    values = value if _is_multivalued(value) else [value]
    return (all if qualifier == "forallvalues" else any)(one_value_holds(one) for one in values)


def _null_holds(policy_values: list[str], value: Any) -> bool:
    """Null: "true (the key doesn't exist — it is null) or false (the key exists and its value is not null)"."""
    return any((policy_value.lower() == "true") == _is_null(value) for policy_value in policy_values)


def _operator(name: str) -> Optional[tuple]:
    """A condition operator's (set qualifier, test, negated, IfExists), or None for Null, which takes
    neither a set qualifier nor IfExists."""
    parsed = _OPERATOR.fullmatch(name)
    qualifier, base, if_exists = parsed.groups() if parsed else (None, "", None)
    if base.lower() == "null" and not qualifier and not if_exists:
        return None
    if base.lower() not in _OPERATORS:
        raise ValueError(f"unknown IAM condition operator {name!r}")
    return (qualifier.lower() if qualifier else None, *_OPERATORS[base.lower()], bool(if_exists))


def condition_test(condition: Mapping[str, Mapping[str, Any]]) -> Callable[[Context], bool]:
    """The Condition block as a test of a context; operators and keys are ANDed. Every operator is read
    now, so a misspelt one fails loudly (ValueError) instead of reading as a condition that never holds."""
    operators = {name: _operator(name) for name in condition}
    checks = [(operators[name], key.lower(), [_as_text(v) for v in (values if isinstance(values, list) else [values])])
              for name, keys in condition.items() for key, values in keys.items()]

    def holds(context: Context) -> bool:
        return all(_null_holds(policy_values, context.get(key)) if spec is None
                   else _key_holds(*spec, policy_values, context.get(key), context)
                   for spec, key, policy_values in checks)
    return holds
