"""The planned stack as the cost model reads it: resources with their inputs in wire format, as the engine
sends them to an analyzer, and what one resource says about another (which function logs where, which
pipeline starts which build).

Both sides hand over wire format: the offline preview its analyzed inputs, the pack its resources'
properties with each unknown put back as the sentinel. A value not known until the update (an ARN, a digest during a first preview) is
Pulumi's unknown sentinel; reading one raises `Unpriced`, so the item it prices is marked unknown and the
rest of the estimate stands.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Optional

from . import wire

# Pulumi's wire value for "known only once the update runs" (the engine's UnknownStringValue).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# Written on every lambdakit function with the size ECR reports for its pushed image (container_function.py).
IMAGE_SIZE_TAG = "lambdakit:image-size-bytes"

FUNCTION = "aws:lambda/function:Function"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
ALIAS = "aws:lambda/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SCHEDULE = "aws:scheduler/schedule:Schedule"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PROVISIONED_CONCURRENCY = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
PIPELINE = "aws:codepipeline/pipeline:Pipeline"
CODEBUILD_PROJECT = "aws:codebuild/project:Project"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
REPOSITORY = "aws:ecr/repository:Repository"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


class Unpriced(Exception):
    """What a price depends on is not known: the message says what, for the line that shows it. `kind` says why,
    for the estimate's count of its unknowns: `bound` (the plan sets no bound on it), `usage` (the stack's usage
    settings are missing), `type` (the model has no price for the resource's type); NotYetKnown and the price
    table's NoPrice are kinds of their own."""

    kind = "bound"


class NotYetKnown(Unpriced):
    """A value Pulumi knows only once the update runs (an ARN, a generated name, a digest before the first push)."""

    kind = "later"


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value == UNKNOWN


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    # Input property -> the URNs its value came from (the engine's property dependencies): how a reference
    # is followed while the referenced value (a bucket's generated name) is still unknown.
    links: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def refers_to(self, prop: str, target: "Resource", *target_props: str) -> bool:
        """Whether input `prop` is made from `target`: by the engine's dependencies, or by equal values."""
        if target.urn and target.urn in self.links.get(prop, ()):
            return True
        return any(same(self.props.get(prop), target.props.get(p)) for p in target_props)

    def get(self, path: str, default: Any = None) -> Any:
        """The input at a dotted path, `default` when it is absent or null; `Unpriced` when it is not known yet,
        `wire.Malformed` when a part of the path is there but is no object."""
        value: Any = self.props
        parts = path.split(".")
        for depth, part in enumerate(parts):
            if is_unknown(value):
                break
            within = wire.mapping(value, f"{'.'.join(parts[:depth])} of {self.name}")
            if within.get(part) is None:
                return default
            value = within[part]
        if is_unknown(value):
            raise NotYetKnown(f"{path} of {self.name} is not known until the update")
        return value

    def number(self, path: str, default: Optional[float] = None) -> float:
        value = wire.number(self.get(path), f"{path} of {self.name}")
        if value is None and default is None:
            raise Unpriced(f"{self.name} has no {path}")
        return default if value is None else value

    def text(self, path: str) -> Optional[str]:
        return wire.text(self.get(path), f"{path} of {self.name}")

    def mappings(self, path: str) -> list[Mapping[str, Any]]:
        """The objects listed at a dotted path (one object counts as a list of one); `Unpriced` while one is unknown."""
        value = self.get(path)
        listed = [known(item) for item in value] if wire.is_list(value) else value
        return wire.mappings(listed, f"{path} of {self.name}")


def known(value: Any) -> Any:
    """The value, or `Unpriced` when it is Pulumi's unknown sentinel (for values read from nested inputs)."""
    if is_unknown(value):
        raise NotYetKnown("an input is not known until the update")
    return value


def same(value: Any, other: Any) -> bool:
    """Equal known values: two values not known yet are not thereby the same."""
    return value is not None and not is_unknown(value) and not is_unknown(other) and value == other


def log_group_of(props: Mapping[str, Any]) -> Optional[str]:
    """The log group a function writes to: loggingConfig.logGroup when set, else /aws/lambda/<name> (as when the
    loggingConfig is not known yet)."""
    logging_config = props.get("loggingConfig")
    logging_config = {} if is_unknown(logging_config) else wire.mapping(logging_config, "loggingConfig") or {}
    log_group = wire.text(logging_config.get("logGroup"), "loggingConfig.logGroup")
    if log_group:
        return log_group
    name = wire.text(props.get("name"), "name")
    return f"/aws/lambda/{name}" if name else None


def pipeline_actions(pipeline: Resource) -> Iterator[Mapping[str, Any]]:
    """Every action of every stage, unknowns and all (a stage list not yet known has none)."""
    stages = pipeline.props.get("stages")
    for stage in stages if isinstance(stages, list) else []:
        actions = stage.get("actions") if isinstance(stage, Mapping) else None
        yield from (a for a in (actions if isinstance(actions, list) else []) if isinstance(a, Mapping))


def _log_group_of(function: Resource) -> Optional[str]:
    try:
        return log_group_of(function.props)
    except wire.Malformed as malformed:
        raise wire.Malformed(f"function {function.name}'s {malformed}") from None


def _configuration(action: Mapping[str, Any], pipeline: Resource) -> Mapping[str, Any]:
    """An action's configuration; none while it is not known (its target then counts as none)."""
    configuration = action.get("configuration")
    return {} if is_unknown(configuration) else wire.mapping(
        configuration, f"configuration of an action of {pipeline.name}") or {}


_FUNCTION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[^:]*:\d*:function:([^:]+)(?::[^:]+)?")


def function_name_of(target: Any) -> Optional[str]:
    """The function an invocation target names: a function's or alias's ARN, or a function name."""
    if not isinstance(target, str) or is_unknown(target):
        return None
    arn = _FUNCTION_ARN.fullmatch(target)
    return arn.group(1) if arn else None if target.startswith("arn:") else target


def repository_of(image_uri: str) -> str:
    """The repository of <registry>/<repository>[:tag][@digest]."""
    path = image_uri.split("/", 1)[-1].split("@", 1)[0]
    return path.rsplit(":", 1)[0] if ":" in path.rsplit("/", 1)[-1] else path


class Plan:
    """The planned resources, with the few cross-references prices need."""

    # Prices ask of one resource what others say of it (which function writes a log group, which action starts a
    # project) once per resource: the answers are looked up in indexes made once, not by reading every resource
    # again, which made an estimate of 50 functions take half a second (bench/preview_scale.py).

    def __init__(self, resources: Iterable[Resource]):
        self.resources = list(resources)
        self._by_urn = {r.urn: r for r in self.resources if r.urn}
        self._by_type: dict[str, list[Resource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.type, []).append(resource)
        self._actions: Optional[_ActionIndex] = None
        self._writers: Optional[_Writers] = None

    def of_type(self, typ: str) -> list[Resource]:
        return list(self._by_type.get(typ, ()))

    def _actions_on(self, resource: Resource) -> list[tuple[int, int, Any]]:
        """(pipeline, stage, runOrder) of each action of the stack's pipelines that invokes the function or starts
        the build project. An action whose target is not known yet counts as none; a malformed configuration of an
        action of the resource's provider makes the question unanswerable."""
        provider = "Lambda" if resource.type == FUNCTION else "CodeBuild"
        if self._actions is None:
            self._actions = self._index_actions()
        targets, malformed = self._actions[provider]
        if malformed is not None:
            raise malformed
        name = resource.props.get("name")
        return list(targets.get(name, ())) if isinstance(name, str) and not is_unknown(name) else []

    def _index_actions(self) -> "_ActionIndex":
        """By provider: the actions by the target their configuration names, and the first configuration that
        could not be read."""
        targets: dict[str, dict[str, list[tuple[int, int, Any]]]] = {provider: {} for provider in _TARGET_KEYS}
        malformed: dict[str, Optional[wire.Malformed]] = dict.fromkeys(_TARGET_KEYS)
        for number, pipeline in enumerate(self.of_type(PIPELINE)):
            stages = pipeline.props.get("stages")
            for index, stage in enumerate(stages if isinstance(stages, list) else []):
                actions = stage.get("actions") if isinstance(stage, Mapping) else None
                for action in actions if isinstance(actions, list) else []:
                    provider = action.get("provider") if isinstance(action, Mapping) else None
                    if not isinstance(provider, str) or provider not in _TARGET_KEYS:
                        continue
                    try:
                        target = _configuration(action, pipeline).get(_TARGET_KEYS[provider])
                    except wire.Malformed as unreadable:
                        malformed[provider] = malformed[provider] or unreadable
                        continue
                    if isinstance(target, str) and not is_unknown(target):
                        targets[provider].setdefault(target, []).append((number, index, action.get("runOrder") or 1))
        return {provider: (targets[provider], malformed[provider]) for provider in _TARGET_KEYS}

    def runs_per_pipeline_run(self, resource: Resource) -> Optional[int]:
        """How often one pipeline run invokes a function or starts a build project (None: no pipeline
        of this stack does). An action whose target is not known yet counts as none."""
        return len(self._actions_on(resource)) or None

    def turns_per_pipeline_run(self, resource: Resource) -> int:
        """In how many turns one pipeline run invokes a function or starts a build project: the actions of one stage
        with the same runOrder run at once (one per function of the stack, say), so they share their hours."""
        return len(set(self._actions_on(resource)))

    def serves_traffic(self, function: Resource) -> bool:
        """Whether callers reach the function from outside the stack: through a function URL."""
        return any(url.refers_to("functionName", function, "name", "arn") for url in self.of_type(FUNCTION_URL))

    def targets(self, holder: Resource, prop: str, target: Any, function: Resource) -> bool:
        """Whether `target` (the value of `prop` of `holder`, an ARN to invoke) is the function, one of its aliases
        or versions: by the engine's dependencies (the alias's ARN is not known during a preview) or by its text."""
        urns = holder.links.get(prop, ())
        if function.urn and function.urn in urns:
            return True
        if any(alias.urn and alias.urn in urns and alias.refers_to("functionName", function, "name", "arn")
               for alias in self.of_type(ALIAS)):
            return True
        name = function.props.get("name")
        return name is not None and not is_unknown(name) and function_name_of(target) == name

    def schedules_of(self, function: Resource) -> list[tuple[Resource, Any]]:
        """The enabled schedules that invoke the function, each with its expression: EventBridge Scheduler's
        schedules, and EventBridge rules with a schedule whose target is the function."""
        found = []
        for schedule in self.of_type(SCHEDULE):
            target = schedule.props.get("target")
            arn = target.get("arn") if isinstance(target, Mapping) else None
            if self.targets(schedule, "target", arn, function) and schedule.props.get("state") != "DISABLED":
                found.append((schedule, schedule.get("scheduleExpression")))
        for target in self.of_type(EVENT_TARGET):
            if not self.targets(target, "arn", target.props.get("arn"), function):
                continue
            for rule in self.of_type(EVENT_RULE):
                linked = rule.urn and rule.urn in target.links.get("rule", ())
                if (linked or same(target.props.get("rule"), rule.props.get("name"))) \
                        and rule.props.get("scheduleExpression") is not None and rule.props.get("state") != "DISABLED" \
                        and rule.props.get("isEnabled") is not False:
                    found.append((rule, rule.get("scheduleExpression")))
        return found

    def provisioned_for(self, function: Resource) -> list[Resource]:
        return [c for c in self.of_type(PROVISIONED_CONCURRENCY) if c.refers_to("functionName", function, "name", "arn")]

    def function_of(self, config: Resource) -> Optional[Resource]:
        return next((f for f in self.of_type(FUNCTION) if config.refers_to("functionName", f, "name", "arn")), None)

    def log_writers(self, group: Resource) -> tuple[list[Resource], list[Resource]]:
        """The functions and the build projects that write to a log group (by the engine's dependencies, or by
        its name; a build whose logging is not known yet makes the question unanswerable)."""
        return self.writers_of(group.props.get("name"), group.urn)

    def writers_of(self, name: Any, urn: str = "") -> tuple[list[Resource], list[Resource]]:
        """The functions and the build projects that write to the log group of that name (or URN)."""
        if self._writers is None:
            self._writers = _Writers(self.of_type(FUNCTION), self.of_type(CODEBUILD_PROJECT))
        return self._writers.of(name, urn)

    def log_group_named(self, name: Any) -> Optional[Resource]:
        return next((g for g in self.of_type(LOG_GROUP) if same(g.props.get("name"), name)), None)

    def _linked_repositories(self, function: Resource) -> Optional[set[str]]:
        """The URNs of the repositories the function's imageUri is made from, by the engine's dependencies: the
        nearest ones (its image and the repository's pull grant depend on its repository; a digest given by hand,
        the repository itself). None when its imageUri depends on no resource of the plan that leads to one."""
        level, seen = set(function.links.get("imageUri", ())), set()
        while level:
            found = {urn for urn in level if urn in self._by_urn and self._by_urn[urn].type == REPOSITORY}
            if found:
                return found
            seen |= level
            level = {urn for holder in level if holder in self._by_urn
                     for urns in self._by_urn[holder].links.values() for urn in urns} - seen
        return None

    def runs_from(self, function: Resource, repository: Resource) -> bool:
        """Whether the function runs an image of the repository: by the engine's dependencies of its imageUri, else
        by the repository part of its imageUri; `NotYetKnown` when neither can tell yet."""
        linked = self._linked_repositories(function)
        if linked is not None:
            return repository.urn in linked
        image_uri = function.get("imageUri")  # NotYetKnown while it is not known
        if image_uri is None:
            return False  # a zip function runs no image
        name = repository.get("name")
        return repository_of(wire.text(image_uri, f"imageUri of {function.name}")) == name

    def image_size_bytes(self, repository: Resource) -> Optional[int]:
        """The size ECR reports for the image the stack's functions run from this repository, as recorded in
        their IMAGE_SIZE_TAG; None when no function runs one. `Unpriced` while the image is not pushed."""
        sizes = []
        for function in self.of_type(FUNCTION):
            if not self.runs_from(function, repository):
                continue
            size = function.get(f"tags.{IMAGE_SIZE_TAG}")
            if not (isinstance(size, str) and size.isdecimal()):
                raise Unpriced(f"{function.name} records no image size (tag {IMAGE_SIZE_TAG})")
            sizes.append(int(size))
        return max(sizes) if sizes else None

    def lifecycle_of(self, repository: Resource) -> Optional[Resource]:
        return next((p for p in self.of_type(LIFECYCLE_POLICY) if p.refers_to("repository", repository, "name")), None)

    def expiration_days(self, bucket: Resource) -> Optional[int]:
        """The fewest days after which an enabled lifecycle rule of the bucket expires its objects."""
        configs = [c for c in self.of_type(BUCKET_LIFECYCLE) if c.refers_to("bucket", bucket, "bucket", "id")]
        days = [expires for config in configs for rule in config.mappings("rules")
                if rule.get("status") == "Enabled" and (expires := _expiration_days(rule, config))]
        return int(min(days)) if days else None

    def stores_artifacts_in(self, bucket: Resource) -> list[Resource]:
        """The pipelines whose artifact store is the bucket."""
        return [p for p in self.of_type(PIPELINE)
                if (bucket.urn and bucket.urn in p.links.get("artifactStores", ()))
                or any(same(s.get("location"), bucket.props.get("bucket")) for s in p.mappings("artifactStores"))]


# The configuration key that names an action's target, by provider.
_TARGET_KEYS = {"Lambda": "FunctionName", "CodeBuild": "ProjectName"}
# By provider: (pipeline, stage, runOrder) of its actions by the target they name, and the first unreadable one.
_ActionIndex = dict[str, tuple[dict[str, list[tuple[int, int, Any]]], Optional[wire.Malformed]]]


class _Writers:
    """Who writes each log group, by its name and by the URNs the writers' logging depends on; in the plan's order.
    A writer whose log group cannot be read (malformed, or not known yet) makes every question unanswerable unless
    its dependencies answer it, as when each question read every writer."""

    def __init__(self, functions: list[Resource], builds: list[Resource]):
        self._writers = (functions, builds)
        self._unreadable: list[tuple[str, Resource, Exception]] = []  # (its logging's property, writer, why)
        self._positions: dict[tuple[int, str], set[int]] = {}  # (0 functions, 1 builds; group name or URN) -> where
        for kind, (writers, prop, group_of) in enumerate(((functions, "loggingConfig", _log_group_of),
                                                           (builds, "logsConfig", _build_log_group))):
            for position, writer in enumerate(writers):
                for urn in writer.links.get(prop, ()):
                    self._positions.setdefault((kind, urn), set()).add(position)
                try:
                    name = group_of(writer)
                except (wire.Malformed, Unpriced) as why:
                    self._unreadable.append((prop, writer, why))
                    continue
                if isinstance(name, str) and not is_unknown(name):
                    self._positions.setdefault((kind, name), set()).add(position)

    def of(self, name: Any, urn: str) -> tuple[list[Resource], list[Resource]]:
        for prop, writer, why in self._unreadable:
            if not (urn and urn in writer.links.get(prop, ())):
                raise why
        found = []
        for kind, writers in enumerate(self._writers):
            positions = set(self._positions.get((kind, urn), ())) if urn else set()
            if isinstance(name, str) and not is_unknown(name):
                positions |= self._positions.get((kind, name), set())
            found.append([writers[i] for i in sorted(positions)])
        return found[0], found[1]


def _build_log_group(build: Resource) -> Any:
    return build.get("logsConfig.cloudwatchLogs.groupName")


def _expiration_days(rule: Mapping[str, Any], config: Resource) -> Optional[float]:
    """After how many days a bucket lifecycle rule expires objects; None when it does not."""
    expiration = wire.mapping(known(rule.get("expiration")), f"expiration of a rule of {config.name}")
    if not expiration:
        return None
    return wire.number(known(expiration.get("days")), f"expiration.days of a rule of {config.name}")
