"""`validate` against a local server that plays a function URL: each threshold passes and fails, the figures are
computed right, requests are signed as Lambda checks them, and a dead, untrusted or refusing URL stops the run
with a clear message."""

import json
import os
import socket
import ssl
import stat
import subprocess
import sys

import pytest
import trustme
from botocore.credentials import Credentials

from commands import validate
from commands.validation_figures import Call, Sample, Thresholds, measure, server_timing
from tests.conftest import PROJECT_DIR
from tests.commands.fake_function_url import Answer, FakeFunctionUrl, sha256_hex

KEYS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "session-token-example"}


@pytest.fixture(autouse=True)
def no_ambient_aws(monkeypatch, tmp_path):
    """Only the credentials a test gives: none from the machine's files or variables."""
    for name in [*KEYS, "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def run(capsys, tmp_path, *args: str) -> tuple[int, dict, str]:
    """validate's exit code, its JSON report ({} when it wrote none) and what it said on stderr."""
    report = tmp_path / "report.json"
    code = validate.main([*args, "--json", str(report)])
    return code, json.loads(report.read_text()) if report.exists() else {}, capsys.readouterr().err


def verdict(report: dict, check: str) -> dict:
    [found] = [v for v in report["verdicts"] if v["check"] == check]
    return found


def cold_first(count: int, init_ms: float = 300, init_type: str = "on-demand"):
    """The first `count` answers come from new environments."""
    def answer(index: int) -> Answer:
        if index < count:
            return Answer(server_timing=f'init;dur={init_ms};desc="{init_type}", handler;dur=0.5')
        return Answer()
    return answer


# (what the fake function does, the threshold option, a value the run fails, the check, a value it passes)
THRESHOLDS = [
    (lambda i: Answer(status=500 if i % 10 == 9 else 200), "--min-success-rate", "95", "success rate", "85"),
    (lambda i: Answer(delay_seconds=0.05), "--max-average-ms", "20", "average latency", "2000"),
    (lambda i: Answer(delay_seconds=0.3 if i % 10 == 5 else 0), "--max-p95-ms", "150", "p95 latency", "2000"),
    (cold_first(5), "--max-cold-start-rate", "20", "cold-start rate", "30"),
    (cold_first(1, init_ms=2500), "--max-init-ms", "2000", "init duration (max)", "3000"),
]


@pytest.mark.parametrize("behaviour, option, failing, check, passing", THRESHOLDS, ids=[t[3] for t in THRESHOLDS])
def test_each_threshold_fails_and_passes(capsys, tmp_path, behaviour, option, failing, check, passing):
    for limit, expected_code in ((failing, 1), (passing, 0)):
        with FakeFunctionUrl(behaviour) as server:
            code, report, _ = run(capsys, tmp_path, "--url", server.url, "--requests", "20", "--concurrency", "2",
                                  option, limit)
        assert (code, verdict(report, check)["passed"]) == (expected_code, expected_code == 0), (check, limit, report)
        assert report["requests"] == 20


def test_the_defaults_are_the_products_promises():
    limits = Thresholds()
    assert (limits.min_success_percent, limits.max_average_ms, limits.max_p95_ms, limits.max_cold_start_percent,
            limits.max_init_ms) == (95, 2000, 5000, 20, 2000)


def test_a_provisioned_init_is_not_a_cold_start_but_its_duration_is_judged(capsys, tmp_path):
    with FakeFunctionUrl(cold_first(4, init_ms=2100, init_type="provisioned-concurrency")) as server:
        code, report, _ = run(capsys, tmp_path, "--url", server.url, "--requests", "10")
    assert (report["coldStarts"], report["initMs"]["count"]) == (0, 4)
    assert report["initTypes"] == {"provisioned-concurrency": 4}
    assert verdict(report, "cold-start rate")["passed"] and not verdict(report, "init duration (max)")["passed"]
    assert code == 1


def test_a_function_that_reports_no_cold_starts_cannot_pass(capsys, tmp_path):
    with FakeFunctionUrl(lambda i: Answer(server_timing=None)) as server:
        code, report, _ = run(capsys, tmp_path, "--url", server.url, "--requests", "5")
    cold = verdict(report, "cold-start rate")
    assert code == 1 and not cold["passed"] and "no Server-Timing" in cold["note"]
    assert verdict(report, "success rate")["passed"]


def test_a_malformed_init_duration_does_not_stop_the_run(capsys, tmp_path):
    with FakeFunctionUrl(lambda i: Answer(server_timing="init;dur=soon, handler;dur=1")) as server:
        code, report, _ = run(capsys, tmp_path, "--url", server.url, "--requests", "20", "--concurrency", "3")
    assert (report["requests"], report["stoppedEarly"], report["statusCounts"]) == (20, False, {"200": 20})
    assert report["initMs"] == {"count": 0} and code == 0


def test_the_printed_table_names_every_figure_and_verdict(capsys):
    with FakeFunctionUrl(cold_first(1)) as server:
        code = validate.main(["--url", server.url, "--requests", "6", "--call", "GET /health", "--call", "POST /"])
    out = capsys.readouterr().out
    assert code == 0
    for figure in ("success 100.0 %", "status codes  200: 6", "latency ms    min", "p95", "p99", "max",
                   "cold starts   1 of 6 (16.7 %)", "init ms       min 300  avg 300  max 300  (on-demand 1)",
                   "PASS  success rate", "PASS  cold-start rate", "(GET /health, POST /)"):
        assert figure in out, figure
    assert sorted((r.method, r.path) for r in server.received) == [("GET", "/health")] * 3 + [("POST", "/")] * 3


def test_figures_are_computed_from_the_samples():
    samples = [Sample(Call("GET", "/"), 200, latency_ms=float(n)) for n in range(1, 101)]
    samples += [Sample(Call("GET", "/"), 502, latency_ms=1.0), Sample(Call("GET", "/"), error="timed out")]
    figures = measure(samples)
    assert figures["statusCounts"] == {"200": 100, "502": 1, "timed out": 1}
    assert figures["successRatePercent"] == pytest.approx(100 * 100 / 102)
    latency = figures["latencyMs"]
    assert (latency["min"], latency["max"]) == (1.0, 100.0)
    assert latency["avg"] == pytest.approx((5050 + 1) / 101)
    assert latency["p50"] == pytest.approx(50.0) and latency["p95"] == pytest.approx(95.0)


def test_reads_server_timing_as_the_standard_writes_it():
    assert server_timing('cache;desc="Cache, Read";dur=23.2, db ;dur = 53, miss') == {
        "cache": {"desc": "Cache, Read", "dur": "23.2"}, "db": {"dur": "53"}, "miss": {}}


# --- signing ---------------------------------------------------------------------------------------------------

def _caller_keys(monkeypatch, secret: str = KEYS["AWS_SECRET_ACCESS_KEY"]) -> None:
    for name, value in {**KEYS, "AWS_SECRET_ACCESS_KEY": secret}.items():
        monkeypatch.setenv(name, value)


def test_signed_requests_are_the_ones_lambda_accepts(capsys, tmp_path, monkeypatch):
    _caller_keys(monkeypatch)
    credentials = Credentials(KEYS["AWS_ACCESS_KEY_ID"], KEYS["AWS_SECRET_ACCESS_KEY"], KEYS["AWS_SESSION_TOKEN"])
    with FakeFunctionUrl(credentials=credentials) as server:
        code, report, _ = run(capsys, tmp_path, "--url", server.url, "--auth", "iam", "--region", "eu-west-1",
                              "--requests", "4", "--call", "POST /orders?id=7", "--body", '{"n": 1}')
    assert code == 0 and report["statusCounts"] == {"200": 4}
    assert all(r.signature_matched for r in server.received)
    first = server.received[0]
    body = json.dumps({"n": 1}).encode()
    assert first.body == body
    date = first.headers["x-amz-date"]
    host = server.url.removeprefix("http://")
    # The canonical request as SigV4 defines it: method, path, query, signed headers, their names, payload hash.
    assert first.canonical_request == "\n".join([
        "POST", "/orders", "id=7",
        "content-type:application/json", f"host:{host}", f"x-amz-date:{date}",
        f"x-amz-security-token:{KEYS['AWS_SESSION_TOKEN']}", "",
        "content-type;host;x-amz-date;x-amz-security-token", sha256_hex(body)])
    assert first.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={KEYS['AWS_ACCESS_KEY_ID']}/{date[:8]}/eu-west-1/lambda/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=")


def test_a_wrong_signature_is_a_403_with_a_clear_message(capsys, tmp_path, monkeypatch):
    _caller_keys(monkeypatch, secret="not-the-secret")
    credentials = Credentials(KEYS["AWS_ACCESS_KEY_ID"], KEYS["AWS_SECRET_ACCESS_KEY"], KEYS["AWS_SESSION_TOKEN"])
    with FakeFunctionUrl(credentials=credentials) as server:
        code, report, err = run(capsys, tmp_path, "--url", server.url, "--auth", "iam", "--region", "eu-west-1")
    assert code == 1 and report == {}
    assert "403 Forbidden" in err and "Function URL authorization" in err and "lambda:InvokeFunctionUrl" in err
    assert [r.signature_matched for r in server.received] == [False]  # the run stopped at the first refusal


def test_an_unsigned_request_to_an_iam_url_is_told_to_sign(capsys, tmp_path):
    credentials = Credentials(KEYS["AWS_ACCESS_KEY_ID"], KEYS["AWS_SECRET_ACCESS_KEY"])
    with FakeFunctionUrl(credentials=credentials) as server:
        code, _, err = run(capsys, tmp_path, "--url", server.url)
    assert code == 1 and "pass --auth iam" in err


def test_the_region_to_sign_for_is_read_from_a_function_url(monkeypatch):
    _caller_keys(monkeypatch)
    url = "https://abcdefghij0123456789klmnopqrstuv.lambda-url.ap-southeast-2.on.aws/"
    signed = validate._caller_signer(url, None).headers("GET", url, b"", {})
    assert "/ap-southeast-2/lambda/aws4_request" in signed["Authorization"]


@pytest.mark.parametrize("args, message", [
    (["--url", "http://127.0.0.1:9/", "--auth", "iam"], "cannot tell the region"),
    (["--url", "ftp://example.com/"], "must be an http(s) URL"),
    (["--url", "http://127.0.0.1:9/", "--body", "{not json"], "--body is not JSON"),
    (["--local", "--auth", "iam"], "--auth iam has no meaning with --local"),
    (["--requests", "5"], "give one target"),
    (["--url", "http://127.0.0.1:9/", "--stack", "prod"], "give one target"),
], ids=["no region", "not http", "bad body", "local signed", "no target", "two targets"])
def test_bad_arguments_exit_2_with_the_reason(capsys, tmp_path, monkeypatch, args, message):
    _caller_keys(monkeypatch)
    code, _, err = run(capsys, tmp_path, *args)
    assert code == 2 and message in err


def test_signing_without_credentials_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path, "--url", "https://x.lambda-url.eu-west-1.on.aws/", "--auth", "iam")
    assert code == 2 and "none were found" in err


