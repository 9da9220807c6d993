"""StackBudget: an AWS Budgets budget on what the stack really spends, alerting the stack's alarm topic.

Planned spend is the pack's to judge (stack-monthly-budget, on the preview's estimate); this watches the bill.
The budget counts the costs of resources that carry all of the stack's cost tags (project and stack), so two
stacks in one account do not share a budget. AWS only sees those tags once they are activated as cost
allocation tags in the Billing console (possible about a day after a resource first carries them); until then
the budget sees nothing. AWS forecasts only after some weeks of history, so the forecast alert stays quiet
in a new account. A budget that only notifies is free.
"""

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class StackBudgetArgs:
    budget_name: str
    monthly_usd: int
    actual_percent: int    # alert when the month's spend passes this share of the budget
    forecast_percent: int  # alert when the month's forecast passes this share
    topic_arn: pulumi.Input[str]
    cost_tags: dict[str, str]  # only resources carrying every one of these tags count
    tags: dict[str, str] = field(default_factory=dict)


def _tagged(cost_tags: dict[str, str]) -> aws.budgets.BudgetFilterExpressionArgs:
    # Cost Explorer's expression: one tag per operand, AND-ed (CostFilters could only OR values of one tag).
    return aws.budgets.BudgetFilterExpressionArgs(ands=[
        aws.budgets.BudgetFilterExpressionAndArgs(tags=aws.budgets.BudgetFilterExpressionAndTagsArgs(
            key=key, values=[value], match_options=["EQUALS"])) for key, value in sorted(cost_tags.items())])


def _alert(kind: str, percent: int, topic_arn: pulumi.Input[str]) -> aws.budgets.BudgetNotificationArgs:
    return aws.budgets.BudgetNotificationArgs(notification_type=kind, comparison_operator="GREATER_THAN",
                                              threshold=percent, threshold_type="PERCENTAGE",
                                              subscriber_sns_topic_arns=[topic_arn])


class StackBudget(pulumi.ComponentResource):
    budget_name: pulumi.Output[str]

    def __init__(self, name: str, args: StackBudgetArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("lambdakit:cost:StackBudget", name, None, opts)
        self.budget = aws.budgets.Budget(
            name, name=args.budget_name, budget_type="COST", time_unit="MONTHLY",
            limit_amount=str(args.monthly_usd), limit_unit="USD",
            filter_expression=_tagged(args.cost_tags), metrics="UnblendedCost",
            notifications=[_alert("ACTUAL", args.actual_percent, args.topic_arn),
                           _alert("FORECASTED", args.forecast_percent, args.topic_arn)],
            tags=args.tags, opts=pulumi.ResourceOptions(parent=self))
        self.budget_name = self.budget.name
        self.register_outputs({"budgetName": self.budget_name})
