"""Container images: the ECR repositories that keep them and the registry's enhanced scanning of each push."""

from . import wire
from .estimate import Charge
from .meter import GIB, Context, Pricer
from .plan import Resource, Unpriced, known


def _kept_images(repository: Resource, context: Context) -> int:
    """The most images the repository's lifecycle policy lets it keep."""
    lifecycle = context.plan.lifecycle_of(repository)
    policy = wire.document(lifecycle.get("policy"), f"policy of {lifecycle.name}") if lifecycle else None
    where = f"the lifecycle policy of {repository.name}"
    selections = [wire.mapping(known(rule.get("selection")), f"a rule's selection in {where}") or {}
                  for rule in wire.mappings(known((policy or {}).get("rules")), f"rules of {where}")]
    counts = [count for selection in selections
              if selection.get("countType") == "imageCountMoreThan"
              and selection.get("tagStatus") == "any"  # "tagged" rules leave other images unbounded
              and (count := wire.number(known(selection.get("countNumber")), f"a rule's countNumber in {where}"))]
    if not counts:
        raise Unpriced(f"no lifecycle rule bounds the images {repository.name} keeps")
    return int(max(counts))


def _repository(repository: Resource, context: Context) -> list[Charge]:
    size = context.plan.image_size_bytes(repository)
    if size is None:
        return [Charge(0.0, "holds no image a function of this stack runs")]
    kept = _kept_images(repository, context)
    return [context.meter.charge(
        "ecr.storage", kept * size / GIB,
        f"{kept} images × {size / 1e6:.1f} MB kept by its lifecycle policy (at most: images share layers)")]


def _registry_scanning(configuration: Resource, context: Context) -> list[Charge]:
    if configuration.get("scanType") != "ENHANCED":
        return [Charge(0.0, "basic scanning: no charge")]
    pushes = context.need_usage().pipeline_runs_per_month
    return [context.meter.charge("inspector.ecr-initial-scan", pushes,
                                 f"{pushes} images pushed and scanned (one a pipeline run); re-scans of continuous "
                                 "scanning are extra")]


PRICERS: dict[str, Pricer] = {
    "aws:ecr/repository:Repository": _repository,
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": _registry_scanning,
}
