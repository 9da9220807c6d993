"""The simulated account's monitoring services: CloudWatch alarms and dashboards, CloudWatch Logs metric
filters and saved queries, SNS, KMS and AWS Budgets. Each refuses what its API reference (and the errors AWS is
seen to return) refuses; botocore checks only minimums on the client, so every other limit here is
the service's own. Sources: botocore's service models (cloudwatch 2010-08-01, logs 2014-03-28, sns
2010-03-31, kms 2014-11-01, budgets 2016-10-20), CloudWatch's "Dashboard Body Structure and Syntax".
"""

import json
import re
import uuid
from fnmatch import fnmatchcase
from typing import Any

from aws_limits import (ALARM_BAND_COMPARISONS, BUDGET_AMOUNT, BUDGET_MAX_EMAIL_SUBSCRIBERS,
                        BUDGET_MAX_NOTIFICATIONS, BUDGET_MAX_SNS_SUBSCRIBERS, BUDGET_NAME, BUDGET_THRESHOLD, ALARM_COMPARISONS, ALARM_MAX_ACTIONS, ALARM_MAX_DESCRIPTION,
                        ALARM_MAX_DIMENSIONS, ALARM_MAX_METRIC_QUERIES, ALARM_MAX_METRICS_IN_MATH, ALARM_MISSING_DATA,
                        ALARM_NAME, ALARM_PERIODS_SHORT, ALARM_QUERY_ID, ALARM_STATISTICS, DASHBOARD_COLUMNS,
                        DASHBOARD_MAX_WIDGETS, DASHBOARD_NAME, DASHBOARD_WIDGET_TYPES, EXTENDED_STATISTIC,
                        KMS_ALIAS_NAME, LOG_GROUP_NAME, METRIC_FILTER_MAX_DIMENSIONS, METRIC_FILTER_MAX_PATTERN,
                        METRIC_FILTER_NAME, METRIC_FILTERS_PER_LOG_GROUP, METRIC_NAME, METRIC_NAMESPACE,
                        QUERY_DEFINITION_NAME, QUERY_MAX_LENGTH, SNS_TOPIC_NAME, STANDARD_UNITS)
from offline.filter_pattern import FilterPattern, InvalidPattern, UnsupportedPattern
from offline.refusals import AwsRefusal, as_list, check_name, known, policy_document

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _invalid(message: str) -> AwsRefusal:
    return AwsRefusal(f"ValidationError: {message}")


def _check_period(period: Any, where: str) -> None:
    if known(period) and not (period in ALARM_PERIODS_SHORT or (period >= 60 and period % 60 == 0)):
        raise _invalid(f"{where} {period} must be 10, 20, 30 or a multiple of 60")


def _check_stat(stat: Any, where: str) -> None:
    if known(stat) and stat not in ALARM_STATISTICS and not EXTENDED_STATISTIC.fullmatch(stat):
        raise _invalid(f"{where} {stat!r} is not a statistic (SampleCount, Average, Sum, Minimum, Maximum) "
                       "or an extended statistic (p95, p99.9, tm99, …)")


def _check_namespace(namespace: Any) -> None:
    """An alarm's namespace: 1..255 characters, not starting with a colon (AWS/ ones included)."""
    if known(namespace) and (not 1 <= len(namespace) <= 255 or namespace.startswith(":")):
        raise _invalid(f"Namespace {namespace!r} must be 1..255 characters, not starting with ':'")


def _check_dimensions(dimensions: Any) -> None:
    if len(dimensions or {}) > ALARM_MAX_DIMENSIONS:
        raise _invalid(f"at most {ALARM_MAX_DIMENSIONS} dimensions")
    for key, value in (dimensions or {}).items():
        if not 1 <= len(key) <= 255 or not 1 <= len(str(value)) <= 1024:
            raise _invalid(f"dimension {key}={value!r}: name 1..255 and value 1..1024 characters")


