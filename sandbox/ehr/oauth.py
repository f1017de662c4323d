"""The SMART authorization server of one sandbox site, built on authlib's server side."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    grants,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core import OpenIDCode
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from sandbox.ehr.config import ClientSpec, EhrConfig
from sandbox.ehr.profiles import Profile, TokenFormat
from sandbox.ehr.scopes import is_known_scope
from sandbox.ehr.state import CodeRecord, EhrState, EhrUser, TokenRecord

# SMART client-confidential-asymmetric: clients SHALL support RS384 and ES384.
ASSERTION_ALGORITHMS = ("RS384", "ES384", "RS256")
JWKS_TIMEOUT = 5.0


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
        if not user.practitioner:
            return None
        ref = f"Practitioner/{user.practitioner}"
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
        self.site.state.add_token(
            TokenRecord(
                value=token["access_token"],
                kind="access_token",
                site=self.site.profile.name,
                client_id=request.client.client_id,
                scope=scope,
                user=user,
                issued_at=now,
                expires_at=now + int(token["expires_in"]),
            )
        )
        if token.get("refresh_token"):
            self.site.state.add_token(
                TokenRecord(
                    value=token["refresh_token"],
                    kind="refresh_token",
                    site=self.site.profile.name,
                    client_id=request.client.client_id,
                    scope=scope,
                    user=user,
                    issued_at=now,
                    expires_at=now + self.site.config.refresh_token_seconds,
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


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """SMART 2.2: PKCE is required of every client and only S256 is supported."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - authlib's class attribute

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        """Refuse an authorization request without an S256 challenge."""
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge' (PKCE is required)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        """Every client, confidential too, must send the verifier."""
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)

    def get_authorization_code_challenge(self, authorization_code: CodeRecord) -> str | None:
        """The stored challenge."""
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: CodeRecord) -> str:
        """Always S256."""
        return authorization_code.code_challenge_method or "S256"


TOKEN_AUTH_METHODS = ["client_secret_basic", "private_key_jwt", "none"]


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """Authorization code grant keeping codes in the EHR state."""

    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        """Remember the code with its PKCE challenge and nonce."""
        site: Site = self.server.site
        data = request.payload.data
        site.state.add_code(
            CodeRecord(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri or "",
                scope=request.scope or "",
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                user=request.user,
                created_at=site.state.clock(),
            )
        )

    def query_authorization_code(self, code: str, client: SandboxClient) -> CodeRecord | None:
        """The unexpired code issued to this client (SMART: codes live about a minute)."""
        site: Site = self.server.site
        record = site.state.code(code)
        if record is None or record.client_id != client.client_id:
            return None
        if site.state.clock() - record.created_at > site.config.code_seconds:
            site.state.delete_code(code)
            return None
        return record

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        """Codes are single use."""
        self.server.site.state.delete_code(authorization_code.code)

    def authenticate_user(self, authorization_code: CodeRecord) -> EhrUser:
        """The user who approved."""
        return authorization_code.user

    def create_token_response(self) -> tuple[int, dict[str, Any], Any]:
        """The token response with the SMART launch context."""
        status, token, headers = super().create_token_response()
        return status, add_launch_context(self.server.site, self.request.user, token), headers


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """Refresh with rotation, or without a new refresh token where the vendor does that."""

    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def issue_token(self, user: EhrUser, refresh_token: TokenRecord) -> dict[str, Any]:
        """A new access token; a new refresh token only when the profile rotates."""
        scope = self.request.payload.scope or refresh_token.get_scope()
        include = self.server.site.profile.rotate_refresh_token
        return dict(self.generate_token(user=user, scope=scope, include_refresh_token=include))

    def authenticate_refresh_token(self, refresh_token: str) -> TokenRecord | None:
        """A live refresh token; the simulated error `token_expired_refresh_token` expires it."""
        site: Site = self.server.site
        record = site.state.token(refresh_token, "refresh_token")
        if record is None or record.site != site.profile.name:
            return None
        if record.is_expired() or record.is_revoked():
            return None
        if record.user.sim_error == "token_expired_refresh_token":
            return None
        return record

    def authenticate_user(self, refresh_token: TokenRecord) -> EhrUser:
        """The user of the original grant."""
        return refresh_token.user

    def create_token_response(self) -> tuple[int, dict[str, Any], Any]:
        """The refreshed token keeps the launch context."""
        status, token, headers = super().create_token_response()
        return status, add_launch_context(self.server.site, self.request.user, token), headers

    def revoke_old_credential(self, refresh_token: TokenRecord) -> None:
        """Rotation: the old refresh token dies once a new one is issued."""
        if self.server.site.profile.rotate_refresh_token:
            self.server.site.state.revoke(refresh_token.value)


class BackendGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """SMART Backend Services: client_credentials with a signed assertion only."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["private_key_jwt"]  # noqa: RUF012 - authlib's class attribute

    def validate_token_request(self) -> None:
        """A system scope is required."""
        super().validate_token_request()
        scope = self.request.payload.scope or ""
        if not any(s.startswith("system/") for s in scope.split()):
            raise InvalidScopeError(description="Backend services need a system/ scope")


class SmartOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """id_token signed RS256 with `fhirUser` (SMART 2.2 scopes, OpenID Connect)."""

    def __init__(self, site: Site) -> None:
        super().__init__(require_nonce=False)
        self.site = site

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        """Nonces are not tracked across requests in the sandbox."""
        return False

    def resolve_client_private_key(self, client: SandboxClient) -> RSAKey:
        """The site's signing key."""
        return self.site.key

    def get_client_algorithm(self, client: SandboxClient) -> str:
        """RS256, which SMART requires servers to support."""
        return "RS256"

    def get_encode_header(self, client: SandboxClient) -> dict[str, str]:
        """The header names the key."""
        return {"alg": "RS256", "kid": self.site.key.kid or ""}

    def get_client_claims(self, client: SandboxClient) -> dict[str, Any]:
        """Issuer is the FHIR base (the smart-configuration `issuer`)."""
        now = int(self.site.state.clock())
        return {"iss": self.site.iss, "aud": client.client_id, "iat": now, "exp": now + 3600}

    def generate_user_info(self, user: EhrUser, scope: str) -> dict[str, Any]:
        """`sub` and `fhirUser`."""
        info: dict[str, Any] = {"sub": user.get_user_id()}
        fhir_user = self.site.fhir_user(user)
        if fhir_user and "fhirUser" in scope.split():
            info["fhirUser"] = fhir_user
        return info


class SmartAssertion(JWTBearerClientAssertion):  # type: ignore[misc]
    """private_key_jwt verified against the client's JWKS (URL or inline), jti single use."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, site: Site) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self.site = site

    def get_audiences(self) -> list[str]:
        """The token endpoint URL."""
        return [self.site.auth_url("token"), self.site.auth_url("introspect")]

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        """Verify the signature with SMART's algorithms, then the claims."""
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(ASSERTION_ALGORITHMS))
        except (JoseError, ValueError) as e:
            raise InvalidClientError(description="The client assertion is not valid") from e
        exp = token.claims.get("exp")
        now = self.site.state.clock()
        # SMART client-confidential-asymmetric: exp no more than five minutes in the future.
        if isinstance(exp, int | float) and exp > now + 300 + self.leeway:
            raise InvalidClientError(description="Assertion exp is more than 5 minutes ahead")
        self.verify_claims(token.claims)
        return token.claims

    def validate_jti(self, claims: Mapping[str, Any], jti: str) -> bool:
        """A jti may be used once while the assertion is live."""
        until = float(claims.get("exp", self.site.state.clock() + 300))
        return self.site.state.use_jti(str(claims["sub"]), str(jti), until + self.leeway)

    def resolve_client_public_key(self, client: SandboxClient) -> KeySet:
        """The client's registered JWKS: inline, or fetched from its JWKS URL."""
        spec = client.spec
        if spec.jwks is not None:
            return KeySet.import_key_set(dict(spec.jwks))  # type: ignore[arg-type]
        if not spec.jwks_url:
            raise InvalidClientError(description="The client has no registered keys")
        try:
            response = requests.get(spec.jwks_url, timeout=JWKS_TIMEOUT, allow_redirects=False)
            response.raise_for_status()
            return KeySet.import_key_set(json.loads(response.text))
        except (requests.RequestException, ValueError) as e:
            raise InvalidClientError(description="The client's JWKS could not be read") from e


class SiteIntrospection(IntrospectionEndpoint):  # type: ignore[misc]
    """RFC 7662 introspection with the SMART launch context (SMART 2.2 token-introspection)."""

    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        """Look the token up by value (tokens of another site are unknown here)."""
        record = self.server.site.state.token(token_string)
        return record if record and record.site == self.server.site.profile.name else None

    def check_permission(self, token: TokenRecord, client: SandboxClient, request: Any) -> bool:
        """Any registered client may introspect (a dev EHR)."""
        return True

    def introspect_token(self, token: TokenRecord) -> dict[str, Any]:
        """Active tokens with scope, client, expiry and context."""
        site: Site = self.server.site
        payload: dict[str, Any] = {
            "active": True,
            "scope": token.scope,
            "client_id": token.client_id,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "exp": int(token.expires_at),
            "iat": int(token.issued_at),
            "iss": site.iss,
            "sub": token.user.get_user_id(),
        }
        if token.user.patient:
            payload["patient"] = token.user.patient
        fhir_user = site.fhir_user(token.user)
        if fhir_user:
            payload["fhirUser"] = fhir_user
        return payload


def build_server(site: Site) -> SiteServer:
    """The authorization server of one site with every grant and extension registered."""
    server = SiteServer(site)
    server.register_client_auth_method("private_key_jwt", SmartAssertion(site))
    server.register_grant(CodeGrant, [S256Challenge(required=True), SmartOpenIDCode(site)])
    server.register_grant(RefreshGrant)
    server.register_grant(BackendGrant)
    server.register_endpoint(SiteIntrospection)
    return server
