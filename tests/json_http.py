"""What the tests' loopback stand-ins for AWS's JSON endpoints share: read the request's JSON body, answer JSON, and
log nothing to the test's output."""

import json
from http.server import BaseHTTPRequestHandler
from typing import Any


class JsonEndpoint(BaseHTTPRequestHandler):
    def log_message(self, *_args) -> None:
        pass

    def json_body(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def answer(self, status: int, payload: Any, content_type: str = "application/json", **headers: str) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