class SimulatedMonitoring:
    """Mixed into SimulatedCloud: needs `arn()`, `partition`, `account_id`, `deployer_arn` and `resources`."""

    def monitoring_creators(self) -> dict:
        self.kms_aliases: set[str] = set()
        return {
            "aws:cloudwatch/metricAlarm:MetricAlarm": self._metric_alarm,
            "aws:cloudwatch/dashboard:Dashboard": self._dashboard,
            "aws:cloudwatch/logMetricFilter:LogMetricFilter": self._metric_filter,
            "aws:cloudwatch/queryDefinition:QueryDefinition": self._query_definition,
            "aws:sns/topic:Topic": self._topic,
            "aws:sns/topicPolicy:TopicPolicy": self._topic_policy,
            "aws:sns/topicSubscription:TopicSubscription": self._topic_subscription,
            "aws:kms/key:Key": self._kms_key,
            "aws:kms/alias:Alias": self._kms_alias,
            "aws:budgets/budget:Budget": self._budget,
        }

    def _existing(self, typ: str, key: str, value: Any, what: str, error: str) -> None:
        if known(value) and not any(r.type == typ and r.outputs.get(key) == value for r in self.resources.values()):
            raise AwsRefusal(f"{error} ({what} {value!r})")

    # CloudWatch PutMetricAlarm.

    def _metric_alarm(self, step, previous, inputs, name) -> dict:
        check_name(ALARM_NAME, name)
        if len(inputs.get("alarmDescription") or "") > ALARM_MAX_DESCRIPTION:
            raise _invalid(f"AlarmDescription is longer than {ALARM_MAX_DESCRIPTION}")
        comparison = inputs.get("comparisonOperator")
        if comparison in ALARM_BAND_COMPARISONS and not inputs.get("thresholdMetricId"):
            raise _invalid("ComparisonOperators for ranges require ThresholdMetricId to be set")
        if known(comparison) and comparison not in (*ALARM_COMPARISONS, *ALARM_BAND_COMPARISONS):
            raise _invalid(f"ComparisonOperator {comparison!r}")
        if inputs.get("threshold") is None and not inputs.get("thresholdMetricId"):
            raise _invalid("Threshold is required for an alarm on a static threshold")
        evaluations, datapoints = inputs.get("evaluationPeriods"), inputs.get("datapointsToAlarm")
        if evaluations is None or (known(evaluations) and evaluations < 1):
            raise _invalid("EvaluationPeriods must be 1 or more")
        if known(datapoints, evaluations) and not 1 <= datapoints <= evaluations:
            raise _invalid("DatapointsToAlarm must be less than or equal to EvaluationPeriods")
        missing = inputs.get("treatMissingData")
        if known(missing) and missing not in ALARM_MISSING_DATA:
            raise _invalid(f"TreatMissingData {missing!r} must be one of {', '.join(ALARM_MISSING_DATA)}")
        if inputs.get("evaluateLowSampleCountPercentiles") not in (None, "evaluate", "ignore"):
            raise _invalid("EvaluateLowSampleCountPercentile must be evaluate or ignore")
        for key in ("alarmActions", "okActions", "insufficientDataActions"):
            if len(inputs.get(key) or []) > ALARM_MAX_ACTIONS:
                raise _invalid(f"{key}: at most {ALARM_MAX_ACTIONS} actions")
            if any(known(a) and not str(a).startswith("arn:") for a in inputs.get(key) or []):
                raise _invalid(f"{key}: an action is not an ARN")
        period = self._alarm_metrics(inputs, anomaly_band=bool(inputs.get("thresholdMetricId")))
        if known(period, evaluations) and period * evaluations > (86400 if period < 3600 else 604800):
            raise _invalid("Period * EvaluationPeriods must be at most 1 day (7 days for periods of an hour or more)")
        return {"arn": self.arn("cloudwatch", f"alarm:{name}")}

    def _alarm_metrics(self, inputs: dict, anomaly_band: bool) -> Any:
        """One metric, or metric math: never both. Returns the period the alarm evaluates."""
        queries = inputs.get("metricQueries") or []
        single = {k: inputs.get(k) for k in ("metricName", "namespace", "dimensions", "period", "statistic",
                                             "extendedStatistic", "unit") if inputs.get(k) is not None}
        if queries and single:
            raise _invalid(f"{', '.join(sorted(single))} should not be set if list of Metrics is set")
        if not queries:
            if "metricName" not in single:
                raise _invalid("MetricName must not be null")
            if ("statistic" in single) == ("extendedStatistic" in single):
                raise _invalid("specify either Statistic or ExtendedStatistic, not both and not neither")
            if known(single.get("statistic")) and single.get("statistic") not in ALARM_STATISTICS:
                raise _invalid(f"Statistic {single['statistic']!r}")
            if known(single.get("extendedStatistic")) and not EXTENDED_STATISTIC.fullmatch(single["extendedStatistic"]):
                raise _invalid(f"ExtendedStatistic {single['extendedStatistic']!r}")
            _check_namespace(single.get("namespace"))
            _check_dimensions(single.get("dimensions"))
            if "period" not in single:
                raise _invalid("Period must not be null")
            _check_period(single.get("period"), "Period")
            return single.get("period")
        return _check_metric_queries(queries, anomaly_band)

    # CloudWatch PutDashboard.

    def _dashboard(self, step, previous, inputs, name) -> dict:
        name = inputs.get("dashboardName")
        check_name(DASHBOARD_NAME, name)
        body = inputs.get("dashboardBody")
        if known(body):
            problems = dashboard_problems(body)
            if problems:
                raise AwsRefusal("InvalidParameterInput: The dashboard body is invalid, there are "
                                 f"{len(problems)} validation errors: {json.dumps(problems)}")
        # Dashboards are global: no Region in their ARN.
        return {"name": name, "id": name, "dashboardArn": f"arn:{self.partition}:cloudwatch::{self.account_id}:"
                                                          f"dashboard/{name}"}

    # CloudWatch Logs PutMetricFilter and PutQueryDefinition.

    def _metric_filter(self, step, previous, inputs, name) -> dict:
        check_name(METRIC_FILTER_NAME, name)
        group = inputs.get("logGroupName")
        self._existing("aws:cloudwatch/logGroup:LogGroup", "name", group, "log group",
                       "ResourceNotFoundException: The specified log group does not exist")
        others = [r for u, r in self.resources.items() if u != step.urn and r.type == step.typ
                  and r.inputs.get("logGroupName") == group]
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
        return {"queryDefinitionId": str(uuid.uuid5(uuid.NAMESPACE_URL, step.urn))}

    # SNS.

    def _topic(self, step, previous, inputs, name) -> dict:
        fifo = bool(inputs.get("fifoTopic"))
        if known(name) and (SNS_TOPIC_NAME.problem(name.removesuffix(".fifo") if fifo else name)
                            or fifo != name.endswith(".fifo")):
            raise AwsRefusal("InvalidParameter: Invalid parameter: Topic Name (1..256 letters, digits, - and _; "
                             ".fifo at the end for a FIFO topic, and only then)")
        # SNS does not look at KmsMasterKeyId until something is published (KMSNotFoundException is
        # an error of Publish only), so a wrong key is accepted here as it is by AWS.
        return {"arn": self.arn("sns", name), "owner": self.account_id}

    def _topic_policy(self, step, previous, inputs, name) -> dict:
        self._existing("aws:sns/topic:Topic", "arn", inputs.get("arn"), "topic", "NotFound: Topic does not exist")
        if known(inputs.get("policy")):
            policy_document("the topic policy", inputs["policy"])
        return {}

    def _topic_subscription(self, step, previous, inputs, name) -> dict:
        self._existing("aws:sns/topic:Topic", "arn", inputs.get("topic"), "topic", "NotFound: Topic does not exist")
        protocol, endpoint = inputs.get("protocol"), inputs.get("endpoint")
        if protocol in ("email", "email-json") and known(endpoint) and not _EMAIL.match(endpoint):
            raise AwsRefusal(f"InvalidParameter: Invalid parameter: Email address {endpoint!r}")
        # An e-mail endpoint must confirm before SNS delivers anything to it.
        return {"arn": f"{inputs.get('topic')}:{uuid.uuid5(uuid.NAMESPACE_URL, step.urn)}",
                "pendingConfirmation": protocol in ("email", "email-json", "http", "https")}

    # KMS.

    def _kms_key(self, step, previous, inputs, name) -> dict:
        window = inputs.get("deletionWindowInDays")
        if known(window) and not 7 <= window <= 30:
            raise AwsRefusal(f"ValidationException: PendingWindowInDays {window} must be 7..30")
        if known(inputs.get("policy")) and not inputs.get("bypassPolicyLockoutSafetyCheck"):
            document = policy_document("the key policy", inputs["policy"])
            callers = {f"arn:{self.partition}:iam::{self.account_id}:root", self.account_id, self.deployer_arn}
            if not any(s.get("Effect") == "Allow" and callers & set(as_list((s.get("Principal") or {}).get("AWS")))
                       and any(fnmatchcase("kms:PutKeyPolicy", a) for a in as_list(s.get("Action")))
                       for s in document["Statement"]):
                raise AwsRefusal("MalformedPolicyDocumentException: The new key policy will not allow you to update "
                                 "the key policy in the future.")
        key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, step.urn))
        return {"id": key_id, "keyId": key_id, "arn": self.arn("kms", f"key/{key_id}")}

    def _kms_alias(self, step, previous, inputs, name) -> dict:
        check_name(KMS_ALIAS_NAME, name)
        if name in self.kms_aliases and (previous is None or previous.outputs["name"] != name):
            raise AwsRefusal(f"AlreadyExistsException: An alias with the name {name} already exists")
        if previous is not None:
            self.kms_aliases.discard(previous.outputs["name"])
        self.kms_aliases.add(name)
        return {"arn": self.arn("kms", name)}

    # AWS Budgets CreateBudget (a global service: the ARN has no region).

    def _budget(self, step, previous, inputs, name) -> dict:
        check_name(BUDGET_NAME, name)
        if any(r.type == step.typ and r.outputs["name"] == name for urn, r in self.resources.items() if urn != step.urn):
            raise AwsRefusal(f"DuplicateRecordException: the budget {name} already exists")
        for key, allowed in (("budgetType", _BUDGET_TYPES), ("timeUnit", _BUDGET_TIME_UNITS)):
            if known(inputs.get(key)) and inputs[key] not in allowed:
                raise _budget_invalid(f"{key} {inputs[key]!r} must be one of {', '.join(allowed)}")
        amount = inputs.get("limitAmount")
        if inputs.get("budgetType") == "COST" and amount is None and not inputs.get("autoAdjustData"):
            raise _budget_invalid("a COST budget needs a BudgetLimit (or AutoAdjustData)")
        if known(amount) and not BUDGET_AMOUNT.fullmatch(amount):
            raise _budget_invalid(f"BudgetLimit.Amount {amount!r} must be a decimal number")
        if inputs.get("filterExpression") is not None:
            if inputs.get("costFilters"):
                raise _budget_invalid("FilterExpression and CostFilters cannot both be given")
            if not inputs.get("metrics"):
                raise _budget_invalid("a FilterExpression needs Metrics")
            _check_expression(inputs["filterExpression"])
        for notification in _check_notifications(inputs.get("notifications") or []):
            for topic in notification.get("subscriberSnsTopicArns") or []:
                self._existing("aws:sns/topic:Topic", "arn", topic, "topic", "InvalidParameterException: no such "
                                                                                     "SNS topic")
        return {"arn": f"arn:{self.partition}:budgets::{self.account_id}:budget/{name}", "accountId": self.account_id}


