"""Typed app errors and every error handler, in one place: HTML for pages, JSON for the API.

Each error response carries a reference id (the request's correlation id) that also appears in
the log line, so support can find the event without the page showing any detail of it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from launch.errors import LaunchError, TokenEndpointError, TokenEndpointUnavailable
from smartapp.gateway.errors import (
    FhirAuthError,
    FhirConflict,
    FhirError,
    FhirForbidden,
    FhirInvalid,
    FhirNotFound,
    FhirUnavailable,
)

log = logging.getLogger("functionfirst.errors")
_API_PATH = re.compile(r"^/(api/|l/[^/]+/api/)")


class AppError(Exception):
    """An error with an HTTP status, a stable code and a message safe to show (escaped)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        relaunch: bool = False,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.relaunch = relaunch
        # More members of the JSON error body (the API only; pages say it in words).
        self.details = dict(details or {})


# smart.md 23, 33: what a clinician can do about each launch failure.
_LAUNCH_STATUS = {
    "unknown_iss": 400,
    "state_mismatch": 400,
    "invalid_request": 400,
    "access_denied": 403,
    "patient_mismatch": 403,
    "discovery_failed": 502,
    "insecure_endpoint": 502,
    "token_error": 502,
    "id_token_invalid": 502,
    "refresh_failed": 401,
}
_FHIR_ERRORS: tuple[tuple[type[FhirError], int, str, str], ...] = (
    (
        FhirAuthError,
        401,
        "session_expired",
        "The EHR no longer accepts this session.",
    ),
    (FhirForbidden, 403, "forbidden", "The EHR did not allow this action for your account."),
    (FhirNotFound, 404, "not_found", "The EHR did not find that record."),
    (FhirConflict, 409, "conflict", "Someone changed this record in the EHR since you opened it."),
    (FhirInvalid, 422, "rejected", "The EHR did not accept the data."),
    (
        FhirUnavailable,
        503,
        "ehr_unavailable",
        "The EHR did not answer in time. Try again in a moment.",
    ),
)


def wants_json() -> bool:
    """True for the JSON API paths (`/api/...` and `/l/<launch_id>/api/...`)."""
    return bool(_API_PATH.match(request.path))


def reference_id() -> str:
    """The reference shown on error pages (the request's correlation id)."""
    return str(g.get("correlation_id") or "-")


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    relaunch: bool = False,
    details: Mapping[str, object] | None = None,
) -> Response:
    """Render one error as JSON or as the error page, with its reference id."""
    if wants_json():
        body = {**(details or {}), "error": code, "message": message, "reference": reference_id()}
        response = jsonify(body)
    else:
        response = Response(
            render_template(
                "error.html",
                status=status,
                code=code,
                message=message,
                reference=reference_id(),
                relaunch=relaunch,
            ),
            mimetype="text/html",
        )
    response.status_code = status
    return response


def _app_error(exc: AppError) -> Response:
    log.info("app error %s", exc.code, extra={"status": exc.status, "event": "app_error"})
    return error_response(
        exc.status, exc.code, exc.message, relaunch=exc.relaunch, details=exc.details
    )


def _launch_error(exc: LaunchError) -> Response:
    if isinstance(exc, TokenEndpointUnavailable) and exc.code == "refresh_failed":
        # smart.md 51: the launch is kept; the next request refreshes once the EHR is back.
        log.warning("launch error %s", exc.code, extra={"status": 503, "event": "launch_error"})
        return error_response(
            503,
            "ehr_unavailable",
            "The EHR's sign-in service did not answer. Try again in a moment.",
        )
    status = _LAUNCH_STATUS.get(exc.code, 502)
    if isinstance(exc, TokenEndpointError) and exc.oauth_error == "invalid_grant":
        status = 401
    log.warning("launch error %s", exc.code, extra={"status": status, "event": "launch_error"})
    return error_response(status, exc.code, exc.description, relaunch=status != 400)


def _fhir_error(exc: FhirError) -> Response:
    status, code, message = next(
        ((s, c, m) for kind, s, c, m in _FHIR_ERRORS if isinstance(exc, kind)),
        (502, "ehr_error", "The EHR answered with an error."),
    )
    log.warning("fhir error %s", code, extra={"status": exc.status, "event": "fhir_error"})
    return error_response(status, code, message, relaunch=status == 401)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = (exc.name or "error").lower().replace(" ", "_")
    return error_response(status, code, exc.description or exc.name or "Error")


def _unexpected(exc: Exception) -> Response:
    # The type only: a message may quote request data (smart.md 70-71).
    log.error("unhandled %s", type(exc).__name__, extra={"status": 500, "event": "unhandled"})
    return error_response(500, "internal_error", "Something went wrong on our side.")


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; the most specific class wins (Flask walks the MRO)."""
    app.register_error_handler(AppError, _app_error)
    app.register_error_handler(LaunchError, _launch_error)
    app.register_error_handler(FhirError, _fhir_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
