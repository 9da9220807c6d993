"""What ECR's scan of one image says about deploying it: the one decision the scan-gate function
(functions/scan-gate/) and the pack's `lambda-image-scan-findings` share. The gate's package carries
this very file (components/scan_gate.py), so the pipeline and a laptop's `pulumi up` judge alike.

Standard library and boto3 only (an ECR client, and Inspector's): it runs in Lambda's python runtime and in
the pack.

The decision table (docs/scan-gate.md), for the status ECR reports for the image:
- COMPLETE (basic), COMPLETE or ACTIVE (enhanced) with findings in place: PASS or FAIL by the thresholds;
- COMPLETE or ACTIVE without findings to trust (counted but not listed, or no completion time): ECR cannot
  tell an image Inspector has not handed its findings over for from one with none (aws/aws-sdk#289: COMPLETE
  with only `findings: []`; the API reference promises no completion time for enhanced scans), so Inspector
  is asked: its coverage of the image says whether it has scanned it, and once it has, its own findings for
  the image are judged. Not scanned yet (pending, in progress, no coverage yet): WAIT; a coverage reason that
  rules a scan out (unsupported OS, eligibility expired, ...): FAIL;
- IN_PROGRESS, PENDING, no scan: WAIT;
- an enhanced scan that would pass, until a second read finds the same findings: WAIT. Inspector hands
  its findings to ECR over seconds to minutes after reporting COMPLETE, so one early read can miss a
  CRITICAL; a failing read needs no second look (findings only arrive, they do not leave);
- FAILED, UNSUPPORTED_IMAGE, SCAN_ELIGIBILITY_EXPIRED, FINDINGS_UNAVAILABLE, LIMIT_EXCEEDED,
  IMAGE_ARCHIVED, IMAGE_SIZE_EXCEEDED, or any status this module does not know: FAIL, because no
  complete, current scan vouches for the image.
"""

import hashlib
import json
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Iterable, Mapping, Optional

import boto3

# Basic scanning's severities (ECR's FindingSeverity) and Inspector's, most serious first.
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED", "UNTRIAGED")
# Statuses after which findings can be read: basic ends in COMPLETE; enhanced reports COMPLETE after
# the scan on push and ACTIVE while continuous scanning watches the image.
_DONE = frozenset({"COMPLETE", "ACTIVE"})
_RUNNING = frozenset({"IN_PROGRESS", "PENDING"})
NOT_SCANNED = "NOT_SCANNED"  # ECR answered ScanNotFoundException: no scan has started yet
_STATUS_MEANING = {
    "FAILED": "the scan failed",
    "UNSUPPORTED_IMAGE": "ECR cannot scan this image's operating system or format",
    "SCAN_ELIGIBILITY_EXPIRED": "the image is older than enhanced scanning's re-scan duration and is no longer "
                                "scanned",
    "FINDINGS_UNAVAILABLE": "the scan's findings are not available",
    "LIMIT_EXCEEDED": "the image was not scanned: a scanning limit was exceeded",
    "IMAGE_ARCHIVED": "the image is archived and no longer scanned",
    "IMAGE_SIZE_EXCEEDED": "the image is too large for the scanner",
}
# Inspector keeps a finding that was fixed (CLOSED) or accepted by a suppression rule (SUPPRESSED).
_OPEN = "ACTIVE"
_ALL_FIXED = "YES"
_NONE_FIXED = "NO"
FIX_UNKNOWN = "UNKNOWN"  # basic scanning does not say whether a fixed version exists
_LISTED_IDS = 5
# Inspector's coverage of an ECR image (ScanStatusReason in botocore's inspector2 model, whose documentation is
# the only text on them): SUCCESSFUL "the scan was successful"; SCAN_FREQUENCY_SCAN_ON_PUSH "will be scanned one
# time" (scanned once lastScannedAt is set). Still to come: PENDING_INITIAL_SCAN "results will be available
# soon", SCAN_IN_PROGRESS, PENDING_REVIVAL_SCAN, INTERNAL_ERROR "will automatically ... resume the scanning".
# Any other reason rules a scan out.
_INSPECTED = frozenset({"SUCCESSFUL", "SCAN_FREQUENCY_SCAN_ON_PUSH"})
_INSPECTING = frozenset({"PENDING_INITIAL_SCAN", "SCAN_IN_PROGRESS", "PENDING_REVIVAL_SCAN", "INTERNAL_ERROR"})
NOT_COVERED = "NOT_COVERED"  # Inspector lists no coverage of the image (yet)

