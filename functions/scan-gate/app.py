"""The scan gate: a CodePipeline Lambda invoke action that lets an image through only when ECR's scan of
it passes the thresholds. The decision is scan_findings.py's, shared with the policy pack.

UserParameters is a JSON object with ECR's own names: repositoryName, imageDigest (from the build
stage's output variable), optional registryId, the thresholds (scan_findings's keys) and
maxWaitMinutes; and, from the pipeline, `function`, the image's function, for the `entry` it exports. What it leaves out comes from GATE_DEFAULTS, the same keys as JSON, which the stack
sets from its settings. While the scan runs the gate answers at once and asks CodePipeline to call
again (a continuation token, which also carries what the last read found): one invocation never
sleeps. Every path ends the job with a result. Where ECR reports an enhanced scan done without findings to
trust, the decision asks Amazon Inspector (ListCoverage, ListFindings) with this function's own client.

Standard library and the runtime's boto3 only (components/scan_gate.py says why a zip).
"""

import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from scan_findings import (FAIL_ON, FAIL_ON_FIXABLE, IGNORED, MAX_WAIT, MAX_WAIT_MINUTES, SEVERITIES, Outcome,
                           Thresholds, Verdict, judge, read_scan)

DEFAULT_MAX_WAIT_MINUTES = 30
# An enhanced scan passes when a read at least this long after an earlier one finds the same findings.
CONFIRM_SECONDS = 30
# CodePipeline's limits on what a job result carries (service-2.json of codepipeline).
_SUMMARY_MAX = 2048
_FAILURE_MESSAGE_MAX = 5000
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_REGISTRY_ID = re.compile(r"^[0-9]{12}$")
_FUNCTION = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")  # a function's folder name (function_settings.py)
_KNOWN_PARAMETERS = {"repositoryName", "imageDigest", "registryId", "function", MAX_WAIT, FAIL_ON, FAIL_ON_FIXABLE,
                     IGNORED}
# An ECR or CodePipeline call waits seconds, and a few of them fit well inside the function's timeout,
# so a slow AWS still leaves time to end the job.
_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=15, retries={"mode": "standard", "total_max_attempts": 3})
# ECR's or Inspector's own trouble, not the image's: the gate tries again on its next call instead of failing the
# run. ECR's model names ServerException; the Common Errors of ECR's API reference ThrottlingException (HTTP 400),
# InternalFailure and ServiceUnavailable; ECR's user guide "ThrottleException" (HTTP 429); Inspector's model
# ThrottlingException and InternalServerException.
_TRANSIENT_ERRORS = {"ServerException", "ThrottlingException", "ThrottleException", "ServiceUnavailable",
                     "ServiceUnavailableException", "InternalFailure", "InternalServerException"}
_INSPECTOR_CALLS = ("ListCoverage", "ListFindings")  # what scan_findings asks Inspector when ECR's answer is not enough

log = logging.getLogger("scan-gate")
log.setLevel(logging.INFO)
ecr = boto3.client("ecr", config=_CLIENT_CONFIG)
inspector = boto3.client("inspector2", config=_CLIENT_CONFIG)
codepipeline = boto3.client("codepipeline", config=_CLIENT_CONFIG)


class BadParameters(ValueError):
    """UserParameters that the gate cannot act on: a configuration error of the pipeline."""


@dataclass(frozen=True)
class GateRequest:
    repository: str
    digest: str
    registry_id: str
    thresholds: Thresholds
    max_wait_seconds: int
    function: str = ""


@dataclass(frozen=True)
class JobResult:
    """How the job ends: success (with a continuation token while waiting) or failure."""

    message: str
    failure_type: str = ""  # a CodePipeline FailureType; empty for success
    continuation_token: str = ""
    output_variables: dict[str, str] = field(default_factory=dict)


def _json_object(text: str, what: str) -> dict:
    try:
        given = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadParameters(f"{what} is not a JSON object: {error.msg} at position {error.pos}") from None
    if not isinstance(given, dict):
        raise BadParameters(f"{what} must be a JSON object")
    if unknown := sorted(set(given) - _KNOWN_PARAMETERS):
        raise BadParameters(f"{what} has unknown keys {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN_PARAMETERS))}")
    return given


