"""The FHIR proxy of each site: token check, enforcement, faults, forwarding, URL rewriting."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

import requests
from flask import Blueprint, Response, jsonify, request
from werkzeug.wrappers import Response as BaseResponse

from sandbox.ehr.authorize import smart_configuration
from sandbox.ehr.enforce import (
    FhirCall,
    Refusal,
    check_profile,
    check_scope,
    patient_of,
    without_foreign,
    without_ungranted,
)
from sandbox.ehr.faults import Outcome
from sandbox.ehr.injection import faults_for, inject
from sandbox.ehr.metadata import adjust_capabilities, strip_elements
from sandbox.ehr.oauth import Site
from sandbox.ehr.runtime import runtime, site_or_404
from sandbox.ehr.scopes import Grant
from sandbox.ehr.state import TokenRecord

bp = Blueprint("fhir", __name__)

FHIR_JSON = "application/fhir+json"
_FORWARDED_REQUEST_HEADERS = (
    "Accept",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "If-None-Exist",
    "If-Modified-Since",
    "Prefer",
    "X-Request-ID",
)
_FORWARDED_RESPONSE_HEADERS = ("ETag", "Last-Modified", "Location", "Content-Location")


def outcome(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """An OperationOutcome response."""
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }
    return Response(json.dumps(body), status=status, headers=headers, content_type=FHIR_JSON)


@bp.get("/<profile>/fhir/.well-known/smart-configuration")
def smart_config(profile: str) -> BaseResponse:
    """SMART discovery, no token needed."""
    site, _server = site_or_404(profile)
    return jsonify(smart_configuration(site))


@bp.get("/<profile>/fhir/metadata")
def metadata(profile: str) -> BaseResponse:
    """The backend's CapabilityStatement adjusted to the vendor profile, no token needed."""
    site, _server = site_or_404(profile)
    upstream = _forward(site, "GET", "metadata", b"")
    if upstream.status_code != 200:
        return _relay(site, upstream, None)
    statement = adjust_capabilities(json.loads(_to_public(site, upstream.text)), site)
    return Response(json.dumps(statement), content_type=FHIR_JSON)


