"""OAuth endpoints of each site: authorize (with a login/approve page), token, introspect, jwks."""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, jsonify, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from sandbox.ehr.faults import Outcome
from sandbox.ehr.injection import faults_for, inject
from sandbox.ehr.oauth import Site, SiteServer
from sandbox.ehr.runtime import runtime, site_or_404
from sandbox.ehr.state import EhrUser, Launch

bp = Blueprint("auth", __name__)

# Fields of the login page itself; everything else on it repeats the authorization request.
_FORM_FIELDS = frozenset({"decision", "patient", "practitioner", "signin_as"})


def _error_page(status: int, title: str, detail: str) -> tuple[str, int]:
    return render_template("error.html", title=title, detail=detail), status


def _redirect_error(redirect_uri: str, error: str, description: str) -> BaseResponse:
    params = [("error", error), ("error_description", description)]
    state = request.values.get("state")
    if state:
        params.append(("state", state))
    return Response(status=302, headers={"Location": add_params_to_uri(redirect_uri, params)})


@bp.route("/<profile>/auth/authorize", methods=["GET", "POST"])
def authorize(profile: str) -> BaseResponse | tuple[str, int] | str:
    """SMART authorize: checks client, redirect URI, PKCE, aud and launch, then asks or approves."""
    site, server = site_or_404(profile)
    launch = _launch(site)
    sim_error = launch.sim_error if launch else None
    # Simulated errors, as the SMART reference launcher offers them.
    if sim_error == "auth_invalid_client_id":
        return _error_page(400, "Invalid client", "The client_id is not registered (simulated).")
    if sim_error == "auth_invalid_redirect_uri":
        return _error_page(
            400, "Invalid redirect URI", "redirect_uri is not registered (simulated)."
        )
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        if error.redirect_uri:
            return _redirect_error(error.redirect_uri, error.error, error.description or "")
        return _error_page(400, "Authorization request refused", error.description or error.error)
    redirect_uri = grant.redirect_uri
    if sim_error == "auth_invalid_scope":
        return _redirect_error(redirect_uri, "invalid_scope", "Invalid scope (simulated)")
    problem = _context_problem(site, launch, grant.request.scope or "")
    if problem:
        return _redirect_error(redirect_uri, "invalid_request", problem)
    rt = runtime()
    if launch is not None and launch.auto:
        return _respond(server, grant=grant, grant_user=_user(launch, None, None))
    decision = request.form.get("decision")
    if decision is None:
        # The first visit (GET, or POST under SMART's authorize-post): ask the user.
        hidden = [(k, v) for k, v in request.values.items(multi=True) if k not in _FORM_FIELDS]
        return render_template(
            "authorize.html",
            site=site,
            client_id=grant.client.client_id,
            scopes=(grant.request.scope or "").split(),
            launch=launch,
            patients=rt.config.patients,
            practitioners=rt.config.practitioners,
            needs_patient=launch is None and "launch/patient" in (grant.request.scope or ""),
            hidden=hidden,
        )
    if decision != "approve":
        return _respond(server, grant=grant, grant_user=None)
    patient = request.form.get("patient") or None
    practitioner = request.form.get("practitioner") or None
    if launch is None and request.form.get("signin_as") == "patient":
        return _patient_sign_in(server, grant, redirect_uri, patient)
    if launch is None and "launch/patient" in (grant.request.scope or "") and not patient:
        return _redirect_error(redirect_uri, "invalid_request", "No patient was chosen")
    return _respond(server, grant=grant, grant_user=_user(launch, patient, practitioner))


def _patient_sign_in(
    server: SiteServer, grant: object, redirect_uri: str, patient: str | None
) -> BaseResponse:
    """A patient signs in for their own record: fhirUser and the context are that patient."""
    if patient is None or patient not in {p.id for p in runtime().config.patients}:
        return _redirect_error(redirect_uri, "invalid_request", "No patient signed in")
    scope = getattr(getattr(grant, "request", None), "scope", None) or ""
    if any(s.startswith(("user/", "system/")) for s in scope.split()):
        # A patient is never granted access beyond their own compartment.
        return _redirect_error(redirect_uri, "invalid_scope", "A patient gets patient/ scopes only")
    user = EhrUser(practitioner=None, patient=patient, encounter=None, patient_user=True)
    return _respond(server, grant=grant, grant_user=user)