_BUDGET_TYPES = ("USAGE", "COST", "RI_UTILIZATION", "RI_COVERAGE", "SAVINGS_PLANS_UTILIZATION",
                 "SAVINGS_PLANS_COVERAGE")
_BUDGET_TIME_UNITS = ("DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY", "CUSTOM")
_EXPRESSION_ROOTS = ("ands", "ors", "not", "dimensions", "tags", "costCategories")


def _budget_invalid(message: str) -> AwsRefusal:
    return AwsRefusal(f"InvalidParameterException: {message}")


def _check_expression(expression: dict) -> None:
    """Cost Explorer's Expression: exactly one root per node; a tag with values unless it matches ABSENT."""
    roots = [key for key in _EXPRESSION_ROOTS if expression.get(key)]
    if len(roots) != 1:
        raise _budget_invalid(f"an Expression must have exactly one root, not {roots or 'none'}")
    [root] = roots
    if root in ("ands", "ors"):
        for operand in expression[root]:
            _check_expression(operand)
    elif root == "not":
        _check_expression(expression["not"])
    elif root == "tags" and not expression["tags"].get("values") and "ABSENT" not in (
            expression["tags"].get("matchOptions") or []):
        raise _budget_invalid("a Tags expression needs at least one value")


def _check_notifications(notifications: list[dict]) -> list[dict]:
    if len(notifications) > BUDGET_MAX_NOTIFICATIONS:
        raise _budget_invalid(f"a budget can have at most {BUDGET_MAX_NOTIFICATIONS} notifications")
    seen = set()
    for notification in notifications:
        kind = (notification.get("notificationType"), notification.get("comparisonOperator"),
                notification.get("threshold"), notification.get("thresholdType"))
        if kind in seen:
            raise AwsRefusal(f"DuplicateRecordException: the notification {kind} is given twice")
        seen.add(kind)
        if not BUDGET_THRESHOLD[0] <= notification.get("threshold", -1) <= BUDGET_THRESHOLD[1]:
            raise _budget_invalid(f"Threshold {notification.get('threshold')} is outside {BUDGET_THRESHOLD[0]}.."
                                  f"{BUDGET_THRESHOLD[1]}")
        topics = notification.get("subscriberSnsTopicArns") or []
        emails = notification.get("subscriberEmailAddresses") or []
        if not topics and not emails:
            raise _budget_invalid("a notification needs at least one subscriber")
        if len(topics) > BUDGET_MAX_SNS_SUBSCRIBERS or len(emails) > BUDGET_MAX_EMAIL_SUBSCRIBERS:
            raise _budget_invalid(f"a notification has at most {BUDGET_MAX_SNS_SUBSCRIBERS} SNS topic and "
                                  f"{BUDGET_MAX_EMAIL_SUBSCRIBERS} e-mail subscribers")
    return notifications


