"""The simulated account's notifications refuse what AWS refuses, and accept what AWS accepts: SNS CreateTopic
and Subscribe, AWS Budgets CreateBudget, CodeStar Notifications CreateNotificationRule (the program's own
rule, changed one setting at a time)."""

import re

import pytest

from tests.aws_account.steps import ACCOUNT, KEY_POLICY, changed, refused, register, with_keys

TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"
RULE = "aws:codestarnotifications/notificationRule:NotificationRule"
TOPIC_ARN = f"arn:aws:sns:eu-west-1:{ACCOUNT}:alarms"
PIPELINE_ARN = f"arn:aws:codepipeline:eu-west-1:{ACCOUNT}:lambdakit-prod"
APPLICATION_ARN = f"arn:aws:codedeploy:eu-west-1:{ACCOUNT}:application:lambdakit-prod-api"


# SNS.

@pytest.mark.parametrize("name, fifo", [("alarms.v2", False), ("x.fifo", False), ("x", True), ("t" * 257, False),
                                        ("alarm topic", False)],
                         ids=["dot", ".fifo on a standard topic", "FIFO without .fifo", "257 characters", "space"])
def test_create_topic_refuses_the_name(cloud, name, fifo):
    with refused("InvalidParameter: Invalid parameter: Topic Name"):
        register(cloud, TOPIC, "t", {"name": name, "fifoTopic": fifo})


@pytest.mark.parametrize("name, fifo", [("lambdakit-dev_alarms", False), ("x.fifo", True), ("t" * 256, False)],
                         ids=["standard", "FIFO", "256 characters"])
def test_create_topic_accepts_the_name(cloud, name, fifo):
    assert register(cloud, TOPIC, "t", {"name": name, "fifoTopic": fifo})["arn"] == \
        f"arn:aws:sns:eu-west-1:{ACCOUNT}:{name}"


def test_a_topic_encrypted_with_an_existing_key(cloud):
    key = register(cloud, KEY, "k", {"policy": KEY_POLICY, "deletionWindowInDays": 30})
    for form in (key["arn"], key["keyId"], "alias/aws/sns"):
        assert register(cloud, TOPIC, f"t-{form}", {"name": "alarms", "kmsMasterKeyId": form})["arn"] == TOPIC_ARN


def test_a_topic_naming_a_key_that_does_not_exist_is_created(cloud):
    # KMSNotFoundException is an error of Publish only (botocore's sns model); getmoto/moto#3389.
    missing = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    assert register(cloud, TOPIC, "t", {"name": "alarms", "kmsMasterKeyId": missing})["arn"] == TOPIC_ARN


@pytest.fixture
def topic(cloud) -> str:
    return register(cloud, TOPIC, "t", {"name": "alarms"})["arn"]


def test_an_email_subscription_needs_an_address_and_waits_for_confirmation(cloud, topic):
    with refused("InvalidParameter: Invalid parameter: Email address 'not-an-address'"):
        register(cloud, SUBSCRIPTION, "s", {"topic": topic, "protocol": "email", "endpoint": "not-an-address"})
    subscription = register(cloud, SUBSCRIPTION, "s", {"topic": topic, "protocol": "email",
                                                        "endpoint": "oncall@example.com"})
    assert subscription["pendingConfirmation"] is True
    assert subscription["arn"].startswith(f"{TOPIC_ARN}:")


def test_a_subscription_needs_its_topic(cloud, topic):
    with refused("NotFound: Topic does not exist"):
        register(cloud, SUBSCRIPTION, "s", {"topic": f"{TOPIC_ARN}-gone", "protocol": "email",
                                            "endpoint": "oncall@example.com"})
    assert register(cloud, SUBSCRIPTION, "s", {"topic": topic, "protocol": "email", "endpoint": "oncall@example.com"})


# AWS Budgets CreateBudget (botocore's budgets model, 2016-10-20, and its CreateBudget documentation).

BUDGET = "aws:budgets/budget:Budget"


