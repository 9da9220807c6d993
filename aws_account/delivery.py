"""The simulated account's delivery services: CodeConnections, CodeBuild and CodePipeline. The messages are the
services' own where their text is known:
  - CodeBuild: "when using CodePipeline both sourceType, and artifactType must be set to: CODEPIPELINE"
    (cloudposse/terraform-aws-codebuild#23), "AWS CodeBuild curated image … is not supported for projects with
    environment type … and compute type …" (aws/copilot-cli#3110, aws/aws-cdk#35368), "CodeBuild is not
    authorized to perform: sts:AssumeRole on …" (which deployment tools retry while a new role propagates);
  - CodePipeline: "Pipeline has only 1 stage(s)…" and "CodePipeline is not authorized to perform AssumeRole on
    role …" (moto's codepipeline backend), "Source actions can only be included in the first stage of the
    pipeline", "ActionType (Category: …) in action … is not available in region …", "Action … declares 0 input
    artifacts which is less than the minimum count (1)" (awsdocs/aws-cloudformation-user-guide#941), "Namespaces
    must be unique across the pipeline definition…" (aws/aws-cdk#6111), "…referencing a namespace that does not
    exist…" (aws/aws-cdk#17272), the model's length constraints in AWS's "1 validation error detected" form.
"""

import re
from typing import Any

from aws_account.ids import urn_uuid
from aws_account.refusals import AwsRefusal, check_length, check_name, check_one_of, check_range, known
from aws_account.storage import BUCKET
from aws_limits import (CODEBUILD_CACHE_MODES, CODEBUILD_CACHE_TYPES, CODEBUILD_COMPUTE_TYPES,
                        CODEBUILD_LAMBDA_COMPUTE, CODEBUILD_PROJECT_NAME, CODEBUILD_QUEUED_TIMEOUT_MINUTES,
                        CODEBUILD_TIMEOUT_MINUTES, CODEBUILD_VARIABLE_TYPES, CONNECTION_NAME, CONNECTION_PROVIDERS,
                        PIPELINE_ACTION_TYPES, PIPELINE_ARTIFACT_NAME, PIPELINE_CONFIGURATION_VALUE_LENGTH,
                        PIPELINE_EXECUTION_MODES, PIPELINE_MAX_ACTIONS_PER_STAGE, PIPELINE_MAX_PATTERN_LENGTH,
                        PIPELINE_MAX_PATTERNS, PIPELINE_MAX_PUSH_FILTERS, PIPELINE_MIN_STAGES, PIPELINE_NAME,
                        PIPELINE_NAMESPACE,
                        PIPELINE_RESERVED_NAMESPACES, PIPELINE_STAGE_OR_ACTION_NAME, PIPELINE_TYPES)

_VARIABLE = re.compile(r"#\{([^}]*)\}")


class SimulatedDelivery:
    """Mixed into SimulatedCloud (account.py): needs `arn()`, `account_id`, `region`, `_existing()`, and
    SimulatedIam's `_check_service_role()`."""

    def delivery_creators(self) -> dict:
        return {
            "aws:codeconnections/connection:Connection": self._connection,
            "aws:codebuild/project:Project": self._project,
            "aws:codepipeline/pipeline:Pipeline": self._pipeline,
        }

    # CodeConnections.

    def _connection(self, step, previous, inputs, name) -> dict:
        """CreateConnection: a hosted provider's connection needs no host, and starts PENDING until a person
        completes its handshake in the console."""
        check_name(CONNECTION_NAME, name)
        if not inputs.get("hostArn"):
            check_one_of("ProviderType", inputs.get("providerType", ""), CONNECTION_PROVIDERS)
        arn = self.arn("codeconnections", f"connection/{urn_uuid(step.urn)}")
        return {"id": arn, "arn": arn, "connectionStatus": "PENDING", "ownerAccountId": self.account_id}

    # CodeBuild.

    def _project(self, step, previous, inputs, name) -> dict:
        check_name(CODEBUILD_PROJECT_NAME, name)
        environment = inputs.get("environment") or {}
        _check_environment(environment)
        _check_cache(inputs.get("cache") or {}, bool(environment.get("privilegedMode")))
        check_range("buildTimeout", inputs.get("buildTimeout"), CODEBUILD_TIMEOUT_MINUTES)
        check_range("queuedTimeout", inputs.get("queuedTimeout"), CODEBUILD_QUEUED_TIMEOUT_MINUTES)
        source, artifacts = (inputs.get("source") or {}).get("type"), (inputs.get("artifacts") or {}).get("type")
        if known(source, artifacts) and (source == "CODEPIPELINE") != (artifacts == "CODEPIPELINE"):
            raise AwsRefusal("InvalidInputException: Invalid input: when using CodePipeline both sourceType, and "
                             "artifactType must be set to: CODEPIPELINE")
        self._check_service_role(step, previous, inputs, "serviceRole", "codebuild",
                                 "InvalidInputException: CodeBuild is not authorized to perform: sts:AssumeRole on "
                                 "{role}")
        arn = self.arn("codebuild", f"project/{name}")
        return {"id": arn, "arn": arn, "badgeUrl": ""}

    # CodePipeline.

    def _pipeline(self, step, previous, inputs, name) -> dict:
        check_name(PIPELINE_NAME, name)
        version, mode = inputs.get("pipelineType", "V1"), inputs.get("executionMode", "SUPERSEDED")
        check_one_of("pipelineType", version, PIPELINE_TYPES)
        check_one_of("executionMode", mode, PIPELINE_EXECUTION_MODES)
        if mode in ("QUEUED", "PARALLEL") and version != "V2":
            raise AwsRefusal(f"InvalidStructureException: Execution mode {mode} can only be used with V2 pipelines")
        stages = inputs.get("stages") or []
        _check_stages(stages, self.region)
        _check_flow(stages)
        _check_triggers(inputs.get("triggers") or [], version, stages)
        for store in inputs.get("artifactStores") or []:
            self._existing(BUCKET, "bucket", store.get("location"), "artifact store location",
                           "InvalidStructureException: the artifact store is not an S3 bucket of the account")
        self._check_service_role(step, previous, inputs, "roleArn", "codepipeline",
                                 "InvalidStructureException: CodePipeline is not authorized to perform AssumeRole on "
                                 "role {role}")
        return {"arn": self.arn("codepipeline", name)}


