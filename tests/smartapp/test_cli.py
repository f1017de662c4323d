"""The command line: `functionfirst serve` and `functionfirst keys` (python -m smartapp)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from smartapp.cli import main

from .conftest import POSTGRES_URL, SECRET, drop_schema
from .fake_ehr import write_tenants
from .live import gunicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_keys_generate_and_rotate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # smart.md 30, 68
    path = tmp_path / "keys.json"
    assert main(["keys", "generate", "--path", str(path)]) == 0
    first = json.loads(path.read_text(encoding="utf-8"))
    assert main(["keys", "rotate", f"--path={path}"]) == 0
    out = capsys.readouterr().out
    assert "RS384" in out
    assert "ES384" in out
    assert "retired" in out
    assert path.read_text(encoding="utf-8") != json.dumps(first)


def test_usage_without_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "serve" in capsys.readouterr().err


def test_serve_stops_on_a_missing_setting_and_names_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNCTIONFIRST_")}
    done = subprocess.run(
        [sys.executable, "-m", "smartapp", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "FUNCTIONFIRST_TENANTS" in done.stderr


def test_serve_answers_and_logs_json_without_query_strings(tmp_path: Path) -> None:
    # smart.md 70
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FUNCTIONFIRST_")},
        "FUNCTIONFIRST_TENANTS": str(write_tenants(tmp_path)),
        "FUNCTIONFIRST_BASE_URL": f"http://127.0.0.1:{port}",
        "FUNCTIONFIRST_DEV": "1",
        "FUNCTIONFIRST_SECRET_KEY": SECRET,
        "FUNCTIONFIRST_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "OTHER_SECRET": "x",
    }
    log = (tmp_path / "serve.log").open("wb")
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "smartapp", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    except OSError:  # no process to own the log: close it here
        log.close()
        raise
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.1)
        assert requests.get(f"{base}/readyz", timeout=5).status_code == 200
        answer = requests.get(f"{base}/callback?code=SECRETCODE1&state=SECRETSTATE1", timeout=5)
        assert answer.status_code == 400
        unknown = requests.get(f"{base}/launch?iss=https://evil.example/fhir&launch=L", timeout=5)
        assert unknown.status_code == 400
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    text = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert "SECRETCODE1" not in text
    assert "SECRETSTATE1" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line["logger"] == "werkzeug" and "/callback" in line["message"] for line in lines)


@pytest.mark.integration
def test_gunicorn_serves_the_factory_with_two_workers_on_postgresql(tmp_path: Path) -> None:
    # The production command of the README, on a real PostgreSQL.
    port = free_port()
    schema = f"ff_test_{uuid.uuid4().hex[:12]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FUNCTIONFIRST_")},
        "FUNCTIONFIRST_TENANTS": str(write_tenants(tmp_path)),
        "FUNCTIONFIRST_BASE_URL": "https://app.example",
        "FUNCTIONFIRST_SECRET_KEY": SECRET,
        "FUNCTIONFIRST_DATABASE_URL": POSTGRES_URL,
        "FUNCTIONFIRST_DATABASE_SCHEMA": schema,
        "OTHER_SECRET": "x",
    }
    bind = f"127.0.0.1:{port}"
    try:
        with gunicorn(
            env, bind=bind, log_path=tmp_path / "gunicorn.log", args=("--workers=2",), wait=60
        ) as base:
            answers = {requests.get(f"{base}/healthz", timeout=5).status_code for _ in range(6)}
        assert answers == {200}
    finally:
        drop_schema(schema)
