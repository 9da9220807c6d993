"""lambdakit's CrossGuard policy pack: `pulumi preview --policy-pack policies`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from rules.ecr_repository import ecr_scan_on_push
from rules.function_url import function_url_auth_in_production, provisioned_concurrency_not_on_latest
from rules.iam_statements import iam_no_wildcard_actions
from rules.lambda_function import (lambda_architecture, lambda_image_by_digest, lambda_image_size,
                                   lambda_image_size_unmeasured, lambda_memory)
from rules.monitoring import lambda_monitoring_coverage
from rules.stack import lambda_managed_log_group

PolicyPack(
    name="lambdakit-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        lambda_architecture,
        lambda_image_size,
        lambda_image_size_unmeasured,
        ecr_scan_on_push,
        lambda_memory,
        lambda_image_by_digest,
        function_url_auth_in_production,
        provisioned_concurrency_not_on_latest,
        iam_no_wildcard_actions,
        lambda_managed_log_group,
        lambda_monitoring_coverage,
    ],
)