def _check_metric_queries(queries: list[dict], anomaly_band: bool) -> Any:
    if len(queries) > ALARM_MAX_METRIC_QUERIES:
        raise _invalid(f"at most {ALARM_MAX_METRIC_QUERIES} metric queries")
    ids = [q.get("id") for q in queries]
    if len(set(ids)) != len(ids) or not all(known(i) and ALARM_QUERY_ID.fullmatch(i) for i in ids):
        raise _invalid(f"metric query ids {ids} must be unique, start with a lower-case letter, and hold only "
                       "letters, digits and _")
    # An anomaly-detection alarm returns both the band and its metric; any other exactly one answer.
    # The AWS provider sends false for a query that does not say.
    if not anomaly_band and sum(1 for q in queries if q.get("returnData")) != 1:
        raise _invalid("Exactly one element of the metrics list should return data.")
    metrics = [q for q in queries if q.get("metric")]
    if len(metrics) > ALARM_MAX_METRICS_IN_MATH or len(queries) - len(metrics) > ALARM_MAX_METRICS_IN_MATH:
        raise _invalid(f"at most {ALARM_MAX_METRICS_IN_MATH} metrics and {ALARM_MAX_METRICS_IN_MATH} expressions")
    periods = set()
    for query in queries:
        if bool(query.get("metric")) == bool(query.get("expression")):
            raise _invalid(f"metric query {query.get('id')}: specify either Expression or MetricStat but not both")
        if query.get("expression"):
            # Ids are the lower-case words of an expression (its functions are upper case); a quoted
            # SEARCH string is not read here.
            expression = query["expression"]
            words = set() if "'" in expression or '"' in expression else set(re.findall(r"\b[a-z]\w*\b", expression))
            unknown = words - set(ids)
            if unknown:
                raise _invalid(f"Error in expression {query['id']!r}: Unrecognized metric ids {sorted(unknown)}")
            continue
        metric = query["metric"]
        if not metric.get("metricName") or metric.get("period") is None or not metric.get("stat"):
            raise _invalid(f"metric query {query['id']}: MetricStat needs Metric, Period and Stat")
        _check_namespace(metric.get("namespace"))
        _check_stat(metric["stat"], f"metric query {query['id']}: Stat")
        _check_period(metric["period"], f"metric query {query['id']}: Period")
        _check_dimensions(metric.get("dimensions"))
        periods.add(metric["period"])
    return min(periods) if periods else None


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