# The keys a pipeline's UserParameters and the pack's config use for the thresholds.
FAIL_ON = "failOnSeverities"
FAIL_ON_FIXABLE = "failOnFixableSeverities"
IGNORED = "ignoredVulnerabilities"
# How long the gate waits for a scan: CodePipeline fails a Lambda action after 24 hours, however often
# the function asks to be called again.
MAX_WAIT = "maxWaitMinutes"
MAX_WAIT_MINUTES = (1, 24 * 60)


class Outcome(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    WAIT = "WAIT"  # ask again later: the scan has not finished, or its findings are not in place yet


@dataclass(frozen=True)
class Thresholds:
    """Which findings stop a deploy. Default: any CRITICAL, and a HIGH for which a fixed version exists."""

    fail_on: frozenset[str] = frozenset({"CRITICAL"})
    fail_on_fixable: frozenset[str] = frozenset({"HIGH"})
    ignored: frozenset[str] = frozenset()  # vulnerability ids accepted on purpose

    @classmethod
    def from_mapping(cls, given: Mapping[str, Any]) -> "Thresholds":
        """From UserParameters or the pack's config; ValueError names the key, the value and what is allowed."""
        default = cls()
        return cls(fail_on=_severities(given, FAIL_ON, default.fail_on),
                   fail_on_fixable=_severities(given, FAIL_ON_FIXABLE, default.fail_on_fixable),
                   ignored=frozenset(_strings(given, IGNORED, default.ignored)))

    def as_mapping(self) -> dict[str, list[str]]:
        return {FAIL_ON: _ordered(self.fail_on), FAIL_ON_FIXABLE: _ordered(self.fail_on_fixable),
                IGNORED: sorted(self.ignored)}

    def describe(self) -> str:
        parts = [f"any {s}" for s in _ordered(self.fail_on)]
        parts += [f"{s} with a fix" for s in _ordered(self.fail_on_fixable - self.fail_on)]
        return ", ".join(parts) or "nothing"


def _strings(given: Mapping[str, Any], key: str, default: Iterable[str]) -> list[str]:
    value = given.get(key, list(default))
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} = {value!r}: must be a list of strings")
    return list(value)


def _severities(given: Mapping[str, Any], key: str, default: Iterable[str]) -> frozenset[str]:
    values = [v.upper() for v in _strings(given, key, default)]
    unknown = [v for v in values if v not in SEVERITIES]
    if unknown:
        raise ValueError(f"{key} = {given[key]!r}: {', '.join(unknown)} is not a severity; "
                         f"allowed: {', '.join(SEVERITIES)}")
    return frozenset(values)


def _ordered(severities: Iterable[str]) -> list[str]:
    """Most serious first; a severity this module does not know (Inspector may add one) last."""
    return sorted(severities, key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else len(SEVERITIES))


@dataclass(frozen=True)
class Finding:
    vulnerability_id: str
    severity: str
    fix: str  # YES, PARTIAL, NO, or UNKNOWN under basic scanning


