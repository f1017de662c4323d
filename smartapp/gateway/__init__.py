"""The EHR gateway: the one door for FHIR HTTP, the patient context, capabilities."""

from __future__ import annotations

from smartapp.gateway.client import FhirClient, FhirResponse, RetryPolicy, TokenSource
from smartapp.gateway.errors import (
    FhirAuthError,
    FhirConflict,
    FhirError,
    FhirForbidden,
    FhirInvalid,
    FhirNotFound,
    FhirResponseTooLarge,
    FhirUnavailable,
    FhirUnsafeUrl,
    OutcomeIssue,
)

__all__ = [
    "FhirAuthError",
    "FhirClient",
    "FhirConflict",
    "FhirError",
    "FhirForbidden",
    "FhirInvalid",
    "FhirNotFound",
    "FhirResponse",
    "FhirResponseTooLarge",
    "FhirUnavailable",
    "FhirUnsafeUrl",
    "OutcomeIssue",
    "RetryPolicy",
    "TokenSource",
]