_WIDGET_REQUIRED = {"metric": ("region",), "log": ("region", "query"), "text": ("markdown",), "alarm": ("alarms",),
                    "explorer": ("metrics",)}


def dashboard_problems(body: str) -> list[dict]:
    """What PutDashboard's validation reports for a body, as {dataPath, message}."""
    try:
        document = json.loads(body)
    except ValueError:
        return [{"dataPath": "", "message": "Should be valid JSON"}]
    widgets = document.get("widgets") if isinstance(document, dict) else None
    if not isinstance(widgets, list):
        return [{"dataPath": "", "message": "Should have required property 'widgets'"}]
    if len(widgets) > DASHBOARD_MAX_WIDGETS:
        return [{"dataPath": "/widgets", "message": f"Should NOT have more than {DASHBOARD_MAX_WIDGETS} items"}]
    problems = []
    for index, widget in enumerate(widgets):
        problems += [{"dataPath": f"/widgets/{index}{where}", "message": message}
                     for where, message in _widget_problems(widget)]
    return problems


def _widget_problems(widget: dict) -> list[tuple[str, str]]:
    kind = widget.get("type")
    if kind not in DASHBOARD_WIDGET_TYPES:
        return [("/type", f"Should be equal to one of the allowed values {list(DASHBOARD_WIDGET_TYPES)}")]
    problems = []
    for key, low, high in (("x", 0, DASHBOARD_COLUMNS - 1), ("width", 1, DASHBOARD_COLUMNS), ("height", 1, 1000),
                           ("y", 0, None)):
        value = widget.get(key)
        if value is not None and (not isinstance(value, int) or value < low or (high is not None and value > high)):
            problems.append((f"/{key}", f"Should be >= {low}" + (f" and <= {high}" if high is not None else "")))
    if ("x" in widget) != ("y" in widget):
        problems.append(("", "Should have both x and y, or neither"))
    properties = widget.get("properties")
    if not isinstance(properties, dict):
        return [*problems, ("", "Should have required property 'properties'")]
    problems += [("/properties", f"Should have required property '{key}'") for key in _WIDGET_REQUIRED[kind]
                 if key not in properties]
    if kind == "metric":
        problems += _metric_widget_problems(properties)
    if kind == "alarm" and not 1 <= len(properties.get("alarms") or []) <= 100:
        problems.append(("/properties/alarms", "Should have 1..100 alarm ARNs"))
    return problems


def _metric_widget_problems(properties: dict) -> list[tuple[str, str]]:
    metrics = properties.get("metrics")
    if metrics is None and "annotations" not in properties:
        return [("/properties", "Should have required property 'metrics'")]
    problems = []
    period = properties.get("period")
    if period is not None and (period < 60 or period % 60):
        problems.append(("/properties/period", "Should be a multiple of 60"))
    for row, entry in enumerate(metrics or []):
        where = f"/properties/metrics/{row}"
        if not isinstance(entry, list) or not entry:
            problems.append((where, "Should be array"))
            continue
        rendering = entry[-1] if isinstance(entry[-1], dict) else {}
        names = entry[:-1] if rendering else entry
        if "id" in rendering and not ALARM_QUERY_ID.fullmatch(str(rendering["id"])):
            problems.append((f"{where}/id", "Should start with a lower-case letter"))
        if "expression" in rendering:
            if names:
                problems.append((where, "An expression row holds only its options object"))
            continue
        if len(names) < 2 or len(names) % 2 or not all(isinstance(n, str) and n for n in names):
            problems.append((where, "Should be [Namespace, MetricName, DimensionName, DimensionValue, …, {options}]"))
    return problems
