"""Typed errors of the clinical core: field errors come back as values, file errors are raised."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldError:
    """One problem with one field of a user's JSON payload, shown beside that field."""

    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The error as JSON: {"path": ..., "message": ...}."""
        return {"path": self.path, "message": self.message}


def with_prefix(errors: Iterable[FieldError], prefix: str) -> list[FieldError]:
    """The errors re-rooted under `prefix`, for a payload nested inside a larger one."""
    result: list[FieldError] = []
    for error in errors:
        if not error.path:
            path = prefix
        elif not prefix or error.path.startswith("["):
            path = f"{prefix}{error.path}"
        else:
            path = f"{prefix}.{error.path}"
        result.append(FieldError(path=path, message=error.message))
    return result


def messages_by_path(errors: Iterable[FieldError]) -> dict[str, tuple[str, ...]]:
    """Messages grouped by field path in first-seen order, to show beside each field."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        grouped.setdefault(error.path, []).append(error.message)
    return {path: tuple(messages) for path, messages in grouped.items()}


class RehabDataError(Exception):
    """A site's data file (goal templates, MME factors) cannot be used; names file and reason."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