@dataclass(frozen=True)
class Scan:
    """ECR's answer for one image, all pages read."""

    image: str  # repository@sha256:… (or :tag), for messages
    status: str
    description: str = ""
    findings: tuple[Finding, ...] = ()  # the open ones
    counts: dict[str, int] = field(default_factory=dict)  # findingSeverityCounts, as ECR reports them
    enhanced: bool = False
    listed: int = 0  # every finding ECR (or Inspector) listed, suppressed and closed ones too
    completed: bool = False  # ECR gave the scan's completion time, or Inspector has scanned the image
    inspection: str = ""  # Inspector's coverage reason for the image, when it was asked

    @property
    def fingerprint(self) -> str:
        """The same for two reads that found the same findings and counts."""
        listed = sorted((f.vulnerability_id, f.severity, f.fix) for f in self.findings)
        return hashlib.sha256(json.dumps([listed, sorted(self.counts.items())]).encode()).hexdigest()[:16]

    @property
    def populated(self) -> bool:
        """False while the findings are not in place: enhanced scanning can report COMPLETE (or ACTIVE) before
        Inspector has handed them over, with no completion time or with counts and no list; an empty list
        then is not a clean image. A finished basic scan always gives its completion time."""
        return self.completed and (sum(self.counts.values()) == 0 or self.listed > 0)


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str  # one sentence a person can act on
    counts: dict[str, int] = field(default_factory=dict)
    blocking: tuple[Finding, ...] = ()


def scan_from_response(image: str, response: Mapping[str, Any]) -> Scan:
    """A Scan from DescribeImageScanFindings, its pages merged (boto3's paginator merges both finding lists)."""
    status = response.get("imageScanStatus") or {}
    found = response.get("imageScanFindings") or {}
    # Only continuous (enhanced) scanning reports ACTIVE, even before it lists anything.
    enhanced = "enhancedFindings" in found or status.get("status") == "ACTIVE"
    listed = found.get("enhancedFindings") or found.get("findings") or []
    if "enhancedFindings" in found:
        findings = _open_findings(listed)
    else:
        findings = tuple(Finding(f.get("name", "?"), str(f.get("severity", "UNDEFINED")).upper(), FIX_UNKNOWN)
                         for f in listed)
    return Scan(image=image, status=status.get("status", ""), description=status.get("description", ""),
                findings=findings, counts=dict(found.get("findingSeverityCounts") or {}), enhanced=enhanced,
                listed=len(listed), completed=found.get("imageScanCompletedAt") is not None)


def _open_findings(listed: Iterable[Mapping[str, Any]]) -> tuple[Finding, ...]:
    """Inspector's open findings, as ECR's enhancedFindings and Inspector's ListFindings both give them."""
    return tuple(Finding(f.get("packageVulnerabilityDetails", {}).get("vulnerabilityId") or f.get("title", "?"),
                         str(f.get("severity", "UNTRIAGED")).upper(), f.get("fixAvailable") or FIX_UNKNOWN)
                 for f in listed if f.get("status", _OPEN) == _OPEN)


def read_scan(ecr: Any, repository: str, image_id: Mapping[str, str], registry_id: Optional[str] = None,
              inspector: Any = None) -> Scan:
    """Every page of ECR's findings for one image, and Inspector's answer where ECR's cannot be trusted (see the
    module's docstring). ScanNotFoundException becomes a NOT_SCANNED scan; any other error (no such image or
    repository, no permission) is raised for the caller to report. Without `inspector`, a client is made beside
    `ecr` (the pack passes none)."""
    reference = f"{repository}@{image_id['imageDigest']}" if "imageDigest" in image_id else \
        f"{repository}:{image_id.get('imageTag', 'latest')}"
    request = {"repositoryName": repository, "imageId": dict(image_id), "PaginationConfig": {"PageSize": 1000}}
    if registry_id:
        request["registryId"] = registry_id
    try:
        merged = ecr.get_paginator("describe_image_scan_findings").paginate(**request).build_full_result()
    except ecr.exceptions.ScanNotFoundException:
        return Scan(image=reference, status=NOT_SCANNED, description="ECR has not started a scan of this image")
    scan = scan_from_response(reference, merged)
    # the digest asked about; ECR's answer names it too (the only way to know it when asked by tag)
    digest = image_id.get("imageDigest") or (merged.get("imageId") or {}).get("imageDigest")
    if scan.status in _DONE and not scan.populated and digest:
        return read_inspection(inspector or _inspector_beside(ecr), scan, repository, digest, registry_id)
    return scan


