"""What Lambda's function URL service does around a function: an HTTP request becomes a payload format 2.0 event,
and the function's answer becomes the HTTP response.

Written by hand: no kept library emulates function URLs (SAM's `start-api` serves API Gateway's HTTP API, whose
response rules differ), and the rules are a page of AWS's documentation
(docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html), followed here field by field.
"""

import base64
import json
import re
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

# Request bodies of these types reach the function as text; any other body, and one with no type, is base64-encoded.
# AWS documents only "binary"; this list is what the same payload format was seen doing on real AWS (API Gateway
# HTTP APIs; on function URLs text/plain and application/json arrive as text, multipart as base64).
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")
# Function URLs refuse a request payload (the event) over 6 MB, as synchronous invocation does.
MAX_REQUEST_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # the path and query string as sent: "/orders?id=1"
    headers: list[tuple[str, str]]
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


_HOST = re.compile(r"^([a-z0-9]+)\.lambda-url\.([a-z0-9-]+)\.on\.aws$")


def function_url_host(url_id: str, region: str) -> str:
    return f"{url_id}.lambda-url.{region}.on.aws"


def region_of_host(host: str) -> str | None:
    """The region of a function URL's host name; None for any other host."""
    match = _HOST.match(host)
    return match.group(2) if match else None


def _error(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], json.dumps({"Message": message}).encode())


# What the URL service answers when the function cannot: a function error is a 502 with this plain-text body on
# real AWS; a timeout, an init error or an answer it cannot read are 5xx errors too, taken here to be the same.
FUNCTION_FAILED = HttpResponse(502, [("content-type", "text/plain")], b"Internal Server Error")
# Neither status nor text of these is documented: the request payload limit (6 MB) and a server going away.
TOO_LARGE = _error(413, "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
SHUTTING_DOWN = _error(503, "Service Unavailable")
BAD_REQUEST = _error(400, "Bad Request")


def _is_text(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower().startswith(TEXT_TYPES)


def _joined_headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Names lower-cased; a header sent more than once arrives once, its values joined by commas."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        name = name.lower()
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _cookies(pairs: list[tuple[str, str]]) -> list[str]:
    return [cookie.strip() for name, value in pairs if name.lower() == "cookie"
            for cookie in value.split(";") if cookie.strip()]


def _query_parameters(raw_query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def request_event(request: HttpRequest, request_id: str, url_id: str, region: str,
                  now: float | None = None) -> dict:
    """The event Lambda hands the function for `request`; keys with nothing to say are left out, as Lambda does."""
    now = time.time() if now is None else now
    path, _, raw_query = request.target.partition("?")
    pairs = [(name, value) for name, value in request.headers if name.lower() != "cookie"]
    headers = _joined_headers(pairs)
    domain = function_url_host(url_id, region)
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous", "apiId": url_id, "domainName": domain, "domainPrefix": url_id,
            "http": {"method": request.method, "path": path, "protocol": request.protocol,
                     "sourceIp": request.source_ip, "userAgent": headers.get("user-agent", "")},
            "requestId": request_id, "routeKey": "$default", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000)},
        "isBase64Encoded": False,
    }
    if cookies := _cookies(request.headers):
        event["cookies"] = cookies
    if raw_query:
        event["queryStringParameters"] = _query_parameters(raw_query)
    if request.body:
        text = _as_text(request.body) if _is_text(headers.get("content-type")) else None
        event["body"] = text if text is not None else base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = text is None
    return event


def _as_text(body: bytes) -> str | None:
    """The body as text, or None when its bytes are not UTF-8 (it is then sent base64, so nothing is lost)."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _inferred(answer: Any) -> HttpResponse:
    """An answer that is not a response object is the body of a 200: a string as it is, anything else as compact
    JSON (what real AWS was recorded sending; the documentation's example still shows a string quoted)."""
    body = answer.encode() if isinstance(answer, str) else _compact_json(answer)
    return HttpResponse(200, [("content-type", "application/json")], body)


def _or_empty(value: Any, empty: Any) -> Any:
    return empty if value is None else value


def http_response(answer: Any) -> HttpResponse:
    """The HTTP response the URL service makes from the function's answer (the JSON it returned)."""
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return _inferred(answer)
    given_headers, cookies = _or_empty(answer.get("headers"), {}), _or_empty(answer.get("cookies"), [])
    if not isinstance(given_headers, dict) or not isinstance(cookies, list):
        return FUNCTION_FAILED
    try:
        status = int(answer["statusCode"])
        headers = [(str(k).lower(), str(v)) for k, v in given_headers.items()]
        headers += [("set-cookie", str(cookie)) for cookie in cookies]
        body = answer.get("body")
        if body is None:
            raw = b""
        elif not isinstance(body, str):  # a body given as an object is sent as its JSON
            raw = _compact_json(body)
        else:
            raw = base64.b64decode(body, validate=True) if answer.get("isBase64Encoded") else body.encode()
    except (TypeError, ValueError, AttributeError):
        return FUNCTION_FAILED
    if not 100 <= status <= 599:
        return FUNCTION_FAILED
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/json"))
    return HttpResponse(status, headers, raw)


def service_headers(request_id: str) -> list[tuple[str, str]]:
    """Headers the URL service adds to every response."""
    return [("x-amzn-requestid", request_id), ("date", formatdate(usegmt=True))]
