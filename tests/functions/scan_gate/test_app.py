"""The scan gate's handler on CodePipeline job events, its ECR and CodePipeline clients under Stubber.

Every test queues what ECR answers and the one job result CodePipeline must receive (jobId, failure type and
message, continuation token, output variables, summary within CodePipeline's limits); the `aws` fixture then
checks that every queued answer was asked for.
"""

import inspect
import json
import logging
import socket
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from tests.conftest import DATA_DIR
from tests.ecr_answers import enhanced_finding, listing_none, pages, wire, with_findings, with_status
from tests.inspector_answers import covering
from tests.functions.scan_gate.conftest import (ARTIFACT_CREDENTIALS, DIGEST, NONE_FOUND, PARAMETERS, SHORT, continued,
                                                job_event, job_id)

# The output variables for basic-complete-medium.
PASSED = {**NONE_FOUND, "medium": "1", "blocking": "0", "imageDigest": DIGEST}
CRITICAL_IDS = "4 CRITICAL findings (CVE-2021-3177, CVE-2022-48565, CVE-2023-38408, CVE-2023-45871)"


def in_progress() -> dict:
    """A basic scan just started: no findings yet."""
    body = with_status(wire("basic-complete-medium"), "IN_PROGRESS")
    del body["imageScanFindings"]
    return body


def ends(result: dict, event: dict, outcome: str) -> None:
    assert result == {"jobId": job_id(event), "outcome": outcome}


def wait_once(aws, invoke, event: dict, body: dict, *summary: str) -> str:
    """One invocation that finds the scan not ready: the continuation token it sends."""
    aws.findings(body)
    token = aws.continuation(event, "Waiting for the scan", *summary)
    ends(invoke(event), event, "Succeeded")
    return token.value


def test_the_package_is_the_handler_beside_the_shared_decision(gate, package_dir):
    assert sorted(p.name for p in package_dir.iterdir()) == ["app.py", "scan_findings.py"]
    assert Path(inspect.getfile(gate.judge)).parent == package_dir
    assert Path(inspect.getfile(gate.read_scan)).parent == package_dir


# --- How a job ends ------------------------------------------------------------------------------------

def test_a_passing_image_ends_the_job_in_success_with_its_counts(aws, invoke):
    event = job_event(PARAMETERS)
    aws.findings(wire("basic-complete-medium"))
    aws.success(event, PASSED, SHORT, "no finding fails the gate (1 MEDIUM;")
    ends(invoke(event), event, "Succeeded")


def test_given_its_function_a_passing_image_exports_its_entry_of_the_stacks_digests(aws, invoke):
    """What the pipeline's Deploy action reads, one short reference a function: #{Scan<n>.entry}."""
    event = job_event({**PARAMETERS, "function": "api"})
    aws.findings(wire("basic-complete-medium"))
    aws.success(event, {**PASSED, "entry": f"api={DIGEST}"}, SHORT, "no finding fails the gate (1 MEDIUM;")
    ends(invoke(event), event, "Succeeded")


def test_a_failing_image_fails_the_job_with_the_reason(aws, invoke):
    event = job_event(PARAMETERS)
    aws.findings(wire("basic-complete-critical"))
    aws.failure(event, "JobFailed", f"{CRITICAL_IDS} and 1 HIGH finding (CVE-2023-4911) in {SHORT}",
                "the scan does not say whether fixed versions exist (basic scanning never does)")
    ends(invoke(event), event, "JobFailed")


def test_a_running_scan_asks_codepipeline_to_call_again(aws, invoke, clock):
    token = wait_once(aws, invoke, job_event(PARAMETERS), in_progress(), "the scan is IN_PROGRESS")
    assert token


def test_a_continued_job_passes_once_the_scan_completes(aws, invoke, clock):
    event = job_event(PARAMETERS)
    token = wait_once(aws, invoke, event, in_progress(), "(0 of 30 min)")
    clock.now += 60
    aws.findings(wire("basic-complete-medium"))
    aws.success(event, PASSED, "no finding fails the gate")
    ends(invoke(continued(event, token)), event, "Succeeded")


