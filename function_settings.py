"""Each function's settings: the stack's top-level values as defaults, under `lambdakit:functions.<name>` what one
function sets for itself. Checked before any resource is declared, like every setting (settings.py reads them)."""

import difflib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from aws_limits import (IAM_ROLE_NAME, LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS, LAMBDA_ASYNC_RETRY_ATTEMPTS,
                        LAMBDA_EPHEMERAL_STORAGE_MB, LAMBDA_MEMORY_MB, LAMBDA_TIMEOUT_SECONDS,
                        SCHEDULE_MAX_EVENT_AGE_SECONDS, SCHEDULE_NAME, SCHEDULE_RETRY_ATTEMPTS, SQS_QUEUE_NAME, NameRule)
from components.monitoring import MIN_CANARY_MINUTES
from policies.cost import schedule as schedule_expression
from setting_checks import (RESERVED_APP_NAMES, at_least, describe, listed, one_of, parse_environment, usage,
                            valid_origins, within)

# A function's folder under functions/, and the last part of every name made for it.
FUNCTION_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,30}$"
# No URL: a function other services invoke (a schedule, a queue) rather than HTTP callers.
NO_URL = "OFF"
FUNCTIONS_DIR = Path("functions")  # the CLI runs the program from the project folder


def _checked_schedule(expression: str) -> str:
    if expression and (problem := schedule_expression.problem(expression)):
        raise ValueError(problem)
    return expression


def _checked_timezone(name: str) -> str:
    if problem := schedule_expression.timezone_problem(name):
        raise ValueError(problem)
    return name


