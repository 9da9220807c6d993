"""The stack's settings: read once from `pulumi.Config`, validated before any resource exists.

Defaults live in one place, the `config:` block of Pulumi.yaml, which the Pulumi CLI merges
under every stack's own values; this module only types and checks what arrives.
"""

import difflib
import json
from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, StrictBool, ValidationError, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from aws_limits import (BUDGET_NAME, CODEBUILD_PROJECT_NAME, CODEDEPLOY_NAME, CONNECTION_NAME, CONNECTION_PROVIDERS,
                        DASHBOARD_NAME, ECR_REPOSITORY_NAME, EVENT_RULE_NAME, IAM_ROLE_NAME, LAMBDA_ARCHITECTURES,
                        LAMBDA_FUNCTION_NAME, LOG_RETENTION_DAYS, NOTIFICATION_RULE_NAME, PIPELINE_NAME, S3_BUCKET_NAME,
                        SECRET_NAME, SNS_TOPIC_NAME, NameRule)
from components.pipeline_stages import layout_problems
from function_settings import (FUNCTION_KEYS, FunctionSettings, FunctionValues, folders_with_dockerfile,
                               read_functions, scheduled_names)
from lambda_logs import LOG_FORMATS
from policies.scan_findings import FAIL_ON, FAIL_ON_FIXABLE, IGNORED, MAX_WAIT, MAX_WAIT_MINUTES
from setting_checks import (at_least, describe, email_or_empty, listed, matching, one_of, parse_digests, parse_tags,
                            severities, usage, within)

# CodeConnections' FullRepositoryId: owner/name, or group/subgroup/name on GitLab.
_REPOSITORY_ID = r"^([A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+)?$"
# git check-ref-format's rules, as far as a branch name in a settings file can break them.
_BRANCH = r"^(?!-)(?!.*\.\.)(?!.*//)(?!.*@\{)(?!.*\.lock$)[^\s~^:?*\[\\\x00-\x1f\x7f]+(?<![/.])$"
_CONNECTION_ARN = r"^(arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]+)?$"


class SettingsError(pulumi.RunError):
    """A stack setting is wrong; the message names the key, the value and what is allowed."""


