"""Token revocation at logout (RFC 7009; SMART 2.2 conformance `revocation_endpoint`, smart.md 64).

Revocation is best effort: the app clears its own launch record whatever the EHR answers, so
this returns whether the EHR confirmed, and raises only for a configuration problem.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from launch.client_auth import client_credentials
from launch.discovery import SmartConfiguration
from launch.errors import LaunchError
from launch.http import OAuthHttp
from launch.keys import KeyStore
from launch.tenant_model import Tenant
from launch.tokens import TokenSet

log = logging.getLogger("launch.revoke")


def revoke_tokens(
    tenant: Tenant,
    smart: SmartConfiguration,
    tokens: TokenSet,
    *,
    keys: KeyStore | None,
    http: OAuthHttp,
    now: datetime | None = None,
) -> bool:
    """Revoke the refresh token (which ends the grant) or else the access token; True if done."""
    if smart.revocation_endpoint is None:
        return False
    if tokens.refresh_token is not None:
        token, hint = tokens.refresh_token, "refresh_token"
    else:
        token, hint = tokens.access_token, "access_token"
    credentials = client_credentials(
        tenant, token_endpoint=smart.revocation_endpoint, keys=keys, now=now or datetime.now(UTC)
    )
    form = {"token": token, "token_type_hint": hint, **credentials.form}
    try:
        response = http.post_form(
            smart.revocation_endpoint, form, basic_auth=credentials.basic_auth
        )
    except LaunchError as exc:
        log.warning("revocation for tenant %s failed on the wire (%s)", tenant.name, exc.code)
        return False
    # RFC 7009 2.2: 200 whether or not the token was still valid.
    if response.status != 200:
        log.warning("revocation for tenant %s answered %s", tenant.name, response.status)
    return response.status == 200