def _respond(server: SiteServer, *, grant: object, grant_user: EhrUser | None) -> BaseResponse:
    response: BaseResponse = server.create_authorization_response(
        grant=grant, grant_user=grant_user
    )
    return response


def _launch(site: Site) -> Launch | None:
    launch_id = request.values.get("launch")
    if not launch_id:
        return None
    launch = runtime().state.launch(launch_id)
    return launch if launch is not None and launch.profile == site.profile.name else None


def _context_problem(site: Site, launch: Launch | None, scope: str) -> str | None:
    """SMART 2.2: `aud` must be this site's FHIR base; an EHR launch must name a known launch."""
    aud = request.values.get("aud")
    if aud is None or aud.rstrip("/") != site.iss:
        return "aud must be the FHIR base URL of this EHR"
    if request.values.get("launch") and launch is None:
        return "Unknown launch"
    if launch is not None and "launch" not in scope.split():
        return "An EHR launch must request the 'launch' scope"
    return None


def _user(launch: Launch | None, patient: str | None, practitioner: str | None) -> EhrUser:
    if launch is None:
        return EhrUser(practitioner=practitioner, patient=patient, encounter=None)
    return EhrUser(
        practitioner=practitioner or launch.practitioner,
        patient=launch.patient,
        encounter=launch.encounter,
        need_patient_banner=launch.need_patient_banner,
        launch_id=launch.id,
        sim_error=launch.sim_error,
        fhir_context=launch.fhir_context,
    )


@bp.post("/<profile>/auth/token")
def token(profile: str) -> BaseResponse:
    """The token endpoint (authorization_code, refresh_token, client_credentials)."""
    _site, server = site_or_404(profile)
    fault = inject(faults_for(_token_user()), "token", _token_fault)
    if fault is not None:
        return fault
    response: BaseResponse = server.create_token_response()
    return response


def _token_user() -> EhrUser | None:
    """Whose grant a token request redeems (its launch may carry its own faults)."""
    state = runtime().state
    grant_type = request.form.get("grant_type")
    if grant_type == "authorization_code":
        code = state.code(request.form.get("code", ""))
        return code.user if code is not None else None
    if grant_type == "refresh_token":
        refresh = state.token(request.form.get("refresh_token", ""), "refresh_token")
        return refresh.user if refresh is not None else None
    return None


def _token_fault(
    status: int, decision: Outcome, message: str, headers: dict[str, str] | None
) -> Response:
    """An injected token endpoint failure as an OAuth error body (RFC 6749 5.2 shape)."""
    error = "temporarily_unavailable" if status in (429, 503) else "server_error"
    body = jsonify({"error": error, "error_description": message})
    body.status_code = status
    body.headers.update(headers or {})
    body.headers["Cache-Control"] = "no-store"
    return body


@bp.post("/<profile>/auth/introspect")
def introspect(profile: str) -> BaseResponse:
    """RFC 7662 token introspection."""
    _site, server = site_or_404(profile)
    response: BaseResponse = server.create_endpoint_response("introspection")
    return response


@bp.get("/<profile>/auth/jwks")
def jwks(profile: str) -> BaseResponse:
    """The site's public signing keys."""
    site, _server = site_or_404(profile)
    return jsonify({"keys": [site.key.as_dict(private=False)]})


def smart_configuration(site: Site) -> dict[str, object]:
    """SMART 2.2 discovery document of a site."""
    return {
        "issuer": site.iss,
        "jwks_uri": site.auth_url("jwks"),
        "authorization_endpoint": site.auth_url("authorize"),
        "token_endpoint": site.auth_url("token"),
        "introspection_endpoint": site.auth_url("introspect"),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": [
            "openid",
            "fhirUser",
            "launch",
            "launch/patient",
            "launch/encounter",
            "offline_access",
            "online_access",
            "patient/*.cruds",
            "user/*.cruds",
            "system/*.rs",
        ],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": [
            "launch-ehr",
            "launch-standalone",
            "authorize-post",
            "client-public",
            "client-confidential-symmetric",
            "client-confidential-asymmetric",
            "sso-openid-connect",
            "context-passthrough-banner",
            "context-passthrough-style",
            "context-ehr-patient",
            "context-ehr-encounter",
            "context-standalone-patient",
            "permission-offline",
            "permission-online",
            "permission-patient",
            "permission-user",
            "permission-v1",
            "permission-v2",
        ],
    }
