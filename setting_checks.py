"""The checks each stack setting's value goes through (settings.py applies them): each raises ValueError with the
sentence that tells a person what is allowed."""

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator

from aws_limits import URL_CORS_MAX_ITEMS, URL_CORS_MAX_ORIGIN_LENGTH
from policies.cost.usage import SETTINGS as USAGE_SETTINGS
from policies.scan_findings import SEVERITIES

# Names Lambda reserves for itself, and the ones this program sets from other settings.
_RESERVED_ENV_NAMES = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    "ENVIRONMENT", "LOG_LEVEL",
})
_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Plain-text environment variables are visible to anyone who can read the function's
# configuration, so names that announce a secret are refused outright.
_SECRET_LOOKING_NAME = re.compile(r"(^|_)(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIALS?)(_|$)")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")

def within(low: int, high: int, unit: str) -> AfterValidator:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be {low}..{high} {unit}".rstrip())
        return value
    return AfterValidator(check)


def one_of(allowed: tuple) -> AfterValidator:
    def check(value: Any) -> Any:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(str(a) for a in allowed)}")
        return value
    return AfterValidator(check)


def matching(pattern: str, meaning: str) -> AfterValidator:
    def check(value: str) -> str:
        if not re.match(pattern, value):
            raise ValueError(f"must be {meaning}")
        return value
    return AfterValidator(check)


def usage(key: str) -> AfterValidator:
    """The bounds the cost model gives a usage setting (policies/cost/usage.py)."""
    _, least, most = USAGE_SETTINGS[key]
    return within(least, most, "")


# The stack's own roles and functions are named <project>-<stack>-<this>: a function named so would take their name.
RESERVED_APP_NAMES = ("pipeline", "test", "build", "deploy", "release", "restart", "scan-gate")


def listed(value: Any, entry: str) -> list:
    """A setting written as a list of entries; one entry alone (`-c environment=FOO=bar`) is told how to write it."""
    if not isinstance(value, list):
        raise ValueError(f"must be a list of {entry} entries, as YAML or JSON: [\"{entry}\"]")
    return value


def at_least(low: int, meaning: str = "") -> AfterValidator:
    def check(value: int) -> int:
        if value < low:
            raise ValueError(f"must be {low} or more{meaning}")
        return value
    return AfterValidator(check)


def valid_origins(origins: list[str]) -> list[str]:
    if len(origins) > URL_CORS_MAX_ITEMS:
        raise ValueError(f"must list at most {URL_CORS_MAX_ITEMS} origins")
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin):
            raise ValueError(f"origin {origin!r} must be \"*\" or scheme://host[:port] with no path")
        if len(origin) > URL_CORS_MAX_ORIGIN_LENGTH:
            raise ValueError(f"origin {origin[:40]!r}… is longer than {URL_CORS_MAX_ORIGIN_LENGTH} characters")
    return origins


# Tags the program sets itself; a user's tag may not take their keys (AWS tag rules: 128/256 characters, no aws: prefix).
_STACK_TAG_KEYS = ("project", "stack", "app", "managed-by")
_TAG_KEY = re.compile(r"^[\w .:/=+@-]{1,128}$")
_TAG_VALUE = re.compile(r"^[\w .:/=+@-]{0,256}$")


def parse_tags(pairs: list[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not _TAG_KEY.match(key) or not _TAG_VALUE.match(value):
            raise ValueError(f"entry {pair!r} must be KEY=value, a key of 1..128 and a value of 0..256 letters, "
                             "digits, spaces or _.:/=+-@")
        if key.lower().startswith("aws:") or key in _STACK_TAG_KEYS:
            raise ValueError(f"{key} is reserved by AWS or set by this program ({', '.join(_STACK_TAG_KEYS)})")
        if key in tags:
            raise ValueError(f"{key} is given twice")
        tags[key] = value
    return tags


_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def parse_digests(pairs: list[str]) -> dict[str, str]:
    """NAME=sha256:… entries: the image each named function deploys."""
    digests: dict[str, str] = {}
    for pair in pairs:
        name, sep, digest = str(pair).partition("=")
        if not sep or not _DIGEST.match(digest):
            raise ValueError(f"entry {pair!r} must be NAME=sha256: and 64 lower-case hex digits")
        if name in digests:
            raise ValueError(f"{name} is given twice")
        digests[name] = digest
    return digests


def severities(values: list[str]) -> list[str]:
    if unknown := [v for v in values if v not in SEVERITIES]:
        raise ValueError(f"{', '.join(map(repr, unknown))} is not a severity ECR reports; allowed: {', '.join(SEVERITIES)}")
    return values


def email_or_empty(address: str) -> str:
    """An address SNS can send to, or "" for no subscription (DNS is not asked: the check runs offline)."""
    if not address:
        return address
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as invalid:
        raise ValueError(f"must be an e-mail address or empty ({invalid})") from None


def parse_environment(pairs: list[str]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not _ENV_NAME.match(name):
            raise ValueError(f"entry {pair!r} must be NAME=value with NAME made of letters, digits and _")
        if name in _RESERVED_ENV_NAMES:
            raise ValueError(f"{name} is reserved by Lambda or set by this program")
        if _SECRET_LOOKING_NAME.search(name.upper()):
            raise ValueError(f"{name} looks like a secret; keep secrets in Secrets Manager or SSM, not in plain text")
        if name in variables:
            raise ValueError(f"{name} is given twice")
        variables[name] = value
    return variables


def describe(error: dict, given: Any = None) -> str:
    """A pydantic error in the settings' words; `given` is the setting's raw value ("null" when set to nothing)."""
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if error["type"] == "missing" and given == "null":
        return "has no value: give one, or delete the line to take Pulumi.yaml's default"
    if error["type"] == "missing":
        return "is not set (Pulumi.yaml declares its default; is this the project's folder?)"
    if error["type"].startswith("int_"):
        return "must be a whole number"
    if error["type"].startswith("bool"):
        return "must be true or false"
    if error["type"].startswith("list"):
        return "must be a list"
    return error["msg"]
