"""How the simulated account says no: AWS's error, and the checks every service shares."""

import json
from typing import Any

from pulumi.output import contains_unknowns
from pulumi.runtime import rpc

from aws_limits import NameRule


class AwsRefusal(Exception):
    """What AWS, or a provider before it calls AWS, answers instead of doing the step."""


def known(*values: Any) -> bool:
    """False for a value not given, or not known until another step runs (a preview's unknowns)."""
    return all(v is not None and v != rpc.UNKNOWN and not contains_unknowns(v) for v in values)


def check_name(rule: NameRule, name: Any) -> None:
    if known(name) and (problem := rule.problem(name)):
        raise AwsRefusal(f"ValidationException: {rule.what} {name!r} {problem}")


def check_range(what: str, value: Any, bounds: tuple[int, int]) -> None:
    if known(value) and not bounds[0] <= value <= bounds[1]:
        raise AwsRefusal(f"InvalidParameterValueException: {what} {value} is outside {bounds[0]}..{bounds[1]}")


def check_one_of(what: str, value: Any, allowed, error: str = "ValidationException") -> None:
    if known(value) and value not in allowed:
        raise AwsRefusal(f"{error}: {what} {value!r} must be one of {', '.join(allowed)}")


def check_length(path: str, value: Any, bounds: tuple[int, int]) -> None:
    """A length outside the API model's constraint, refused in AWS's own words (paths count from 1)."""
    if not known(value) or bounds[0] <= len(value) <= bounds[1]:
        return
    constraint = (f"less than or equal to {bounds[1]}" if len(value) > bounds[1] else
                  f"greater than or equal to {bounds[0]}")
    raise AwsRefusal(f"ValidationException: 1 validation error detected: Value '{value}' at '{path}' failed to "
                     f"satisfy constraint: Member must have length {constraint}")


def as_list(value: Any) -> list:
    return [value] if isinstance(value, str) else list(value or [])


def policy_document(what: str, text: Any) -> dict:
    try:
        document = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        raise AwsRefusal(f"MalformedPolicyDocument: {what} is not JSON") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise AwsRefusal(f"MalformedPolicyDocument: {what} has no Statement")
    statements = document["Statement"]
    return {**document, "Statement": [statements] if isinstance(statements, dict) else statements}
