"""The launcher (page and scriptable URL), seeded lists, style, health and the fault admin."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlencode, urlsplit

from authlib.common.security import generate_token
from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from sandbox.ehr.config import Listing
from sandbox.ehr.faults import FAULT_QUERY_KEYS, FaultError, Faults, parse_faults
from sandbox.ehr.profiles import PROFILES
from sandbox.ehr.runtime import runtime
from sandbox.ehr.state import Launch

bp = Blueprint("launcher", __name__)

# The simulated errors of the SMART reference launcher that the sandbox reproduces.
SIM_ERRORS: Mapping[str, str] = MappingProxyType(
    {
        "auth_invalid_client_id": "authorize: the client id is not registered",
        "auth_invalid_redirect_uri": "authorize: the redirect URI is not registered",
        "auth_invalid_scope": "authorize: invalid_scope sent back to the app",
        "auth_invalid_client_secret": "token: the client's authentication is refused",
        "token_expired_refresh_token": "token: the refresh token has expired",
        "request_invalid_token": "FHIR: every request answers 401 invalid token",
        "request_expired_token": "FHIR: every request answers 401 expired token",
    }
)

STYLE: Mapping[str, str] = MappingProxyType(
    {
        "color_background": "#f5f7fa",
        "color_error": "#b00020",
        "color_highlight": "#00695c",
        "color_modal_backdrop": "",
        "color_success": "#2e7d32",
        "color_text": "#1b1b1b",
        "dim_border_radius": "6px",
        "dim_font_size": "16px",
        "dim_spacing_size": "20px",
        "font_family_body": "system-ui, sans-serif",
        "font_family_heading": "system-ui, sans-serif",
    }
)


@bp.get("/")
def index() -> BaseResponse:
    """The launcher is the front page."""
    return redirect("/launcher")


@bp.get("/healthz")
def healthz() -> BaseResponse:
    """Liveness."""
    return jsonify({"status": "ok"})


@bp.get("/favicon.ico")
def favicon() -> tuple[str, int]:
    """No icon: 204, so browsers asking for one log no 404 on every EHR page."""
    return "", 204


@bp.get("/smart-style.json")
def smart_style() -> BaseResponse:
    """The EHR's style for `smart_style_url` (SMART App Styling)."""
    return jsonify(dict(STYLE))


@bp.get("/sandbox/patients")
def patients() -> BaseResponse:
    """The seeded patients: id, name, kind, description."""
    return jsonify([_listing(p) for p in runtime().config.patients])


@bp.get("/sandbox/practitioners")
def practitioners() -> BaseResponse:
    """The seeded practitioners: id, name, role."""
    return jsonify(
        [{"id": p.id, "name": p.name, "role": p.kind} for p in runtime().config.practitioners]
    )


def _listing(entry: Listing) -> dict[str, str]:
    return {
        "id": entry.id,
        "name": entry.name,
        "kind": entry.kind,
        "description": entry.description,
    }


@bp.get("/launcher")
def launcher() -> BaseResponse | tuple[str, int] | str:
    """Without `launch_uri` the page; with it, a launch redirected (or framed) to the app."""
    args = request.args
    rt = runtime()
    if not args.get("launch_uri"):
        return render_template(
            "launcher.html",
            profiles=PROFILES.values(),
            patients=rt.config.patients,
            practitioners=rt.config.practitioners,
            sim_errors=SIM_ERRORS,
            chosen=args,
            default_launch_uri=rt.config.default_launch_uri,
        )
    problem, launch = _new_launch()
    if launch is None:
        return render_template("error.html", title="Launch refused", detail=problem), 400
    rt.state.add_launch(launch)
    iss = rt.sites[launch.profile].iss
    target = _with_params(args["launch_uri"], {"iss": iss, "launch": launch.id})
    if args.get("frame") == "1":
        patient = next((p for p in rt.config.patients if p.id == launch.patient), None)
        return render_template("frame.html", target=target, launch=launch, patient=patient)
    return redirect(target, code=302)


def _new_launch() -> tuple[str, Launch | None]:
    args = request.args
    launch_uri = args["launch_uri"]
    parts = urlsplit(launch_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "launch_uri must be an absolute http(s) URL", None
    profile = args.get("profile") or "open"
    if profile not in PROFILES:
        return f"Unknown profile {profile!r} (open, epic, oracle)", None
    sim_error = args.get("sim_error") or None
    if sim_error and sim_error not in SIM_ERRORS:
        return f"Unknown simulated error {sim_error!r}", None
    fault_args = {k: args[k] for k in FAULT_QUERY_KEYS if args.get(k)}
    try:
        faults = parse_faults(fault_args) if fault_args else None
    except FaultError as error:
        return str(error), None
    framed = args.get("frame") == "1"
    context = tuple(r for r in (args.get("fhir_context") or "").split(",") if "/" in r)
    return "", Launch(
        id=generate_token(32),
        profile=profile,
        patient=args.get("patient") or None,
        practitioner=args.get("practitioner") or None,
        encounter=args.get("encounter") or None,
        # As the reference launcher does: inside the EHR frame the EHR shows the banner.
        need_patient_banner=not framed,
        sim_error=sim_error,
        faults=faults,
        fhir_context=context,
        auto=args.get("auto") == "1",
        created_at=runtime().state.clock(),
    )


def _with_params(url: str, params: dict[str, str]) -> str:
    joiner = "&" if urlsplit(url).query else "?"
    return f"{url}{joiner}{urlencode(params)}"


def _loopback_only() -> None:
    rt = runtime()
    if not rt.config.admin_enabled:
        abort(404)
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        abort(403)


@bp.route("/sandbox/faults", methods=["GET", "POST", "PUT", "DELETE"])
def faults() -> BaseResponse | tuple[Response, int]:
    """Faults on every FHIR or token request (a launch with its own keeps them). Loopback only."""
    _loopback_only()
    state = runtime().state
    if request.method == "DELETE":
        state.set_faults(Faults())
    elif request.method in ("POST", "PUT"):
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return jsonify({"error": "send a JSON object of fault settings"}), 400
        try:
            state.set_faults(parse_faults(data))
        except FaultError as error:
            return jsonify({"error": str(error)}), 400
    return jsonify(state.faults.to_dict())
