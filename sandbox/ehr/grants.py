"""The grants of the sandbox's authorization server: code with PKCE S256, refresh, backend."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    grants,
)
from authlib.oauth2.rfc7636 import CodeChallenge

from sandbox.ehr.identity import (
    TOKEN_AUTH_METHODS,
    SiteIntrospection,
    SmartAssertion,
    SmartOpenIDCode,
)
from sandbox.ehr.oauth import SandboxClient, Site, SiteServer, add_launch_context
from sandbox.ehr.state import CodeRecord, EhrUser, TokenRecord


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """SMART 2.2: PKCE is required of every client and only S256 is supported."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ("S256",)

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


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """Authorization code grant keeping codes in the EHR state."""

    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def validate_token_request(self) -> None:
        """authlib's checks, then the simulated error `auth_invalid_client_secret`."""
        super().validate_token_request()
        user: EhrUser = self.request.authorization_code.user
        if user.sim_error == "auth_invalid_client_secret":
            raise InvalidClientError(
                status_code=401, description="Invalid client secret (simulated)"
            )

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

    TOKEN_ENDPOINT_AUTH_METHODS = ("private_key_jwt",)

    def validate_token_request(self) -> None:
        """A system scope is required."""
        super().validate_token_request()
        scope = self.request.payload.scope or ""
        if not any(s.startswith("system/") for s in scope.split()):
            raise InvalidScopeError(description="Backend services need a system/ scope")


def build_server(site: Site) -> SiteServer:
    """The authorization server of one site with every grant and extension registered."""
    server = SiteServer(site)
    server.register_client_auth_method("private_key_jwt", SmartAssertion(site))
    server.register_grant(CodeGrant, [S256Challenge(required=True), SmartOpenIDCode(site)])
    server.register_grant(RefreshGrant)
    server.register_grant(BackendGrant)
    server.register_endpoint(SiteIntrospection)
    return server
