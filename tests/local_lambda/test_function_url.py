"""local_lambda/function_url.py: an HTTP request becomes the payload format 2.0 event a function URL hands the
function, compared with real captured events (tests/data/events), and the function's answer becomes the HTTP
response, as recorded from real AWS (the table of /tmp/notes/furl.md, section 2)."""

import base64
import calendar
import copy
import json
import re
import time

import pytest

from local_lambda.function_url import (FUNCTION_FAILED, TEXT_TYPES, HttpRequest, http_response, request_event,
                                       service_headers)
from tests.functions.api.cases import real_event

GET_ROOT = "lambda-function-url-get-root"
WITH_HEADERS_AND_QUERY = "lambda-function-url-with-headers-and-query"
# What the samples were captured with: placeholders for the URL id and request id, and their own clock.
SAMPLE_URL_ID, SAMPLE_REGION, SAMPLE_REQUEST_ID = "<url-id>", "us-east-1", "id"
SAMPLE_NOW = 1659687279.885
# `requestContext.time` as Lambda writes it: "05/Aug/2022:08:14:39 +0000".
LAMBDA_TIME = re.compile(r"\d{2}/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d{2}:\d{2}:\d{2} \+0000")


def _sample_request(sample: str, target: str = "/", extra_headers: tuple[tuple[str, str], ...] = ()) -> HttpRequest:
    """The request behind a sample: its headers as a client sent them (mixed case, like a browser's), from the
    sample's source IP."""
    headers = [(name.title(), value) for name, value in real_event(GET_ROOT)["headers"].items()]
    return HttpRequest("GET", target, headers + list(extra_headers),
                       source_ip=real_event(sample)["requestContext"]["http"]["sourceIp"])


def _event(request: HttpRequest, now: float = SAMPLE_NOW) -> dict:
    return request_event(request, SAMPLE_REQUEST_ID, SAMPLE_URL_ID, SAMPLE_REGION, now)


def _as_sample(sample: str) -> dict:
    """The sample, but for its `userAgent`, which the capture's source replaced with "agent": Lambda copies the
    User-Agent header there."""
    expected = copy.deepcopy(real_event(sample))
    expected["requestContext"]["http"]["userAgent"] = expected["headers"]["user-agent"]
    return expected


def _request(headers: list[tuple[str, str]], body: bytes = b"", method: str = "POST", target: str = "/") -> HttpRequest:
    return HttpRequest(method, target, headers, body)


# --- the request event -------------------------------------------------------------------------------------------

def test_get_root_has_the_sample_s_keys_at_every_level():
    event, sample = _event(_sample_request(GET_ROOT)), real_event(GET_ROOT)
    assert set(event) == set(sample)
    assert set(event["requestContext"]) == set(sample["requestContext"])
    assert set(event["requestContext"]["http"]) == set(sample["requestContext"]["http"])


def test_get_root_is_the_real_sample():
    assert _event(_sample_request(GET_ROOT)) == _as_sample(GET_ROOT)


@pytest.mark.parametrize("field", ["version", "routeKey"])
def test_top_level_constants_are_the_sample_s(field):
    assert _event(_sample_request(GET_ROOT))[field] == real_event(GET_ROOT)[field]


@pytest.mark.parametrize("field", ["routeKey", "stage", "accountId"])
def test_request_context_constants_are_the_sample_s(field):
    context = _event(_sample_request(GET_ROOT))["requestContext"]
    assert context[field] == real_event(GET_ROOT)["requestContext"][field]
    assert context["accountId"] == "anonymous"


TIMES = [0.0, SAMPLE_NOW, 1709208000.5, 1767225599.999]  # the epoch, the sample, a leap day, a year's last second


@pytest.mark.parametrize("now", TIMES)
def test_time_is_written_as_lambda_writes_it(now):
    context = _event(_sample_request(GET_ROOT), now)["requestContext"]
    assert LAMBDA_TIME.fullmatch(real_event(GET_ROOT)["requestContext"]["time"])
    assert LAMBDA_TIME.fullmatch(context["time"])
    assert calendar.timegm(time.strptime(context["time"], "%d/%b/%Y:%H:%M:%S +0000")) == int(now)


@pytest.mark.parametrize("now", TIMES)
def test_time_epoch_is_whole_milliseconds(now):
    epoch = _event(_sample_request(GET_ROOT), now)["requestContext"]["timeEpoch"]
    assert type(epoch) is int and type(real_event(GET_ROOT)["requestContext"]["timeEpoch"]) is int
    assert epoch == round(now * 1000)


