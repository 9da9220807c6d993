"""Rules that need the whole graph."""

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from cost.plan import log_group_of
from rules.common import LAMBDA_FUNCTION, schema, setting

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

_RETENTION = schema(
    minRetentionDays={"type": "integer", "minimum": 1, "default": 1,
                      "description": "Shortest retention a function's log group may have."},
    maxRetentionDays={"type": "integer", "minimum": 1, "default": 3653,
                      "description": "Longest retention (logs are billed per GB stored)."},
)


def _managed_log_groups(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    low, high = setting(config, _RETENTION, "minRetentionDays"), setting(config, _RETENTION, "maxRetentionDays")
    retention_by_name = {r.props.get("name"): r.props.get("retentionInDays")
                         for r in args.resources if r.resource_type == LOG_GROUP}
    for function in (r for r in args.resources if r.resource_type == LAMBDA_FUNCTION):
        expected = log_group_of(function.props)
        if expected is None:
            continue  # no name and no logging config: nothing to say which group it writes to
        if expected not in retention_by_name:
            report(f"function '{function.name}' logs to {expected}, which this stack does not manage; "
                   "Lambda would create it with no retention.", function.urn)
            continue
        retention = retention_by_name[expected]
        if not retention or not low <= int(retention) <= high:
            kept = f"{int(retention)} days" if retention else "forever"
            report(f"log group {expected} of '{function.name}' keeps logs {kept}; "
                   f"allowed: {low}..{high} days.", function.urn)


lambda_managed_log_group = StackValidationPolicy(
    name="lambda-managed-log-group",
    description="Every Lambda function logs to a log group this stack manages, with a bounded retention.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=_RETENTION,
    validate=_managed_log_groups,
)