class StackSettings(FunctionValues):
    """Everything the components need to know about one stack, typed and checked. The values a function may set
    for itself (FunctionValues) are, here, every function's defaults."""

    project: str
    stack: str
    # The one function of a stack that has no lambdakit:functions (a folder under functions/).
    app: str
    architecture: Annotated[str, one_of(LAMBDA_ARCHITECTURES)]
    log_retention_days: Annotated[int, one_of(LOG_RETENTION_DAYS)]
    log_level: Annotated[str, one_of(("DEBUG", "INFO", "WARN", "ERROR"))]
    log_format: Annotated[str, one_of(LOG_FORMATS)]
    ecr_scan_on_push: StrictBool  # true or false, as Pulumi's Config.get_bool reads them
    ecr_tag_mutability: Annotated[str, one_of(("MUTABLE", "IMMUTABLE"))]
    ecr_expire_untagged_days: Annotated[int, at_least(1)]
    ecr_keep_last_images: Annotated[int, at_least(2, " (one image to run, one to roll back to)")]
    ecr_force_delete: StrictBool
    # The user's own tags on every taggable resource, beside the stack's (cost centre, owner, ...).
    extra_tags: dict[str, str]
    alarm_email: Annotated[str, AfterValidator(email_or_empty)]
    scan_fail_on_severities: Annotated[list[str], AfterValidator(severities)]
    scan_fail_on_fixable_severities: Annotated[list[str], AfterValidator(severities)]
    scan_ignored_vulnerabilities: list[str]
    scan_max_wait_minutes: Annotated[int, within(*MAX_WAIT_MINUTES, "minutes (CodePipeline ends a Lambda action "
                                                                     "after 24 hours)")]
    # Registry-wide (Inspector) scanning for the stack's repositories: OFF, SCAN_ON_PUSH or CONTINUOUS_SCAN.
    ecr_enhanced_scanning: Annotated[str, one_of(("OFF", "SCAN_ON_PUSH", "CONTINUOUS_SCAN"))]
    # Deploy these images (NAME=sha256:…) of the functions' repositories instead of building them (the pipeline's
    # Deploy stage sets them).
    image_digests: dict[str, str]
    # The delivery pipeline: none when the repository is empty.
    pipeline_repository: Annotated[str, matching(_REPOSITORY_ID, "owner/name of the source repository, or empty "
                                                                  "for no pipeline")]
    pipeline_branch: Annotated[str, matching(_BRANCH, "a git branch name")]
    pipeline_provider: Annotated[str, one_of(CONNECTION_PROVIDERS)]
    pipeline_connection_arn: Annotated[str, matching(_CONNECTION_ARN, "a CodeConnections connection ARN, or empty "
                                                                       "for one the stack creates")]
    pipeline_artifact_days: Annotated[int, within(1, 365, "days")]
    # One function's canary rolled back (or any failure in Deploy) rolls the whole Deploy stage back to the last
    # successful run, undoing every function's release of this run; otherwise each function's release stands alone.
    pipeline_rollback_together: StrictBool
    # What the plan cannot know of the pipeline, for the cost estimate (the preview's and the pack's).
    usage_pipeline_runs_per_month: Annotated[int, usage("usagePipelineRunsPerMonth")]
    usage_build_minutes_per_run: Annotated[int, usage("usageBuildMinutesPerRun")]
    usage_build_log_bytes_per_minute: Annotated[int, usage("usageBuildLogBytesPerMinute")]
    usage_artifact_mb_per_run: Annotated[int, usage("usageArtifactMbPerRun")]
    usage_busy_hours_per_day: Annotated[int, usage("usageBusyHoursPerDay")]
    usage_dashboard_views_per_month: Annotated[int, usage("usageDashboardViewsPerMonth")]
    usage_log_query_runs_per_month: Annotated[int, usage("usageLogQueryRunsPerMonth")]
    usage_log_query_hours: Annotated[int, usage("usageLogQueryHours")]
    usage_scan_minutes_per_run: Annotated[int, usage("usageScanMinutesPerRun")]
    usage_free_tier: StrictBool
    # The stack's AWS budget: none at 0.
    budget_monthly_usd: Annotated[int, within(0, 1_000_000_000, "USD (0 for no budget)")]
    budget_actual_percent: Annotated[int, within(1, 1000, "% of the budget")]
    budget_forecast_percent: Annotated[int, within(1, 1000, "% of the budget")]
    # Filled from lambdakit:functions (or app) once the values above are known to be valid.
    functions: tuple[FunctionSettings, ...] = ()

    @field_validator("extra_tags", mode="before")
    @classmethod
    def _tag_pairs(cls, value: Any) -> Any:
        return parse_tags(listed(value, "KEY=value"))

    @field_validator("image_digests", mode="before")
    @classmethod
    def _digest_pairs(cls, value: Any) -> Any:
        return parse_digests(listed(value, "NAME=sha256:…"))

    @field_validator("pipeline_connection_arn")
    @classmethod
    def _connection_needs_pipeline(cls, value: str, info: ValidationInfo) -> str:
        if value and not info.data.get("pipeline_repository"):
            raise ValueError("names a connection for a pipeline, but lambdakit:pipelineRepository is empty")
        return value

    def function(self, name: str) -> FunctionSettings:
        return next(function for function in self.functions if function.name == name)

    @property
    def stack_prefix(self) -> str:
        """What every name in the stack starts with; the stack's dashboard is named so."""
        return f"{self.project}-{self.stack}"

    @property
    def alarm_topic_name(self) -> str:
        return f"{self.stack_prefix}-alarms"

    @property
    def budget_name(self) -> str:
        return f"{self.stack_prefix}-monthly"

    @property
    def scan_gate_function_name(self) -> str:
        return f"{self.stack_prefix}-scan-gate"

    @property
    def gate_defaults(self) -> dict:
        """The scan gate's thresholds and patience, in the keys its UserParameters use."""
        return {FAIL_ON: self.scan_fail_on_severities, FAIL_ON_FIXABLE: self.scan_fail_on_fixable_severities,
                IGNORED: self.scan_ignored_vulnerabilities, MAX_WAIT: self.scan_max_wait_minutes}

    @property
    def has_pipeline(self) -> bool:
        return bool(self.pipeline_repository)

    @property
    def has_budget(self) -> bool:
        return self.budget_monthly_usd > 0

    @property
    def delivery_names(self) -> "DeliveryNames":
        return DeliveryNames(self.stack_prefix)

    def name_problems(self) -> list[str]:
        """What AWS would refuse among the names made from project, stack and each function's name (its
        repository, its roles and its release are named after the function; the scan gate, the topic, the
        dashboard and the pipeline after the stack)."""
        names = [(rule, name, made_of) for function in self.functions
                 for rule, name, made_of in function_names(function, self.has_pipeline)]
        names += [(SNS_TOPIC_NAME, self.alarm_topic_name, "project-stack-alarms"),
                  (BUDGET_NAME, self.budget_name, "project-stack-monthly"),
                  (DASHBOARD_NAME, self.stack_prefix, "project-stack")]
        if self.has_pipeline:  # the scan gate exists only where a pipeline calls it
            names += [(rule, self.scan_gate_function_name, "project-stack-scan-gate")
                      for rule in (LAMBDA_FUNCTION_NAME, IAM_ROLE_NAME)]
            names += self.delivery_names.checked()
        return [f"{rule.what} = {json.dumps(name)} ({made_of}): {problem}; rename the stack or the project"
                for rule, name, made_of in names if (problem := rule.problem(name))]

    @property
    def platform(self) -> str:
        """The image platform that runs on the function's architecture."""
        return {"arm64": "linux/arm64", "x86_64": "linux/amd64"}[self.architecture]

    def function_environment(self, function: FunctionSettings) -> dict[str, str]:
        """The function's variables plus the two the handler reads to describe where it runs."""
        return {**function.environment, "ENVIRONMENT": self.stack, "LOG_LEVEL": self.log_level}

    @property
    def tags(self) -> dict[str, str]:
        return {**self.extra_tags, **self.fixed_tags}

    def function_tags(self, function: FunctionSettings) -> dict[str, str]:
        """A function's parts carry its name as `app` besides the stack's tags."""
        return {**self.tags, "app": function.name}

    @property
    def fixed_tags(self) -> dict[str, str]:
        """The tags no setting changes: the pipeline's own roles carry only these, so that a tag setting changed
        through the pipeline never asks it to retag a role it may not change."""
        return {**self.cost_tags, "managed-by": "pulumi"}

    @property
    def cost_tags(self) -> dict[str, str]:
        """The tags that tell this stack's resources (and so its costs) from every other stack's."""
        return {"project": self.project, "stack": self.stack}


