"""Client authentication at the token endpoint, as the tenant is registered.

SMART 2.2 client-confidential-asymmetric (smart.md item 29): the assertion header carries `alg`
RS384 or ES384, `kid` and `typ: JWT`; the claims `iss = sub = client_id`, `aud` = the token
endpoint, `exp` no more than five minutes ahead and a fresh `jti` every time. The assertion is
written here with joserfc (authlib's JOSE library) rather than authlib's PrivateKeyJWT, whose
defaults are RS256, a one-hour `exp` and, with a shared claims dict, a repeated `jti`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from joserfc import jwt

from launch.errors import LaunchError
from launch.keys import KeyStore, StoredKey
from launch.tenant_model import ClientAuth, Tenant

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = timedelta(minutes=4)  # SHALL be at most five minutes


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientCredentials:
    """What to add to a token request: form fields and, for Basic, the id/secret pair."""

    form: dict[str, str] = field(default_factory=dict, repr=False)
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)


def tenant_signing_key(tenant: Tenant, keys: KeyStore | None) -> StoredKey:
    """The key the tenant signs with: its pinned kid, else the current key of its algorithm."""
    if keys is None:
        raise LaunchError(
            "client_auth", "this EHR needs the app's signing keys, and none are loaded"
        )
    if tenant.kid is not None:
        return keys.key_for_kid(tenant.kid)
    return keys.signing_key(tenant.signing_alg.value)


def client_assertion(
    *, client_id: str, token_endpoint: str, key: StoredKey, now: datetime | None = None
) -> str:
    """A signed private_key_jwt assertion with a fresh 256-bit `jti`."""
    issued = int((now or datetime.now(UTC)).timestamp())
    header = {"alg": key.alg, "kid": key.kid, "typ": "JWT"}
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint,
        "iat": issued,
        "exp": issued + int(ASSERTION_LIFETIME.total_seconds()),
        "jti": secrets.token_urlsafe(32),
    }
    return jwt.encode(header, claims, key.key, algorithms=[key.alg])


def client_credentials(
    tenant: Tenant, *, token_endpoint: str, keys: KeyStore | None, now: datetime | None = None
) -> ClientCredentials:
    """The client authentication for one token request (a new assertion every call)."""
    if tenant.client_auth is ClientAuth.PUBLIC:
        return ClientCredentials(form={"client_id": tenant.client_id})
    if tenant.client_auth is ClientAuth.CLIENT_SECRET_BASIC:
        if not tenant.client_secret:
            raise LaunchError("client_auth", "the client secret for this EHR is not configured")
        return ClientCredentials(basic_auth=(tenant.client_id, tenant.client_secret))
    key = tenant_signing_key(tenant, keys)
    assertion = client_assertion(
        client_id=tenant.client_id, token_endpoint=token_endpoint, key=key, now=now
    )
    return ClientCredentials(
        form={"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    )
