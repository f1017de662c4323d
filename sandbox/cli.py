"""`python -m sandbox`: FHIR backend (P+2), sandbox EHR (P+1) and the app (P) on 127.0.0.1."""

from __future__ import annotations

import argparse
import importlib.util
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from sandbox.backends import BackendError
from sandbox.ehr.profiles import PROFILES
from sandbox.patients import SeedError
from sandbox.serve import PortInUseError
from sandbox.stack import Stack, StackError, smartapp_command, start_stack


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line."""

    def error(self, message: str) -> NoReturn:
        """One line on stderr, exit status 2."""
        self.exit(2, f"sandbox: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m sandbox",
        description="Start a FHIR server, the sandbox EHR and the app on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8000, help="app port P (EHR P+1, FHIR P+2)")
    parser.add_argument("--backend", choices=("sekmet", "medplum"), default="sekmet")
    parser.add_argument("--profile", choices=tuple(PROFILES), default="open")
    parser.add_argument("--data-dir", type=Path, default=Path("var/sandbox"))
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic patients")
    return parser


def _ports_in_use(port: int) -> list[int]:
    busy = []
    for candidate in (port, port + 1, port + 2):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                busy.append(candidate)
    return busy


def app_available() -> bool:
    """Whether `python -m smartapp serve` can run here."""
    return importlib.util.find_spec("smartapp.__main__") is not None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox until Ctrl-C or SIGTERM; 0 on a clean stop, non-zero on bad input."""
    args = _parser().parse_args(argv)
    if not 1024 <= args.port <= 65533:
        print("sandbox: --port must be between 1024 and 65533", file=sys.stderr)
        return 2
    busy = _ports_in_use(args.port)
    if busy:
        print(
            f"sandbox: port {busy[0]} on 127.0.0.1 is in use; choose another --port",
            file=sys.stderr,
        )
        return 1
    try:
        args.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"sandbox: cannot use --data-dir {args.data_dir}: {error.strerror}", file=sys.stderr)
        return 1
    previous = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


def _run(args: argparse.Namespace) -> int:
    with_app = app_available()
    began = time.monotonic()
    # From here on Ctrl-C and SIGTERM unwind through start_stack, which stops what it started.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack = start_stack(
            backend=args.backend,
            data_dir=args.data_dir,
            seed=args.seed,
            app_cmd=smartapp_command(args.port) if with_app else None,
            port=args.port,
        )
    except (BackendError, StackError, SeedError, PortInUseError) as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sandbox: stopped before it was ready", file=sys.stderr)
        return 1
    _announce(stack, args, with_app, time.monotonic() - began)
    return _serve_until_stopped(stack)


def _announce(stack: Stack, args: argparse.Namespace, with_app: bool, seconds: float) -> None:
    print(f"FunctionFirst sandbox: {len(stack.patients)} patients seeded (seed {args.seed})")
    print(f"  Launcher (open this first): {stack.launcher_url}?profile={args.profile}")
    if with_app:
        print(f"  App:                        {stack.app_url}")
    else:
        print("  App: not started (`python -m smartapp serve` is not available yet)")
    print(f"  FHIR server ({args.backend}):{' ' * (13 - len(args.backend))}{stack.backend_url}")
    print(f"  Sites: {', '.join(stack.iss(p) for p in PROFILES)}")
    print(f"Ready in {seconds:.1f} s. Ctrl-C stops everything.", flush=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """The first Ctrl-C or SIGTERM stops everything; later ones are ignored while it does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _serve_until_stopped(stack: Stack) -> int:
    status = 0
    try:
        while True:
            time.sleep(0.5)
            died = _dead_part(stack)
            if died:
                print(f"sandbox: {died} stopped unexpectedly; stopping everything", file=sys.stderr)
                status = 1
                break
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
    print("sandbox: stopped", flush=True)
    return status


def _dead_part(stack: Stack) -> str | None:
    if stack.backend.process.poll() is not None:
        return f"the {stack.backend.kind} FHIR server"
    if stack.app_process is not None and stack.app_process.poll() is not None:
        return "the app"
    return None
