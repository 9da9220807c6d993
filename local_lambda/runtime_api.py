"""A local Lambda Runtime API, so a function runs through its real entrypoint (the runtime interface
client) with no AWS: it hands out events on `next` and collects what comes back.

Written by hand: AWS's own emulator is a binary from a host these machines cannot reach, and the
API is four small documented endpoints (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
"""

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Optional

_PREFIX = "/2018-06-01/runtime"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A runtime stopped while it waits on `next` resets its connection: routine, not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class Invocation:
    request_id: str
    outcome: str  # "response", "error" (the function failed) or "init-error"
    payload: Any
    seconds: float  # from handing the event out to receiving the answer


class LambdaRuntimeApi:
    """Serve on 127.0.0.1; `invoke` blocks until the runtime answers the event."""

    def __init__(self, function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:local",
                 deadline_seconds: float = 30.0):
        self.function_arn, self.deadline_seconds = function_arn, deadline_seconds
        self._events: "queue.Queue[tuple[str, bytes]]" = queue.Queue()
        self._answers: dict[str, "queue.Queue[tuple[str, Any]]"] = {}
        self._handed_out: dict[str, float] = {}
        self.init_error: Optional[Any] = None
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self.address = f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "LambdaRuntimeApi":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def invoke(self, event: Any, timeout: float = 30.0, request_id: Optional[str] = None) -> Invocation:
        """The runtime's answer to `event`, invoked as `request_id` (a new one when None)."""
        request_id, invoked = request_id or str(uuid.uuid4()), time.perf_counter()
        answer: "queue.Queue[tuple[str, Any]]" = queue.Queue()
        self._answers[request_id] = answer
        if self.init_error is not None:  # the runtime failed before asking for any event
            return Invocation(request_id, "init-error", self.init_error, 0.0)
        self._events.put((request_id, json.dumps(event).encode()))
        try:
            outcome, payload = answer.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"the runtime did not answer {request_id} within {timeout} s") from None
        return Invocation(request_id, outcome, payload, time.perf_counter() - self._handed_out.pop(request_id, invoked))

    def _answer(self, request_id: str, outcome: str, body: bytes) -> None:
        payload = json.loads(body) if body else None
        if request_id in self._answers:
            self._answers.pop(request_id).put((outcome, payload))

    def _fail_everything(self, body: bytes) -> None:
        self.init_error = json.loads(body) if body else {}
        for request_id in list(self._answers):
            self._answer(request_id, "init-error", body)

    def _handler_class(self) -> type:
        api = self

        class Endpoint(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # the client keeps its connection open between calls
            # Headers and body leave in two writes; with Nagle on, the second waits ~40 ms for an ACK.
            disable_nagle_algorithm = True

            def log_message(self, *_args) -> None:
                pass

            def _reply(self, status: int, body: bytes = b"", headers: Optional[dict] = None) -> None:
                self.send_response(status)
                # The runtime interface client waits forever on an answer without Content-Type.
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path != f"{_PREFIX}/invocation/next":
                    return self._reply(404, b'{"errorType": "NotFound"}')
                request_id, event = api._events.get()
                api._handed_out[request_id] = time.perf_counter()
                deadline_ms = int((time.time() + api.deadline_seconds) * 1000)
                self._reply(200, event, {
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path[len(_PREFIX):].strip("/").split("/")
                if parts == ["init", "error"]:
                    api._fail_everything(body)
                elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    api._answer(parts[1], parts[2], body)
                else:
                    return self._reply(404, b'{"errorType": "NotFound"}')
                self._reply(202, b'{"status": "OK"}')

        return Endpoint


@contextlib.contextmanager
def runtime_client(api: LambdaRuntimeApi, handler_dir: Path, handler: str,
                   environment: dict[str, str]) -> Iterator[subprocess.Popen]:
    """`python -m awslambdaric <handler>` on this host, as the image's entrypoint runs it, served by `api`."""
    process = subprocess.Popen([sys.executable, "-m", "awslambdaric", handler], cwd=handler_dir,
                               env={**os.environ, **environment, "AWS_LAMBDA_RUNTIME_API": api.address},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.kill()
        process.wait()
