"""OpenID Connect id_tokens, private_key_jwt client assertions and token introspection."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
)
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core import OpenIDCode
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from sandbox.ehr.oauth import SandboxClient, Site
from sandbox.ehr.state import EhrUser, TokenRecord

# SMART client-confidential-asymmetric: clients SHALL support RS384 and ES384.
ASSERTION_ALGORITHMS = ("RS384", "ES384", "RS256")
JWKS_TIMEOUT = 5.0


TOKEN_AUTH_METHODS = ("client_secret_basic", "private_key_jwt", "none")


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