def test_a_continued_job_fails_once_the_scan_finds_criticals(aws, invoke, clock):
    event = job_event(PARAMETERS)
    token = wait_once(aws, invoke, event, wire("enhanced-pending"), "the scan is PENDING")
    clock.now += 120
    aws.findings(wire("enhanced-complete-critical"))
    aws.failure(event, "JobFailed", "1 CRITICAL finding (CVE-2023-38545) and 1 HIGH finding (CVE-2023-4911)",
                "fixed versions exist for both")
    ends(invoke(continued(event, token)), event, "JobFailed")


# --- Enhanced scanning: a pass needs a second read ------------------------------------------------------

ENHANCED_PASSED = {**NONE_FOUND, "high": "1", "blocking": "0", "imageDigest": DIGEST}


def test_an_enhanced_scan_passes_when_a_read_30_seconds_later_finds_the_same(aws, invoke, clock):
    event = job_event(PARAMETERS)
    token = wait_once(aws, invoke, event, wire("enhanced-active-high"), "a second read must find the same ones")
    clock.now += 30
    aws.findings(wire("enhanced-active-high"))
    aws.success(event, ENHANCED_PASSED, "no finding fails the gate (1 HIGH;")
    ends(invoke(continued(event, token)), event, "Succeeded")


def test_an_enhanced_scan_read_again_too_soon_still_waits(aws, invoke, clock):
    event = job_event(PARAMETERS)
    token = wait_once(aws, invoke, event, wire("enhanced-active-high"))
    clock.now += 10
    token = wait_once(aws, invoke, continued(event, token), wire("enhanced-active-high"),
                      "a second read must find the same ones")
    clock.now += 20  # 30 s after the read that first found these findings
    aws.findings(wire("enhanced-active-high"))
    aws.success(event, ENHANCED_PASSED, "no finding fails the gate")
    ends(invoke(continued(event, token)), event, "Succeeded")


def test_an_enhanced_scan_whose_findings_still_arrive_waits_for_them_to_settle(aws, invoke, clock):
    event = job_event(PARAMETERS)
    early = wire("enhanced-active-high")
    settled = with_findings(early, [*early["imageScanFindings"]["enhancedFindings"],
                                    enhanced_finding("CVE-2024-9681", "MEDIUM", "NO", package="curl")])
    # Counted but not listed: the gate asks Inspector, which has not scanned the image yet.
    aws.inspection(covering("app", DIGEST, "PENDING_INITIAL_SCAN", scanned=False))
    token = wait_once(aws, invoke, event, listing_none(early), "its findings are not in place yet",
                      "Amazon Inspector: pending its initial scan")
    clock.now += 60
    token = wait_once(aws, invoke, continued(event, token), early)
    clock.now += 60
    token = wait_once(aws, invoke, continued(event, token), settled, "a second read must find the same ones")
    clock.now += 60
    aws.findings(settled)
    aws.success(event, {**NONE_FOUND, "high": "1", "medium": "1", "blocking": "0", "imageDigest": DIGEST},
                "(1 HIGH, 1 MEDIUM;")
    ends(invoke(continued(event, token)), event, "Succeeded")


def test_an_enhanced_scan_that_fails_fails_on_the_first_read(aws, invoke):
    event = job_event(PARAMETERS)
    aws.findings(with_status(wire("enhanced-complete-critical"), "ACTIVE", "Continuous scan is selected for image."))
    aws.failure(event, "JobFailed", "1 CRITICAL finding (CVE-2023-38545)")
    ends(invoke(event), event, "JobFailed")


# --- Giving up ------------------------------------------------------------------------------------------

def test_the_gate_gives_up_after_max_wait_minutes(aws, invoke, clock):
    event = job_event({**PARAMETERS, "maxWaitMinutes": 5})
    scan_not_found = ("ScanNotFoundException", f"Image scan does not exist for the image with '{{imageDigest:"
                      f"'{DIGEST}', imageTag:'null'}}' in the repository with name 'app' in the registry with id "
                      "'123456789012'")
    aws.ecr_error(*scan_not_found)
    first = aws.continuation(event, "(0 of 5 min)", "no scan has started")
    ends(invoke(event), event, "Succeeded")
    clock.now += 4 * 60
    aws.ecr_error(*scan_not_found)
    second = aws.continuation(event, "(4 of 5 min)")
    ends(invoke(continued(event, first.value)), event, "Succeeded")
    clock.now += 60
    aws.ecr_error(*scan_not_found)
    aws.failure(event, "JobFailed", "Gave up after 5 min", "no scan has started", "Does the repository scan on push")
    ends(invoke(continued(event, second.value)), event, "JobFailed")


