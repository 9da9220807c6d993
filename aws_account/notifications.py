"""The simulated account's notifications: SNS topics and subscriptions, AWS Budgets, and CodeStar Notifications
rules. Sources: botocore's service models (sns 2010-03-31, budgets 2016-10-20, and codestar-notifications, whose
limits and enums aws_limits.py names).
"""

import hashlib
import re

from aws_account.ids import urn_uuid
from aws_account.refusals import AwsRefusal, check_length, check_name, check_one_of, known, policy_document
from aws_limits import (BUDGET_AMOUNT, BUDGET_MAX_EMAIL_SUBSCRIBERS, BUDGET_MAX_NOTIFICATIONS,
                        BUDGET_MAX_SNS_SUBSCRIBERS, BUDGET_NAME, BUDGET_THRESHOLD, NOTIFICATION_DETAIL_TYPES,
                        NOTIFICATION_EVENT_PREFIXES, NOTIFICATION_MAX_TARGETS, NOTIFICATION_RULE_NAME,
                        NOTIFICATION_TARGET_TYPES, SNS_TOPIC_NAME)

TOPIC = "aws:sns/topic:Topic"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SimulatedNotifications:
    """Mixed into SimulatedCloud (account.py): needs `arn()`, `partition`, `account_id`, `_resources_of()` and
    `_existing()`."""

    def notification_creators(self) -> dict:
        return {
            TOPIC: self._topic,
            "aws:sns/topicPolicy:TopicPolicy": self._topic_policy,
            "aws:sns/topicSubscription:TopicSubscription": self._topic_subscription,
            "aws:budgets/budget:Budget": self._budget,
            "aws:codestarnotifications/notificationRule:NotificationRule": self._notification_rule,
        }

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
        self._existing(TOPIC, "arn", inputs.get("arn"), "topic", "NotFound: Topic does not exist")
        if known(inputs.get("policy")):
            policy_document("the topic policy", inputs["policy"])
        return {}

    def _topic_subscription(self, step, previous, inputs, name) -> dict:
        self._existing(TOPIC, "arn", inputs.get("topic"), "topic", "NotFound: Topic does not exist")
        protocol, endpoint = inputs.get("protocol"), inputs.get("endpoint")
        if protocol in ("email", "email-json") and known(endpoint) and not _EMAIL.match(endpoint):
            raise AwsRefusal(f"InvalidParameter: Invalid parameter: Email address {endpoint!r}")
        # An e-mail endpoint must confirm before SNS delivers anything to it.
        return {"arn": f"{inputs.get('topic')}:{urn_uuid(step.urn)}",
                "pendingConfirmation": protocol in ("email", "email-json", "http", "https")}

    # AWS Budgets CreateBudget (a global service: the ARN has no region).

    def _budget(self, step, previous, inputs, name) -> dict:
        check_name(BUDGET_NAME, name)
        if any(r.outputs["name"] == name for r in self._resources_of(step.typ, besides=step.urn)):
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
                self._existing(TOPIC, "arn", topic, "topic", "InvalidParameterException: no such SNS topic")
        return {"arn": f"arn:{self.partition}:budgets::{self.account_id}:budget/{name}", "accountId": self.account_id}

    # CodeStar Notifications.

    def _notification_rule(self, step, previous, inputs, name) -> dict:
        """CreateNotificationRule. An event type belongs to one kind of resource (its id starts with that
        service's prefix); the refusal of another's is in the simulation's words."""
        check_name(NOTIFICATION_RULE_NAME, name)
        check_one_of("DetailType", inputs.get("detailType"), NOTIFICATION_DETAIL_TYPES)
        resource = inputs.get("resource")
        if known(resource):
            prefix = NOTIFICATION_EVENT_PREFIXES.get(resource.split(":")[2] if resource.count(":") >= 5 else "")
            if prefix is None:
                raise AwsRefusal(f"ValidationException: {resource} is not a resource notification rules support")
            wrong = [e for e in inputs.get("eventTypeIds") or [] if known(e) and not e.startswith(prefix)]
            if wrong:
                raise AwsRefusal(f"ValidationException: event types {', '.join(wrong)} are not events of {resource} "
                                 f"(its event type ids start with {prefix})")
        targets = inputs.get("targets") or []
        check_length("targets", targets, (0, NOTIFICATION_MAX_TARGETS))
        for target in targets:
            check_one_of("TargetType", target.get("type"), NOTIFICATION_TARGET_TYPES)
        arn = self.arn("codestar-notifications", f"notificationrule/{hashlib.sha1(step.urn.encode()).hexdigest()}")
        return {"id": arn, "arn": arn}


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
