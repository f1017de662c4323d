"""A minimal SMART client for the sandbox tests: launch, authorize, exchange (requests only)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from sandbox.stack import Stack

SCOPE = "launch openid fhirUser offline_access patient/*.rs patient/Goal.cruds"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def pkce() -> tuple[str, str]:
    """A verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query(url: str) -> dict[str, str]:
    """The query parameters of a URL, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def launch(stack: Stack, **params: str) -> tuple[str, str]:
    """GET /launcher (auto approve by default); the iss and launch the app would receive."""
    params.setdefault("launch_uri", f"{stack.app_url}/launch")
    params.setdefault("auto", "1")
    url = f"{stack.ehr_url}/launcher"
    response = requests.get(url, params=params, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    got = query(response.headers["Location"])
    return got["iss"], got["launch"]


def discover(iss: str) -> dict[str, Any]:
    """The smart-configuration of a site."""
    response = requests.get(f"{iss}/.well-known/smart-configuration", timeout=10)
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """An authorize request and its answer."""

    response: requests.Response
    verifier: str
    redirect_uri: str

    @property
    def params(self) -> dict[str, str]:
        """Parameters of the redirect back to the app."""
        return query(self.response.headers.get("Location", ""))


def authorize(
    stack: Stack,
    iss: str,
    *,
    launch_id: str | None,
    client_id: str = "functionfirst",
    scope: str = SCOPE,
    state: str = "state-1",
    **extra: str,
) -> Attempt:
    """GET the authorize endpoint with PKCE S256 (override any parameter through `extra`)."""
    verifier, challenge = pkce()
    redirect_uri = f"{stack.app_url}/callback"
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "aud": iss,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "nonce": "nonce-1",
    }
    if launch_id:
        params["launch"] = launch_id
    params.update(extra)
    params = {k: v for k, v in params.items() if v != ""}
    url = discover(iss)["authorization_endpoint"]
    response = requests.get(url, params=params, allow_redirects=False, timeout=10)
    return Attempt(response=response, verifier=verifier, redirect_uri=redirect_uri)


def token_request(
    iss: str, data: dict[str, str], *, auth: tuple[str, str] | None = None
) -> requests.Response:
    """POST the token endpoint."""
    return requests.post(discover(iss)["token_endpoint"], data=data, auth=auth, timeout=10)


def refresh_grant(refresh_token: str, **extra: str) -> dict[str, str]:
    """The token request of a refresh by the public client (`extra`: a scope, say)."""
    return {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": "functionfirst",
        **extra,
    }


def exchange(
    iss: str,
    attempt: Attempt,
    *,
    client_id: str = "functionfirst",
    verifier: str | None = None,
    auth: tuple[str, str] | None = None,
    assertion: str | None = None,
) -> requests.Response:
    """Redeem the code of an authorize attempt."""
    data = {
        "grant_type": "authorization_code",
        "code": attempt.params["code"],
        "redirect_uri": attempt.redirect_uri,
        "code_verifier": attempt.verifier if verifier is None else verifier,
    }
    if auth is None and assertion is None:
        data["client_id"] = client_id
    if assertion is not None:
        data.update(client_assertion_type=ASSERTION_TYPE, client_assertion=assertion)
    return token_request(iss, data, auth=auth)


def tokens(
    stack: Stack, profile: str = "open", *, scope: str = SCOPE, **launch_params: str
) -> dict[str, Any]:
    """A complete EHR launch with the public client; the token response."""
    launch_params.setdefault("patient", stack.patients[0].id)
    launch_params.setdefault("practitioner", stack.practitioners[0].id)
    iss, launch_id = launch(stack, profile=profile, **launch_params)
    attempt = authorize(stack, iss, launch_id=launch_id, scope=scope)
    assert attempt.response.status_code == 302, attempt.response.text
    response = exchange(iss, attempt)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    found["iss"] = iss
    return found


def patient_of_kind(stack: Stack, kind: str) -> str:
    """The id of the seeded patient of a kind."""
    return next(p.id for p in stack.patients if p.kind == kind)


def bearer(token: dict[str, Any]) -> dict[str, str]:
    """The Authorization header for a token response."""
    return {"Authorization": f"Bearer {token['access_token']}", "Accept": "application/fhir+json"}


def client_assertion(
    key: RSAKey,
    *,
    client_id: str,
    audience: str,
    alg: str = "RS384",
    lifetime: int = 240,
    jti: str | None = None,
) -> str:
    """A SMART client assertion (private_key_jwt)."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "exp": now + lifetime,
        "iat": now,
        "jti": jti or secrets.token_urlsafe(16),
    }
    header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
    encoded: str = jwt.encode(header, claims, key, algorithms=[alg])
    return encoded
