"""Every ECR repository of the stack is scanned: `ecr-scan-on-push`, and `ecr-scan-on-push-fix`, which
turns scanning on when asked to remediate.

ECR decides by the registry's scanning configuration when there is one: under ENHANCED, only the
repositories a rule's filter matches are scanned and the repository's own scanOnPush flag is ignored;
under BASIC, a SCAN_ON_PUSH rule's filters add to the repositories whose flag is on. The check sees
the configuration when the stack declares it (aws:ecr/registryScanningConfiguration), so it is a stack
policy; one managed elsewhere is described by the `registryScanFilters` config.
"""

from fnmatch import fnmatchcase
from typing import Any, Mapping, Optional

from pulumi_policy import (EnforcementLevel, PolicyResource, ReportViolation, ResourceValidationArgs,
                           ResourceValidationPolicy, Severity, StackValidationArgs, StackValidationPolicy)

from cost.wire import boolean, mapping, mappings, text
from guard import Unjudged
from rules.common import schema, setting

ECR_REPOSITORY = "aws:ecr/repository:Repository"
REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
_SCANNING_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
_REGISTRY = "the stack's registry scanning configuration"  # for messages

_SCAN = schema(registryScanFilters={
    "type": "array", "items": {"type": "string"}, "default": [],
    "description": "ECR scanning filters of a registry-wide scan-on-push configuration managed outside this "
                   "stack: the repositories they match are scanned."})


def filter_matches(pattern: str, repository: str) -> bool:
    """ECR's WILDCARD filter: * matches any characters; a filter without one matches every name containing it."""
    return fnmatchcase(repository, pattern) if "*" in pattern else pattern in repository


def _matched(rules: list[Mapping[str, Any]], repository: str) -> bool:
    return any(rule.get("scanFrequency") in _SCANNING_FREQUENCIES
               and any(filter_matches(pattern, repository) for pattern in _filters(rule)) for rule in rules)


def _filters(rule: Mapping[str, Any]) -> list[str]:
    filters = mappings(rule.get("repositoryFilters"), f"repositoryFilters of a rule of {_REGISTRY}")
    return [text(f.get("filter"), f"a repository filter of {_REGISTRY}") or "" for f in filters]


def _scans_on_push(props: Mapping[str, Any]) -> bool:
    configuration = mapping(props.get("imageScanningConfiguration"), "imageScanningConfiguration") or {}
    return bool(boolean(configuration.get("scanOnPush"), "imageScanningConfiguration.scanOnPush"))


def _repository_name(props: Mapping[str, Any], resource_name: str) -> str:
    return text(props.get("name"), "name") or resource_name


def _covered_elsewhere(config: Optional[Mapping[str, Any]], repository: str) -> bool:
    return any(filter_matches(pattern, repository) for pattern in setting(config, _SCAN, "registryScanFilters"))


def _gap(repository: Mapping[str, Any], name: str, registry: Optional[Mapping[str, Any]], config) -> Optional[str]:
    """Why nothing scans the repository, or None."""
    rules = mappings((registry or {}).get("rules"), f"rules of {_REGISTRY}")
    if registry and registry.get("scanType") == "ENHANCED":
        # With no rules at all, enhanced scanning covers every repository continuously.
        if not rules or _matched(rules, name):
            return None
        return (f"the stack's registry scanning configuration is ENHANCED and none of its filters matches '{name}': "
                "ECR then ignores the repository's scanOnPush and scans nothing in it")
    if _scans_on_push(repository) or _matched(rules, name) or _covered_elsewhere(config, name):
        return None
    return "it does not scan images on push, and no registry-wide scan covers it"


def _coverage(args: StackValidationArgs, report: ReportViolation) -> None:
    registries = [r.props for r in args.resources if r.resource_type == REGISTRY_SCANNING]
    unjudged = Unjudged()
    for repository in (r for r in args.resources if r.resource_type == ECR_REPOSITORY):
        unjudged.read(repository, lambda r: _judge(r, registries[0] if registries else None, args.get_config(), report))
    unjudged.done()


def _judge(repository: PolicyResource, registry: Optional[Mapping[str, Any]], config, report: ReportViolation) -> None:
    if problem := _gap(repository.props, _repository_name(repository.props, repository.name), registry, config):
        report(f"repository '{repository.name}': {problem}, so no scan vouches for the images pushed to it.",
               repository.urn)


ecr_scan_on_push = StackValidationPolicy(
    name="ecr-scan-on-push",
    description="ECR repositories scan every image on push, by their own flag or by the registry's configuration.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=_SCAN,
    validate=_coverage,
    remediation_steps="Set imageScanningConfiguration.scanOnPush to true (or run ecr-scan-on-push-fix with "
                      "enforcementLevel \"remediate\"), or add the repository to the registry's scanning filters.",
)


def _turn_scanning_on(args: ResourceValidationArgs) -> Optional[Mapping[str, Any]]:
    # Safe to apply unattended: turning scanning on changes nothing that runs, it only adds findings.
    if args.resource_type != ECR_REPOSITORY or _scans_on_push(args.props):
        return None
    if _covered_elsewhere(args.get_config(), _repository_name(args.props, args.name)):
        return None
    return {**args.props, "imageScanningConfiguration": {"scanOnPush": True}}


# Remediation only, so it does nothing until its enforcement level is "remediate".
ecr_scan_on_push_fix = ResourceValidationPolicy(
    name="ecr-scan-on-push-fix",
    description="Turns a repository's scan on push on (only at enforcement level \"remediate\").",
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    config_schema=_SCAN,
    remediate=_turn_scanning_on,
)
