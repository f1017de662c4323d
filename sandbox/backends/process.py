"""Start a FHIR backend as a subprocess, wait until it answers, stop its whole process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import TracebackType

import requests

from sandbox.backends.commands import BackendError, LaunchSpec, medplum_launch, sekmet_launch

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.1


# Medplum's router refuses a transaction with more than 50 update entries; sekmet has no limit,
# and larger bundles seed it about twice as fast.
TRANSACTION_LIMITS = {"sekmet": 500, "medplum": 50}


class BackendKind(Enum):
    """The FHIR servers the sandbox can run."""

    SEKMET = "sekmet"
    MEDPLUM = "medplum"


@dataclass(frozen=True, slots=True, kw_only=True)
class Backend:
    """A running FHIR backend; `stop()` (or leaving the `with` block) ends its process group."""

    kind: str
    port: int
    base_url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def transaction_limit(self) -> int:
        """Entries per transaction Bundle this server takes (Medplum refuses over 50 updates)."""
        return TRANSACTION_LIMITS[self.kind]

    def stop(self) -> None:
        """Terminate the process group (SIGTERM, then SIGKILL after a grace period)."""
        stop_process_group(self.process)

    def __enter__(self) -> Backend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group of `process`, SIGKILL after a grace period."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise BackendError(f"port {port} on 127.0.0.1 is in use; choose another") from exc


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text("utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


def _metadata_answers(base_url: str) -> bool:
    try:
        response = requests.get(
            f"{base_url}/metadata", headers={"Accept": "application/fhir+json"}, timeout=2
        )
    except requests.RequestException:
        return False
    return response.status_code == 200


def _launch_spec(kind: BackendKind, *, port: int, data_dir: Path) -> LaunchSpec:
    if kind is BackendKind.SEKMET:
        return sekmet_launch(port=port, data_dir=data_dir)
    return medplum_launch(port=port, data_dir=data_dir)


def start_backend(
    kind: str | BackendKind,
    *,
    port: int,
    data_dir: Path,
    timeout_s: float = START_TIMEOUT_S,
) -> Backend:
    """Start `kind` on 127.0.0.1:port (0 picks a free port) and wait until /metadata answers."""
    try:
        backend_kind = BackendKind(kind)
    except ValueError as exc:
        choices = ", ".join(k.value for k in BackendKind)
        raise BackendError(f"unknown FHIR backend {kind!r}; choose one of {choices}") from exc
    if port == 0:
        port = free_port()
    else:
        _check_port_free(port)
    data_dir = Path(data_dir).resolve()
    spec = _launch_spec(backend_kind, port=port, data_dir=data_dir)
    log_path = data_dir / f"{backend_kind.value}.log"
    base_url = f"http://127.0.0.1:{port}/fhir"
    # The child keeps its own copy of the log descriptor; ours closes when the block ends.
    with log_path.open("ab") as log:
        try:
            process = subprocess.Popen(  # noqa: S603 (fixed argv built above, no shell)
                spec.argv,
                cwd=spec.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() ends every child
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        except OSError as exc:
            raise BackendError(f"{backend_kind.value} FHIR backend could not start: {exc}") from exc
    try:
        _wait_until_ready(backend_kind.value, process, base_url, log_path, timeout_s=timeout_s)
    except BaseException:
        stop_process_group(process)
        raise
    return Backend(
        kind=backend_kind.value,
        port=port,
        base_url=base_url,
        data_dir=data_dir,
        log_path=log_path,
        process=process,
    )


def _wait_until_ready(
    kind: str,
    process: subprocess.Popen[bytes],
    base_url: str,
    log_path: Path,
    *,
    timeout_s: float,
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = _last_line(log_path) or f"exit status {process.returncode}"
            raise BackendError(f"{kind} FHIR backend exited at start: {detail}")
        if _metadata_answers(base_url):
            return
        time.sleep(POLL_INTERVAL_S)
    raise BackendError(
        f"{kind} FHIR backend did not answer {base_url}/metadata"
        f" in {timeout_s:.0f} s (log: {log_path})"
    )