# CodeBuild.

def _check_environment(environment: dict) -> None:
    """Each environment type runs on its own compute types, and a CodeBuild image (aws/codebuild/…) is built
    for one architecture: aarch64 images for the ARM types only. Lambda compute runs no Docker daemon, so it
    refuses privileged mode (user guide, "Limitations of AWS Lambda compute"; that message is the
    simulation's)."""
    kind, compute, image = environment.get("type"), environment.get("computeType"), environment.get("image")
    allowed = CODEBUILD_COMPUTE_TYPES.get(kind)
    curated = known(image) and image.startswith("aws/codebuild/")
    wrong_compute = allowed is not None and known(compute) and compute not in allowed
    wrong_image = curated and allowed is not None and ("aarch64" in image) != kind.startswith("ARM")
    if wrong_compute or wrong_image:
        raise AwsRefusal(f"InvalidInputException: {'AWS CodeBuild curated image' if curated else 'Image'} {image} is "
                         f"not supported for projects with environment type {kind} and compute type {compute}")
    if allowed is CODEBUILD_LAMBDA_COMPUTE and environment.get("privilegedMode"):
        raise AwsRefusal(f"InvalidInputException: privileged mode is not supported by Lambda compute "
                         f"(environment type {kind})")
    for variable in environment.get("environmentVariables") or []:
        check_one_of(f"environment variable {variable.get('name')}: type", variable.get("type", "PLAINTEXT"),
                      CODEBUILD_VARIABLE_TYPES, "InvalidInputException")


def _check_cache(cache: dict, privileged: bool) -> None:
    """A LOCAL cache names one or more modes, and the Docker layer cache needs privileged mode (user guide,
    "Cache builds": "If you choose this mode, you must run your build in privileged mode"). The messages for
    these two are the simulation's."""
    kind, modes = cache.get("type", "NO_CACHE"), cache.get("modes") or []
    check_one_of("cache type", kind, CODEBUILD_CACHE_TYPES, "InvalidInputException")
    if kind == "LOCAL" and not modes:
        raise AwsRefusal("InvalidInputException: a LOCAL cache needs one or more modes of "
                         f"{', '.join(CODEBUILD_CACHE_MODES)}")
    for mode in modes:
        check_one_of("cache mode", mode, CODEBUILD_CACHE_MODES, "InvalidInputException")
    if "LOCAL_DOCKER_LAYER_CACHE" in modes and not privileged:
        raise AwsRefusal("InvalidInputException: the LOCAL_DOCKER_LAYER_CACHE mode needs privileged mode")


# CodePipeline. Stage and action paths count from 1, as CodePipeline's messages do.