@pytest.mark.parametrize("args", [["--url", "http://x/", "--requests", "0"],
                                  ["--url", "http://x/", "--max-cold-start-rate", "120"],
                                  ["--url", "http://x/", "--call", "GET health"], ["--url", "http://x/", "--local"]],
                         ids=["zero requests", "rate over 100", "path without slash", "url and local"])
def test_argument_errors_exit_2(args):
    with pytest.raises(SystemExit) as exited:
        validate.main(args)
    assert exited.value.code == 2


def validate_command(*args: str) -> subprocess.CompletedProcess:
    """`python -m commands.validate`, as `make validate` runs it."""
    return subprocess.run([sys.executable, "-m", "commands.validate", *args], cwd=PROJECT_DIR, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("option, value, allowed", [
    ("--requests", "abc", "a whole number, 1 or more"),
    ("--request-timeout", "inf", "a positive finite number"),
    ("--ramp", "nan", "a finite number, 0 or more"),
])
def test_a_bad_number_is_named_with_what_it_must_be(option, value, allowed):
    finished = validate_command("--url", "http://127.0.0.1:9/", option, value)
    assert finished.returncode == 2 and "Traceback" not in finished.stderr
    assert f"argument {option}: must be {allowed}, not '{value}'" in finished.stderr


def test_a_json_file_in_a_missing_folder_is_refused_before_the_run(tmp_path):
    target = tmp_path / "missing" / "report.json"
    with FakeFunctionUrl() as server:
        finished = validate_command("--url", server.url, "--requests", "3", "--json", str(target))
    assert finished.returncode == 2 and "Traceback" not in finished.stderr
    assert f"argument --json: cannot write {target}: the folder {target.parent} does not exist" in finished.stderr
    assert server.received == []  # refused before the first request, not after the run


def test_without_docker_a_local_run_says_so_and_exits_2(machine_without_docker, capsys, tmp_path):
    code, report, err = run(capsys, tmp_path, "--local", "--requests", "1")
    assert code == 2 and report == {}
    assert "error: Docker runs the function here: no docker client on PATH (apt-get install docker.io)" in err


# --- targets that cannot answer -----------------------------------------------------------------------------------

def test_a_dead_url_stops_at_the_first_request(capsys, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, report, err = run(capsys, tmp_path, "--url", f"http://127.0.0.1:{port}/")
    assert code == 1 and report == {}
    assert f"no answer from http://127.0.0.1:{port}/" in err and "connection refused" in err


def test_an_untrusted_certificate_is_a_tls_failure(capsys, tmp_path):
    authority = trustme.CA()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(tls)
    with FakeFunctionUrl(tls=tls) as server:
        code, _, err = run(capsys, tmp_path, "--url", server.url)
    assert code == 1 and "TLS failed" in err and "certificate verify failed" in err


def test_a_slow_target_is_cut_at_the_time_limit(capsys, tmp_path):
    with FakeFunctionUrl(lambda i: Answer(delay_seconds=0.1)) as server:
        code, report, _ = run(capsys, tmp_path, "--url", server.url, "--requests", "200", "--concurrency", "1",
                              "--time-limit", "0.5")
    assert report["stoppedEarly"] and 2 <= report["requests"] < 200 and report["answered"] == report["requests"]


@pytest.mark.parametrize("ramp, most_at_once", [("0", 4), ("60", 1)])
def test_a_ramp_starts_the_workers_one_by_one(capsys, tmp_path, ramp, most_at_once):
    """Workers due after the time limit never start: with a 60 s ramp over 4 workers and a 1 s limit, one works."""
    with FakeFunctionUrl(lambda i: Answer(delay_seconds=0.05)) as server:
        code, report, _ = run(capsys, tmp_path, "--url", server.url, "--requests", "400", "--concurrency", "4",
                              "--time-limit", "1", "--ramp", ramp)
    assert server.most_in_flight == most_at_once and report["stoppedEarly"]


# --- a deployed stack's outputs --------------------------------------------------------------------------------------

def _fake_pulumi(tmp_path, outputs: dict) -> str:
    """A `pulumi` on PATH that answers `pulumi stack output --json` as the CLI does."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "pulumi"
    script.write_text(f"#!{sys.executable}\nimport json, sys\n"
                      "assert sys.argv[1:4] == ['stack', 'output', '--json'], sys.argv\n"
                      f"print(json.dumps({outputs!r}))\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def _outputs(api_url: str | None, worker_url: str | None = None, api_auth: str = "AWS_IAM") -> dict:
    """A deployed stack's outputs as __main__.py exports them: each function's, by its folder's name."""
    def function(name: str, url: str | None, auth: str) -> dict:
        return {"functionName": f"lambdakit-prod-{name}", "functionUrl": url, "functionUrlAuthType": auth,
                "aliasArn": f"arn:aws:lambda:eu-west-1:123456789012:function:lambdakit-prod-{name}:live",
                "functionVersion": "3", "imageUri": f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/"
                                                    f"lambdakit-prod-{name}@sha256:{'ab' * 32}",
                "repositoryUrl": f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/lambdakit-prod-{name}"}
    return {"functions": {"api": function("api", api_url, api_auth),
                          "worker": function("worker", worker_url, "AWS_IAM" if worker_url else "OFF")},
            "alarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:lambdakit-prod-alarms",
            "dashboardName": "lambdakit-prod"}


@pytest.mark.parametrize("function", [[], ["--function", "api"]], ids=["the only one with a URL", "named"])
def test_a_stack_target_calls_its_function_s_url_and_signs_as_its_auth_type_says(capsys, tmp_path, monkeypatch,
                                                                                 function):
    _caller_keys(monkeypatch)
    credentials = Credentials(KEYS["AWS_ACCESS_KEY_ID"], KEYS["AWS_SECRET_ACCESS_KEY"], KEYS["AWS_SESSION_TOKEN"])
    with FakeFunctionUrl(credentials=credentials) as server:
        monkeypatch.setenv("PATH", _fake_pulumi(tmp_path, _outputs(server.url + "/")))
        code, report, _ = run(capsys, tmp_path, "--stack", "prod", *function, "--region", "eu-west-1",
                              "--requests", "3")
    assert code == 0 and report["statusCounts"] == {"200": 3}
    assert report["target"] == f"{server.url}/ (signed, AWS_IAM)" and all(r.signature_matched for r in server.received)


def test_function_picks_one_of_several_functions_with_a_url(capsys, tmp_path, monkeypatch):
    with FakeFunctionUrl() as server:
        monkeypatch.setenv("PATH", _fake_pulumi(tmp_path, _outputs("https://api.invalid/", server.url + "/",
                                                                   api_auth="NONE")))
        code, _, err = run(capsys, tmp_path, "--stack", "prod", "--requests", "2", "--auth", "none")
        assert code == 2 and err.strip() == ("error: stack prod has these functions with a URL: api, worker; pick one "
                                             "with --function")
        code, report, _ = run(capsys, tmp_path, "--stack", "prod", "--function", "worker", "--requests", "2",
                              "--auth", "none")
    assert code == 0 and report["target"] == f"{server.url}/ (unsigned)" and len(server.received) == 2


@pytest.mark.parametrize("name", ["worker", "nope"], ids=["without a URL", "unknown"])
def test_a_deployed_function_without_a_url_or_unknown_is_a_usage_error(capsys, tmp_path, monkeypatch, name):
    monkeypatch.setenv("PATH", _fake_pulumi(tmp_path, _outputs("https://api.invalid/")))
    code, report, err = run(capsys, tmp_path, "--stack", "prod", "--function", name)
    assert (code, report) == (2, {})
    assert err.strip() == f"error: stack prod has these functions with a URL: api; --function {name} is not one of them"


def test_a_stack_not_deployed_has_no_function_url_to_call(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _fake_pulumi(tmp_path, {}))
    code, _, err = run(capsys, tmp_path, "--stack", "prod")
    assert code == 2
    assert "stack prod has no function with a URL in its outputs: has it been deployed (pulumi up)?" in err


def test_a_stack_deployed_before_several_functions_is_told_to_update_its_outputs(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _fake_pulumi(tmp_path, {"functionUrl": "https://api.invalid/"}))
    code, _, err = run(capsys, tmp_path, "--stack", "prod")
    assert code == 2
    assert ("stack prod's outputs are of a program before several functions per stack (a single functionUrl): run "
            "`pulumi up` for it once, or pass --url") in err


@pytest.mark.parametrize("name, said", [
    ("nope", "error: --function nope: not a function of stack dev with a URL (those are: api)"),
    ("worker", "error: --function worker: not a function of stack dev with a URL (those are: api)"),
], ids=["unknown", "without a URL"])
def test_a_local_function_that_cannot_be_served_is_a_usage_error(capsys, tmp_path, name, said):
    """Told before Docker is looked for, as `make serve` tells it."""
    with pytest.raises(SystemExit) as exited:
        validate.main(["--local", "--function", name, "--json", str(tmp_path / "report.json")])
    assert exited.value.code == 2 and capsys.readouterr().err.strip() == said
    assert not (tmp_path / "report.json").exists()


def test_a_stack_target_needs_the_cli(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run(capsys, tmp_path, "--stack", "prod")
    assert code == 2 and "Pulumi CLI, which is not on PATH" in err