def _inspector_beside(ecr: Any) -> Any:
    """Inspector's client in the ECR client's Region and settings, from the configuration the pack's own clients
    come from (credentials, profile, AWS_ENDPOINT_URL*): a new session, as boto3 sessions are not thread-safe."""
    return boto3.session.Session().client("inspector2", region_name=ecr.meta.region_name, config=ecr.meta.config)


def _equals(value: str) -> list[dict[str, str]]:
    return [{"comparison": "EQUALS", "value": value}]


def read_inspection(inspector: Any, scan: Scan, repository: str, digest: str,
                    registry_id: Optional[str] = None) -> Scan:
    """`scan` with Inspector's view of the image: its coverage reason and, once it has scanned the image, its open
    findings for it (ListCoverage, then ListFindings). A covered ECR image's resourceId is
    arn:…:ecr:<region>:<account>:repository/<name>/sha256:… (CoveredResource in Inspector's API reference)."""
    owner = {"accountId": _equals(registry_id)} if registry_id else {}
    coverage = {"resourceType": _equals("AWS_ECR_CONTAINER_IMAGE"), "ecrRepositoryName": _equals(repository), **owner}
    pages = inspector.get_paginator("list_coverage").paginate(filterCriteria=coverage,
                                                              PaginationConfig={"PageSize": 200})
    covered = [r for page in pages for r in page.get("coveredResources", [])
               if r.get("resourceId", "").endswith(f":repository/{repository}/{digest}")]
    if not covered:
        return replace(scan, inspection=NOT_COVERED)
    reason = (covered[0].get("scanStatus") or {}).get("reason") or NOT_COVERED
    if reason not in _INSPECTED or not covered[0].get("lastScannedAt"):
        return replace(scan, inspection=reason)
    criteria = {"ecrImageHash": _equals(digest), "ecrImageRepositoryName": _equals(repository),
                "findingStatus": _equals(_OPEN), **({"awsAccountId": _equals(registry_id)} if registry_id else {})}
    pages = inspector.get_paginator("list_findings").paginate(filterCriteria=criteria,
                                                              PaginationConfig={"PageSize": 100})
    listed = [f for page in pages for f in page.get("findings", [])]
    # Inspector's list replaces ECR's: its findings are the ones ECR had not handed over, or none at all.
    return replace(scan, findings=_open_findings(listed), counts={}, enhanced=True, listed=len(listed),
                   completed=True, inspection=reason)


def judge(scan: Scan, thresholds: Thresholds, earlier: Optional[str] = None) -> Verdict:
    """PASS, FAIL or WAIT for one image, with the reason in one sentence. `earlier` is the fingerprint of a
    previous read of the same image, which an enhanced scan needs before it may pass."""
    image = _short(scan.image)
    if scan.status in _RUNNING or scan.status == NOT_SCANNED:
        what = "no scan has started" if scan.status == NOT_SCANNED else f"the scan is {scan.status}"
        return Verdict(Outcome.WAIT, f"{image}: {what}; its findings are not known yet.")
    if scan.status in _DONE and not scan.populated:
        if scan.inspection and scan.inspection not in _INSPECTED | _INSPECTING | {NOT_COVERED}:
            return Verdict(Outcome.FAIL, f"{image}: ECR reports the scan {scan.status} but Amazon Inspector's coverage "
                                         f"of the image says {scan.inspection}; no complete scan vouches for it.",
                           counts=scan.counts)
        inspected = f"; Amazon Inspector: {_INSPECTOR_SAYS.get(scan.inspection, scan.inspection)}" if \
            scan.inspection else ""
        return Verdict(Outcome.WAIT, f"{image}: the scan reports {scan.status} but its findings are not in place yet "
                                     f"(enhanced scanning hands them over late{inspected}).", counts=scan.counts)
    if scan.status not in _DONE:
        meaning = _STATUS_MEANING.get(scan.status, "ECR reports a scan status this gate does not know")
        detail = f" ({scan.description})" if scan.description else ""
        return Verdict(Outcome.FAIL, f"{image}: {meaning}{detail}, status {scan.status}; no complete scan vouches "
                                     "for it, so push the image again or start a new scan.", counts=scan.counts)
    verdict = _judge_findings(scan, thresholds)
    if verdict.outcome is Outcome.PASS and scan.enhanced and earlier != scan.fingerprint:
        return Verdict(Outcome.WAIT, f"{image}: enhanced scanning's findings can still be arriving; a second read must "
                                     "find the same ones before the image passes.", counts=verdict.counts)
    return verdict


