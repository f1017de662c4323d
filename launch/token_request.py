"""One token-endpoint call with the tenant's client authentication and typed OAuth errors."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from launch.client_auth import client_credentials
from launch.discovery import SmartConfiguration
from launch.errors import LaunchError, TokenEndpointError
from launch.http import JsonObject, OAuthHttp
from launch.keys import KeyStore
from launch.tenant_model import Tenant

log = logging.getLogger("launch.token")

# RFC 6749 5.2 error codes; anything else is reported as "invalid_request".
_OAUTH_ERRORS = frozenset(
    {
        "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
        "unsupported_grant_type", "invalid_scope", "invalid_dpop_proof",
    }
)  # fmt: skip


def post_token_request(
    http: OAuthHttp,
    tenant: Tenant,
    smart: SmartConfiguration,
    form: Mapping[str, str],
    *,
    keys: KeyStore | None,
    now: datetime,
    code: str,
) -> JsonObject:
    """POST `form` plus client authentication to the validated token endpoint; the JSON body."""
    credentials = client_credentials(
        tenant, token_endpoint=smart.token_endpoint, keys=keys, now=now
    )
    data = {**form, **credentials.form}
    try:
        response = http.post_form(smart.token_endpoint, data, basic_auth=credentials.basic_auth)
    except LaunchError as exc:
        raise LaunchError(
            code, f"the EHR's token endpoint could not be reached ({exc.code})"
        ) from exc
    body = response.body
    if response.status != 200:
        error = body.get("error") if body else None
        oauth_error = (
            error if isinstance(error, str) and error in _OAUTH_ERRORS else "invalid_request"
        )
        # The server's error_description is not logged or shown: it is untrusted text.
        log.warning(
            "token request for tenant %s refused: %s (%s)",
            tenant.name,
            oauth_error,
            response.status,
        )
        raise TokenEndpointError(
            code,
            f"the EHR refused the token request ({oauth_error})",
            oauth_error=oauth_error,
            status=response.status,
        )
    if body is None:
        raise LaunchError(code, "the EHR's token response is not JSON")
    return body
