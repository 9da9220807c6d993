"""A local HTTP server that plays a deployed function URL for `validate`: each answer (status, delay, Server-Timing)
is chosen per request, and with AWS_IAM auth every request's SigV4 signature is checked the way the service checks
it: the canonical request is rebuilt from what arrived and signed again with botocore, with the caller's secret."""

import hashlib
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# What a function URL answers a request it does not let in (recorded from AWS, 2025).
FORBIDDEN = {"Message": "Forbidden. For troubleshooting Function URL authorization issues, see: "
                        "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay_seconds: float = 0.0
    server_timing: Optional[str] = "handler;dur=0.4"
    body: dict = field(default_factory=lambda: {"status": "healthy"})


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    canonical_request: str = ""
    signature_matched: Optional[bool] = None


class FakeFunctionUrl(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: Callable[[int], Answer] = lambda index: Answer(),
                 credentials: Optional[Credentials] = None, region: str = "eu-west-1",
                 tls: Optional[ssl.SSLContext] = None):
        """`answer(n)` answers the n-th request (from 0); `credentials`: check signatures (AWS_IAM) with these."""
        self.answer, self.credentials, self.region = answer, credentials, region
        self.received: list[Received] = []
        self.in_flight = self.most_in_flight = 0  # requests being answered at once
        self._counting = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "FakeFunctionUrl":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request, client_address) -> None:
        pass  # a client that fails the TLS handshake: what the TLS test wants

    def record(self, received: Received) -> int:
        with self._counting:
            self.received.append(received)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            return len(self.received) - 1

    def answered(self) -> None:
        with self._counting:
            self.in_flight -= 1

    def verify(self, received: Received) -> bool:
        """Rebuild the canonical request from the signed headers as they arrived, sign it with botocore, compare."""
        authorization = received.headers.get("authorization", "")
        if not authorization.startswith("AWS4-HMAC-SHA256 "):
            return False
        fields = dict(part.strip().split("=", 1) for part in authorization[len("AWS4-HMAC-SHA256 "):].split(","))
        signed = fields["SignedHeaders"].split(";")
        request = AWSRequest(method=received.method, url=f"http://{received.headers['host']}{received.path}",
                             headers={name: received.headers[name] for name in signed if name in received.headers},
                             data=received.body)
        request.context["timestamp"] = received.headers.get("x-amz-date", "")
        signer = SigV4Auth(self.credentials, "lambda", self.region)
        received.canonical_request = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, received.canonical_request), request)
        scope = f"{self.credentials.access_key}/{request.context['timestamp'][:8]}/{self.region}/lambda/aws4_request"
        return fields["Credential"] == scope and fields["Signature"] == expected


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FakeFunctionUrl

    def log_message(self, *_args) -> None:
        pass

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        received = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        index = self.server.record(received)
        if self.server.credentials is not None:
            received.signature_matched = self.server.verify(received)
            if not received.signature_matched:
                self.server.answered()
                return self._reply(403, FORBIDDEN, None, {"x-amzn-ErrorType": "AccessDeniedException"})
        answer = self.server.answer(index)
        time.sleep(answer.delay_seconds)
        self.server.answered()
        self._reply(answer.status, answer.body, answer.server_timing)

    def _reply(self, status: int, body: dict, server_timing: Optional[str], extra: Optional[dict] = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        if server_timing is not None:
            self.send_header("server-timing", server_timing)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
