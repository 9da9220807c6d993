"""Rules on `aws:ecr/repository:Repository`."""

from fnmatch import fnmatchcase
from typing import Any, Mapping

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from rules.common import resource_rule, schema, setting

ECR_REPOSITORY = "aws:ecr/repository:Repository"

_SCAN = schema(registryScanFilters={
    "type": "array", "items": {"type": "string"}, "default": [],
    "description": "Repository-name wildcards that a registry-wide scan-on-push configuration (managed "
                   "outside this stack) already covers."})


def _scans_on_push(props: Mapping[str, Any]) -> bool:
    return bool((props.get("imageScanningConfiguration") or {}).get("scanOnPush"))


def _covered_by_registry(args: ResourceValidationArgs) -> bool:
    filters = setting(args.get_config(), _SCAN, "registryScanFilters")
    name = args.props.get("name") or args.name
    return any(fnmatchcase(name, pattern) for pattern in filters)


def _remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    # Safe to apply unattended: turning scanning on changes nothing that runs, it only adds findings.
    if args.resource_type != ECR_REPOSITORY or _scans_on_push(args.props) or _covered_by_registry(args):
        return None
    return {**args.props, "imageScanningConfiguration": {"scanOnPush": True}}


@resource_rule("ecr-scan-on-push", "ECR repositories scan every image on push.", Severity.CRITICAL, _SCAN,
               ECR_REPOSITORY, remediate=_remediate,
               remediation_steps="Set imageScanningConfiguration.scanOnPush to true, or run this policy with "
                                 "enforcementLevel \"remediate\" to have it set for you.")
def ecr_scan_on_push(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _scans_on_push(args.props) and not _covered_by_registry(args):
        report(f"repository '{args.name}' does not scan images on push, and no registry-wide scan covers it; "
               "an unscanned image could reach Lambda.")
