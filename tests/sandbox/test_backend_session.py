"""The EHR's HTTP to the FHIR backend opens a connection per request and closes it.

A pooled keep-alive connection that the backend closes for idleness just as the proxy reuses it
ends in "Connection reset by peer" (CI saw it with Medplum's Node server under load).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sandbox.ehr.runtime import BackendHttp


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """A server that keeps every connection open, whatever the client asks for."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[int, str | None]]

    def log_message(self, *_args: object) -> None:
        return

    def do_GET(self) -> None:
        self.seen.append((self.client_address[1], self.headers.get("Connection")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
        # Ignore the client's `Connection: close` and do not say `close` back: the client alone
        # decides whether this connection is used again.
        self.close_connection = False


@pytest.fixture
def keep_alive_server() -> Iterator[tuple[str, list[tuple[int, str | None]]]]:
    seen: list[tuple[int, str | None]] = []
    handler = type("Handler", (_KeepAliveHandler,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fhir/metadata", seen
    finally:
        server.shutdown()
        server.server_close()


def test_every_backend_request_uses_a_connection_of_its_own(
    keep_alive_server: tuple[str, list[tuple[int, str | None]]],
) -> None:
    url, seen = keep_alive_server
    http = BackendHttp()
    for _ in range(3):
        answer = http.request("GET", url, timeout=10)
        assert (answer.status_code, answer.content) == (200, b"{}")
    assert [header for _, header in seen] == ["close"] * 3
    assert len({port for port, _ in seen}) == 3  # no connection was reused


def test_a_shared_pooled_session_would_reuse_the_connection(
    keep_alive_server: tuple[str, list[tuple[int, str | None]]],
) -> None:
    """The server above does reuse a connection when the client lets it: the check has teeth."""
    import requests

    url, seen = keep_alive_server
    with requests.Session() as session:
        session.headers["Connection"] = "close"
        for _ in range(3):
            assert session.get(url, timeout=10).status_code == 200
    assert len({port for port, _ in seen}) == 1
