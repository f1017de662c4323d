"""A whole sandbox stack for tests and the command: FHIR backend, EHR, and optionally the app.

Ports: with `port=P` the app is P, the EHR P+1 and the backend P+2; with `port=0` each part takes
a free port.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import TracebackType

import requests

from sandbox.backends import Backend, free_port, start_backend
from sandbox.ehr import EhrConfig, Listing, create_ehr_app, default_clients
from sandbox.ehr.clock import OffsetClock
from sandbox.ehr.config import client_secret_from
from sandbox.serve import ThreadedServer
from sandbox.tenants import SECRET_ENV, write_tenants

APP_START_TIMEOUT = 60.0


class StackError(RuntimeError):
    """A part of the stack did not start; the message is one line."""


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

    def pids(self) -> tuple[int, ...]:
        """Process ids of the parts that run as their own processes."""
        pids = [self.backend.pid]
        if self.app_process is not None:
            pids.append(self.app_process.pid)
        return tuple(pids)

    def stop(self) -> None:
        """Stop the app, the EHR and the backend, in that order."""
        if self.app_process is not None:
            _end(self.app_process)
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
    today: date | None = None,
    ehr_overrides: Mapping[str, object] | None = None,
) -> Stack:
    """Start backend, EHR (in this process) and, when `app_cmd` is given, the app; seed patients.

    `seed=None` loads no patients. `app_cmd` is an argv; the app gets its environment from
    `app_environment`. Without it, `app_url` is a reserved free port for an in-process app.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    app_port = port or free_port()
    ehr_server = ThreadedServer(port + 1 if port else 0)
    try:
        fhir = start_backend(backend, port=port + 2 if port else 0, data_dir=data_dir)
    except BaseException:
        ehr_server.stop()
        raise
    app_url = f"http://127.0.0.1:{app_port}"
    secret = client_secret_from(os.environ)
    stack = Stack(backend=fhir, ehr=ehr_server, app_url=app_url, data_dir=data_dir)
    stack.client_secret = secret
    try:
        if seed is not None:
            stack.patients, stack.practitioners = _seed(
                fhir.base_url, seed, today or date.today(), heavy=backend == "sekmet"
            )
        config = EhrConfig(
            public_url=ehr_server.url,
            backend_url=fhir.base_url,
            clients=default_clients(app_url, secret=secret),
            patients=stack.patients,
            practitioners=stack.practitioners,
            default_launch_uri=f"{app_url}/launch",
            clock=stack.ehr_clock,
        )
        config = replace(config, **dict(ehr_overrides or {}))  # type: ignore[arg-type]
        ehr_server.start(create_ehr_app(config))
        if app_cmd is not None:
            stack.app_env = app_environment(data_dir, ehr_url=ehr_server.url, app_url=app_url)
            stack.app_process = _start_app(app_cmd, stack.app_env, data_dir)
            wait_healthy(f"{app_url}/healthz", stack.app_process, data_dir / "app.log")
    except BaseException:
        stack.stop()
        raise
    return stack


def _seed(
    base_url: str, seed: int, today: date, *, heavy: bool
) -> tuple[tuple[Listing, ...], tuple[Listing, ...]]:
    from sandbox import patients as seed_data

    people = seed_data.build_patients(seed, today)
    staff = seed_data.build_practitioners()
    seed_data.seed(base_url, people, staff, today=today, include_opt_in=heavy)
    listed = tuple(
        Listing(id=p.id, name=p.name, kind=p.kind, description=p.description) for p in people
    )
    roles = tuple(Listing(id=p.id, name=p.name, kind=p.role, description=p.role) for p in staff)
    return listed, roles


def app_environment(data_dir: Path, *, ehr_url: str, app_url: str) -> dict[str, str]:
    """The app's environment: tenants file, base URL, secret key, database, keys, dev mode."""
    secret_file = data_dir / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        secret_file.chmod(0o600)
    tenants = write_tenants(data_dir / "tenants.toml", ehr_url=ehr_url)
    env = dict(os.environ)
    env.update(
        {
            "FUNCTIONFIRST_TENANTS": str(tenants),
            "FUNCTIONFIRST_BASE_URL": app_url,
            "FUNCTIONFIRST_SECRET_KEY": secret_file.read_text(encoding="utf-8").strip(),
            "FUNCTIONFIRST_DATABASE_URL": f"sqlite:///{data_dir / 'functionfirst.db'}",
            "FUNCTIONFIRST_KEYS": str(data_dir / "keys.json"),
            "FUNCTIONFIRST_DEV": "1",
            SECRET_ENV: client_secret_from(os.environ),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _start_app(
    argv: Sequence[str], env: Mapping[str, str], data_dir: Path
) -> subprocess.Popen[bytes]:
    keys = Path(env["FUNCTIONFIRST_KEYS"])
    if not keys.exists():
        made = subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "smartapp", "keys", "generate", "--path", str(keys)],
            env=dict(env),
            capture_output=True,
            timeout=60,
            check=False,
        )
        if made.returncode != 0:
            detail = (made.stderr or made.stdout).decode(errors="replace").strip().splitlines()
            raise StackError(f"could not generate the app's keys: {detail[-1] if detail else ''}")
    log = (data_dir / "app.log").open("ab")
    try:
        return subprocess.Popen(  # noqa: S603 - argv from the caller, no shell
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until `url` answers 200, or fail with the process's last log line."""
    deadline = time.monotonic() + APP_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"the app exited at start: {_last_line(log)}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise StackError(f"the app did not answer {url} in {APP_START_TIMEOUT:.0f} s")


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text("utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1].strip() if lines else "no output"


def _end(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL after ten seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass
