"""The function on http://127.0.0.1:<port>, as its function URL serves it: each request becomes an event for an
environment of the pool, and the function's answer becomes the response."""

import json
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator

from local_lambda.environments import EnvironmentPool
from local_lambda.function_url import (BAD_REQUEST, FUNCTION_FAILED, MAX_REQUEST_BYTES, SHUTTING_DOWN, TOO_LARGE,
                                       HttpRequest, HttpResponse, http_response, request_event, service_headers)

LOCAL_URL_ID = "local"


class FunctionUrlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, pool: EnvironmentPool, region: str, report: Callable[[str], None]):
        self.pool, self.region, self.report = pool, region, report
        super().__init__(("127.0.0.1", port), _Endpoint)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up: routine
            super().handle_error(request, client_address)

    def answer(self, request: HttpRequest) -> tuple[HttpResponse, str]:
        """The response to `request` and a line saying how it was served."""
        request_id = str(uuid.uuid4())
        event = request_event(request, request_id, LOCAL_URL_ID, self.region)
        if len(json.dumps(event)) > MAX_REQUEST_BYTES:  # the limit is the event's: a base64 body grows by a third
            return self.with_ids(TOO_LARGE, request_id), "refused: event over 6 MB"
        started = time.perf_counter()
        try:
            with self.pool.environment() as (environment, cold):
                response, outcome = self._invoke(environment, event, request_id)
                served = f"environment {environment.number}, {'cold: started for it' if cold else 'warm'}"
        except RuntimeError as stopped:  # shutting down, or a container that would not start
            return self.with_ids(SHUTTING_DOWN, request_id), str(stopped)
        took = (time.perf_counter() - started) * 1000
        return self.with_ids(response, request_id), f"{response.status} in {took:.0f} ms ({served}{outcome})"

    def _invoke(self, environment, event: dict, request_id: str) -> tuple[HttpResponse, str]:
        try:
            invocation = environment.invoke(event, request_id)
        except TimeoutError:
            return FUNCTION_FAILED, f"; timed out after {environment.setup.timeout_seconds} s, environment stopped"
        if invocation.outcome != "response":
            return FUNCTION_FAILED, f"; {invocation.outcome}: {(invocation.payload or {}).get('errorType', '?')}"
        return http_response(invocation.payload), ""

    @staticmethod
    def with_ids(response: HttpResponse, request_id: str) -> HttpResponse:
        return HttpResponse(response.status, [*response.headers, *service_headers(request_id)], response.body)


class _Endpoint(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the URL service offers
    # Headers and body leave in two writes; with Nagle on, the second waits ~40 ms for the client's ACK.
    disable_nagle_algorithm = True
    server: FunctionUrlServer

    def log_message(self, *_args) -> None:
        pass  # the server reports each request its own way

    def _serve(self) -> None:
        try:
            body = self._body()
        except ValueError as unreadable:  # the rest of the connection cannot be read either
            self.close_connection = True
            self.server.report(f"{self.command} {self.path} -> 400: {unreadable}")
            return self._send(self.server.with_ids(BAD_REQUEST, str(uuid.uuid4())))
        request = HttpRequest(self.command, self.path, list(self.headers.items()), body, self.client_address[0],
                              self.request_version)
        response, how = self.server.answer(request)
        self.server.report(f"{self.command} {self.path} -> {how}")
        self._send(response)

    def _body(self) -> bytes:
        """The request's body, sized by Content-Length or sent in chunks; ValueError when neither reads."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._chunks()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError(f"Content-Length {length}")
        return self.rfile.read(length)

    def _chunks(self) -> bytes:
        # http.server leaves chunked bodies to its handlers; the framing is RFC 9112 section 7.1.
        body = bytearray()
        while size := int(self.rfile.readline().split(b";")[0].strip(), 16):  # a size line that is not hex: ValueError
            body += self.rfile.read(size)
            self.rfile.readline()  # the CRLF after each chunk
        while self.rfile.readline().strip():  # trailer fields, up to the empty line
            pass
        return bytes(body)

    def _send(self, response: HttpResponse) -> None:
        self.send_response_only(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


@contextmanager
def serving(pool: EnvironmentPool, port: int, region: str, report: Callable[[str], None]) -> Iterator[str]:
    """The function URL's address while the block runs; afterwards the server and every environment are stopped."""
    server = FunctionUrlServer(port, pool, region, report)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        pool.close()
