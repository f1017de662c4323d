"""Structured logging: one JSON object per line, ids only, secrets scrubbed as a second guard.

smart.md 70-71: logs carry no tokens, codes, verifiers, assertions, client secrets, launch or
state values, and no PHI. The code logs ids only; the filter below also scrubs such values should
a library put them in a message (for example a request line with `?code=...&state=...`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

# Fields copied from `extra={...}` into the JSON line.
_EXTRA_FIELDS = ("event", "tenant", "launch_id", "correlation_id", "status", "outcome", "path")
_SECRET_NAMES = (
    "code",
    "state",
    "launch",
    "access_token",
    "refresh_token",
    "id_token",
    "code_verifier",
    "client_assertion",
    "client_secret",
    "assertion",
    "token",
    "session",
)
_SECRET_PARAMS = "|".join(_SECRET_NAMES)
_QUERY_SECRET = re.compile(rf"(?i)(?<![A-Za-z_])({_SECRET_PARAMS})=([^&\s\"']+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_HANDLER_NAME = "functionfirst-json"


def scrub(text: str) -> str:
    """Replace secret query values and Authorization credentials with a marker."""
    return _BEARER.sub(r"\1 [redacted]", _QUERY_SECRET.sub(r"\1=[redacted]", text))


class ScrubFilter(logging.Filter):
    """Scrubs the rendered message of every record that reaches the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render, scrub and freeze the message (args are dropped after rendering)."""
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and known id fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a JSON line."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: messages and tracebacks may quote request data.
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str) -> None:
    """Send all logs to stderr as JSON lines at `level` (idempotent: one handler per process)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(ScrubFilter())
        root.addHandler(handler)
    root.setLevel(level)
    # Third-party loggers that print headers or bodies at DEBUG stay at INFO or above.
    for name in ("urllib3", "authlib", "werkzeug"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