def parse_parameters(text: str, defaults: str = "{}") -> GateRequest:
    """The action's UserParameters over the function's GATE_DEFAULTS."""
    given = {**_json_object(defaults, "GATE_DEFAULTS"), **_json_object(text or "{}", "UserParameters")}
    repository, digest = given.get("repositoryName"), given.get("imageDigest")
    registry_id, wait = given.get("registryId", ""), given.get(MAX_WAIT, DEFAULT_MAX_WAIT_MINUTES)
    if not isinstance(repository, str) or not repository:
        raise BadParameters(f"repositoryName = {repository!r}: must name the image's ECR repository")
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise BadParameters(f"imageDigest = {digest!r}: must be sha256: and 64 hex digits")
    if registry_id and not (isinstance(registry_id, str) and _REGISTRY_ID.match(registry_id)):
        raise BadParameters(f"registryId = {registry_id!r}: must be a 12-digit account id")
    function = given.get("function", "")
    if function and not (isinstance(function, str) and _FUNCTION.match(function)):
        raise BadParameters(f"function = {function!r}: must be a function's folder name (1..31 of a-z, 0-9, -)")
    if isinstance(wait, bool) or not isinstance(wait, int) or not MAX_WAIT_MINUTES[0] <= wait <= MAX_WAIT_MINUTES[1]:
        raise BadParameters(f"{MAX_WAIT} = {wait!r}: must be a whole number of minutes, "
                            f"{MAX_WAIT_MINUTES[0]}..{MAX_WAIT_MINUTES[1]}")
    try:
        thresholds = Thresholds.from_mapping(given)
    except ValueError as error:
        raise BadParameters(str(error)) from None
    return GateRequest(repository, digest, registry_id, thresholds, wait * 60, function)


@dataclass(frozen=True)
class Progress:
    """What the gate carries from one invocation to the next in the continuation token."""

    started_at: float  # the job's first invocation
    seen: str = ""  # fingerprint of the last read
    seen_at: float = 0.0  # when that fingerprint was first read

    @classmethod
    def from_job(cls, job_data: Mapping[str, Any], now: float) -> "Progress":
        token = job_data.get("continuationToken")
        if not token:
            return cls(started_at=now)
        try:
            saved = json.loads(token)
            return cls(float(saved["startedAt"]), str(saved.get("seen", "")), float(saved.get("seenAt", 0)))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BadParameters(f"continuation token {token[:80]!r} is not one this gate wrote") from None

    def confirmed(self, now: float) -> str | None:
        """The earlier fingerprint, once it is old enough to confirm a read against."""
        return self.seen if self.seen and now - self.seen_at >= CONFIRM_SECONDS else None

    def after(self, fingerprint: str, now: float) -> str:
        seen_at = self.seen_at if fingerprint == self.seen else now
        return json.dumps({"startedAt": self.started_at, "seen": fingerprint, "seenAt": seen_at})


def output_variables(verdict: Verdict, request: GateRequest) -> dict[str, str]:
    """What later actions may read as #{<namespace>.<name>}: the counts by severity (each one, zero included, so
    a reference to any of them resolves), the digest judged and, given the function, `entry`: <function>=<digest>,
    the entry of the stack's imageDigests setting that the Deploy action reads (one short reference a function)."""
    counts = {severity.lower(): str(verdict.counts.get(severity, 0)) for severity in SEVERITIES}
    counts.update({severity.lower(): str(count) for severity, count in verdict.counts.items()})
    entry = {"entry": f"{request.function}={request.digest}"} if request.function else {}
    return {**counts, "blocking": str(len(verdict.blocking)), "imageDigest": request.digest, **entry}


def _transient(error: Exception) -> bool:
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        # a throttling (429) or server (5xx) answer under a code none of the lists above names is transient too
        return error.response.get("Error", {}).get("Code", "") in _TRANSIENT_ERRORS or status == 429 or status >= 500
    return True  # no answer at all: a connection or a read that failed after botocore's own retries


