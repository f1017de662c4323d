"""`python -m sandbox`: one command starts everything, stops everything, and refuses bad input."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sandbox import cli
from sandbox.backends import commands

ROOT = Path(__file__).resolve().parents[2]


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_triple() -> int:
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 60000)
        if all(_free(p) for p in (port, port + 1, port + 2)):
            return port
    raise AssertionError("no three free ports in a row")


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _started_for(before: set[int], tmp_path: Path, port: int) -> list[str]:
    """Command lines of this process's new descendants that belong to a sandbox on `port`.

    Other fixtures in the same pytest process (the shared browser, a sandbox being torn down)
    may start or reap children while the test runs, so a bare before/after comparison of
    descendants is racy; every sandbox child names its port or its data directory.
    """
    marks = (str(tmp_path), *(str(p) for p in (port, port + 1, port + 2)))
    lines = (_command_line(pid) for pid in _descendants(os.getpid()) - before)
    return [line for line in lines if any(mark in line for mark in marks)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, list[str]]]:
    """`python -m sandbox` on three free ports; its output lines up to "Ready"."""
    port = _free_triple()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port), "--data-dir", str(tmp_path / "var")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Ready in"):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(120), f"not ready: {lines} {process.poll()}"
        yield process, port, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)
        reader.join(10)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.mark.integration
def test_one_command_starts_everything_and_sigterm_stops_everything(
    running: tuple[subprocess.Popen[str], int, list[str]],
) -> None:
    process, port, lines = running
    assert any(f"http://127.0.0.1:{port + 1}/launcher" in line for line in lines)
    ehr = requests.get(f"http://127.0.0.1:{port + 1}/healthz", timeout=10)
    assert ehr.json() == {"status": "ok"}
    fhir = requests.get(f"http://127.0.0.1:{port + 2}/fhir/metadata", timeout=10)
    assert fhir.status_code == 200
    if cli.app_available():
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    patients = requests.get(f"http://127.0.0.1:{port + 1}/sandbox/patients", timeout=10).json()
    assert len(patients) >= 8
    children = _descendants(process.pid)
    assert children
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert not [pid for pid in children if _alive(pid)]
    assert not any(_listening(p) for p in (port, port + 1, port + 2))


def test_an_unknown_flag_is_one_line_and_exit_2() -> None:
    result = _run("--prot", "8000", timeout=30)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--prot" in result.stderr
    assert result.stdout == ""


def test_a_port_in_use_is_one_line_and_nothing_runs(tmp_path: Path) -> None:
    port = _free_triple()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", port + 1))
        taken.listen()
        result = _run("--port", str(port), "--data-dir", str(tmp_path), timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"sandbox: port {port + 1} on 127.0.0.1 is in use; choose another --port"
    )
    assert not _listening(port)
    assert not _listening(port + 2)


def test_missing_node_for_medplum_is_one_line_and_nothing_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(commands, "NODE_BINARY", tmp_path / "no-node")
    port = _free_triple()
    before = _descendants(os.getpid())
    status = cli.main(["--port", str(port), "--backend", "medplum", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1
    assert len(err.strip().splitlines()) == 1
    assert "make node-deps" in err
    assert _started_for(before, tmp_path, port) == []
    assert not any(_listening(p) for p in (port, port + 1, port + 2))


@pytest.mark.integration
def test_sigterm_during_start_up_leaves_nothing_running(tmp_path: Path) -> None:
    port = _free_triple()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port), "--data-dir", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Wait until the FHIR server process exists, then stop the command mid-start.
        deadline = time.monotonic() + 60
        children: set[int] = set()
        while time.monotonic() < deadline and not children:
            children = _descendants(process.pid)
            time.sleep(0.05)
        assert children
        time.sleep(0.5)
        children |= _descendants(process.pid)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode != 0
    assert "Ready" not in out
    assert err.strip().splitlines()[-1] == "sandbox: stopped before it was ready"
    assert not [pid for pid in children if _alive(pid)]
    assert not any(_listening(p) for p in (port, port + 1, port + 2))


def test_an_unusable_data_dir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = _run("--port", str(_free_triple()), "--data-dir", str(blocker / "var"), timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"sandbox: cannot use --data-dir {blocker / 'var'}: Not a directory"
    ]