@dataclass(frozen=True)
class DeliveryNames:
    """The names of the delivery pipeline's parts: the pipeline, its roles and build projects, after the stack."""

    stack_prefix: str

    @property
    def pipeline(self) -> str:
        return self.stack_prefix

    def stage_role(self, stage: str) -> str:
        """The role of the pipeline itself ("pipeline") or of one of its CodeBuild projects (named alike)."""
        return f"{self.stack_prefix}-{stage}"

    @property
    def connection(self) -> str:
        return self.stack_prefix

    @property
    def artifact_bucket_prefix(self) -> str:
        return f"{self.stack_prefix}-artifacts-"

    @property
    def token_secret(self) -> str:
        return f"{self.stack_prefix}/pulumi-access-token"

    @property
    def restart_rule(self) -> str:
        """The EventBridge rule that starts the pipeline again after a run its own Deploy cancelled."""
        return f"{self.stack_prefix}-restart"

    def checked(self) -> list[tuple[NameRule, str, str]]:
        """Each name with the rule AWS holds it to. The bucket is checked as the name its prefix makes: the
        AWS provider appends 26 characters."""
        return [(PIPELINE_NAME, self.pipeline, "project-stack"),
                (CONNECTION_NAME, self.connection, "project-stack"),
                (NOTIFICATION_RULE_NAME, self.pipeline, "project-stack"),
                (S3_BUCKET_NAME, self.artifact_bucket_prefix + "0" * 26, "project-stack-artifacts-<26 unique>"),
                (SECRET_NAME, self.token_secret, "project-stack/pulumi-access-token"),
                (IAM_ROLE_NAME, self.stage_role("pipeline"), "project-stack-pipeline"),
                (IAM_ROLE_NAME, self.stage_role("restart"), "project-stack-restart"),
                (EVENT_RULE_NAME, self.restart_rule, "project-stack-restart"),
                *[(rule, self.stage_role(stage), f"project-stack-{stage}") for stage in BUILD_STAGES
                  for rule in (IAM_ROLE_NAME, CODEBUILD_PROJECT_NAME)]]


# The pipeline's CodeBuild projects; each has its own role, with only what that stage does.
BUILD_STAGES = ("test", "build", "deploy", "release")

def function_names(function: FunctionSettings, has_pipeline: bool) -> list[tuple[NameRule, str, str]]:
    """The names made for one function, with the rule AWS holds each to."""
    names = [(rule, function.function_name, "project-stack-function")
             for rule in (LAMBDA_FUNCTION_NAME, ECR_REPOSITORY_NAME, IAM_ROLE_NAME)]
    if function.schedule:
        names += scheduled_names(function.function_name)
    if has_pipeline:
        names += [(CODEDEPLOY_NAME, function.function_name, "project-stack-function"),
                  (IAM_ROLE_NAME, function.codedeploy_role, "project-stack-function-codedeploy")]
    return names