def _read_failure(error: Exception) -> JobResult:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        kind = "PermissionError" if code in ("AccessDeniedException", "AccessDenied") else "JobFailed"
        if error.operation_name in _INSPECTOR_CALLS:
            return JobResult(f"Amazon Inspector refused to say whether it has scanned the image ({error.operation_name}"
                             f"): {code}: {message}", failure_type=kind)
        return JobResult(f"ECR refused to give the scan findings: {code}: {message}", failure_type=kind)
    return JobResult(f"ECR could not be reached for the scan findings: {error}", failure_type="JobFailed")


def decide(job: Mapping[str, Any], now: float) -> JobResult:
    """The job's result for what ECR reports now."""
    data = job.get("data") or {}
    try:
        request = parse_parameters(data["actionConfiguration"]["configuration"].get("UserParameters", ""),
                                   os.environ.get("GATE_DEFAULTS", "{}"))
        progress = Progress.from_job(data, now)
    except BadParameters as bad:
        return JobResult(str(bad), failure_type="ConfigurationError")
    try:
        scan = read_scan(ecr, request.repository, {"imageDigest": request.digest}, request.registry_id or None,
                         inspector)
    except (ClientError, BotoCoreError) as error:
        if _transient(error):
            who = "Amazon Inspector" if getattr(error, "operation_name", "") in _INSPECTOR_CALLS else "ECR"
            return _later(request, progress, now, f"{who} did not answer ({error}); asking again.", progress.seen)
        return _read_failure(error)
    verdict = judge(scan, request.thresholds, progress.confirmed(now))
    if verdict.outcome is Outcome.PASS:
        return JobResult(verdict.reason, output_variables=output_variables(verdict, request))
    if verdict.outcome is Outcome.FAIL:
        return JobResult(verdict.reason, failure_type="JobFailed")
    return _later(request, progress, now, verdict.reason, scan.fingerprint)


def _later(request: GateRequest, progress: Progress, now: float, reason: str, fingerprint: str) -> JobResult:
    """Ask CodePipeline to call again, or fail the job once the gate has waited long enough."""
    waited = now - progress.started_at
    if waited >= request.max_wait_seconds:
        return JobResult(f"Gave up after {waited / 60:.0f} min: {reason} Does the repository scan on push, "
                         "or the registry's scanning configuration cover it?", failure_type="JobFailed")
    return JobResult(f"Waiting for the scan ({waited / 60:.0f} of {request.max_wait_seconds // 60} min): {reason}",
                     continuation_token=progress.after(fingerprint, now))


def end_job(job_id: str, result: JobResult) -> None:
    """Report the result; a job already ended (a retried invocation) is left as it is."""
    try:
        if result.failure_type:
            codepipeline.put_job_failure_result(jobId=job_id, failureDetails={
                "type": result.failure_type, "message": result.message[:_FAILURE_MESSAGE_MAX]})
        elif result.continuation_token:
            codepipeline.put_job_success_result(jobId=job_id, continuationToken=result.continuation_token,
                                                executionDetails={"summary": result.message[:_SUMMARY_MAX]})
        else:
            codepipeline.put_job_success_result(jobId=job_id, outputVariables=result.output_variables,
                                                executionDetails={"summary": result.message[:_SUMMARY_MAX]})
    except codepipeline.exceptions.InvalidJobStateException:
        log.warning("job %s has already ended; this invocation's result is dropped", job_id)


def handler(event: Mapping[str, Any], context: Any) -> dict:
    # The event also holds the artifact bucket's temporary credentials: it is never logged, whole or in part.
    job = event.get("CodePipeline.job") if isinstance(event, Mapping) else None
    if not isinstance(job, Mapping) or not isinstance(job.get("id"), str):
        log.error("not a CodePipeline job event: there is no job to end")
        return {"error": "expected a CodePipeline job event"}
    try:
        result = decide(job, time.time())
    except Exception as bug:  # any bug still ends the job, or it would hang until CodePipeline's timeout
        log.exception("the scan gate failed on job %s", job["id"])
        result = JobResult(f"The scan gate failed unexpectedly ({type(bug).__name__}); see its log.",
                           failure_type="JobFailed")
    log.info("job %s: %s", job["id"], result.message,
             extra={"outcome": result.failure_type or ("WAIT" if result.continuation_token else "PASS")})
    end_job(job["id"], result)
    return {"jobId": job["id"], "outcome": result.failure_type or "Succeeded"}
