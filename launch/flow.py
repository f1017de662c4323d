"""Authorization code flow: the authorize redirect and the code exchange (SMART 2.2 app-launch).

smart.md 3-4, 14-18: PKCE S256 always; `state` and `nonce` of 256 bits from the OS random
source; `aud` = the tenant's iss; `launch` echoed for an EHR launch, `launch/patient` for a
standalone one. The caller stores the PendingAuthorization server-side, bound to the browser
session, and checks `state` before anything else at the callback.
"""

from __future__ import annotations

import hashlib
import secrets
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from launch.discovery import SmartConfiguration
from launch.errors import LaunchError
from launch.http import OAuthHttp
from launch.idtoken import JwksCache, resolve_fhir_user, validate_id_token
from launch.keys import KeyStore
from launch.scopes import v1_equivalents
from launch.tenant_model import Tenant, patient_facing_scopes
from launch.token_request import post_token_request
from launch.tokens import TokenSet, token_set_from_response


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingAuthorization:
    """What the callback needs; kept server-side only (the verifier never reaches the browser)."""

    url: str = field(repr=False)
    state: str = field(repr=False)
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    iss: str
    tenant: str
    launch: str | None = field(default=None, repr=False)
    scope: str
    created_at: datetime
    as_patient: bool = False  # a patient's own standalone launch (fhirUser must be that Patient)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationPost:
    """The authorize request as a form POST (SMART 2.2 `authorize-post`): action and fields."""

    action: str
    fields: tuple[tuple[str, str], ...] = field(repr=False)


# Browsers and proxies cut URLs somewhere past 2 kB; long scope strings go in a POST body.
MAX_GET_URL = 2000


def authorization_post(pending: PendingAuthorization) -> AuthorizationPost:
    """The same authorize parameters for an auto-submitted form (same frame, no pop-up)."""
    parts = urlsplit(pending.url)
    return AuthorizationPost(
        action=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        fields=tuple(parse_qsl(parts.query, keep_blank_values=True)),
    )


def prefers_post(smart: SmartConfiguration, pending: PendingAuthorization) -> bool:
    """POST when the server supports it and the GET URL would be too long (smart.md 19)."""
    return smart.supports("authorize-post") and len(pending.url) > MAX_GET_URL


def code_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def requested_scope(
    tenant: Tenant,
    *,
    launch: str | None,
    smart: SmartConfiguration | None = None,
    as_patient: bool = False,
) -> str:
    """The tenant's scopes plus `launch` (EHR launch) or `launch/patient` (standalone).

    A patient's own standalone launch asks for `patient_facing_scopes` instead.
    smart.md 17: v2 scopes unless the server advertises `permission-v1` and not
    `permission-v2`; then each v2 scope is sent as its v1 equivalent.
    """
    if as_patient and launch is not None:
        raise LaunchError("invalid_launch", "a patient's launch is a standalone launch")
    chosen = patient_facing_scopes(tenant) if as_patient else tenant.scopes
    base = [s for s in chosen if s not in ("launch", "launch/patient")]
    if (
        smart is not None
        and smart.supports("permission-v1")
        and not smart.supports("permission-v2")
    ):
        base = list(dict.fromkeys(v1 for s in base for v1 in v1_equivalents(s)))
    return " ".join([*(["launch"] if launch is not None else ["launch/patient"]), *base])


def begin_authorization(
    tenant: Tenant,
    smart: SmartConfiguration,
    *,
    redirect_uri: str,
    launch: str | None,
    now: datetime | None = None,
    as_patient: bool = False,
) -> PendingAuthorization:
    """Build the authorize URL with PKCE S256, state, nonce, aud and (EHR launch) `launch`."""
    if smart.authorization_endpoint is None:
        raise LaunchError("discovery_failed", "the EHR publishes no authorization endpoint")
    if launch is None and not tenant.standalone:
        raise LaunchError(
            "standalone_not_allowed", "this EHR is set up for launches from the EHR only"
        )
    if launch is not None and not launch.strip():
        raise LaunchError("invalid_launch", "the EHR sent an empty launch value")
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters, inside RFC 7636's 43-128
    scope = requested_scope(tenant, launch=launch, smart=smart, as_patient=as_patient)
    params = {
        "response_type": "code",
        "client_id": tenant.client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "aud": tenant.iss,
        "nonce": nonce,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",  # smart.md 14: sent even when discovery omits it
    }
    if launch is not None:
        params["launch"] = launch
    separator = "&" if "?" in smart.authorization_endpoint else "?"
    return PendingAuthorization(
        url=f"{smart.authorization_endpoint}{separator}{urlencode(params)}",
        state=state,
        nonce=nonce,
        code_verifier=verifier,
        iss=tenant.iss,
        tenant=tenant.name,
        launch=launch,
        scope=scope,
        created_at=now or datetime.now(UTC),
        as_patient=as_patient,
    )


def complete_authorization(
    tenant: Tenant,
    smart: SmartConfiguration,
    pending: PendingAuthorization,
    *,
    code: str,
    redirect_uri: str,
    keys: KeyStore | None,
    http: OAuthHttp,
    now: datetime | None = None,
    jwks: JwksCache | None = None,
) -> TokenSet:
    """Exchange the code (after the caller checked state) and check the whole token response."""
    if pending.tenant != tenant.name or pending.iss != tenant.iss:
        raise LaunchError("state_mismatch", "this callback belongs to another launch")
    if not code:
        raise LaunchError("token_error", "the EHR sent no authorization code")
    now = now or datetime.now(UTC)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": pending.code_verifier,
    }
    body = post_token_request(http, tenant, smart, form, keys=keys, now=now, code="token_error")
    tokens = token_set_from_response(body, tenant=tenant.name, now=now)
    id_token = body.get("id_token")
    if id_token is None:
        if "openid" in pending.scope.split() and tokens.scopes.has("openid"):
            raise LaunchError("id_token_invalid", "openid was granted but no id_token came")
        return check_patient_user(tokens, as_patient=pending.as_patient)
    if not isinstance(id_token, str):
        raise LaunchError("id_token_invalid", "the id_token is not a JWT")
    claims = validate_id_token(
        id_token, tenant=tenant, smart=smart, nonce=pending.nonce, http=http, now=now, jwks=jwks
    )
    # SMART v1 servers may name the user in `profile` instead of `fhirUser`.
    user = resolve_fhir_user(claims.get("fhirUser", claims.get("profile")), iss=tenant.iss)
    return check_patient_user(
        replace(tokens, id_token_claims=claims, fhir_user=user), as_patient=pending.as_patient
    )


def check_patient_user(tokens: TokenSet, *, as_patient: bool) -> TokenSet:
    """A Patient user sees only their own record: the token's `patient` is the fhirUser.

    SMART 2.2 patient-facing launch: `fhirUser` names the Patient who signed in; a context
    patient other than that one (or none) is refused, as is a non-Patient user for a launch
    the user started as the patient.
    """
    user = tokens.fhir_user or ""
    kind, _, user_id = user.partition("/")
    if kind == "Patient":
        if tokens.patient != user_id:
            raise LaunchError(
                "patient_mismatch",
                "you signed in as one patient but the EHR gave access to another record",
            )
    elif as_patient:
        raise LaunchError(
            "patient_mismatch", "you chose to sign in as the patient, but the EHR signed in "
            "someone else; start again and sign in as the patient",
        )  # fmt: skip
    return tokens
