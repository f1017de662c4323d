"""SMART Backend Services: client_credentials with a signed assertion, `system/` scopes.

SMART 2.2 backend-services (smart.md items 54-56): a separate registration with asymmetric
authentication only; tokens are short and come without a refresh token, so a job asks again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from launch.discovery import SmartConfiguration
from launch.errors import LaunchError
from launch.http import OAuthHttp
from launch.keys import KeyStore
from launch.tenant_model import ClientAuth, Tenant
from launch.token_request import post_token_request
from launch.tokens import TokenSet, token_set_from_response


def system_token(
    tenant: Tenant,
    smart: SmartConfiguration,
    *,
    keys: KeyStore,
    http: OAuthHttp,
    scopes: Sequence[str],
    now: datetime | None = None,
) -> TokenSet:
    """An access token for a system job; only `system/` scopes, only private_key_jwt."""
    if tenant.client_auth is not ClientAuth.PRIVATE_KEY_JWT:
        # "The symmetric profile is not intended for Backend Services" (SMART 2.2).
        raise LaunchError(
            "backend_token_error", "backend services need private_key_jwt authentication"
        )
    if not scopes or any(not s.startswith("system/") for s in scopes):
        raise LaunchError("backend_token_error", "backend services request system/ scopes only")
    now = now or datetime.now(UTC)
    scope = " ".join(scopes)
    form = {"grant_type": "client_credentials", "scope": scope}
    body = post_token_request(
        http, tenant, smart, form, keys=keys, now=now, code="backend_token_error"
    )
    tokens = token_set_from_response(
        body, tenant=tenant.name, now=now, code="backend_token_error", requested_scope=scope
    )
    return tokens if tokens.refresh_token is None else _without_refresh(tokens)


def _without_refresh(tokens: TokenSet) -> TokenSet:
    # Refresh tokens "SHOULD NOT be issued"; a job asks again instead of keeping one.
    return replace(tokens, refresh_token=None)