@bp.route("/<profile>/fhir", methods=["POST"], defaults={"path": ""})
@bp.route("/<profile>/fhir/", methods=["POST"], defaults={"path": ""})
@bp.route("/<profile>/fhir/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def fhir(profile: str, path: str) -> BaseResponse:
    """Every other FHIR interaction, behind a bearer token."""
    site, _server = site_or_404(profile)
    token = _bearer_token(site)
    if isinstance(token, Response):
        return token
    fault = inject(faults_for(token.user), "fhir", _fault_answer)
    if fault is not None:
        return fault
    grant = Grant.parse(token.scope)
    body = _json_body()
    patient: str | None = None
    if path == "":
        refusal = _check_bundle(site, token, grant, body)
    else:
        call = _call(path, body)
        refusal = _refusal(site, token, grant, call)
        scope = grant.allows(call.resource_type, call.interaction)
        if scope is not None and scope.context == "patient":
            patient = token.user.patient
        if refusal is None and patient and call.resource_id and call.method != "GET":
            refusal = _check_existing(site, path, patient)
    if refusal is not None:
        return outcome(refusal.status, refusal.code, refusal.message)
    raw = _to_backend(site, request.get_data())
    upstream = _forward(site, request.method, path, raw)
    return _relay(site, upstream, patient, grant)


def _check_existing(site: Site, path: str, patient: str) -> Refusal | None:
    """A change to an existing resource must stay inside the launch patient's record."""
    current = runtime().http.request(
        "GET",
        f"{site.config.backend_url}/{path}",
        headers={"Accept": FHIR_JSON},
        timeout=site.config.backend_timeout,
    )
    if current.status_code != 200:
        return None
    owner = patient_of(current.json())
    if owner is not None and owner != patient:
        return Refusal(status=403, code="forbidden", message="Outside the launch patient")
    return None


def _bearer_token(site: Site) -> TokenRecord | Response:
    """The live access token of the request, or a 401 (RFC 6750 3.1)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    if scheme.lower() != "bearer" or not value.strip():
        return outcome(401, "login", "A bearer token is required", {"WWW-Authenticate": "Bearer"})
    record = runtime().state.token(value.strip(), "access_token")
    if record is None or record.site != site.profile.name or record.is_revoked():
        return outcome(401, "login", "The access token is not valid", challenge)
    if record.is_expired() or record.user.sim_error == "request_expired_token":
        return outcome(401, "expired", "The access token has expired", challenge)
    if record.user.sim_error == "request_invalid_token":
        return outcome(401, "login", "The access token is not valid (simulated)", challenge)
    return record


def _fault_answer(
    status: int, decision: Outcome, message: str, headers: dict[str, str] | None
) -> Response:
    """An injected FHIR error as an OperationOutcome."""
    code = "throttled" if decision is Outcome.THROTTLE else "transient"
    return outcome(status, code, message, headers)


def _json_body() -> dict[str, Any] | None:
    if request.method not in ("POST", "PUT", "PATCH") or not request.data:
        return None
    try:
        data = json.loads(request.data)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _call(path: str, body: dict[str, Any] | None) -> FhirCall:
    params = tuple(request.args.items(multi=True))
    call = _call_at(request.method, path, params, body, dict(request.headers))
    if request.method == "POST" and call.resource_id == "_search":
        return replace(call, params=params + tuple(request.form.items(multi=True)))
    return call


def _call_at(
    method: str,
    path: str,
    params: tuple[tuple[str, str], ...],
    body: dict[str, Any] | None,
    headers: dict[str, str] | None = None,
) -> FhirCall:
    """The interaction a method and a `Type[/id]` path (no query) name."""
    parts = [p for p in path.split("/") if p]
    return FhirCall(
        method=method,
        resource_type=parts[0] if parts else "",
        resource_id=parts[1] if len(parts) > 1 else None,
        params=params,
        body=body,
        headers=headers,
    )


def _refusal(site: Site, token: TokenRecord, grant: Grant, call: FhirCall) -> Refusal | None:
    """The vendor's restrictions first, then the token's scopes and launch patient."""
    return check_profile(call, site.profile) or check_scope(call, grant, token.user.patient)


def _check_bundle(
    site: Site, token: TokenRecord, grant: Grant, body: dict[str, Any] | None
) -> Refusal | None:
    """A transaction or batch is checked entry by entry (SMART: scopes apply per request)."""
    if body is None or body.get("resourceType") != "Bundle":
        return Refusal(status=400, code="invalid", message="POST to the base needs a Bundle")
    kind = body.get("type")
    if kind not in ("transaction", "batch"):
        return Refusal(status=400, code="invalid", message="Bundle type must be transaction/batch")
    if not site.profile.transactions:
        return Refusal(status=400, code="not-supported", message=f"{kind} is not supported here")
    for entry in body.get("entry") or ():
        req = entry.get("request") or {}
        url = str(req.get("url", ""))
        path, _, query = url.partition("?")
        headers = {"If-None-Exist": req["ifNoneExist"]} if req.get("ifNoneExist") else {}
        method = str(req.get("method", "GET")).upper()
        call = _call_at(method, path, tuple(parse_qsl(query)), entry.get("resource"), headers)
        refusal = _refusal(site, token, grant, call)
        if refusal is not None:
            return refusal
    return None


def _forward(site: Site, method: str, path: str, data: bytes) -> requests.Response:
    headers = {h: request.headers[h] for h in _FORWARDED_REQUEST_HEADERS if h in request.headers}
    url = f"{site.config.backend_url}/{path}" if path else site.config.backend_url
    query = request.query_string.decode("latin-1")
    if query:
        url = f"{url}?{query}"
    return runtime().http.request(
        method,
        url,
        data=data or None,
        headers=headers,
        timeout=site.config.backend_timeout,
        allow_redirects=False,
    )


def _relay(
    site: Site, upstream: requests.Response, patient: str | None, grant: Grant | None = None
) -> Response:
    """The backend's answer with its base URL replaced by this site's, vendor rules applied."""
    text = _to_public(site, upstream.text)
    stripped = site.profile.strip_elements
    includes = grant is not None and '"include"' in text
    needs_look = (
        patient is not None or includes or any(f'"{rtype}"' in text for rtype in stripped)
    )
    if text and needs_look and "json" in upstream.headers.get("Content-Type", ""):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            is_bundle = data.get("resourceType") == "Bundle"
            if patient is not None and not is_bundle and patient_of(data) not in (None, patient):
                return outcome(403, "forbidden", "Outside the launch patient")
            changed = strip_elements(data, site.profile)
            if is_bundle and (patient is not None or includes):
                count = _entry_count(data)
                if patient is not None:
                    data = without_foreign(data, patient)
                if grant is not None:
                    data = without_ungranted(data, grant)
                changed = changed or _entry_count(data) != count
            if changed:
                text = json.dumps(data)
    response = Response(text, status=upstream.status_code)
    response.headers["Content-Type"] = upstream.headers.get("Content-Type", FHIR_JSON)
    for name in _FORWARDED_RESPONSE_HEADERS:
        if name in upstream.headers:
            response.headers[name] = _to_public(site, upstream.headers[name])
    return response


def _entry_count(bundle: dict[str, Any]) -> int:
    """Entries, counting those of the Bundles a batch-response holds."""
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return 0
    inner = [e.get("resource") for e in entries if isinstance(e, dict)]
    nested = [r for r in inner if isinstance(r, dict) and r.get("resourceType") == "Bundle"]
    return len(entries) + sum(_entry_count(r) for r in nested)


def _to_public(site: Site, text: str) -> str:
    return text.replace(site.config.backend_url, site.iss)


def _to_backend(site: Site, data: bytes) -> bytes:
    return data.replace(site.iss.encode(), site.config.backend_url.encode())
