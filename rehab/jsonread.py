"""Reading untrusted JSON into domain values: every problem becomes a FieldError, nothing raises."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from enum import Enum
from typing import TypeVar

from rehab.errors import FieldError

E = TypeVar("E", bound=Enum)
T = TypeVar("T")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT = re.compile(r"^[+-]?\d{1,9}$")
MISSING = object()

# Messages are clinician words; the field is named by FieldError.path, never inside the text.
# The fragments kept below ("is required", "must be a number", "must be a whole number",
# "must be between ...", "must have between ... entries") are what the app's form pages
# build their sentences from today ("Confidence must be a whole number.").
NOT_AN_OBJECT = "This part must be a set of named fields."
UNKNOWN_FIELD = "This field is not part of the form."
NOT_TEXT = "Enter this as text."


def too_long(max_len: int) -> str:
    """The message for a text over its length limit."""
    return f"Shorten this to {max_len} characters or fewer."


def read_payload(
    data: object, parse: Callable[[object, list[FieldError]], T | None]
) -> tuple[T | None, list[FieldError]]:
    """The parsed value and no errors, or None and every field error; never raises on input."""
    errors: list[FieldError] = []
    value = parse(data, errors)
    return (value if not errors else None), errors


def join(path: str, key: str | int) -> str:
    """The path of a child: `goals` + 0 -> `goals[0]`, `goals[0]` + `key` -> `goals[0].key`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Reader:
    """Reads fields of one JSON object, collecting errors under the object's path."""

    def __init__(self, data: Mapping[str, object], path: str, errors: list[FieldError]) -> None:
        self.data = data
        self.path = path
        self.errors = errors

    @classmethod
    def of(
        cls, data: object, path: str, errors: list[FieldError], known: Iterable[str]
    ) -> Reader | None:
        """A reader for `data` if it is an object, with unknown keys reported; else None."""
        if data is MISSING:
            errors.append(FieldError(path=path, message="is required"))
            return None
        if not isinstance(data, Mapping) or not all(isinstance(k, str) for k in data):
            errors.append(FieldError(path=path, message=NOT_AN_OBJECT))
            return None
        allowed = set(known)
        for key in data:
            if key not in allowed:
                errors.append(FieldError(path=join(path, key), message=UNKNOWN_FIELD))
        return cls(data, path, errors)

    def fail(self, key: str | int, message: str) -> None:
        """Record a problem with one field."""
        self.errors.append(FieldError(path=join(self.path, key), message=message))

    def raw(self, key: str) -> object:
        """The raw value, or MISSING when absent or null."""
        value = self.data.get(key, MISSING)
        return MISSING if value is None else value

    def present(self, key: str, *, required: bool) -> object:
        """The raw value, or MISSING (with an error when the field is required)."""
        value = self.raw(key)
        if value is MISSING and required:
            self.fail(key, "is required")
        return value

    def text(self, key: str, *, required: bool = True, max_len: int = 1000) -> str | None:
        """A string, trimmed; blank counts as absent."""
        value = self.present(key, required=required)
        if value is MISSING:
            return None
        if not isinstance(value, str):
            self.fail(key, NOT_TEXT)
            return None
        value = value.strip()
        if not value:
            if required:
                self.fail(key, "is required")
            return None
        if len(value) > max_len:
            self.fail(key, too_long(max_len))
            return None
        return value

    def loose_text(self, key: str, *, max_len: int = 500) -> str:
        """A string that may be blank (the SMART check reports what is missing), trimmed."""
        value = self.raw(key)
        if value is MISSING:
            return ""
        if not isinstance(value, str):
            self.fail(key, NOT_TEXT)
            return ""
        if len(value.strip()) > max_len:
            self.fail(key, too_long(max_len))
            return ""
        return value.strip()

    def integer(
        self, key: str, *, low: int, high: int, required: bool = True, invalid: str | None = None
    ) -> int | None:
        """A whole number within [low, high]; integral floats and digit strings are accepted.

        `invalid` replaces both the "whole number" and the range message, in the field's words.
        """
        value = self.present(key, required=required)
        if value is MISSING:
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and _INT.match(value.strip()):
            number = int(value.strip())
        if number is None:
            self.fail(key, invalid or "must be a whole number")
            return None
        if not low <= number <= high:
            self.fail(key, invalid or f"must be between {low} and {high}")
            return None
        return number

    def number(self, key: str, *, required: bool = True) -> float | None:
        """A finite number."""
        value = self.present(key, required=required)
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, "must be a number")
            return None
        if isinstance(value, int) and abs(value) > 10**12:
            self.fail(key, "This number is too large.")
            return None
        result = float(value)
        if not math.isfinite(result) or abs(result) > 1e12:
            self.fail(key, "Enter an ordinary number.")
            return None
        return result

    def day(self, key: str, *, required: bool = True) -> date | None:
        """A calendar date written YYYY-MM-DD."""
        value = self.present(key, required=required)
        if value is MISSING:
            return None
        if isinstance(value, str) and _DATE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                self.fail(key, "This date is not on the calendar.")
                return None
        self.fail(key, "Enter the date as YYYY-MM-DD.")
        return None

    def choice(self, key: str, kind: type[E], *, required: bool = True) -> E | None:
        """One of an enum's values."""
        value = self.present(key, required=required)
        if value is MISSING:
            return None
        for member in kind:
            if member.value == value:
                return member
        allowed = ", ".join(str(m.value) for m in kind)
        self.fail(key, f"Choose one of: {allowed}.")
        return None

    def items(self, key: str, *, low: int, high: int) -> list[object] | None:
        """A list with between low and high entries."""
        value = self.raw(key)
        if value is MISSING:
            if low > 0:
                self.fail(key, "is required")
                return None
            value = []
        if not isinstance(value, list):
            self.fail(key, "Enter a list here.")
            return None
        if not low <= len(value) <= high:
            self.fail(key, f"must have between {low} and {high} entries")
            return None
        return value

    def texts(self, key: str, *, high: int = 10, max_len: int = 500) -> tuple[str, ...]:
        """A list of short texts; blank entries are dropped."""
        found = self.items(key, low=0, high=high)
        result: list[str] = []
        for index, entry in enumerate(found or ()):
            where = join(join(self.path, key), index)
            if not isinstance(entry, str):
                self.errors.append(FieldError(path=where, message=NOT_TEXT))
            elif len(entry.strip()) > max_len:
                self.errors.append(FieldError(path=where, message=too_long(max_len)))
            elif entry.strip():
                result.append(entry.strip())
        return tuple(result)