def test_ids_and_domain_come_from_the_url_id_and_region():
    context = request_event(_request([], method="GET"), "r-1", "abc123", "eu-west-1", SAMPLE_NOW)["requestContext"]
    assert (context["apiId"], context["domainPrefix"], context["domainName"], context["requestId"]) == \
        ("abc123", "abc123", "abc123.lambda-url.eu-west-1.on.aws", "r-1")


QUERY = "parameter1=value1&parameter1=value2&parameter2=value"
REPEATED_HEADERS = (("Header1", "value1"), ("HEADER2", "value1"), ("header2", "value2"))


def test_repeated_headers_and_query_match_the_real_sample():
    event = _event(_sample_request(WITH_HEADERS_AND_QUERY, f"/?{QUERY}", REPEATED_HEADERS))
    sample = _as_sample(WITH_HEADERS_AND_QUERY)
    assert event["headers"] == sample["headers"]  # lower-cased; header2 joined by "," with no space
    assert event["queryStringParameters"] == sample["queryStringParameters"]
    assert set(event) == set(sample)
    # The sample leaves rawQueryString empty (its source edited only the parsed parameters); Lambda sends the query
    # as it came, without "?".
    assert event["rawQueryString"] == QUERY
    assert {**event, "rawQueryString": ""} == sample


def test_the_path_leaves_out_the_query():
    event = _event(_request([], method="GET", target="/orders/7?x=1"))
    assert (event["rawPath"], event["requestContext"]["http"]["path"]) == ("/orders/7", "/orders/7")


def test_query_values_are_url_decoded_and_blank_ones_kept():
    event = _event(_request([], method="GET", target="/?multiQuery=foo&multiQuery=%2Fbar&empty="))
    assert event["rawQueryString"] == "multiQuery=foo&multiQuery=%2Fbar&empty="
    assert event["queryStringParameters"] == {"multiQuery": "foo,/bar", "empty": ""}


def test_percent_encoding_in_the_path_is_kept():
    event = _event(_request([], method="GET", target="/pa2%Fth/1"))
    assert (event["rawPath"], event["requestContext"]["http"]["path"]) == ("/pa2%Fth/1", "/pa2%Fth/1")


def test_header_values_keep_their_case():
    assert _event(_request([("ExTrA-HeadErs", "With WeiRd CapS")]))["headers"] == {"extra-headers": "With WeiRd CapS"}