class FunctionValues(BaseModel):
    """What each function may set for itself; the stack's top-level keys of the same names are every function's
    defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    memory_mb: Annotated[int, within(*LAMBDA_MEMORY_MB, "MB")]
    timeout_seconds: Annotated[int, within(*LAMBDA_TIMEOUT_SECONDS, "seconds")]
    ephemeral_storage_mb: Annotated[int, within(*LAMBDA_EPHEMERAL_STORAGE_MB, "MB")]
    reserved_concurrency: Annotated[int, at_least(-1, " (-1 reserves none)")]
    provisioned_concurrency: Annotated[int, at_least(0)]
    function_url_auth_type: Annotated[str, one_of(("AWS_IAM", "NONE", NO_URL))]
    cors_allow_origins: Annotated[list[str], AfterValidator(valid_origins)]
    environment: dict[str, str]
    # Lambda stops an on-demand init at 10 s, so a threshold above that could never be crossed.
    alarm_init_duration_ms: Annotated[int, within(100, 10000, "ms")]
    alarm_cold_start_percent: Annotated[int, within(1, 100, "%")]
    alarm_error_percent: Annotated[int, within(1, 100, "%")]
    alarm_throttles: Annotated[int, at_least(0)]
    alarm_duration_percent_of_timeout: Annotated[int, within(1, 100, "%")]
    alarm_concurrency_percent_of_reserved: Annotated[int, within(1, 100, "%")]
    alarm_spillover_percent: Annotated[int, within(1, 100, "%")]
    alarm_url_server_error_percent: Annotated[int, within(1, 100, "%")]
    pipeline_canary_percent: Annotated[int, within(1, 99, "% (the rest follows after pipelineCanaryMinutes)")]
    # The release waits in a CodeBuild build, billed by the minute, for the whole canary: two hours at most.
    pipeline_canary_minutes: Annotated[int, within(1, 120, "minutes")]
    # What the plan cannot know of the function's traffic, for the cost estimate.
    usage_requests_per_month: Annotated[int, usage("usageRequestsPerMonth")]
    usage_average_duration_ms: Annotated[int, usage("usageAverageDurationMs")]
    usage_log_bytes_per_request: Annotated[int, usage("usageLogBytesPerRequest")]
    # How a schedule (`schedule`, set per function) reaches the function.
    schedule_timezone: Annotated[str, AfterValidator(_checked_timezone)]
    schedule_retry_attempts: Annotated[int, within(*SCHEDULE_RETRY_ATTEMPTS, "")]
    schedule_max_event_age_seconds: Annotated[int, within(*SCHEDULE_MAX_EVENT_AGE_SECONDS, "seconds")]
    async_retry_attempts: Annotated[int, within(*LAMBDA_ASYNC_RETRY_ATTEMPTS, "")]
    async_max_event_age_seconds: Annotated[int, within(*LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS, "seconds")]

    @field_validator("environment", mode="before")
    @classmethod
    def _environment_pairs(cls, value: Any) -> Any:
        return parse_environment(listed(value, "NAME=value"))

    @field_validator("provisioned_concurrency")
    @classmethod
    def _provisioned_within_reserved(cls, value: int, info: ValidationInfo) -> int:
        reserved = info.data.get("reserved_concurrency")
        if reserved is not None and reserved >= 0 and value > reserved:
            raise ValueError(f"must be at most reservedConcurrency ({reserved})")
        return value

    @field_validator("pipeline_canary_minutes")
    @classmethod
    def _canary_outlasts_the_rollback_alarms(cls, value: int, info: ValidationInfo) -> int:
        if (info.context or {}).get("has_pipeline") and value < MIN_CANARY_MINUTES:
            raise ValueError(f"must be at least {MIN_CANARY_MINUTES} minutes: the rollback alarms need that long "
                             "(their periods of evidence, CloudWatch's delay, one evaluation, a margin for late "
                             "metrics) to stop a failing version before it takes all the traffic")
        return value

    @field_validator("usage_average_duration_ms")
    @classmethod
    def _duration_within_timeout(cls, value: int, info: ValidationInfo) -> int:
        timeout = info.data.get("timeout_seconds")
        if timeout is not None and value > timeout * 1000:
            raise ValueError(f"must be at most the function's timeout, timeoutSeconds ({timeout} s = {timeout * 1000} ms)")
        return value

    @property
    def has_url(self) -> bool:
        return self.function_url_auth_type != NO_URL


class FunctionSettings(FunctionValues):
    """One function of the stack: its folder's name, the names made from it, and its values."""

    name: str
    function_name: str  # <project>-<stack>-<name>: the function, its repository, its role, its release
    schedule: Annotated[str, AfterValidator(_checked_schedule)] = ""  # EventBridge Scheduler's expression, or none
    image_digest: str = ""  # the image to deploy rather than build (lambdakit:imageDigests checks it)

    @property
    def codedeploy_role(self) -> str:
        return f"{self.function_name}-codedeploy"


# The keys a function's own entry may hold: every value it may set, and its schedule.
FUNCTION_KEYS = tuple(to_camel(name) for name in FunctionValues.model_fields) + ("schedule",)


def scheduler_role_name(function_name: str) -> str:
    return f"{function_name}-scheduler"


def dead_letter_queue_name(function_name: str) -> str:
    return f"{function_name}-dlq"


def scheduled_names(function_name: str) -> list[tuple[NameRule, str, str]]:
    """The names a schedule adds for its function (components/scheduled_trigger.py makes them): the schedule, its
    role, its dead-letter queue."""
    return [(SCHEDULE_NAME, function_name, "project-stack-function"),
            (IAM_ROLE_NAME, scheduler_role_name(function_name), "project-stack-function-scheduler"),
            (SQS_QUEUE_NAME, dead_letter_queue_name(function_name), "project-stack-function-dlq")]


def folders_with_dockerfile() -> list[str]:
    return sorted(path.parent.name for path in FUNCTIONS_DIR.glob("*/Dockerfile"))


def _name_problem(name: str) -> Optional[str]:
    if not re.match(FUNCTION_NAME_PATTERN, name):
        return "must be a lower-case folder name under functions/ (letters, digits, -; 1..31 characters)"
    if name in RESERVED_APP_NAMES:
        return (f"names one of the stack's own roles or functions ({', '.join(RESERVED_APP_NAMES)}); rename the "
                "folder under functions/")
    return None