def _budget(**changes) -> dict:
    notification = {"notificationType": "ACTUAL", "comparisonOperator": "GREATER_THAN", "threshold": 80,
                    "thresholdType": "PERCENTAGE", "subscriberSnsTopicArns": [TOPIC_ARN]}
    tags = [{"tags": {"key": key, "values": [value], "matchOptions": ["EQUALS"]}}
            for key, value in (("project", "p"), ("stack", "dev"))]
    return with_keys({"name": "p-dev-monthly", "budgetType": "COST", "timeUnit": "MONTHLY", "limitAmount": "25",
                    "limitUnit": "USD", "metrics": "UnblendedCost", "filterExpression": {"ands": tags},
                    "notifications": [notification, {**notification, "notificationType": "FORECASTED"}]}, changes)


@pytest.fixture
def budget_cloud(cloud):
    register(cloud, TOPIC, "alarms", {"name": "alarms"})
    return cloud


def test_a_budget_is_global_and_named_in_its_arn(budget_cloud):
    state = register(budget_cloud, BUDGET, "budget", _budget())
    assert state["arn"] == f"arn:aws:budgets::{ACCOUNT}:budget/p-dev-monthly"


@pytest.mark.parametrize("name", ["p:dev", "p\\dev", "p/action/dev", "x" * 101])
def test_budget_names_refuse_colons_backslashes_and_action_paths(budget_cloud, name):
    with refused("AWS budget name"):
        register(budget_cloud, BUDGET, "budget", _budget(name=name))
    register(budget_cloud, BUDGET, "budget", _budget(name="p dev/monthly (USD)"))


def test_a_budget_name_is_unique_in_the_account(budget_cloud):
    register(budget_cloud, BUDGET, "first", _budget())
    with refused("DuplicateRecordException"):
        register(budget_cloud, BUDGET, "second", _budget())
    register(budget_cloud, BUDGET, "first", _budget(limitAmount="30"))  # an update of the same budget


@pytest.mark.parametrize("amount", ["25 USD", "1e3", "-5", ""])
def test_the_limit_is_a_plain_decimal(budget_cloud, amount):
    with refused("BudgetLimit.Amount"):
        register(budget_cloud, BUDGET, "budget", _budget(limitAmount=amount))
    register(budget_cloud, BUDGET, "budget", _budget(limitAmount="25.50"))


def test_a_cost_budget_needs_a_limit(budget_cloud):
    with refused("a COST budget needs a BudgetLimit"):
        register(budget_cloud, BUDGET, "budget", _budget(limitAmount=None))


def test_a_filter_expression_needs_a_metric_and_excludes_cost_filters(budget_cloud):
    with refused("a FilterExpression needs Metrics"):
        register(budget_cloud, BUDGET, "budget", _budget(metrics=None))
    with refused("FilterExpression and CostFilters cannot both be given"):
        register(budget_cloud, BUDGET, "budget",
                 _budget(costFilters=[{"name": "TagKeyValue", "values": ["user:stack$dev"]}]))


@pytest.mark.parametrize("expression, problem", [
    ({"tags": {"key": "stack", "values": ["dev"]}, "dimensions": {"key": "SERVICE", "values": ["AWS Lambda"]}},
     "exactly one root"),
    ({"ands": [{"tags": {"key": "stack", "values": []}}, {"tags": {"key": "project", "values": ["p"]}}]},
     "a Tags expression needs at least one value"),
])
def test_filter_expressions_are_held_to_cost_explorers_rules(budget_cloud, expression, problem):
    with refused(problem):
        register(budget_cloud, BUDGET, "budget", _budget(filterExpression=expression))
    register(budget_cloud, BUDGET, "budget", _budget(filterExpression={"tags": {"key": "stack", "values": ["dev"]}}))
    # ABSENT matches resources without the tag: the one tag expression with no values.
    register(budget_cloud, BUDGET, "budget", _budget(filterExpression={"tags": {"key": "stack", "matchOptions": ["ABSENT"]}}))


