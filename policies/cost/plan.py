"""The planned stack as the cost model reads it: resources with their inputs in wire format, as the engine
sends them to an analyzer, and what one resource says about another (which function logs where, which
pipeline starts which build).

Both sides hand over wire format: the offline preview its analyzed inputs, the pack its resources'
properties with each unknown put back as the sentinel. A value not known until the update (an ARN, a digest during a first preview) is
Pulumi's unknown sentinel; reading one raises `Unpriced`, so the item it prices is marked unknown and the
rest of the estimate stands.
"""

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Optional

from . import wire

# Pulumi's wire value for "known only once the update runs" (the engine's UnknownStringValue).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# Written on every lambdakit function with the size ECR reports for its pushed image (container_function.py).
IMAGE_SIZE_TAG = "lambdakit:image-size-bytes"

FUNCTION = "aws:lambda/function:Function"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
PROVISIONED_CONCURRENCY = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"
PIPELINE = "aws:codepipeline/pipeline:Pipeline"
CODEBUILD_PROJECT = "aws:codebuild/project:Project"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


class Unpriced(Exception):
    """What a price depends on is not known: the message says what, for the line that shows it."""


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
            raise Unpriced(f"{path} of {self.name} is not known until the update")
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
        raise Unpriced("an input is not known until the update")
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


def repository_of(image_uri: str) -> str:
    """The repository of <registry>/<repository>[:tag][@digest]."""
    path = image_uri.split("/", 1)[-1].split("@", 1)[0]
    return path.rsplit(":", 1)[0] if ":" in path.rsplit("/", 1)[-1] else path


class Plan:
    """The planned resources, with the few cross-references prices need."""

    def __init__(self, resources: Iterable[Resource]):
        self.resources = list(resources)

    def of_type(self, typ: str) -> list[Resource]:
        return [r for r in self.resources if r.type == typ]

    def _action_targets(self, provider: str, key: str) -> list[Any]:
        return [_configuration(action, pipeline).get(key) for pipeline in self.of_type(PIPELINE)
                for action in pipeline_actions(pipeline) if action.get("provider") == provider]

    def runs_per_pipeline_run(self, resource: Resource) -> Optional[int]:
        """How often one pipeline run invokes a function or starts a build project (None: no pipeline
        of this stack does). An action whose target is not known yet counts as none."""
        provider, key = ("Lambda", "FunctionName") if resource.type == FUNCTION else ("CodeBuild", "ProjectName")
        name = resource.props.get("name")
        count = sum(1 for target in self._action_targets(provider, key) if target == name)
        return count or None

    def serves_traffic(self, function: Resource) -> bool:
        """Whether callers reach the function from outside the stack: through a function URL."""
        return any(url.refers_to("functionName", function, "name", "arn") for url in self.of_type(FUNCTION_URL))

    def provisioned_for(self, function: Resource) -> list[Resource]:
        return [c for c in self.of_type(PROVISIONED_CONCURRENCY) if c.refers_to("functionName", function, "name", "arn")]

    def function_of(self, config: Resource) -> Optional[Resource]:
        return next((f for f in self.of_type(FUNCTION) if config.refers_to("functionName", f, "name", "arn")), None)

    def log_writers(self, group: Resource) -> tuple[list[Resource], list[Resource]]:
        """The functions and the build projects that write to a log group (by the engine's dependencies, or by
        its name; a build whose logging is not known yet makes the question unanswerable)."""
        name = group.props.get("name")
        functions = [f for f in self.of_type(FUNCTION) if (group.urn and group.urn in f.links.get("loggingConfig", ()))
                     or same(_log_group_of(f), name)]
        builds = [p for p in self.of_type(CODEBUILD_PROJECT) if (group.urn and group.urn in p.links.get("logsConfig", ()))
                  or same(p.get("logsConfig.cloudwatchLogs.groupName"), name)]
        return functions, builds

    def image_size_bytes(self, repository: Resource) -> Optional[int]:
        """The size ECR reports for the image the stack's functions run from this repository, as recorded in
        their IMAGE_SIZE_TAG; None when no function runs one. `Unpriced` while the image is not pushed."""
        sizes = []
        for function in self.of_type(FUNCTION):
            image_uri = function.get("imageUri")
            if isinstance(image_uri, str) and repository_of(image_uri) == repository.props.get("name"):
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


def _expiration_days(rule: Mapping[str, Any], config: Resource) -> Optional[float]:
    """After how many days a bucket lifecycle rule expires objects; None when it does not."""
    expiration = wire.mapping(known(rule.get("expiration")), f"expiration of a rule of {config.name}")
    if not expiration:
        return None
    return wire.number(known(expiration.get("days")), f"expiration.days of a rule of {config.name}")
