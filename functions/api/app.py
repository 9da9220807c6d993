"""The `api` function: answers Lambda Function URL requests (payload format 2.0).

Standard library only: measured against AWS Lambda Powertools (bench/function_image.py), it
starts faster and adds nothing to the image, and three routes need no framework.
"""

import base64
import binascii
import json
import logging
import os
import sys
import time
from datetime import datetime, timezone
from typing import Any, Callable

ENVIRONMENT = os.environ.get("ENVIRONMENT", "unknown")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
_JSON_HEADERS = {"content-type": "application/json"}
# Lambda filters JSON logs by their "level" field and knows TRACE, DEBUG, INFO, WARN, ERROR and FATAL
# only: a line with Python's WARNING or CRITICAL would not be kept by its level filter.
_LAMBDA_LEVELS = {"WARNING": "WARN", "CRITICAL": "FATAL"}


class _JsonLines(logging.Formatter):
    """One JSON object per line, so CloudWatch Logs Insights can query every field."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
                 "level": _LAMBDA_LEVELS.get(record.levelname, record.levelname),
                 "message": record.getMessage(), "logger": record.name,
                 **getattr(record, "fields", {})}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _logger() -> logging.Logger:
    stream = logging.StreamHandler(sys.stdout)
    stream.setFormatter(_JsonLines())
    log = logging.getLogger("api")
    log.handlers[:] = [stream]
    log.setLevel(LOG_LEVEL if LOG_LEVEL in ("DEBUG", "INFO", "WARN", "WARNING", "ERROR") else "INFO")
    log.propagate = False  # the runtime client's own root handler would print each line twice
    return log


log = _logger()
_cold = True  # true only for the first invocation of this execution environment
# Lambda sets it: "on-demand" when a request waited for this environment's init, "provisioned-concurrency"
# when the init ran ahead of any request.
_INITIALIZATION_TYPE = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")


def _process_age_ms() -> float | None:
    """Milliseconds since this process started (the runtime's start, so interpreter, runtime client and this
    module's import all count), from the kernel's start time: 10 ms resolution, and nothing to keep running."""
    try:
        # open(), not pathlib: importing pathlib (and what it imports) costs a cold start ~3.6 ms.
        with open("/proc/self/stat") as stat:
            fields_after_name = stat.read().rsplit(")", 1)[1].split()
        started_ticks = int(fields_after_name[19])  # field 22 of proc(5), starttime, in clock ticks since boot
    except (OSError, IndexError, ValueError):
        return None
    return (time.clock_gettime(time.CLOCK_BOOTTIME) - started_ticks / os.sysconf("SC_CLK_TCK")) * 1000


def server_timing(handler_ms: float, init_ms: float | None) -> str:
    """The Server-Timing header (a W3C standard that browsers' developer tools show): the handler's time, and on
    an environment's first response its init time and type. Callers tell a cold start from it; it names no
    internals."""
    metrics = [f"handler;dur={handler_ms:.1f}"]
    if init_ms is not None:
        metrics.insert(0, f'init;dur={init_ms:.0f};desc="{_INITIALIZATION_TYPE}"')
    return ", ".join(metrics)


class BadRequest(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}


def _respond(status: int, body: dict, headers: dict[str, str] | None = None) -> dict:
    return {"statusCode": status, "headers": {**_JSON_HEADERS, **(headers or {})}, "body": json.dumps(body)}


def _body(event: dict) -> Any:
    """The request's JSON body, or None when there is none."""
    raw = event.get("body")
    if not raw:
        return None
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(400, "body is marked base64 but does not decode") from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise BadRequest(400, f"body is not valid JSON: {error.msg} at position {error.pos}") from None


def root(event: dict, context: Any) -> dict:
    answer = {"message": "hello from lambdakit", "method": event["requestContext"]["http"]["method"],
              "path": event["rawPath"], "timestamp": datetime.now(timezone.utc).isoformat()}
    if answer["method"] == "POST":
        answer["echo"] = _body(event)
    return answer


def health(event: dict, context: Any) -> dict:
    return {"status": "healthy", "environment": ENVIRONMENT, "timestamp": datetime.now(timezone.utc).isoformat()}


def info(event: dict, context: Any) -> dict:
    return {"functionName": context.function_name, "functionVersion": context.function_version,
            "memoryLimitMb": int(context.memory_limit_in_mb), "environment": ENVIRONMENT,
            "logLevel": LOG_LEVEL, "requestId": context.aws_request_id}


ROUTES: dict[str, dict[str, Callable[[dict, Any], dict]]] = {
    "/": {"GET": root, "POST": root},
    "/health": {"GET": health},
    "/info": {"GET": info},
}


def _is_function_url_event(event: Any) -> bool:
    """Payload format 2.0, with the fields routing reads present and of the right type."""
    if not isinstance(event, dict) or event.get("version") != "2.0" or not isinstance(event.get("rawPath"), str):
        return False
    request = event.get("requestContext")
    http = request.get("http") if isinstance(request, dict) else None
    return isinstance(http, dict) and isinstance(http.get("method"), str)


def _route(event: dict, context: Any) -> dict:
    methods = ROUTES.get(event["rawPath"])
    if methods is None:
        raise BadRequest(404, f"no route for {event['rawPath']}")
    method = event["requestContext"]["http"]["method"]
    if method not in methods:
        raise BadRequest(405, f"{method} is not allowed on {event['rawPath']}", {"allow": ", ".join(methods)})
    return _respond(200, methods[method](event, context))


def handler(event: Any, context: Any) -> dict:
    global _cold
    started, cold, _cold = time.perf_counter(), _cold, False
    response = _answer(event, context, {"requestId": context.aws_request_id, "coldStart": cold}, started)
    handler_ms = (time.perf_counter() - started) * 1000
    response["headers"]["server-timing"] = server_timing(handler_ms, INIT_MS if cold else None)
    return response


def _answer(event: Any, context: Any, fields: dict, started: float) -> dict:
    if not _is_function_url_event(event):
        keys = sorted(event)[:5] if isinstance(event, dict) else type(event).__name__
        log.error("not a Lambda Function URL event", extra={"fields": {**fields, "eventKeys": keys}})
        return _respond(400, {"error": "expected a Lambda Function URL request (payload format 2.0)",
                              "requestId": context.aws_request_id})
    try:
        response = _route(event, context)
    except BadRequest as refused:
        response = _respond(refused.status, {"error": str(refused), "requestId": context.aws_request_id},
                            refused.headers)
    except Exception:  # a bug: logged in full, answered without internals
        log.exception("unhandled error", extra={"fields": fields})
        response = _respond(500, {"error": "internal error", "requestId": context.aws_request_id})
    log.info("request", extra={"fields": {
        **fields, "method": event["requestContext"]["http"]["method"], "path": event["rawPath"],
        "status": response["statusCode"], "durationMs": round((time.perf_counter() - started) * 1000, 3)}})
    return response


# Last, so the whole module's import counts; None where /proc is not there to ask.
INIT_MS = _process_age_ms()
