"""Request helpers for views: the app's services, the launch of this URL, CSRF, the token source.

Every page after the callback has the launch id in its URL; `current_launch()` checks that it
belongs to the browser's session cookie, so two tabs with two patients never cross (smart.md 7).
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import g, request

from launch.tokens import TokenSet
from smartapp.errors import AppError
from smartapp.gateway import FhirClient
from smartapp.security import allow_framing_by, session_id_from
from smartapp.services import LaunchSession, Services, correlation_id, services
from smartapp.store import AuditEntry, Outcome
from smartapp.tokens import LaunchTokenSource, smart_configuration

__all__ = [
    "LaunchSession",
    "Services",
    "audit",
    "correlation_id",
    "csrf_token_for",
    "current_launch",
    "fhir_client",
    "launched_view",
    "require_csrf",
    "services",
    "smart_configuration",
    "token_source",
]

P = ParamSpec("P")
R = TypeVar("R")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def csrf_token_for(scope: str, sid: str) -> str:
    """A CSRF token bound to the session id and a scope (a launch id, or "standalone")."""
    return services().store.cipher.sign("csrf", scope, sid)


def _not_open(launch_id: str | None) -> AppError:
    """Why this URL's launch is not open here: ended or timed out (401), or another browser's."""
    found = services()
    record = found.store.sessions.get_launch(launch_id) if launch_id else None
    if record is not None and found.store.sessions.launch_is_live(record):
        # Live, but not under this browser's cookie (smart.md 7): nothing is shown or said of it.
        return AppError(
            404,
            "launch_not_found",
            "This launch is open in another browser or window, not in this one.",
            relaunch=True,
        )
    # Timed out, closed, or gone with its cookie: the clinician's way back is a new launch.
    return AppError(
        401,
        "session_expired",
        "This FunctionFirst session has ended: it was idle too long or it was closed.",
        relaunch=True,
    )


def current_launch() -> LaunchSession:
    """The launch of this URL when it belongs to this browser session; else a 401/404 AppError."""
    cached = g.get("launch_session")
    if isinstance(cached, LaunchSession):
        return cached
    found = services()
    launch_id = (request.view_args or {}).get("launch_id")
    sid = session_id_from(request, found.config)
    if not isinstance(launch_id, str) or sid is None:
        raise _not_open(launch_id if isinstance(launch_id, str) else None)
    record = found.store.sessions.launch_for_session(launch_id, sid)
    tenant = None if record is None else found.tenants.by_name(record.tenant)
    if record is None or tenant is None:
        raise _not_open(launch_id)
    allow_framing_by(tenant.frame_ancestors)
    session = LaunchSession(
        launch_id=launch_id,
        tenant=tenant,
        tokens=TokenSet.from_dict(record.tokens),
        token_version=record.token_version,
        patient_id=record.patient_id,
        fhir_user=record.fhir_user,
        csrf_token=csrf_token_for(launch_id, sid),
    )
    g.launch_session = session
    return session


def same_origin_request() -> bool:
    """True when Origin (or, lacking it, Referer) is the app's own origin; "null" never is."""
    # An opaque origin ("null": sandboxed frames, data: URLs) is not ours, whatever Referer says.
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if not referer:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin == services().config.origin


def require_csrf(scope: str | None = None) -> None:
    """Refuse a state-changing request without our Origin (403) or a valid CSRF token (400)."""
    # smart.md 60: SameSite=None cookies make both checks necessary.
    if not same_origin_request():
        raise AppError(
            403, "cross_origin", "This request did not come from FunctionFirst's own pages."
        )
    sid = session_id_from(request, services().config)
    if scope is None:
        scope = current_launch().launch_id
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    if sid is None or not hmac.compare_digest(sent, csrf_token_for(scope, sid)):
        raise AppError(400, "csrf_failed", "The form had expired. Reload the page and try again.")


def launched_view(view: Callable[P, R]) -> Callable[P, R]:
    """Decorator: the URL's launch must belong to this session; writes need CSRF and Origin."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        launch = current_launch()
        if request.method not in SAFE_METHODS:
            require_csrf(launch.launch_id)
        return view(*args, **kwargs)

    return wrapper


def token_source(launch: LaunchSession) -> LaunchTokenSource:
    """The TokenSource for this launch (give it to the gateway's FhirClient)."""
    return LaunchTokenSource(services(), launch, correlation_id())


def fhir_client(launch: LaunchSession) -> FhirClient:
    """A FhirClient for this launch's FHIR base, token source and correlation id."""
    return FhirClient(launch.tenant.iss, token_source(launch), correlation_id=correlation_id())


def audit(
    action: str,
    outcome: Outcome,
    *,
    launch: LaunchSession | None = None,
    resources: tuple[str, ...] = (),
    detail: str | None = None,
) -> None:
    """Append an audit entry for this request (who, tenant, patient from the launch)."""
    launch = launch or g.get("launch_session")
    services().store.audit.append(
        AuditEntry(
            action=action,
            outcome=outcome,
            tenant=launch.tenant.name if launch else None,
            launch_id=launch.launch_id if launch else None,
            fhir_user=launch.fhir_user if launch else None,
            patient_id=launch.patient_id if launch else None,
            resources=resources,
            correlation_id=correlation_id(),
            detail=detail,
        )
    )
