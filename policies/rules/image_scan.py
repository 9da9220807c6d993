"""`lambda-image-scan-findings`: a function runs no image whose ECR scan the pipeline's scan gate would
refuse. The decision is scan_findings.py's, the very module the gate runs, so a `pulumi up` from a
laptop cannot bypass what the pipeline enforces.

It runs when the engine knows the image's digest, at `pulumi up` before the function changes; during
a preview the digest is unknown and the engine says the policy could not run. Findings that cannot be
read (no credentials, a scan still running) block where `blockWhenUnreadable` says, production stacks
by default; `lambda-image-scan-findings-unread` says so in every stack.
"""

import functools
import time
from dataclasses import dataclass
from typing import Optional

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity
from pulumi_policy.proxy import UnknownValueError

from cost.wire import text
from rules.aws import (ACCESS_DENIED, AWS_ERRORS, CREDENTIALS_REFUSED, NO_CREDENTIALS, UNREACHABLE, AwsFailure,
                       EcrImage, client, ecr_image, explain, offline)
from rules.common import (LAMBDA_FUNCTION, PRODUCTION_STACKS, current_stack, is_image_function, is_production,
                          resource_rule, schema, setting)
from scan_findings import FAIL_ON, FAIL_ON_FIXABLE, IGNORED, SEVERITIES, Outcome, Thresholds, Verdict, judge, read_scan

_DEFAULT = Thresholds().as_mapping()
_SEVERITY_LIST = {"type": "array", "items": {"type": "string", "enum": list(SEVERITIES)}}
_SCAN = schema(**{
    FAIL_ON: {**_SEVERITY_LIST, "default": _DEFAULT[FAIL_ON],
              "description": "Any finding of these severities refuses the image."},
    FAIL_ON_FIXABLE: {**_SEVERITY_LIST, "default": _DEFAULT[FAIL_ON_FIXABLE],
                      "description": "A finding of these severities refuses the image when a fixed version exists "
                                     "(basic scanning does not say, so it counts as fixable)."},
    IGNORED: {"type": "array", "items": {"type": "string"}, "default": _DEFAULT[IGNORED],
              "description": "Vulnerability ids accepted on purpose."},
    "blockWhenUnreadable": {"type": "string", "enum": ["production", "always", "never"], "default": "production",
                            "description": "Where findings that cannot be read block the update."},
    "productionStacks": PRODUCTION_STACKS,
    "confirmSeconds": {"type": "integer", "minimum": 0, "maximum": 120, "default": 15,
                       "description": "An enhanced scan that would pass is read again this much later, and passes "
                                      "only when the second read finds the same findings."},
})


@dataclass(frozen=True)
class ScanCheck:
    verdict: Optional[Verdict]  # None: the findings could not be read, see `reason` and `remedy`
    reason: str = ""
    remedy: str = ""  # what to do so that they can be read


@functools.cache  # one answer per image and thresholds for the whole update, as the gate gives one per run
def check_image(image_uri: str, thresholds: Thresholds, confirm_seconds: int) -> ScanCheck:
    image = ecr_image(image_uri)
    if image is None:
        return ScanCheck(None, f"{image_uri!r} is not an ECR image URI.",
                         "Only an image in ECR has ECR scan findings: run the function from an ECR repository that "
                         "scans on push.")
    try:
        ecr = client("ecr", image.region)  # inside: a profile that does not exist fails here
        scan = read_scan(ecr, image.repository, image.image_id, image.account)
        verdict = judge(scan, thresholds)
        if verdict.outcome is Outcome.WAIT and judge(scan, thresholds, scan.fingerprint).outcome is Outcome.PASS:
            time.sleep(confirm_seconds)  # only an enhanced scan that would pass waits for its second read
            verdict = judge(read_scan(ecr, image.repository, image.image_id, image.account), thresholds,
                            scan.fingerprint)
    except AWS_ERRORS as error:
        failure = explain(error)
        return ScanCheck(None, f"ECR could not be asked for the findings of {image_uri}: {failure}.",
                         _remedy(failure, image))
    if verdict.outcome is Outcome.WAIT:
        return ScanCheck(None, verdict.reason, "Wait for ECR's scan to finish and run the update again.")
    return ScanCheck(verdict)