# --- What the gate is given -----------------------------------------------------------------------------

@pytest.mark.parametrize("user_parameters, message", [
    ("repositoryName=app", "UserParameters is not a JSON object"),
    ('["app"]', "UserParameters must be a JSON object"),
    (json.dumps({**PARAMETERS, "repository": "app"}), "UserParameters has unknown keys repository; known: "),
    (json.dumps({"imageDigest": DIGEST}), "repositoryName = None: must name the image's ECR repository"),
    (json.dumps({**PARAMETERS, "imageDigest": "sha256:abc"}), "imageDigest = 'sha256:abc': must be sha256: and 64"),
    (json.dumps({**PARAMETERS, "imageDigest": "app:latest"}), "imageDigest = 'app:latest'"),
    (json.dumps({**PARAMETERS, "registryId": "12345"}), "registryId = '12345': must be a 12-digit account id"),
    (json.dumps({**PARAMETERS, "function": "Api Worker"}), "function = 'Api Worker': must be a function's folder name"),
    (json.dumps({**PARAMETERS, "maxWaitMinutes": 0}), "maxWaitMinutes = 0: must be a whole number of minutes, 1..1440"),
    (json.dumps({**PARAMETERS, "maxWaitMinutes": 1441}), "maxWaitMinutes = 1441"),
    (json.dumps({**PARAMETERS, "maxWaitMinutes": "30"}), "maxWaitMinutes = '30'"),
    (json.dumps({**PARAMETERS, "maxWaitMinutes": 2.5}), "maxWaitMinutes = 2.5"),
    (json.dumps({**PARAMETERS, "maxWaitMinutes": True}), "maxWaitMinutes = True"),
    (json.dumps({**PARAMETERS, "failOnSeverities": ["SEVERE"]}),
     "failOnSeverities = ['SEVERE']: SEVERE is not a severity; allowed: CRITICAL, HIGH"),
    (json.dumps({**PARAMETERS, "ignoredVulnerabilities": "CVE-2023-4911"}),
     "ignoredVulnerabilities = 'CVE-2023-4911': must be a list of strings"),
], ids=["not-json", "not-an-object", "unknown-key", "no-repository", "short-digest", "tag-not-digest", "bad-registry",
        "bad-function",
        "zero-minutes", "over-a-day", "minutes-as-text", "fractional-minutes", "minutes-as-bool", "bad-severity",
        "ignored-not-a-list"])
def test_parameters_the_gate_cannot_act_on_are_a_configuration_error(aws, invoke, user_parameters, message):
    event = job_event(user_parameters)
    aws.failure(event, "ConfigurationError", message)  # and no ECR call: none is stubbed
    ends(invoke(event), event, "ConfigurationError")


def test_a_continuation_token_the_gate_did_not_write_is_a_configuration_error(aws, invoke):
    event = job_event(PARAMETERS, token="token_ID")  # the AWS sample event's placeholder
    aws.failure(event, "ConfigurationError", "continuation token 'token_ID' is not one this gate wrote")
    ends(invoke(event), event, "ConfigurationError")


# GATE_DEFAULTS as components/scan_gate.py writes it: the stack's repository and its settings.
GATE_DEFAULTS = {"repositoryName": "team/app", "failOnSeverities": ["CRITICAL", "MEDIUM"],
                 "failOnFixableSeverities": ["HIGH"], "ignoredVulnerabilities": [], "maxWaitMinutes": 10}