_INSPECTOR_SAYS = {NOT_COVERED: "no coverage of the image yet", "PENDING_INITIAL_SCAN": "pending its initial scan",
                   "SCAN_IN_PROGRESS": "scan in progress", "INTERNAL_ERROR": "internal error, scanning resumes",
                   "PENDING_REVIVAL_SCAN": "pending a re-scan"}


def _counts(scan: Scan) -> dict[str, int]:
    """The severity counts ECR reports; the listed findings where it reports none."""
    if scan.counts:
        return dict(scan.counts)
    counts: dict[str, int] = {}
    for finding in scan.findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    return counts


def _blocks(finding: Finding, thresholds: Thresholds) -> bool:
    if finding.vulnerability_id in thresholds.ignored:
        return False
    # Under basic scanning whether a fix exists is unknown: the gate assumes one does (fails closed).
    return finding.severity in thresholds.fail_on or (
        finding.severity in thresholds.fail_on_fixable and finding.fix != _NONE_FIXED)


def _judge_findings(scan: Scan, thresholds: Thresholds) -> Verdict:
    counts = _counts(scan)
    # One vulnerability in several packages is one thing to fix: listed and counted once.
    blocking = tuple({f.vulnerability_id: f for f in scan.findings if _blocks(f, thresholds)}.values())
    image = _short(scan.image)
    if not blocking:
        summary = ", ".join(f"{counts[s]} {s}" for s in _ordered(counts) if counts[s]) or "no findings"
        return Verdict(Outcome.PASS, f"{image}: no finding fails the gate ({summary}; it fails on "
                                     f"{thresholds.describe()}).", counts=counts)
    return Verdict(Outcome.FAIL, f"{_listing(blocking)} in {image}; {_fix_phrase(blocking)}.",
                   counts=counts, blocking=blocking)


def _listing(blocking: tuple[Finding, ...]) -> str:
    """"2 CRITICAL findings (CVE-…, CVE-…) and 1 HIGH finding (CVE-…)", the most serious first."""
    parts = []
    for severity in _ordered({f.severity for f in blocking}):
        ids = sorted({f.vulnerability_id for f in blocking if f.severity == severity})
        shown = ", ".join(ids[:_LISTED_IDS]) + (f" and {len(ids) - _LISTED_IDS} more" if len(ids) > _LISTED_IDS else "")
        parts.append(f"{len(ids)} {severity} finding{'s' if len(ids) > 1 else ''} ({shown})")
    return " and ".join(parts)


def _fix_phrase(blocking: tuple[Finding, ...]) -> str:
    if all(f.fix == FIX_UNKNOWN for f in blocking):
        return ("the scan does not say whether fixed versions exist (basic scanning never does); update the base "
                "image and packages and push again, or accept a finding by its id in ignoredVulnerabilities")
    fixed = sum(f.fix in (_ALL_FIXED, "PARTIAL") for f in blocking)
    if fixed == 0:
        return ("no fixed version exists yet; accept a finding by its id in ignoredVulnerabilities only once you "
                "know it does not apply")
    if fixed == len(blocking) == 1:
        return "a fixed version exists: update the base image or the package and push again"
    share = "both" if fixed == len(blocking) == 2 else "all of them" if fixed == len(blocking) else \
        f"{fixed} of {len(blocking)}"
    return f"fixed versions exist for {share}: update the base image or the packages and push again"


def _short(image: str) -> str:
    """repository@sha256:0123456789ab, the 12 hex digits people recognise."""
    name, sep, digest = image.partition("@sha256:")
    return f"{name}@sha256:{digest[:12]}" if sep else image