def _remedy(failure: AwsFailure, image: EcrImage) -> str:
    """What makes the findings readable, by why they could not be read."""
    if failure.kind == NO_CREDENTIALS and offline():
        return ("The image exists only in the simulated account, which scans nothing; `pulumi up` with AWS "
                "credentials reads its findings before the function changes.")
    if failure.kind == NO_CREDENTIALS:
        return (f"Run the update with AWS credentials allowed ecr:DescribeImageScanFindings on repository "
                f"'{image.repository}'.")
    if failure.kind == CREDENTIALS_REFUSED:
        return "Renew the credentials (e.g. `aws sso login`) and run the update again."
    if failure.kind == ACCESS_DENIED:
        return (f"Allow the update's credentials ecr:DescribeImageScanFindings on repository '{image.repository}' "
                "(and inspector2:ListFindings and inspector2:ListCoverage under enhanced scanning), then run the "
                "update again.")
    if failure.kind == UNREACHABLE:
        return (f"Check the network path to ECR in {image.region} (proxy, firewall, VPC endpoint) and run the "
                "update again.")
    return "Check that the image is in that repository and account, then run the update again."


def _check(args: ResourceValidationArgs) -> ScanCheck:
    image_uri = text(args.props.get("imageUri"), "imageUri")
    if not image_uri:
        return ScanCheck(None, "the function names no image (imageUri), so there is no scan to read.",
                         "Set its imageUri to an image in an ECR repository that scans on push.")
    config = args.get_config()
    thresholds = Thresholds.from_mapping({key: setting(config, _SCAN, key) for key in (FAIL_ON, FAIL_ON_FIXABLE, IGNORED)})
    return check_image(image_uri, thresholds, setting(config, _SCAN, "confirmSeconds"))


def _blocks_unreadable(args: ResourceValidationArgs) -> bool:
    where = setting(args.get_config(), _SCAN, "blockWhenUnreadable")
    return where == "always" or (where == "production" and is_production(args, _SCAN))


@resource_rule("lambda-image-scan-findings",
               "A function's image passes the scan gate's decision on its ECR scan findings.",
               Severity.CRITICAL, _SCAN, LAMBDA_FUNCTION)
def lambda_image_scan_findings(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_image_function(args.props):
        return
    check = _check(args)  # an unknown imageUri (a preview) raises here: the engine reports it could not run
    if check.verdict is not None and check.verdict.outcome is Outcome.FAIL:
        report(f"'{args.name}' would run an image the scan gate refuses: {check.verdict.reason}")
    elif check.verdict is None and _blocks_unreadable(args):
        # Offline this block is certain: say how to see the rest of the preview.
        past_it = (' To preview past this block, set {"lambda-image-scan-findings": {"blockWhenUnreadable": '
                   '"never"}} with --policy-pack-config.' if offline() else "")
        report(f"'{args.name}': no scan vouches for its image, and stack '{current_stack()}' refuses such an image "
               f"(blockWhenUnreadable): {check.reason} {check.remedy}{past_it}")


# pulumi_policy's report callback has no level of its own: a second, advisory policy says in every stack
# that the findings could not be read.
@resource_rule("lambda-image-scan-findings-unread",
               "Whether the ECR scan findings of a function's image can be read: lambda-image-scan-findings needs "
               "them to judge the image.",
               Severity.MEDIUM, None, LAMBDA_FUNCTION, enforcement_level=EnforcementLevel.ADVISORY)
def lambda_image_scan_findings_unread(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_image_function(args.props):
        return
    try:
        check = _check(args)
    except UnknownValueError:
        return  # during preview: lambda-image-scan-findings already says it could not run
    if check.verdict is None:
        report(f"'{args.name}': the scan findings of its image cannot be read: {check.reason} {check.remedy}")
