"""The handler itself, called in-process with the real sample events."""

import json

import pytest

from commands.validation_figures import server_timing
from tests.functions.api.cases import CASES, assert_answer, real_event, url_request


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_request_gets_its_json_answer(app, context, case):
    assert_answer(case, app.handler(case.event, context))


def test_info_comes_from_the_lambda_context(app, context):
    body = json.loads(app.handler(url_request("GET", "/info"), context)["body"])
    assert body == {"functionName": "lambdakit-test-api", "functionVersion": "7", "memoryLimitMb": 1024,
                    "environment": "test", "logLevel": "DEBUG", "requestId": context.aws_request_id}


def test_logs_are_json_with_request_id_and_cold_start(app, context, log_lines):
    app.handler(real_event("lambda-function-url-get-root"), context)
    app.handler(url_request("GET", "/health"), context)
    first, second = log_lines
    assert (first["coldStart"], second["coldStart"]) == (True, False)
    assert first["requestId"] == context.aws_request_id
    assert (first["level"], first["status"], first["path"]) == ("INFO", 200, "/")


def _timing(response: dict) -> dict:
    return server_timing(response["headers"]["server-timing"])


def test_only_the_first_answer_of_an_environment_tells_its_init(app, context):
    first, second = (_timing(app.handler(url_request("GET", path), context)) for path in ("/health", "/nope"))
    assert first["init"] == {"dur": f"{app.INIT_MS:.0f}", "desc": "on-demand"} and float(first["handler"]["dur"]) >= 0
    assert set(second) == {"handler"}  # an error answer is timed too


def test_the_header_rounds_init_to_ms_and_the_handler_to_tenths(app):
    assert server_timing(app.server_timing(1.26, 456.7)) == {"init": {"dur": "457", "desc": "on-demand"},
                                                              "handler": {"dur": "1.3"}}
    assert server_timing(app.server_timing(0.4, None)) == {"handler": {"dur": "0.4"}}


def test_a_provisioned_environment_says_its_init_ran_before_any_request(load_app, context):
    app = load_app(AWS_LAMBDA_INITIALIZATION_TYPE="provisioned-concurrency")
    assert _timing(app.handler(real_event("codepipeline-job"), context))["init"]["desc"] == "provisioned-concurrency"


def test_init_is_the_age_of_the_process(app):
    assert 0 < app.INIT_MS < app._process_age_ms()


def test_a_foreign_event_is_logged_as_an_error(app, context, log_lines):
    app.handler(real_event("codepipeline-job"), context)
    [entry] = log_lines
    assert entry["level"] == "ERROR" and entry["eventKeys"] == ["CodePipeline.job"]


@pytest.mark.parametrize("event", [
    None, "GET /", ["a"], {"version": "1.0", "rawPath": "/"},
    url_request() | {"requestContext": "not an object"},
    url_request() | {"rawPath": 42},
    url_request() | {"requestContext": {"http": {"path": "/"}}},
])
def test_events_of_any_other_shape_get_a_400(app, context, event):
    response = app.handler(event, context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"] == "expected a Lambda Function URL request (payload format 2.0)"


def test_a_bug_answers_500_without_internals_and_logs_the_traceback(app, context, log_lines, monkeypatch):
    def broken(event, context):
        raise KeyError("secret-internal-detail")
    monkeypatch.setitem(app.ROUTES["/health"], "GET", broken)
    response = app.handler(url_request("GET", "/health"), context)
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"error": "internal error", "requestId": context.aws_request_id}
    assert "secret-internal-detail" not in response["body"]
    failure = next(e for e in log_lines if e["level"] == "ERROR")
    assert "KeyError: 'secret-internal-detail'" in failure["exception"]


@pytest.mark.parametrize("python_level, lambda_level", [
    ("debug", "DEBUG"), ("info", "INFO"), ("warning", "WARN"), ("error", "ERROR"), ("critical", "FATAL")])
def test_log_levels_are_the_ones_lambdas_level_filter_knows(app, log_lines, python_level, lambda_level):
    getattr(app.log, python_level)("a line")
    [entry] = log_lines
    assert entry["level"] == lambda_level
