"""lambdakit's CrossGuard policy pack: `pulumi preview --policy-pack policies`."""

from collector import collect_for_one_long_lived_heap

collect_for_one_long_lived_heap()  # before the rules load: AnalyzeStack is handed every resource at once

from pulumi_policy import EnforcementLevel  # noqa: E402 - after the collector is set

from guard import serve  # noqa: E402
from rules.budget import stack_monthly_budget
from rules.delivery import codebuild_arm64
from rules.ecr_repository import ecr_scan_on_push, ecr_scan_on_push_fix
from rules.function_url import (function_url_auth_in_production, function_url_public_needs_reservation,
                                provisioned_concurrency_not_on_latest)
from rules.iam_statements import iam_no_wildcard_actions
from rules.image_scan import lambda_image_scan_findings, lambda_image_scan_findings_unread
from rules.lambda_function import (lambda_architecture, lambda_image_by_digest, lambda_image_size,
                                   lambda_image_size_unmeasured, lambda_memory)
from rules.monitoring import lambda_monitoring_coverage
from rules.stack import lambda_managed_log_group

serve(
    name="lambdakit-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        lambda_architecture,
        lambda_image_size,
        lambda_image_size_unmeasured,
        ecr_scan_on_push,
        ecr_scan_on_push_fix,
        lambda_memory,
        lambda_image_by_digest,
        lambda_image_scan_findings,
        lambda_image_scan_findings_unread,
        function_url_auth_in_production,
        function_url_public_needs_reservation,
        provisioned_concurrency_not_on_latest,
        iam_no_wildcard_actions,
        lambda_managed_log_group,
        lambda_monitoring_coverage,
        codebuild_arm64,
        stack_monthly_budget,
    ],
)
