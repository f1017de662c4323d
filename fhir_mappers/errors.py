"""Typed errors raised by the mappers (never for malformed input read from an EHR)."""

from __future__ import annotations


class MappingError(Exception):
    """Base of every error the mappers raise."""


class InvalidResourceError(MappingError):
    """An outgoing resource broke a rule; it is never returned, so it is never sent."""

    def __init__(self, resource_type: str, problems: tuple[str, ...]) -> None:
        self.resource_type = resource_type
        self.problems = problems
        super().__init__(f"{resource_type} failed validation: " + "; ".join(problems))


class InvalidKeyError(MappingError):
    """A plan or goal key cannot be used inside an identifier or a search token."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"key {key!r} must be 1-64 letters, digits, '.', '-' or '_'")


class UnreadableResourceError(MappingError):
    """A resource the app wrote cannot be read back into domain objects."""

    def __init__(self, resource_type: str, message: str) -> None:
        self.resource_type = resource_type
        self.message = message
        super().__init__(f"{resource_type}: {message}")
