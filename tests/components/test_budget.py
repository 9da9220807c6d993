"""StackBudget: an AWS budget on the stack's real spend (its resources by their project and stack tags), alerting
the alarm topic at the actual and the forecast threshold; the topic and its key let AWS Budgets publish."""

import json
from fnmatch import fnmatchcase

BUDGET, TOPIC, TOPIC_POLICY = "aws:budgets/budget:Budget", "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy"
KEY = "aws:kms/key:Key"
PUBLISH = "BudgetNotificationsPublish"


def _statements(document: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(document)["Statement"]}


def test_prod_budgets_its_monthly_cost_and_alerts_the_alarm_topic(prod_run):
    budget = prod_run.one(BUDGET)
    assert budget.inputs["name"] == "lambdakit-prod-monthly"
    assert (budget.inputs["budgetType"], budget.inputs["timeUnit"]) == ("COST", "MONTHLY")
    assert (budget.inputs["limitAmount"], budget.inputs["limitUnit"]) == ("100", "USD")  # Pulumi.prod.yaml
    topic = prod_run.one(TOPIC).state["arn"]
    alerts = {n["notificationType"]: n for n in budget.inputs["notifications"]}
    assert {kind: (n["threshold"], n["thresholdType"], n["comparisonOperator"], n["subscriberSnsTopicArns"])
            for kind, n in alerts.items()} == {"ACTUAL": (80, "PERCENTAGE", "GREATER_THAN", [topic]),
                                               "FORECASTED": (100, "PERCENTAGE", "GREATER_THAN", [topic])}
    assert budget.state["arn"] == "arn:aws:budgets::123456789012:budget/lambdakit-prod-monthly"


def test_the_budget_counts_only_resources_tagged_with_both_the_project_and_the_stack(prod_run):
    """An AND of the two tags (CostFilters' TagKeyValue could only OR values of one key): another project's prod
    stack, or this project's dev stack, in the same account is not counted."""
    budget = prod_run.one(BUDGET).inputs
    assert budget["metrics"] == "UnblendedCost"  # a filter expression needs its metric
    operands = [operand["tags"] for operand in budget["filterExpression"]["ands"]]
    assert operands == [{"key": "project", "values": ["lambdakit"], "matchOptions": ["EQUALS"]},
                        {"key": "stack", "values": ["prod"], "matchOptions": ["EQUALS"]}]
    # Every resource the stack tags carries both, so the budget sees it once the tags are activated.
    tagged = [r for r in prod_run.resources if r.custom and "tags" in r.inputs]
    assert len(tagged) > 30
    assert all({"project": "lambdakit", "stack": "prod"}.items() <= r.inputs["tags"].items() for r in tagged)


def test_the_topic_and_its_key_let_aws_budgets_publish_for_this_accounts_budgets_only(prod_run):
    budget_arn = prod_run.one(BUDGET).state["arn"]
    publish = _statements(prod_run.one(TOPIC_POLICY).inputs["policy"])[PUBLISH]
    assert (publish["Principal"], publish["Action"], publish["Resource"]) == (
        {"Service": "budgets.amazonaws.com"}, "sns:Publish", prod_run.one(TOPIC).state["arn"])
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert fnmatchcase(budget_arn, publish["Condition"]["ArnLike"]["aws:SourceArn"])
    assert not fnmatchcase(budget_arn.replace("123456789012", "210987654321"),
                           publish["Condition"]["ArnLike"]["aws:SourceArn"])
    use_key = _statements(prod_run.under("alarms").one(KEY).inputs["policy"])[PUBLISH]
    # SNS asks for a data key under the publisher's authority: without this the alert is dropped.
    assert (use_key["Principal"], sorted(use_key["Action"])) == (
        {"Service": "budgets.amazonaws.com"}, ["kms:Decrypt", "kms:GenerateDataKey"])


def test_no_budget_no_budget_resource_and_no_grant(stack_runner):
    run = stack_runner("prod", {"budgetMonthlyUsd": 0})
    assert run.of_type(BUDGET) == []
    assert PUBLISH not in _statements(run.one(TOPIC_POLICY).inputs["policy"])
    assert PUBLISH not in _statements(run.under("alarms").one(KEY).inputs["policy"])


def test_the_budget_and_the_alarms_wait_for_the_topic_policy_that_lets_them_publish(prod_run):
    """The topic's ARN is handed out once its policy exists: a budget or an alarm created before it would be
    told no on its first message."""
    policy = prod_run.one(TOPIC_POLICY).urn
    assert policy in prod_run.one(BUDGET).dependencies
    alarms = prod_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarms and all(policy in alarm.dependencies for alarm in alarms)
