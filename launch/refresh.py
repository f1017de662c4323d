"""Token refresh (SMART 2.2 app-launch "Refresh access token"; smart.md items 47-51).

The request carries no `scope` (a missing scope means the same scopes; authlib's auto-refresh
re-sends the requested scope and can fail with invalid_scope), the client authenticates as at the
code exchange (a fresh assertion for private_key_jwt), and a response without a new refresh
token keeps the old one. The single-flight lock around this call belongs to the app's store.
"""

from __future__ import annotations

from datetime import UTC, datetime

from launch.discovery import SmartConfiguration
from launch.errors import LaunchError
from launch.http import OAuthHttp
from launch.keys import KeyStore
from launch.tenant_model import Tenant
from launch.token_request import post_token_request
from launch.tokens import TokenSet, needs_refresh, token_set_from_response

__all__ = ["needs_refresh", "refresh_tokens"]


def refresh_tokens(
    tenant: Tenant,
    smart: SmartConfiguration,
    tokens: TokenSet,
    *,
    keys: KeyStore | None,
    http: OAuthHttp,
    now: datetime | None = None,
) -> TokenSet:
    """A new TokenSet from the refresh token; LaunchError("refresh_failed") when it cannot."""
    if tokens.refresh_token is None:
        raise LaunchError(
            "refresh_failed", "this launch has no refresh token; relaunch from the EHR"
        )
    if tokens.tenant != tenant.name:
        raise LaunchError("refresh_failed", "these tokens belong to another EHR")
    now = now or datetime.now(UTC)
    form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    body = post_token_request(http, tenant, smart, form, keys=keys, now=now, code="refresh_failed")
    return token_set_from_response(
        body, tenant=tenant.name, now=now, code="refresh_failed", previous=tokens
    )
