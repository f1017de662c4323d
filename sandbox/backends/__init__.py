"""Real third-party FHIR servers the sandbox runs on 127.0.0.1: sekmet-fhir and Medplum's router."""

from __future__ import annotations

from sandbox.backends.commands import BackendError
from sandbox.backends.process import Backend, BackendKind, free_port, start_backend

__all__ = ["Backend", "BackendError", "BackendKind", "free_port", "start_backend"]
