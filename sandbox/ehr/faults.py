"""Fault injection on FHIR or token requests: latency, 5xx, 429, timeouts, dropped connections."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType


class FaultError(ValueError):
    """A fault setting that cannot be used; the message names the field."""


class Outcome(enum.Enum):
    """What the proxy does with one request."""

    FORWARD = "forward"
    SERVER_ERROR = "server-error"
    THROTTLE = "throttle"
    TIMEOUT = "timeout"
    DROP = "drop"


# What a fault setting hits: the FHIR API (default) or the OAuth token endpoint (code exchange,
# refresh and client_credentials).
TARGETS = ("fhir", "token")


@dataclass(frozen=True, slots=True, kw_only=True)
class Faults:
    """Fault settings; rates are probabilities in [0, 1] drawn per request in this order."""

    target: str = "fhir"
    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    throttle_rate: float = 0.0
    retry_after: int = 1
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    drop_rate: float = 0.0

    @property
    def active(self) -> bool:
        """Whether any fault is switched on (whatever its target)."""
        return replace(self, target="fhir") != Faults()

    def applies_to(self, target: str) -> bool:
        """Whether these faults act on requests to `target` ("fhir" or "token")."""
        return self.active and self.target == target

    def to_dict(self) -> dict[str, object]:
        """The settings as JSON."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def decide(self, roll: Callable[[], float]) -> Outcome:
        """Draw the outcome of one request."""
        for rate, outcome in (
            (self.drop_rate, Outcome.DROP),
            (self.timeout_rate, Outcome.TIMEOUT),
            (self.error_rate, Outcome.SERVER_ERROR),
            (self.throttle_rate, Outcome.THROTTLE),
        ):
            if rate > 0 and roll() < rate:
                return outcome
        return Outcome.FORWARD


_RATES = ("error_rate", "throttle_rate", "timeout_rate", "drop_rate")
_NUMBERS: Mapping[str, type] = MappingProxyType(
    {
        "latency_ms": int,
        "error_rate": float,
        "error_status": int,
        "throttle_rate": float,
        "retry_after": int,
        "timeout_rate": float,
        "timeout_seconds": float,
        "drop_rate": float,
    }
)


def parse_faults(data: Mapping[str, object], *, base: Faults | None = None) -> Faults:
    """Build Faults from JSON or query values; raises FaultError on an unknown or bad field."""
    values: dict[str, object] = (base or Faults()).to_dict()
    for key, raw in data.items():
        if key == "target":
            if raw not in TARGETS:
                raise FaultError(f"target must be one of {', '.join(TARGETS)} (default fhir)")
            values[key] = raw
            continue
        kind = _NUMBERS.get(key)
        if kind is None:
            raise FaultError(f"unknown fault setting {key!r}")
        try:
            number = kind(raw)
        except (TypeError, ValueError):
            raise FaultError(f"{key} must be a number") from None
        if number < 0:
            raise FaultError(f"{key} must not be negative")
        if key in _RATES and number > 1:
            raise FaultError(f"{key} is a probability between 0 and 1")
        if key == "error_status" and not 500 <= number <= 599:
            raise FaultError("error_status must be a 5xx status")
        values[key] = number
    return Faults(**values)  # type: ignore[arg-type]


FAULT_QUERY_KEYS = ("target", *_NUMBERS)
