"""Applying faults to one request: which settings hold for it, and the answer they give."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable

from flask import Response, request

from sandbox.ehr.faults import Faults, Outcome
from sandbox.ehr.runtime import runtime
from sandbox.ehr.state import EhrUser

log = logging.getLogger("sandbox.ehr.faults")
# (status, outcome, message, headers) -> the error answer in the endpoint's own format.
ErrorAnswer = Callable[[int, Outcome, str, dict[str, str] | None], Response]


def faults_for(user: EhrUser | None) -> Faults:
    """The launch's own faults when it has them, else those of the admin endpoint."""
    state = runtime().state
    launch = state.launch(user.launch_id) if user is not None and user.launch_id else None
    if launch is not None and launch.faults is not None:
        return launch.faults
    return state.faults


def inject(faults: Faults, target: str, answer: ErrorAnswer) -> Response | None:
    """Apply the faults to this request to `target`; None lets the request through."""
    if not faults.applies_to(target):
        return None
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    decision = faults.decide(runtime().state.roll)
    if decision is Outcome.SERVER_ERROR:
        return answer(faults.error_status, decision, "Injected server error", None)
    if decision is Outcome.THROTTLE:
        headers = {"Retry-After": str(faults.retry_after)}
        return answer(429, decision, "Too many requests (injected)", headers)
    if decision is Outcome.TIMEOUT:
        time.sleep(faults.timeout_seconds)
        _drop_connection()
    if decision is Outcome.DROP:
        _drop_connection()
    return None


class DroppedByFault(ConnectionResetError):
    """The request's connection was closed on purpose (an injected fault), not by a bug."""


def _drop_connection() -> None:
    """Close the client's socket without an answer; werkzeug treats it as a dropped client."""
    conn = request.environ.get("werkzeug.socket")
    if isinstance(conn, socket.socket):
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)
    raise DroppedByFault("connection dropped by fault injection")


def dropped(exc: DroppedByFault) -> Response:
    """The error handler of a dropped request: one INFO line, not Flask's ERROR traceback.

    The socket is already shut, so the empty answer goes nowhere (werkzeug sees a dropped client).
    """
    log.info("fault injected: %s %s %s", request.method, request.path, exc)
    return Response(status=500)
