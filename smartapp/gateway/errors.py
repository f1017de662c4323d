"""Typed errors of the FHIR gateway: each carries the HTTP status and the OperationOutcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class OutcomeIssue:
    """One `OperationOutcome.issue`, reduced to what a clinician or a log may see."""

    severity: str
    code: str
    text: str
    expression: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API."""
        return {
            "severity": self.severity,
            "code": self.code,
            "text": self.text,
            "expression": list(self.expression),
        }


def outcome_issues(outcome: Mapping[str, Any] | None) -> tuple[OutcomeIssue, ...]:
    """The issues of an OperationOutcome (FHIR R4 OperationOutcome.issue), lenient on shape."""
    if not outcome or outcome.get("resourceType") != "OperationOutcome":
        return ()
    issues = []
    for raw in outcome.get("issue") or ():
        if not isinstance(raw, Mapping):
            continue
        details = raw.get("details") if isinstance(raw.get("details"), Mapping) else {}
        text = (details or {}).get("text") or raw.get("diagnostics") or ""
        expression = raw.get("expression") or raw.get("location") or ()
        issues.append(
            OutcomeIssue(
                severity=str(raw.get("severity") or "error"),
                code=str(raw.get("code") or "unknown"),
                text=str(text),
                expression=tuple(str(e) for e in expression if isinstance(e, str)),
            )
        )
    return tuple(issues)


class FhirError(Exception):
    """A FHIR request that did not succeed; `.status` is 0 when no HTTP answer came."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        outcome: Mapping[str, Any] | None = None,
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.outcome = dict(outcome) if outcome else None
        self.method = method
        self.path = path

    @property
    def issues(self) -> tuple[OutcomeIssue, ...]:
        """The OperationOutcome issues the server sent, if any."""
        return outcome_issues(self.outcome)

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        return f"{self.message}{where}" + (f" [HTTP {self.status}]" if self.status else "")


class FhirAuthError(FhirError):
    """401 after one refresh and one retry: the launch must start again."""


class FhirForbidden(FhirError):
    """403: the token or the EHR does not allow this interaction (smart.md 80: never retried)."""


class FhirNotFound(FhirError):
    """404 or 410: the resource does not exist (or is gone)."""


class FhirConflict(FhirError):
    """409 or 412: a version conflict (FHIR http.html#concurrency) or a duplicate match."""


class FhirInvalid(FhirError):
    """400 or 422: the server rejected the content (smart.md 81: never retried)."""


class FhirUnavailable(FhirError):
    """Timeout, dropped connection, 429 or 5xx: the outcome of a write is unknown."""


class FhirResponseTooLarge(FhirError):
    """The answer exceeded the gateway's size bound and was not read further."""


class FhirUnsafeUrl(FhirError):
    """A URL (e.g. a `next` link) that does not lie under the tenant's FHIR base."""


def error_for_status(
    status: int, *, outcome: Mapping[str, Any] | None, method: str, path: str
) -> FhirError:
    """The typed error for an HTTP error status."""
    kinds: dict[int, tuple[type[FhirError], str]] = {
        400: (FhirInvalid, "The EHR rejected the request"),
        401: (FhirAuthError, "The EHR no longer accepts this launch's token"),
        403: (FhirForbidden, "The EHR does not allow this action for this user"),
        404: (FhirNotFound, "Not found in the EHR"),
        409: (FhirConflict, "Changed by someone else in the EHR"),
        410: (FhirNotFound, "Deleted in the EHR"),
        412: (FhirConflict, "Changed by someone else in the EHR"),
        422: (FhirInvalid, "The EHR rejected the content"),
        429: (FhirUnavailable, "The EHR is busy"),
    }
    kind, message = kinds.get(status, (FhirError, "The EHR answered with an error"))
    if status >= 500:
        kind, message = FhirUnavailable, "The EHR is not available"
    return kind(message, status=status, outcome=outcome, method=method, path=path)
