"""Typed errors of the clinical core: field errors come back as values, file errors are raised."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldError:
    """One problem with one field of a user's JSON payload, shown beside that field."""

    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The error as JSON: {"path": ..., "message": ...}."""
        return {"path": self.path, "message": self.message}


class RehabDataError(Exception):
    """A site's data file (goal templates, MME factors) cannot be used; names file and reason."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