def _merged(stack_values: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """The function's own values over the stack's; its environment adds to the stack's (a name it sets wins)."""
    merged = {**stack_values, **own}
    if isinstance(stack_values.get("environment"), list) and isinstance(own.get("environment"), list):
        own_names = {str(pair).partition("=")[0] for pair in own["environment"]}
        merged["environment"] = [pair for pair in stack_values["environment"]
                                 if str(pair).partition("=")[0] not in own_names] + own["environment"]
    return merged


def _entry_problems(key: str, own: dict[str, Any]) -> list[str]:
    problems = []
    for unknown in sorted(set(own) - set(FUNCTION_KEYS)):
        nearest = difflib.get_close_matches(unknown, FUNCTION_KEYS, n=1, cutoff=0.6)
        hint = f"did you mean {nearest[0]}?" if nearest else f"a function may set: {', '.join(FUNCTION_KEYS)}"
        problems.append(f"{key}.{unknown} = {json.dumps(own[unknown])}: no setting reads this key; {hint}")
    if own.get("corsAllowOrigins") and own.get("functionUrlAuthType") == NO_URL:
        problems.append(f"{key}.corsAllowOrigins = {json.dumps(own['corsAllowOrigins'])}: the function has no URL "
                        f"(functionUrlAuthType {NO_URL}), so no browser can call it")
    return problems


def _one_function(key: str, name: str, function_name: str, merged: dict[str, Any], has_pipeline: bool,
                  digest: str) -> tuple[Optional[FunctionSettings], list[str]]:
    try:
        return FunctionSettings.model_validate(
            {**merged, "name": name, "functionName": function_name, "imageDigest": digest},
            context={"has_pipeline": has_pipeline}), []
    except ValidationError as invalid:
        return None, [f"{key}.{to_camel(str(error['loc'][0]))} = "
                      f"{json.dumps(merged.get(to_camel(str(error['loc'][0]))))}: {describe(error)}"
                      for error in invalid.errors()]


def read_functions(namespace: str, prefix: str, entries: Any, stack_values: dict[str, Any], has_pipeline: bool,
                   digests: dict[str, str]) -> tuple[tuple[FunctionSettings, ...], list[str]]:
    """The stack's functions from `entries` (the `functions` setting: name -> its own values), each over
    `stack_values` (the stack's raw top-level values); with every problem, each naming its key."""
    key = f"{namespace}:functions"
    if not isinstance(entries, dict) or not entries:
        return (), [f"{key} = {json.dumps(entries)}: must map each function's folder name to its own settings "
                    "(an empty object {} takes the stack's)"]
    folders = folders_with_dockerfile()
    problems = [f"{key}.{name}: {problem}" for name in entries if (problem := _name_problem(name))]
    problems += [f"{key}.{name}: there is no folder functions/{name}/ with a Dockerfile; there are: "
                 f"{', '.join(folders) or 'none'}" for name in entries if name not in folders
                 and not _name_problem(name)]
    problems += [f"functions/{name}/ has a Dockerfile but {key} has no {name}: add `{name}: {{}}` under it (the "
                 f"stack's values) or remove the folder" for name in folders if name not in entries]
    problems += [f"{namespace}:imageDigests names {name}, which is not a function of the stack"
                 for name in digests if name not in entries]
    functions = []
    for name, own in entries.items():
        own = own if own is not None else {}
        if not isinstance(own, dict):
            problems.append(f"{key}.{name} = {json.dumps(own)}: must be an object of the function's own settings")
            continue
        problems += (entry := _entry_problems(f"{key}.{name}", own))
        if entry:
            continue
        function, invalid = _one_function(f"{key}.{name}", name, f"{prefix}-{name}", _merged(stack_values, own),
                                          has_pipeline, digests.get(name, ""))
        problems += invalid
        if function:
            functions.append(function)
    return tuple(functions), problems
