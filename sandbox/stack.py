"""A whole sandbox stack for tests and the command: FHIR backend, EHR, and optionally the app.

Ports: with `port=P` the app is P, the EHR P+1 and the backend P+2; with `port=0` each part takes
a free port.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from sandbox.app_process import (
    StackError,
    app_environment,
    start_app,
    wait_answering,
    wait_healthy,
)
from sandbox.backends import Backend, free_port, start_backend
from sandbox.backends.process import stop_process_group
from sandbox.ehr import EhrConfig, Listing, create_ehr_app, default_clients
from sandbox.ehr.clock import OffsetClock
from sandbox.ehr.config import client_secret_from
from sandbox.seeder import Seeder
from sandbox.serve import ThreadedServer

__all__ = ["Stack", "StackError", "app_environment", "smartapp_command", "start_stack"]


@dataclass(kw_only=True)
class Stack:
    """A running stack; `stop()` (or leaving the `with` block) ends every part."""

    backend: Backend
    ehr: ThreadedServer
    app_url: str
    data_dir: Path
    app_process: subprocess.Popen[bytes] | None = None
    client_secret: str = ""
    patients: tuple[Listing, ...] = ()
    practitioners: tuple[Listing, ...] = ()
    app_env: Mapping[str, str] = field(default_factory=dict)
    ehr_clock: OffsetClock = field(default_factory=OffsetClock)

    @property
    def backend_url(self) -> str:
        """The backend's own FHIR base (no token needed)."""
        return self.backend.base_url

    @property
    def ehr_url(self) -> str:
        """The EHR origin, e.g. http://127.0.0.1:8001."""
        return self.ehr.url

    @property
    def launcher_url(self) -> str:
        """The launcher page."""
        return f"{self.ehr.url}/launcher"

    def iss(self, profile: str = "open") -> str:
        """The FHIR base (launch `iss`) of a vendor site."""
        return f"{self.ehr.url}/{profile}/fhir"

    def stop(self) -> None:
        """Stop the app, the EHR and the backend, in that order."""
        if self.app_process is not None:
            stop_process_group(self.app_process)
            self.app_process = None
        self.ehr.stop()
        self.backend.stop()

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def smartapp_command(port: int) -> tuple[str, ...]:
    """The app's serve command on 127.0.0.1:port."""
    return (sys.executable, "-m", "smartapp", "serve", "--host", "127.0.0.1", "--port", str(port))


def start_stack(
    *,
    backend: str = "sekmet",
    data_dir: Path,
    seed: int | None = 1,
    app_cmd: Sequence[str] | None = None,
    port: int = 0,
    now: datetime | None = None,
    ehr_overrides: Mapping[str, object] | None = None,
) -> Stack:
    """Start backend, EHR (in this process) and, when `app_cmd` is given, the app; seed patients.

    `seed=None` loads no patients; nothing they record lies after `now` (default: the EHR clock's
    now, at start). `app_cmd` is an argv; the app gets its environment from `app_environment`.
    Without it, `app_url` is a reserved free port for an in-process app.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    app_port = port or free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    ehr_server = ThreadedServer(port + 1 if port else 0)
    clock = OffsetClock()
    seeder = None
    if seed is not None:
        seeded_at = now or datetime.fromtimestamp(clock(), UTC)
        seeder = Seeder(seed=seed, now=seeded_at, backend=backend, data_dir=data_dir)
    try:
        fhir = start_backend(backend, port=port + 2 if port else 0, data_dir=data_dir)
    except BaseException:
        ehr_server.stop()
        if seeder is not None:
            seeder.close()
        raise
    stack = Stack(
        backend=fhir, ehr=ehr_server, app_url=app_url, data_dir=data_dir, ehr_clock=clock
    )
    stack.client_secret = client_secret_from(os.environ)
    try:
        if app_cmd is not None:
            # The app starts while the patients load: it needs the EHR's URL, not its data.
            stack.app_env = app_environment(data_dir, ehr_url=ehr_server.url, app_url=app_url)
            stack.app_process = start_app(app_cmd, stack.app_env, data_dir)
        if seeder is not None:
            stack.patients, stack.practitioners = seeder.load(fhir.base_url)
        config = EhrConfig(
            public_url=ehr_server.url,
            backend_url=fhir.base_url,
            clients=default_clients(app_url, secret=stack.client_secret),
            patients=stack.patients,
            practitioners=stack.practitioners,
            default_launch_uri=f"{app_url}/launch",
            clock=stack.ehr_clock,
        )
        config = replace(config, **dict(ehr_overrides or {}))  # type: ignore[arg-type]
        ehr_server.start(create_ehr_app(config))
        wait_answering(f"{ehr_server.url}/healthz")
        if stack.app_process is not None:
            wait_healthy(f"{app_url}/healthz", stack.app_process, data_dir / "app.log")
    except BaseException:
        if seeder is not None:
            seeder.close()
        stack.stop()
        raise
    return stack