def test_at_most_five_notifications_none_twice_each_with_a_subscriber(budget_cloud):
    base = _budget()["notifications"][0]
    five = [{**base, "threshold": t} for t in (50, 60, 70, 80, 90)]
    register(budget_cloud, BUDGET, "budget", _budget(notifications=five))
    with refused("at most 5 notifications"):
        register(budget_cloud, BUDGET, "budget", _budget(notifications=five + [{**base, "threshold": 100}]))
    with refused("DuplicateRecordException"):
        register(budget_cloud, BUDGET, "budget", _budget(notifications=[base, dict(base)]))
    with refused("at least one subscriber"):
        register(budget_cloud, BUDGET, "budget", _budget(notifications=[{**base, "subscriberSnsTopicArns": []}]))


def test_one_topic_and_ten_addresses_per_notification_at_most(budget_cloud):
    base = _budget()["notifications"][0]
    emails = [f"ops{n}@example.com" for n in range(10)]
    register(budget_cloud, BUDGET, "budget", _budget(notifications=[{**base, "subscriberEmailAddresses": emails}]))
    for too_many in ({"subscriberEmailAddresses": emails + ["ops10@example.com"]},
                     {"subscriberSnsTopicArns": [TOPIC_ARN, TOPIC_ARN + "-2"]}):
        with refused("at most 1 SNS topic and 10 e-mail subscribers"):
            register(budget_cloud, BUDGET, "budget", _budget(notifications=[{**base, **too_many}]))


def test_thresholds_stay_within_budgets_bounds_and_topics_exist(budget_cloud):
    base = _budget()["notifications"][0]
    with refused("Threshold -1 is outside"):
        register(budget_cloud, BUDGET, "budget", _budget(notifications=[{**base, "threshold": -1}]))
    with refused("no such SNS topic"):
        register(budget_cloud, BUDGET, "budget",
                 _budget(notifications=[{**base, "subscriberSnsTopicArns": [TOPIC_ARN + "-gone"]}]))


# CodeStar Notifications.

FAILURE_RULE = {"name": "lambdakit-prod", "resource": PIPELINE_ARN, "detailType": "FULL",
                "eventTypeIds": ["codepipeline-pipeline-pipeline-execution-failed"],
                "targets": [{"address": TOPIC_ARN, "type": "SNS"}]}


def test_the_programs_notification_rule_is_accepted(cloud):
    state = register(cloud, RULE, "r", FAILURE_RULE)
    assert re.fullmatch(rf"arn:aws:codestar-notifications:eu-west-1:{ACCOUNT}:notificationrule/[0-9a-f]{{40}}",
                        state["arn"])
    assert state["id"] == state["arn"]


@pytest.mark.parametrize("path, value, message", [
    ("name", "lambdakit.prod", "ValidationException: notification rule name 'lambdakit.prod'"),
    ("name", "n" * 65, "notification rule name"),
    ("detailType", "ALL", "ValidationException: DetailType 'ALL' must be one of BASIC, FULL"),
    ("eventTypeIds", ["codedeploy-application-deployment-failed"],
     "ValidationException: event types codedeploy-application-deployment-failed are not events of "
     f"{PIPELINE_ARN} (its event type ids start with codepipeline-pipeline-)"),
    ("resource", APPLICATION_ARN, "are not events of " + APPLICATION_ARN),
    ("resource", TOPIC_ARN, f"ValidationException: {TOPIC_ARN} is not a resource notification rules support"),
    ("targets", [{"address": TOPIC_ARN, "type": "SNS"}] * 11,
     "ValidationException: 1 validation error detected: Value"),
    ("targets.0.type", "EMAIL", "ValidationException: TargetType 'EMAIL' must be one of SNS"),
], ids=["name with a dot", "name of 65", "detail ALL", "a deployment's event on a pipeline",
        "a pipeline's event on an application", "a topic as the resource", "11 targets", "target type EMAIL"])
def test_notification_rules_codestar_notifications_refuses(cloud, path, value, message):
    with refused(message):
        register(cloud, RULE, "r", changed(FAILURE_RULE, path, value))


def test_a_rule_on_a_codedeploy_application_takes_its_deployment_events(cloud):
    rule = {**FAILURE_RULE, "name": "lambdakit prod_releases", "resource": APPLICATION_ARN,
            "eventTypeIds": ["codedeploy-application-deployment-failed"],
            "targets": [{"address": TOPIC_ARN, "type": "SNS"}] * 10}
    assert register(cloud, RULE, "r", rule)["arn"]
