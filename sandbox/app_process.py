"""The app as a subprocess of the sandbox: its environment, start and health wait."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import requests

from sandbox.ehr.config import client_secret_from
from sandbox.tenants import SECRET_ENV, write_tenants

APP_START_TIMEOUT = 60.0


class StackError(RuntimeError):
    """A part of the stack did not start; the message is one line."""


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


def start_app(
    argv: Sequence[str], env: Mapping[str, str], data_dir: Path
) -> subprocess.Popen[bytes]:
    """Start the app (its key file generated first when absent); output goes to app.log."""
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
        if _answers(url):
            return
        time.sleep(0.1)
    raise StackError(f"the app did not answer {url} in {APP_START_TIMEOUT:.0f} s")


def wait_answering(url: str, timeout: float = 10.0) -> None:
    """Wait until an in-process server answers `url` with 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(url):
            return
        time.sleep(0.05)
    raise StackError(f"{url} did not answer in {timeout:.0f} s")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text("utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1].strip() if lines else "no output"
