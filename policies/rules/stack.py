"""Rules that need the whole graph."""

from typing import Mapping

from pulumi_policy import (EnforcementLevel, PolicyResource, ReportViolation, Severity, StackValidationArgs,
                           StackValidationPolicy)

from cost.plan import log_group_of
from cost.wire import number, text
from guard import Unjudged
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
    days = setting(config, _RETENTION, "minRetentionDays"), setting(config, _RETENTION, "maxRetentionDays")
    unjudged = Unjudged()
    groups = [(unjudged.read(group, lambda g: text(g.props.get("name"), "name")), group)
              for group in args.resources if group.resource_type == LOG_GROUP]
    groups_by_name = {name: group for name, group in groups if name}
    for function in (r for r in args.resources if r.resource_type == LAMBDA_FUNCTION):
        unjudged.read(function, lambda f: _judge(f, groups_by_name, days, report))
    unjudged.done()


def _judge(function: PolicyResource, groups_by_name: Mapping[str, PolicyResource], days: tuple[int, int],
           report: ReportViolation) -> None:
    expected = log_group_of(function.props)
    if expected is None:
        return  # no name and no logging config: nothing to say which group it writes to
    if expected not in groups_by_name:
        report(f"function '{function.name}' logs to {expected}, which this stack does not manage; "
               "Lambda would create it with no retention.", function.urn)
        return
    retention = number(groups_by_name[expected].props.get("retentionInDays"),
                       f"retentionInDays of log group {expected}")
    low, high = days
    if not retention or not low <= retention <= high:
        kept = f"{retention} days" if retention else "forever"
        report(f"log group {expected} of '{function.name}' keeps logs {kept}; allowed: {low}..{high} days.",
               function.urn)


lambda_managed_log_group = StackValidationPolicy(
    name="lambda-managed-log-group",
    description="Every Lambda function logs to a log group this stack manages, with a bounded retention.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=_RETENTION,
    validate=_managed_log_groups,
)
