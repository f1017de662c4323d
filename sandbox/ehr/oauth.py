"""The SMART authorization server of one sandbox site, built on authlib's server side."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidScopeError,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from joserfc import jwt
from joserfc.jwk import RSAKey

from sandbox.ehr.config import ClientSpec, EhrConfig
from sandbox.ehr.profiles import Profile, TokenFormat
from sandbox.ehr.scopes import is_known_scope
from sandbox.ehr.state import EhrState, EhrUser, TokenRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """One vendor site of the EHR: its profile, URLs, signing key and the shared state."""

    profile: Profile
    config: EhrConfig
    state: EhrState
    key: RSAKey

    @property
    def iss(self) -> str:
        """The FHIR base URL, which is the launch `iss`."""
        return f"{self.config.public_url}/{self.profile.name}/fhir"

    def auth_url(self, endpoint: str) -> str:
        """An OAuth endpoint URL of this site."""
        return f"{self.config.public_url}/{self.profile.name}/auth/{endpoint}"

    def fhir_user(self, user: EhrUser) -> str | None:
        """The `fhirUser` claim: relative, or absolute where the vendor does that (Epic)."""
        if user.patient_user and user.patient:
            ref = f"Patient/{user.patient}"  # SMART 2.2: a patient user is a Patient resource
        elif user.practitioner:
            ref = f"Practitioner/{user.practitioner}"
        else:
            return None
        return f"{self.iss}/{ref}" if self.profile.absolute_fhir_user else ref


class SandboxClient(ClientMixin):  # type: ignore[misc]
    """A registered client as authlib sees it."""

    def __init__(self, spec: ClientSpec) -> None:
        self.spec = spec
        self.client_id = spec.client_id

    def get_client_id(self) -> str:
        """The client id."""
        return self.spec.client_id

    def get_default_redirect_uri(self) -> str | None:
        """The only redirect URI when there is exactly one."""
        uris = self.spec.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """Grant what was asked; backend clients only get system scopes."""
        names = (scope or "").split()
        if "client_credentials" in self.spec.grant_types:
            names = [s for s in names if s.startswith("system/")]
        return " ".join(dict.fromkeys(names))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match against the registered URIs (RFC 9700 2.1)."""
        return redirect_uri in self.spec.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Constant-time comparison with the registered secret."""
        secret = self.spec.secret or ""
        return bool(secret) and hmac.compare_digest(secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Each client authenticates with its one registered method."""
        return method == self.spec.auth_method

    def check_response_type(self, response_type: str) -> bool:
        """Only the authorization code flow."""
        return response_type == "code" and "authorization_code" in self.spec.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        """Grant types the client was registered for."""
        return grant_type in self.spec.grant_types


class SiteServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's Flask authorization server bound to one site."""

    def __init__(self, site: Site) -> None:
        super().__init__(query_client=self._find_client, save_token=self._store_token)
        self.site = site
        self._clients = {c.client_id: SandboxClient(c) for c in site.config.clients}
        self.load_config({})
        self.register_token_generator(
            "default",
            BearerTokenGenerator(self._access_token, lambda *a, **k: generate_token(48), self._ttl),
        )

    def _find_client(self, client_id: str) -> SandboxClient | None:
        return self._clients.get(client_id)

    def validate_requested_scope(self, scope: str | None) -> None:
        """Unknown scopes are an `invalid_scope` error."""
        unknown = [s for s in (scope or "").split() if not is_known_scope(s)]
        if unknown:
            raise InvalidScopeError(description=f"Unknown scope: {unknown[0]}")

    def _ttl(self, client: SandboxClient, grant_type: str) -> int:
        if grant_type == "client_credentials":
            return self.site.config.backend_token_seconds
        return self.site.profile.access_token_seconds

    def _access_token(
        self, client: SandboxClient, grant_type: str, user: EhrUser | None, scope: str
    ) -> str:
        site = self.site
        if site.profile.token_format is TokenFormat.OPAQUE:
            return str(generate_token(64))
        now = int(site.state.clock())
        claims: dict[str, Any] = {
            "iss": site.auth_url("token").rsplit("/", 1)[0],
            "aud": site.iss,
            "sub": (user.get_user_id() if user else client.client_id),
            "client_id": client.client_id,
            "scope": scope,
            "iat": now,
            "exp": now + self._ttl(client, grant_type),
            "jti": generate_token(24),
        }
        if user and user.patient:
            claims["patient"] = user.patient
        header = {"alg": "RS256", "kid": site.key.kid, "typ": "at+jwt"}
        encoded: str = jwt.encode(header, claims, site.key, algorithms=["RS256"])
        return encoded

    def _store_token(self, token: Mapping[str, Any], request: Any) -> None:
        now = self.site.state.clock()
        user = request.user if isinstance(request.user, EhrUser) else _system_user()
        scope = token.get("scope", "")
        # The record's kind is the name of the token's field in the token response.
        lifetimes = {"access_token": int(token["expires_in"])}
        if token.get("refresh_token"):
            lifetimes["refresh_token"] = self.site.config.refresh_token_seconds
        for kind, seconds in lifetimes.items():
            self.site.state.add_token(
                TokenRecord(
                    value=token[kind],
                    kind=kind,
                    site=self.site.profile.name,
                    client_id=request.client.client_id,
                    scope=scope,
                    user=user,
                    issued_at=now,
                    expires_at=now + seconds,
                )
            )


def add_launch_context(site: Site, user: EhrUser, token: dict[str, Any]) -> dict[str, Any]:
    """SMART 2.2 launch context: patient, encounter, need_patient_banner, smart_style_url..."""
    if user.patient:
        token["patient"] = user.patient
    if user.encounter:
        token["encounter"] = user.encounter
    token["need_patient_banner"] = user.need_patient_banner
    token["smart_style_url"] = f"{site.config.public_url}/smart-style.json"
    # SMART 2.2: Patient and Encounter appear at top level only; fhirContext carries the rest.
    token["fhirContext"] = [{"reference": ref} for ref in user.fhir_context]
    return token


def _system_user() -> EhrUser:
    return EhrUser(practitioner=None, patient=None, encounter=None, need_patient_banner=False)