def _check_stages(stages: list[dict], region: str) -> None:
    """The pipeline's declared structure: at least two stages, unique names, source actions in the first stage
    and only there, each action of a type CodePipeline has with what that type requires. The message for a
    first stage that holds another action is the simulation's, after CodePipeline's for the converse."""
    if len(stages) < PIPELINE_MIN_STAGES:
        raise AwsRefusal(f"InvalidStructureException: Pipeline has only {len(stages)} stage(s). There should be a "
                         f"minimum of {PIPELINE_MIN_STAGES} stages in a pipeline")
    _check_unique("Stage", [stage.get("name") for stage in stages], "the pipeline")
    for index, stage in enumerate(stages, 1):
        check_name(PIPELINE_STAGE_OR_ACTION_NAME, stage.get("name"))
        actions = stage.get("actions") or []
        if len(actions) > PIPELINE_MAX_ACTIONS_PER_STAGE:
            raise AwsRefusal(f"LimitExceededException: stage {stage.get('name')} has {len(actions)} actions; a stage "
                             f"may have at most {PIPELINE_MAX_ACTIONS_PER_STAGE}")
        _check_unique("Action", [action.get("name") for action in actions], f"stage {stage.get('name')}")
        for position, action in enumerate(actions, 1):
            check_name(PIPELINE_STAGE_OR_ACTION_NAME, action.get("name"))
            if (index == 1) != (action.get("category") == "Source"):
                rule = ("Source actions can only be included in the first stage of the pipeline" if index > 1 else
                        "The first stage of the pipeline can only contain source actions")
                raise AwsRefusal(f"InvalidStructureException: {rule} (action {action.get('name')})")
            _check_action(action, f"pipeline.stages.{index}.member.actions.{position}.member", region)


def _check_unique(what: str, names: list, where: str) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise AwsRefusal(f"InvalidStructureException: {what} names must be unique within {where}; "
                         f"{', '.join(repeated)} occurs more than once")


def _check_action(action: dict, path: str, region: str) -> None:
    name, category, provider = action.get("name"), action.get("category"), action.get("provider")
    declared = PIPELINE_ACTION_TYPES.get((category, provider))
    if declared is None and provider not in {p for _, p in PIPELINE_ACTION_TYPES}:
        raise NotImplementedError(f"the simulated CodePipeline knows the action types {list(PIPELINE_ACTION_TYPES)} "
                                  f"only, not {provider}")
    if declared is None:
        raise AwsRefusal(f"InvalidActionDeclarationException: ActionType (Category: '{category}', Provider: "
                         f"'{provider}', Owner: '{action.get('owner')}', Version: '{action.get('version')}') in action "
                         f"'{name}' is not available in region '{region.upper().replace('-', '_')}'")
    required, input_bounds, output_bounds = declared
    configuration = action.get("configuration") or {}
    for key in required:
        if key not in configuration:
            raise AwsRefusal(f"InvalidActionDeclarationException: Action configuration for action '{name}' is missing "
                             f"required configuration '{key}'")
    low, high = PIPELINE_CONFIGURATION_VALUE_LENGTH
    if any(known(value) and not low <= len(str(value)) <= high for value in configuration.values()):
        raise AwsRefusal(f"ValidationException: 1 validation error detected: Value at '{path}.configuration' failed "
                         "to satisfy constraint: Map value must satisfy constraint: [Member must have length less "
                         f"than or equal to {high}, Member must have length greater than or equal to {low}]")
    for kind, (least, most) in (("input", input_bounds), ("output", output_bounds)):
        artifacts = action.get(f"{kind}Artifacts") or []
        if not least <= len(artifacts) <= most:
            bound = ("less than the minimum", least) if len(artifacts) < least else ("more than the maximum", most)
            raise AwsRefusal(f"InvalidActionDeclarationException: Action {name} declares {len(artifacts)} {kind} "
                             f"artifacts which is {bound[0]} count ({bound[1]})")
        for artifact in artifacts:
            check_name(PIPELINE_ARTIFACT_NAME, artifact)
    if action.get("namespace") is not None:
        check_name(PIPELINE_NAMESPACE, action["namespace"])


def _runs(stage: dict) -> list[list[dict]]:
    """A stage's actions in the order they run: by runOrder (1 when not given), those of one runOrder together."""
    actions = stage.get("actions") or []
    orders = sorted({action.get("runOrder") or 1 for action in actions})
    return [[action for action in actions if (action.get("runOrder") or 1) == order] for order in orders]


def _check_flow(stages: list[dict]) -> None:
    """What each action takes comes from actions that run before it (an earlier stage, or a lower runOrder of
    its own): its input artifacts, and the namespaces of the variables it references. Output artifact names
    and namespaces are unique in the pipeline, and no namespace is an artifact's name (user guide,
    "Variables reference" and "Input and output artifacts"). The messages for artifacts are the simulation's."""
    produced: set = set()
    namespaces: set = set(PIPELINE_RESERVED_NAMESPACES)
    for stage in stages:
        for run in _runs(stage):
            for action in run:
                _check_inputs(stage, action, produced)
                _check_references(stage, action, namespaces)
            for action in run:
                _add_outputs(stage, action, produced)
                _add_namespace(stage, action, namespaces)
    clashing = sorted((namespaces - set(PIPELINE_RESERVED_NAMESPACES)) & produced)
    if clashing:
        raise AwsRefusal(f"InvalidActionDeclarationException: namespace {', '.join(clashing)} is also the name of "
                         "an artifact; a namespace must not be an artifact's name")


