"""Serve a WSGI app on 127.0.0.1 from a background thread (the EHR runs in-process)."""

from __future__ import annotations

import threading
from types import TracebackType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """No access log: request lines carry launch, code and state values (smart.md 70)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Nothing is logged per request."""


class PortInUseError(OSError):
    """The port is taken; the message says which."""


class ThreadedServer:
    """A threaded werkzeug server bound before the app exists, so the app can know its URL."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        placeholder = Flask("placeholder")
        try:
            self._server: BaseWSGIServer = make_server(
                host, port, placeholder, threaded=True, request_handler=QuietHandler
            )
        except OSError as error:
            raise PortInUseError(f"port {port} on {host} is in use ({error.strerror})") from error
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    def start(self, app: Flask) -> None:
        """Serve `app` until stop()."""
        self._server.app = app
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"ehr-{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ThreadedServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
