"""CloudWatch Logs in the simulated account: log groups, their metric filters (whose patterns filter_pattern.py
reads) and saved queries. Source: botocore's logs service model (2014-03-28).
"""

from typing import Any

from aws_account.filter_pattern import FilterPattern, InvalidPattern, UnsupportedPattern
from aws_account.ids import urn_uuid
from aws_account.refusals import AwsRefusal, check_name, known
from aws_limits import (LOG_GROUP_NAME, LOG_RETENTION_DAYS, METRIC_FILTER_MAX_DIMENSIONS, METRIC_FILTER_MAX_PATTERN,
                        METRIC_FILTER_NAME, METRIC_FILTERS_PER_LOG_GROUP, METRIC_NAME, METRIC_NAMESPACE,
                        QUERY_DEFINITION_NAME, QUERY_MAX_LENGTH, STANDARD_UNITS)

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


class SimulatedLogs:
    """Mixed into SimulatedCloud (account.py): needs `arn()`, `_resources_of()` and `_existing()`."""

    def logs_creators(self) -> dict:
        return {
            LOG_GROUP: self._log_group,
            "aws:cloudwatch/logMetricFilter:LogMetricFilter": self._metric_filter,
            "aws:cloudwatch/queryDefinition:QueryDefinition": self._query_definition,
        }

    def _log_group(self, step, previous, inputs, name) -> dict:
        check_name(LOG_GROUP_NAME, name)
        retention = inputs.get("retentionInDays")
        if known(retention) and retention not in LOG_RETENTION_DAYS:
            raise AwsRefusal(f"InvalidParameterException: retentionInDays {retention} is not one CloudWatch Logs offers")
        return {"arn": self.arn("logs", f"log-group:{name}")}

    # PutMetricFilter and PutQueryDefinition.

    def _metric_filter(self, step, previous, inputs, name) -> dict:
        check_name(METRIC_FILTER_NAME, name)
        group = inputs.get("logGroupName")
        self._existing(LOG_GROUP, "name", group, "log group",
                       "ResourceNotFoundException: The specified log group does not exist")
        others = [r for r in self._resources_of(step.typ, besides=step.urn) if r.inputs.get("logGroupName") == group]
        if len(others) >= METRIC_FILTERS_PER_LOG_GROUP:
            raise AwsRefusal(f"LimitExceededException: at most {METRIC_FILTERS_PER_LOG_GROUP} metric filters per log group")
        pattern_text = inputs.get("pattern") or ""
        if len(pattern_text) > METRIC_FILTER_MAX_PATTERN:
            raise AwsRefusal(f"InvalidParameterException: filterPattern is longer than {METRIC_FILTER_MAX_PATTERN}")
        transformation = inputs.get("metricTransformation") or {}
        try:
            pattern = FilterPattern.parse(pattern_text)
            if known(transformation.get("value")):
                pattern.check_value(transformation["value"])
        except InvalidPattern as invalid:
            raise AwsRefusal(f"InvalidParameterException: Invalid metric filter pattern ({invalid})") from None
        except UnsupportedPattern:
            pattern = None  # valid for CloudWatch; nothing more to check here
        _check_transformation(transformation, pattern)
        return {}

    def _query_definition(self, step, previous, inputs, name) -> dict:
        check_name(QUERY_DEFINITION_NAME, name)
        query = inputs.get("queryString") or ""
        if not 1 <= len(query) <= QUERY_MAX_LENGTH:
            raise AwsRefusal(f"InvalidParameterException: queryString must be 1..{QUERY_MAX_LENGTH} characters")
        for group in inputs.get("logGroupNames") or []:
            check_name(LOG_GROUP_NAME, group)
        return {"queryDefinitionId": urn_uuid(step.urn)}


def _check_transformation(transformation: dict, pattern: Any) -> None:
    check_name(METRIC_NAME, transformation.get("name"))
    check_name(METRIC_NAMESPACE, transformation.get("namespace"))
    value = transformation.get("value") or ""
    if not 1 <= len(value) <= 100:
        raise AwsRefusal("InvalidParameterException: metricValue must be 1..100 characters")
    unit = transformation.get("unit")
    if known(unit) and unit not in STANDARD_UNITS:
        raise AwsRefusal(f"InvalidParameterException: unit {unit!r} is not a CloudWatch unit")
    dimensions = transformation.get("dimensions") or {}
    if len(dimensions) > METRIC_FILTER_MAX_DIMENSIONS:
        raise AwsRefusal(f"InvalidParameterException: at most {METRIC_FILTER_MAX_DIMENSIONS} dimensions")
    if dimensions and transformation.get("defaultValue") is not None:
        raise AwsRefusal("InvalidParameterException: Invalid metric transformation: dimensions and default value "
                         "are mutually exclusive properties")
    if dimensions and pattern is not None and pattern.kind not in ("json", "delimited"):
        raise AwsRefusal("InvalidParameterException: The specified filter pattern does not support dimensions")
