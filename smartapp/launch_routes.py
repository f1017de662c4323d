"""Launch routes: /launch, /callback, /standalone, the JWKS, health checks, the launched page."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import quote, urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from fhir_mappers import patient_context
from launch.discovery import SmartConfiguration
from launch.errors import LaunchError
from launch.flow import (
    authorization_post,
    begin_authorization,
    complete_authorization,
    prefers_post,
)
from launch.tenant_model import Tenant
from smartapp.errors import AppError
from smartapp.security import allow_framing_by, session_id_from, set_session_cookie
from smartapp.store import AuditEntry, Outcome
from smartapp.tokens import pending_from_dict, pending_to_dict, revoke_launch
from smartapp.web import (
    correlation_id,
    csrf_token_for,
    current_launch,
    fhir_client,
    launched_view,
    require_csrf,
    services,
    smart_configuration,
)

log = logging.getLogger("functionfirst.launch")
bp = Blueprint("launch", __name__)
# SMART 2.2: authorization codes are short-lived; a user may still take minutes to sign in.
PENDING_TTL = timedelta(minutes=10)
WRITE_TYPES = (
    "Goal", "CarePlan", "Observation", "ServiceRequest", "Provenance", "DocumentReference",
)  # fmt: skip
# RFC 6749 4.1.2.1 error codes the page explains in its own words.
_OAUTH_ERRORS = {
    "access_denied": (403, "Access was not granted, so FunctionFirst cannot open this chart."),
    "invalid_scope": (502, "The EHR refused the access FunctionFirst asks for (a setup problem)."),
    "temporarily_unavailable": (503, "The EHR's sign-in is busy. Try again in a moment."),
    "server_error": (502, "The EHR's sign-in failed. Try again in a moment."),
}


def _audit(
    action: str,
    outcome: Outcome,
    *,
    tenant: str | None,
    detail: str | None = None,
    launch_id: str | None = None,
    patient_id: str | None = None,
    fhir_user: str | None = None,
) -> None:
    services().store.audit.append(
        AuditEntry(
            action=action,
            outcome=outcome,
            tenant=tenant,
            launch_id=launch_id,
            patient_id=patient_id,
            fhir_user=fhir_user,
            detail=detail,
            correlation_id=correlation_id(),
        )
    )


def _all_frame_ancestors() -> tuple[str, ...]:
    return tuple(sorted({o for t in services().tenants.all() for o in t.frame_ancestors}))


def _cookie_blocked(*, relaunch_url: str | None) -> Response:
    """smart.md 27, 63: no session cookie in the frame -> fail closed, offer a new window."""
    allow_framing_by(_all_frame_ancestors())
    body = render_template("launch/cookie_blocked.html", relaunch_url=relaunch_url)
    return Response(body, status=400, mimetype="text/html")


def _authorize(tenant: Tenant, sid: str, launch: str | None, as_patient: bool = False) -> Response:
    found = services()
    try:
        smart = smart_configuration(tenant)
        pending = begin_authorization(
            tenant,
            smart,
            redirect_uri=found.config.redirect_uri,
            launch=launch,
            now=found.store.now(),
            as_patient=as_patient,
        )
    except LaunchError as exc:
        _audit("launch", Outcome.FAILURE, tenant=tenant.name, detail=exc.code)
        raise
    found.store.sessions.save_pending(
        sid,
        state=pending.state,
        tenant=tenant.name,
        secret=pending_to_dict(pending),
        ttl=PENDING_TTL,
    )
    # The only target: the allow-listed tenant's discovered endpoint (smart.md 5).
    if prefers_post(smart, pending):
        # smart.md 19: a scope string too long for a URL goes in a form POST (authorize-post),
        # sent on by the page itself, in the same window or frame.
        log.info("authorize post", extra={"tenant": tenant.name, "event": "authorize"})
        return Response(
            render_template("launch/authorize_post.html", post=authorization_post(pending)),
            mimetype="text/html",
        )
    log.info("authorize redirect", extra={"tenant": tenant.name, "event": "authorize"})
    return redirect(pending.url, code=302)


@bp.get("/launch")
def launch() -> Response:
    """EHR launch: allow-listed iss only (no request leaves for an unknown one), then authorize."""
    found = services()
    iss, launch_value = request.args.get("iss", ""), request.args.get("launch")
    tenant = found.tenants.by_iss(iss)
    if tenant is None:  # smart.md 1-2: exact allow-list match, before any outbound call
        _audit("launch", Outcome.DENIED, tenant=None, detail="unknown_iss")
        raise AppError(400, "unknown_iss", "This EHR is not registered with FunctionFirst.")
    allow_framing_by(tenant.frame_ancestors)
    if launch_value is None and not tenant.standalone:
        raise AppError(400, "missing_launch", "The EHR did not send a launch value.")
    sid = session_id_from(request, found.config)
    if sid is None or not found.store.sessions.browser_session_alive(sid):
        query = {"iss": iss} | ({"launch": launch_value} if launch_value else {})
        if request.args.get("cookie_check"):
            return _cookie_blocked(relaunch_url=f"{url_for('launch.launch')}?{urlencode(query)}")
        # Set the cookie, then come back once to see that the browser keeps it in this frame.
        sid = found.store.sessions.new_browser_session()
        query["cookie_check"] = "1"
        response = redirect(f"{url_for('launch.launch')}?{urlencode(query)}", code=303)
        set_session_cookie(response, found.config, sid)
        return response
    found.store.sessions.purge_expired()
    return _authorize(tenant, sid, launch_value)


@bp.get("/callback")
def callback() -> Response:
    """Check state first (smart.md 21), then errors, then the code exchange; rotate the session."""
    found = services()
    sid = session_id_from(request, found.config)
    if sid is None:
        return _cookie_blocked(relaunch_url=None)
    state = request.args.get("state", "")
    pending_record = found.store.sessions.take_pending(sid, state) if state else None
    tenant = None if pending_record is None else found.tenants.by_name(pending_record.tenant)
    if pending_record is None or tenant is None:
        _audit("launch", Outcome.DENIED, tenant=None, detail="state_mismatch")
        raise AppError(
            400,
            "state_mismatch",
            "This sign-in is not valid any more (used, expired, or from another "
            "browser window). Start FunctionFirst again from the EHR.",
        )
    allow_framing_by(tenant.frame_ancestors)
    pending = pending_from_dict(pending_record.secret)
    error = request.args.get("error")
    if error is not None:
        _audit("launch", Outcome.FAILURE, tenant=tenant.name, detail=f"authorize:{error[:60]}")
        status, message = _OAUTH_ERRORS.get(error, (400, "The EHR did not complete the sign-in."))
        # smart.md 22: the EHR's own words are shown as text only (Jinja escapes them).
        body = render_template(
            "launch/authorize_error.html",
            status=status,
            message=message,
            error=error,
            description=request.args.get("error_description"),
            reference=correlation_id(),
        )
        return Response(body, status=status, mimetype="text/html")
    code = request.args.get("code")
    if not code:
        raise AppError(400, "invalid_request", "The EHR sent no authorization code.")
    smart = smart_configuration(tenant)
    _check_issuer(smart, tenant)
    try:
        tokens = complete_authorization(
            tenant,
            smart,
            pending,
            code=code,
            redirect_uri=found.config.redirect_uri,
            keys=found.keys,
            http=found.oauth_http,
            now=found.store.now(),
            jwks=found.jwks,
        )
    except LaunchError as exc:
        _audit("launch", Outcome.FAILURE, tenant=tenant.name, detail=exc.code)
        raise
    new_sid = found.store.sessions.rotate(sid)  # smart.md 26: session fixation
    launch_id = found.store.sessions.create_launch(
        new_sid,
        tenant=tenant.name,
        patient_id=tokens.patient,
        fhir_user=tokens.fhir_user,
        tokens=tokens.to_dict(),
        expires_at=tokens.expires_at,
    )
    _audit(
        "launch",
        Outcome.SUCCESS,
        tenant=tenant.name,
        launch_id=launch_id,
        patient_id=tokens.patient,
        fhir_user=tokens.fhir_user,
    )
    log.info(
        "launch complete", extra={"tenant": tenant.name, "launch_id": launch_id, "event": "launch"}
    )
    response = redirect(url_for("launch.launched", launch_id=launch_id), code=303)
    set_session_cookie(response, found.config, new_sid)
    return response


def _check_issuer(smart: SmartConfiguration, tenant: Tenant) -> None:
    # smart.md 24, RFC 9207: an `iss` on the callback must be the discovered issuer (mix-up).
    sent = request.args.get("iss")
    if sent is not None and smart.issuer is not None and sent != smart.issuer:
        _audit("launch", Outcome.DENIED, tenant=tenant.name, detail="issuer_mismatch")
        raise AppError(400, "issuer_mismatch", "The sign-in answer came from another server.")


@bp.route("/standalone", methods=["GET", "POST"])
def standalone() -> Response:
    """Pick an organisation and who you are, then sign in there (smart.md 4); POST needs CSRF."""
    found = services()
    sid = session_id_from(request, found.config)
    if request.method == "POST":
        require_csrf("standalone")
        tenant = found.tenants.by_name(request.form.get("tenant"))
        if tenant is None or not tenant.standalone or sid is None:
            raise AppError(400, "unknown_tenant", "Pick one of the listed organisations.")
        if (role := request.form.get("role", "practitioner")) not in ("practitioner", "patient"):
            raise AppError(400, "unknown_role", "Say whether you are a clinician or the patient.")
        return _authorize(tenant, sid, None, as_patient=role == "patient")
    fresh = sid is None or not found.store.sessions.browser_session_alive(sid)
    if fresh:
        sid = found.store.sessions.new_browser_session()
    assert sid is not None
    body = render_template(
        "launch/standalone.html",
        tenants=found.tenants.standalone(),
        csrf_token=csrf_token_for("standalone", sid),
    )
    response = Response(body, mimetype="text/html")
    if fresh:
        set_session_cookie(response, found.config, sid)
    return response


@bp.post("/l/<launch_id>/end")
@launched_view
def end(launch_id: str) -> Response:
    """Close the launch: delete its tokens, then revoke them at the EHR (smart.md 64); CSRF."""
    launch = current_launch()
    services().store.sessions.end_launch(launch.launch_id)
    _audit(
        "launch-end",
        Outcome.SUCCESS,
        tenant=launch.tenant.name,
        launch_id=launch.launch_id,
        patient_id=launch.patient_id,
        fhir_user=launch.fhir_user,
    )
    revoked = revoke_launch(services(), launch)  # after the local end: a failure changes nothing
    if revoked is not None:
        _audit("token-revoke", revoked[0], tenant=launch.tenant.name, detail=revoked[1],
               launch_id=launch.launch_id, patient_id=launch.patient_id)  # fmt: skip
    return Response(render_template("launch/ended.html"), mimetype="text/html")


@bp.get("/l/<launch_id>/session")
@bp.get("/l/<launch_id>/")  # added first, so url_for() builds this one
@launched_view
def launched(launch_id: str) -> str:
    """The launch's connection page: the patient (one FHIR read), granted scopes, allowed writes.

    The overview, where installed, answers `/l/<launch_id>/` first; this page stays at `session`.
    """
    launch = current_launch()
    scopes = launch.tokens.scopes
    name = None
    if launch.patient_id and scopes.can_read("Patient"):
        patient = fhir_client(launch).send(
            "GET", f"Patient/{quote(launch.patient_id, safe='')}", retry_safe=True
        )
        summary = patient_context((patient.json or {},), today=services().store.now().date())
        name = summary.patient.name if summary.patient else None
    writes = tuple((rt, scopes.can_create(rt), scopes.can_update(rt)) for rt in WRITE_TYPES)
    return render_template(
        "launch/launched.html",
        launch=launch,
        patient_name=name,
        writes=writes,
        scopes=sorted(scopes.to_string().split()),
    )
