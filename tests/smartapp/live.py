"""The app served in-process on the sandbox stack's reserved app port (for integration tests)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from flask import Flask
from werkzeug.serving import make_server

from launch.keys import generate
from launch.tenant_model import DEFAULT_SCOPES
from sandbox.stack import Stack, app_environment
from smartapp import create_app
from smartapp.services import LaunchSession
from smartapp.web import current_launch

LAUNCHED = re.compile(r"/l/([A-Za-z0-9_-]{43})/$")


@dataclass
class LiveApp:
    """The running app, its base URL and the stack it talks to."""

    app: Flask
    url: str
    stack: Stack

    def launch_session(self, browser: requests.Session, launch_path: str) -> LaunchSession:
        """The checked launch a request from `browser` to `launch_path` would see."""
        cookie = browser.cookies.get("ff_session")
        with self.app.test_request_context(
            launch_path, base_url=self.url, headers={"Cookie": f"ff_session={cookie}"}
        ):
            self.app.preprocess_request()
            return current_launch()


@contextmanager
def serve_app(
    stack: Stack,
    data_dir: Path,
    *,
    more_frame_origins: tuple[str, ...] = (),
    more_scopes: tuple[str, ...] = (),
) -> Iterator[LiveApp]:
    """Build the app with the environment the sandbox gives it and serve it on `stack.app_url`;
    `more_scopes` are asked for by every tenant besides the default ones."""
    env = app_environment(data_dir, ehr_url=stack.ehr_url, app_url=stack.app_url)
    if more_scopes:
        tenants = Path(env["FUNCTIONFIRST_TENANTS"])
        scopes = " ".join((*DEFAULT_SCOPES, *more_scopes))
        text = tenants.read_text(encoding="utf-8")
        tenants.write_text(
            text.replace("standalone = true", f'standalone = true\nscopes = "{scopes}"'),
            encoding="utf-8",
        )
    if more_frame_origins:  # the EHR reached under another name (a cross-site frame)
        tenants = Path(env["FUNCTIONFIRST_TENANTS"])
        origins = ", ".join(f'"{o}"' for o in (stack.ehr_url, *more_frame_origins))
        text = tenants.read_text(encoding="utf-8")
        tenants.write_text(
            text.replace(
                f'frame_ancestors = ["{stack.ehr_url}"]', f"frame_ancestors = [{origins}]"
            ),
            encoding="utf-8",
        )
    generate(Path(env["FUNCTIONFIRST_KEYS"]), force=True)
    app = create_app({**env, "TESTING": "1"})
    port = urlsplit(stack.app_url).port
    assert port is not None
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveApp(app=app, url=stack.app_url, stack=stack)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["functionfirst"].store.close()


@contextmanager
def gunicorn(
    env: dict[str, str], *, bind: str, log_path: Path, args: tuple[str, ...], wait: float = 90
) -> Iterator[str]:
    """The app under gunicorn (the README's production command); yields its base URL when ready."""
    base = f"http://{bind}"
    command = [str(Path(sys.executable).parent / "gunicorn"), *args, f"--bind={bind}"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "smartapp:create_app()"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass  # the workers are still starting
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)
