"""The EHR's session to the FHIR backend opens a connection per request.

A pooled keep-alive connection that the backend closes for idleness just as the proxy reuses it
ends in "Connection reset by peer" (CI saw it with Medplum's Node server under load).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sandbox.ehr import backend_session


def test_every_backend_request_uses_a_connection_of_its_own() -> None:
    seen: list[tuple[int, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive unless the client says otherwise

        def log_message(self, *_args: object) -> None:
            return

        def do_GET(self) -> None:
            seen.append((self.client_address[1], self.headers.get("Connection")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        session = backend_session()
        url = f"http://127.0.0.1:{server.server_address[1]}/fhir/metadata"
        for _ in range(3):
            assert session.get(url, timeout=10).status_code == 200
    finally:
        server.shutdown()
        server.server_close()
    assert [header for _, header in seen] == ["close"] * 3
    assert len({port for port, _ in seen}) == 3  # no connection was reused