# Only these keys come from `pulumi.Config`; project and stack come from the engine.
CONFIG_KEYS = tuple(to_camel(name) for name in StackSettings.model_fields if name not in ("project", "stack"))
# Declared in Pulumi.yaml with their defaults: every key but `functions`, an object (which Pulumi.yaml's config
# types cannot declare; without it the stack has one function, `app`, with the stack's values).
DECLARED_KEYS = tuple(key for key in CONFIG_KEYS if key != "functions")


def _raw_value(config: pulumi.Config, key: str, as_text: bool) -> Any:
    """Config arrives as text; numbers, booleans, arrays and objects are JSON-encoded by the CLI."""
    raw = config.get(key)
    if raw is None or as_text:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # left to validation, which names what was expected


def _unread_keys(namespace: str) -> list[str]:
    """Keys of the project's namespace that the stack sets and no setting reads (a misspelt key would otherwise
    leave its setting at the default, silently). The engine hands a program its config either way the SDK reads."""
    given = {*pulumi.runtime.config.CONFIG.get(), *pulumi.runtime.config.get_config_env()}
    return sorted(key.split(":", 1)[1] for key in given
                  if key.startswith(f"{namespace}:") and key.split(":", 1)[1] not in CONFIG_KEYS)


def _unread_problem(namespace: str, key: str) -> str:
    value = pulumi.runtime.config.get_config(f"{namespace}:{key}")
    nearest = difflib.get_close_matches(key, CONFIG_KEYS, n=1, cutoff=0.6)
    hint = f"did you mean {namespace}:{nearest[0]}?" if nearest else "see Pulumi.yaml for the settings there are"
    return f"{namespace}:{key} = {json.dumps(value)}: no setting reads this key; {hint}"


def _app_problem(namespace: str, app: Any) -> list[str]:
    """The one function of a stack without lambdakit:functions must be a folder with a Dockerfile."""
    if isinstance(app, str) and app in folders_with_dockerfile():
        return []
    return [f"{namespace}:app = {json.dumps(app)}: must name a folder under functions/ with a Dockerfile (there "
            f"are: {', '.join(folders_with_dockerfile()) or 'none'}), or set {namespace}:functions"]


def _read_settings(config: pulumi.Config, project: str, stack: str) -> StackSettings:
    """Read and check every setting; on any mistake raise one SettingsError naming each bad key."""
    text_keys = {to_camel(n) for n, f in StackSettings.model_fields.items() if f.annotation is str}
    raw = {key: _raw_value(config, key, key in text_keys) for key in CONFIG_KEYS}
    entries = raw.pop("functions")
    has_pipeline = bool(raw.get("pipelineRepository"))
    problems = [_unread_problem(config.name, key) for key in _unread_keys(config.name)]
    try:
        settings = StackSettings.model_validate(
            {"project": project, "stack": stack, **{k: v for k, v in raw.items() if v is not None}},
            context={"has_pipeline": has_pipeline})
    except ValidationError as invalid:
        for error in invalid.errors():
            key = to_camel(str(error["loc"][0]))
            problems.append(f"{config.name}:{key} = {json.dumps(raw.get(key))}: {describe(error, config.get(key))}")
        raise SettingsError("invalid stack settings:\n  " + "\n  ".join(problems)) from None
    if entries is None:
        if app_problem := _app_problem(config.name, settings.app):
            raise SettingsError("invalid stack settings:\n  " + "\n  ".join(problems + app_problem))
        entries = {settings.app: {}}
    functions, invalid = read_functions(config.name, settings.stack_prefix, entries, {
        key: raw[key] for key in FUNCTION_KEYS if raw.get(key) is not None}, has_pipeline, settings.image_digests)
    problems += invalid
    if problems:
        raise SettingsError("invalid stack settings:\n  " + "\n  ".join(problems))
    return settings.model_copy(update={"functions": functions})


def load_settings(config: pulumi.Config, project: str, stack: str) -> StackSettings:
    """Read and check every setting, and every AWS name they make, before any resource is declared."""
    settings = _read_settings(config, project, stack)
    if problems := settings.name_problems():
        raise SettingsError("invalid names for AWS:\n  " + "\n  ".join(problems))
    if settings.has_pipeline and (problems := layout_problems([f.name for f in settings.functions])):
        raise SettingsError(f"{config.name}:functions: the stack's functions do not fit one pipeline:\n  "
                            + "\n  ".join(problems))
    return settings


def read_stack_settings() -> StackSettings:
    return load_settings(pulumi.Config(), pulumi.get_project(), pulumi.get_stack())