def _check_inputs(stage: dict, action: dict, produced: set) -> None:
    for artifact in action.get("inputArtifacts") or []:
        if artifact not in produced:
            raise AwsRefusal(f"InvalidStructureException: input artifact '{artifact}' of action '{action.get('name')}' "
                             f"in stage '{stage.get('name')}' is not an output artifact of an action that runs before "
                             "it (in an earlier stage, or with a lower runOrder in its own)")


def _check_references(stage: dict, action: dict, namespaces: set) -> None:
    for key, value in (action.get("configuration") or {}).items():
        for reference in _VARIABLE.findall(value) if known(value) and isinstance(value, str) else []:
            namespace, dot, variable = reference.partition(".")
            if not (dot and variable and namespace in namespaces):
                raise AwsRefusal("InvalidActionDeclarationException: Valid format for a pipeline execution variable "
                                 "reference is a namespace and a key separated by a period (.). The following "
                                 "pipeline execution variables are referencing a namespace that does not exist. "
                                 f"StageName=[{stage.get('name')}], ActionName=[{action.get('name')}], "
                                 f"ActionConfigurationKey=[{key}], VariableReferenceText=[{reference}]")


def _add_outputs(stage: dict, action: dict, produced: set) -> None:
    for artifact in action.get("outputArtifacts") or []:
        if artifact in produced:
            raise AwsRefusal(f"InvalidStructureException: output artifact '{artifact}' of action "
                             f"'{action.get('name')}' in stage '{stage.get('name')}' is already the output of another "
                             "action; every output artifact in the pipeline must have a unique name")
        produced.add(artifact)


def _add_namespace(stage: dict, action: dict, namespaces: set) -> None:
    namespace = action.get("namespace")
    if namespace is None:
        return
    if namespace in namespaces:
        raise AwsRefusal("InvalidActionDeclarationException: Namespaces must be unique across the pipeline "
                         "definition. The following occur more than once in the pipeline. "
                         f"StageName=[{stage.get('name')}], ActionName=[{action.get('name')}], Namespace=[{namespace}]")
    namespaces.add(namespace)


def _check_triggers(triggers: list[dict], version: Any, stages: list[dict]) -> None:
    """V2 triggers: each starts the pipeline from one CodeStarSourceConnection source action, with at most 3
    push (and 3 pull request) filters of 1..8 patterns each. "Triggers can only be used with V2 pipelines" is
    the simulation's, after CodePipeline's "Triggers on tag can only be used with V2 pipelines"; so is the
    message for a trigger that names no such source action."""
    if triggers and version != "V2":
        raise AwsRefusal("InvalidStructureException: Triggers can only be used with V2 pipelines")
    first_stage = (stages[0].get("actions") or []) if stages else []
    sources = {action.get("name") for action in first_stage if action.get("provider") == "CodeStarSourceConnection"}
    for index, trigger in enumerate(triggers, 1):
        check_one_of("providerType", trigger.get("providerType"), ("CodeStarSourceConnection",))
        git = trigger.get("gitConfiguration") or {}
        if known(git.get("sourceActionName")) and git.get("sourceActionName") not in sources:
            raise AwsRefusal(f"InvalidStructureException: the trigger's sourceActionName "
                             f"{git.get('sourceActionName')!r} is not a CodeStarSourceConnection source action of "
                             "the pipeline")
        for key, member in (("pushes", "push"), ("pullRequests", "pullRequest")):
            if key in git:
                _check_filters(git[key], f"pipeline.triggers.{index}.member.gitConfiguration.{member}")


def _check_filters(filters: list[dict], path: str) -> None:
    check_length(path, filters, (1, PIPELINE_MAX_PUSH_FILTERS))
    for index, git_filter in enumerate(filters, 1):
        for criterion in ("branches", "filePaths", "tags"):
            for side in ("includes", "excludes"):
                patterns = (git_filter.get(criterion) or {}).get(side)
                if patterns is None:
                    continue
                where = f"{path}.{index}.member.{criterion}.{side}"
                check_length(where, patterns, (1, PIPELINE_MAX_PATTERNS))
                for number, pattern in enumerate(patterns, 1):
                    check_length(f"{where}.{number}.member", pattern, (1, PIPELINE_MAX_PATTERN_LENGTH))