@pytest.mark.parametrize("cookie_headers", [
    [("Cookie", "a=1; b=2")],
    [("Cookie", "a=1"), ("cookie", "b=2")],
], ids=["one header", "two headers"])
def test_cookies_become_a_list_and_leave_the_headers(cookie_headers):
    event = _event(_request([("Accept", "*/*"), *cookie_headers], method="GET"))
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"] == {"accept": "*/*"}


@pytest.mark.parametrize("absent", ["cookies", "queryStringParameters", "body", "pathParameters", "stageVariables"])
def test_keys_with_nothing_to_say_are_left_out(absent):
    event = _event(_request([], method="GET"))
    assert absent not in event
    assert absent not in real_event(GET_ROOT)
    assert (event["rawQueryString"], event["isBase64Encoded"]) == ("", False)


@pytest.mark.parametrize("content_type", ["text/plain", "text/html; charset=iso-8859-1", "application/json",
                                          "application/json; charset=utf-8", "Application/JSON", "application/xml",
                                          "application/javascript"])
def test_text_bodies_arrive_as_text(content_type):
    body = '{"name": "Zoë ✓"}'
    event = _event(_request([("Content-Type", content_type)], body.encode()))
    assert (event["body"], event["isBase64Encoded"]) == (body, False)


BINARY_BODIES = {
    "octet-stream": [("Content-Type", "application/octet-stream")],
    "png": [("Content-Type", "image/png")],
    "multipart": [("Content-Type", "multipart/form-data; boundary=xyz")],
    "form-urlencoded": [("Content-Type", "application/x-www-form-urlencoded")],
    "no content-type": [],
}


@pytest.mark.parametrize("headers", BINARY_BODIES.values(), ids=BINARY_BODIES.keys())
def test_other_bodies_arrive_base64_encoded_and_decode_to_the_same_bytes(headers):
    body = b"\x89PNG\r\n\x1a\n\x00\xff\xfe" + bytes(range(256))  # not UTF-8
    event = _event(_request(headers, body))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"], validate=True) == body


def test_text_types_are_the_documented_ones():
    assert set(TEXT_TYPES) == {"text/", "application/json", "application/javascript", "application/xml"}


def test_event_is_json():
    event = _event(_sample_request(WITH_HEADERS_AND_QUERY, f"/?{QUERY}", (("Cookie", "a=1"),)))
    assert json.loads(json.dumps(event)) == event


# --- the response --------------------------------------------------------------------------------------------------

RECORDED_ON_AWS = [  # what the function returned, and the body the client got (status 200, application/json)
    ({"hello": "world"}, b'{"hello":"world"}'),
    ({"statusCode": 200, "body": "body123"}, b"body123"),
    ({"statusCode": 200, "body": '{"hello": "world"}'}, b'{"hello": "world"}'),
    (["hello", 3, True], b'["hello",3,true]'),
    ("hello", b"hello"),
    (3, b"3"),
    (3.1, b"3.1"),
    (True, b"true"),
]


@pytest.mark.parametrize("answer, body", RECORDED_ON_AWS, ids=[json.dumps(a) for a, _ in RECORDED_ON_AWS])
def test_answers_as_recorded_on_aws(answer, body):
    response = http_response(answer)
    assert (response.status, response.header("content-type"), response.body) == (200, "application/json", body)


def test_a_status_code_given_as_text_is_used():
    assert http_response({"statusCode": "418", "body": "teapot"}).status == 418


def test_a_status_code_without_content_type_gets_json():
    response = http_response({"statusCode": 201, "headers": {"location": "/orders/1"}, "body": ""})
    assert response.headers == [("location", "/orders/1"), ("content-type", "application/json")]


def test_custom_headers_pass_through_lower_cased():
    response = http_response({"statusCode": 200, "headers": {"My-Custom-Header": "Some Value",
                                                            "Content-Type": "text/html"}, "body": "<p>"})
    assert response.headers == [("my-custom-header", "Some Value"), ("content-type", "text/html")]


def test_each_cookie_becomes_one_set_cookie_header():
    response = http_response({"statusCode": 200, "cookies": ["a=1; Secure", "b=2; HttpOnly"]})
    assert [value for name, value in response.headers if name == "set-cookie"] == ["a=1; Secure", "b=2; HttpOnly"]


def test_a_base64_body_is_sent_as_its_bytes():
    raw = bytes(range(256))
    response = http_response({"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                              "body": base64.b64encode(raw).decode(), "isBase64Encoded": True})
    assert (response.body, response.header("content-type")) == (raw, "application/octet-stream")


def test_a_body_given_as_an_object_is_sent_as_compact_json():
    assert http_response({"statusCode": 200, "body": {"a": [1, 2], "b": None}}).body == b'{"a":[1,2],"b":null}'


def test_no_body_is_an_empty_one():
    response = http_response({"statusCode": 204})
    assert (response.status, response.body) == (204, b"")


INVALID = {
    "status code 99": {"statusCode": 99, "body": "x"},
    "status code 600": {"statusCode": 600, "body": "x"},
    "status code abc": {"statusCode": "abc", "body": "x"},
    "status code null": {"statusCode": None},
    "base64 that does not decode": {"statusCode": 200, "body": "%%not-base64%%", "isBase64Encoded": True},
    "headers a list": {"statusCode": 200, "headers": [["a", "b"]]},
    "headers a string": {"statusCode": 200, "headers": "content-type: text/plain"},
}


@pytest.mark.parametrize("answer", INVALID.values(), ids=INVALID.keys())
def test_an_answer_it_cannot_read_is_a_function_failure(answer):
    assert http_response(answer) == FUNCTION_FAILED


def test_function_failed_is_aws_s_502():
    assert (FUNCTION_FAILED.status, FUNCTION_FAILED.body) == (502, b"Internal Server Error")


def test_service_headers_carry_the_request_id_and_a_date():
    headers = dict(service_headers("r-1"))
    assert headers["x-amzn-requestid"] == "r-1"
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", headers["date"])


@pytest.mark.parametrize("answer", [{"statusCode": 200, "cookies": "a=1"}, {"statusCode": 200, "headers": []},
                                    {"statusCode": 200, "headers": ["a"]}], ids=["cookies a string", "headers a list",
                                                                               "headers a non-empty list"])
def test_cookies_and_headers_of_the_wrong_type_are_an_invalid_answer(answer):
    assert http_response(answer) == FUNCTION_FAILED


def test_a_text_body_that_is_not_utf8_arrives_base64_unchanged():
    latin1 = "café".encode("latin-1")
    event = request_event(HttpRequest("POST", "/", [("Content-Type", "text/plain")], latin1), "r", "u", "eu-west-1")
    assert event["isBase64Encoded"] and base64.b64decode(event["body"]) == latin1