def test_gate_defaults_supply_what_user_parameters_leave_out(aws, invoke, monkeypatch):
    monkeypatch.setenv("GATE_DEFAULTS", json.dumps(GATE_DEFAULTS, sort_keys=True))
    event = job_event({"imageDigest": DIGEST})
    aws.findings(wire("basic-complete-medium"), repository="team/app")
    aws.failure(event, "JobFailed", f"1 MEDIUM finding (CVE-2019-5188) in team/app@{DIGEST[:19]}")
    ends(invoke(event), event, "JobFailed")


def test_user_parameters_override_gate_defaults(aws, invoke, monkeypatch):
    monkeypatch.setenv("GATE_DEFAULTS", json.dumps(GATE_DEFAULTS, sort_keys=True))
    event = job_event({"repositoryName": "team/other", "imageDigest": DIGEST, "failOnSeverities": ["CRITICAL"]})
    aws.findings(wire("basic-complete-medium"), repository="team/other")
    aws.success(event, PASSED, f"team/other@{DIGEST[:19]}: no finding fails the gate")
    ends(invoke(event), event, "Succeeded")


def test_gate_defaults_the_gate_cannot_read_are_a_configuration_error(aws, invoke, monkeypatch):
    monkeypatch.setenv("GATE_DEFAULTS", json.dumps({**GATE_DEFAULTS, "maxWait": 10}))
    event = job_event(PARAMETERS)
    aws.failure(event, "ConfigurationError", "GATE_DEFAULTS has unknown keys maxWait")
    ends(invoke(event), event, "ConfigurationError")


def test_a_registry_id_is_passed_on_to_ecr(aws, invoke):
    event = job_event({**PARAMETERS, "registryId": "111122223333"})
    aws.findings(wire("basic-complete-medium"), registry_id="111122223333")
    aws.success(event, PASSED, "no finding fails the gate")
    ends(invoke(event), event, "Succeeded")


def test_the_gate_reads_every_page_of_findings(aws, invoke):
    event = job_event(PARAMETERS)
    two_pages = pages(wire("basic-complete-critical"), 4)
    assert "CVE-2023-4911" not in json.dumps(two_pages[0])
    aws.findings(two_pages)
    aws.failure(event, "JobFailed", "and 1 HIGH finding (CVE-2023-4911)")
    ends(invoke(event), event, "JobFailed")


# --- When something goes wrong --------------------------------------------------------------------------

@pytest.mark.parametrize("code, message, failure_type", [
    ("ImageNotFoundException", f"The image with imageId {{imageDigest:'{DIGEST}', imageTag:'null'}} does not exist "
                               "within the repository with name 'app' in the registry with id '123456789012'",
     "JobFailed"),
    ("RepositoryNotFoundException", "The repository with name 'app' does not exist in the registry with id "
                                    "'123456789012'", "JobFailed"),
    ("AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/lambdakit-scan-gate/lambdakit-scan-gate "
                              "is not authorized to perform: ecr:DescribeImageScanFindings on resource: "
                              "arn:aws:ecr:eu-west-1:123456789012:repository/app because no identity-based policy "
                              "allows the ecr:DescribeImageScanFindings action", "PermissionError"),
])
def test_ecr_refusing_the_findings_fails_the_job(aws, invoke, code, message, failure_type):
    event = job_event(PARAMETERS)
    aws.ecr_error(code, message)
    aws.failure(event, failure_type, f"ECR refused to give the scan findings: {code}: {message}")
    ends(invoke(event), event, failure_type)


def test_ecr_out_of_reach_asks_to_be_called_again(gate, aws, invoke, monkeypatch):
    with socket.socket() as unused:  # a loopback port nothing listens on
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    monkeypatch.setattr(gate, "ecr", boto3.client("ecr", endpoint_url=closed,
                                                  config=Config(retries={"total_max_attempts": 1})))
    event = job_event(PARAMETERS)
    aws.continuation(event, f'ECR did not answer (Could not connect to the endpoint URL: "{closed}/"); asking again.')
    ends(invoke(event), event, "Succeeded")


