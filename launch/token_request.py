"""One token-endpoint call with the tenant's client authentication and typed OAuth errors."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from launch.client_auth import client_credentials
from launch.discovery import SmartConfiguration
from launch.errors import LaunchError, TokenEndpointError, TokenEndpointUnavailable
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
# Answers that mean "not now" rather than "no": RFC 6749 4.1.2.1's codes, which token endpoints
# also send, and statuses a retry may clear.
_TRANSIENT_ERRORS = frozenset({"temporarily_unavailable", "server_error"})
_TRANSIENT_WIRE = frozenset({"timeout", "connection_failed", "http_error"})


def _is_transient(status: int, error: object) -> bool:
    return status >= 500 or status == 429 or error in _TRANSIENT_ERRORS


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
        # A dropped connection or a timeout may clear; TLS, redirects and size limits will not.
        description = f"the EHR's token endpoint could not be reached ({exc.code})"
        if exc.code in _TRANSIENT_WIRE:
            raise TokenEndpointUnavailable(code, description, status=None) from exc
        raise LaunchError(code, description) from exc
    body = response.body
    if response.status != 200:
        error = body.get("error") if body else None
        if _is_transient(response.status, error):
            log.warning(
                "token endpoint for tenant %s unavailable (%s)", tenant.name, response.status
            )
            raise TokenEndpointUnavailable(
                code,
                f"the EHR's token endpoint is unavailable for now (HTTP {response.status})",
                status=response.status,
            )
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
