"""A forwarding HTTP proxy in front of a real FHIR server, for faults the server cannot make.

Subclasses change a request on its way in (`rewrite`) or drop the answer after the server has
acted on the request (`drop_answer`): both need the request to reach the real server.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests

_HOP_BY_HOP_IN = ("host", "content-length", "connection")
_HOP_BY_HOP_OUT = ("content-length", "transfer-encoding", "connection", "content-encoding")


class ForwardingProxy:
    """Forward GET/POST/PUT to `target`'s origin; `url` is the proxy's address with its path."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target.rstrip("/"))
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if body:
                    body = proxy.rewrite(self.command, body)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP_IN
                }
                answer = requests.request(
                    self.command,
                    proxy.origin + self.path,
                    data=body,
                    headers=headers,
                    timeout=30,
                    allow_redirects=False,
                )
                if proxy.drop_answer(self.command):
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in _HOP_BY_HOP_OUT:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{parts.path}"

    def rewrite(self, method: str, body: bytes) -> bytes:
        """The body to send on (unchanged here)."""
        del method
        return body

    def drop_answer(self, method: str) -> bool:
        """True to cut the connection instead of answering (after the server acted)."""
        del method
        return False

    def close(self) -> None:
        """Stop the proxy."""
        self.server.shutdown()
        self.server.server_close()