def test_a_bug_in_the_gate_still_ends_the_job(gate, aws, invoke, monkeypatch, caplog):
    def broken_judge(*_args, **_kwargs):
        raise RuntimeError("the decision broke")

    monkeypatch.setattr(gate, "judge", broken_judge)
    event = job_event(PARAMETERS)
    aws.findings(wire("basic-complete-medium"))
    aws.failure(event, "JobFailed", "The scan gate failed unexpectedly (RuntimeError); see its log.")
    ends(invoke(event), event, "JobFailed")
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert job_id(event) in record.getMessage() and "the decision broke" in caplog.text


def test_a_job_already_ended_is_left_as_it_is(aws, invoke, caplog):
    event = job_event(PARAMETERS)
    aws.findings(wire("basic-complete-medium"))
    aws.codepipeline.add_client_error(
        "put_job_success_result", "InvalidJobStateException", "Job is not in a valid state for the requested action",
        400, expected_params={"jobId": job_id(event), "outputVariables": PASSED, "executionDetails": {
            "summary": f"{SHORT}: no finding fails the gate (1 MEDIUM; it fails on any CRITICAL, HIGH with a fix)."}})
    ends(invoke(event), event, "Succeeded")
    assert f"job {job_id(event)} has already ended" in caplog.text


@pytest.mark.parametrize("event", [
    {},
    json.loads((DATA_DIR / "events" / "lambda-function-url-get-root.json").read_text()),
    {"CodePipeline.job": {"accountId": "123456789012", "data": {}}},
    {"CodePipeline.job": "11111111-abcd-1111-abcd-111111abcdef"},
    ["CodePipeline.job"],
], ids=["empty", "function-url-request", "job-without-id", "job-not-an-object", "not-an-object"])
def test_an_event_that_is_not_a_job_ends_nothing(aws, invoke, event):
    assert invoke(event) == {"error": "expected a CodePipeline job event"}  # and no call: none is stubbed


def test_a_long_failure_message_is_cut_to_codepipelines_limit(aws, invoke):
    event = job_event(PARAMETERS)
    aws.findings(with_status(wire("basic-complete-medium"), "FAILED", "UnsupportedImageError: " + "layer " * 1000))
    aws.failure(event, "JobFailed", f"{SHORT}: the scan failed (UnsupportedImageError: layer layer")
    ends(invoke(event), event, "JobFailed")


# --- The artifact credentials ---------------------------------------------------------------------------

def _passes(aws, event):
    aws.findings(wire("basic-complete-medium"))
    aws.success(event, PASSED)


def _fails(aws, event):
    aws.findings(wire("basic-complete-critical"))
    aws.failure(event, "JobFailed")


def _waits(aws, event):
    aws.findings(wire("enhanced-active-high"))
    aws.continuation(event)


def _is_refused(aws, event):
    aws.ecr_error("AccessDeniedException", "not authorized to perform: ecr:DescribeImageScanFindings")
    aws.failure(event, "PermissionError")


def _breaks(aws, event):
    aws.findings(wire("basic-complete-medium"))
    aws.failure(event, "JobFailed")
    aws.ecr.client.meta.events.register("after-call.ecr.DescribeImageScanFindings", _raise_bug)


def _raise_bug(**_kwargs):
    raise KeyError("a bug after ECR answered")


def _lacks_its_id(_aws, event):
    del event["CodePipeline.job"]["id"]  # not a job the gate can end: nothing is called


@pytest.mark.parametrize("scenario", [_passes, _fails, _waits, _is_refused, _breaks, _lacks_its_id],
                         ids=["pass", "fail", "wait", "ecr-refuses", "bug", "not-a-job"])
def test_the_artifact_credentials_never_reach_a_log_or_the_output(aws, invoke, caplog, capsys, scenario):
    for logger in (None, "scan-gate", "botocore", "boto3", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=logger)
    event = job_event(PARAMETERS)
    assert all(secret in json.dumps(event) for secret in ARTIFACT_CREDENTIALS.values())
    scenario(aws, event)
    invoke(event)
    logged = caplog.text + "\n".join(repr(vars(record)) for record in caplog.records)
    assert "scan-gate" in {record.name for record in caplog.records}
    printed = "".join(capsys.readouterr())
    for secret in ARTIFACT_CREDENTIALS.values():
        assert secret not in logged and secret not in printed
