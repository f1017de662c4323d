"""Configuration of the sandbox EHR, built once and handed to `create_ehr_app`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - a development EHR's documented default


class ClientAuth:
    """Token-endpoint authentication method names (RFC 7591 spellings)."""

    NONE = "none"
    SECRET_BASIC = "client_secret_basic"  # noqa: S105 - a method name
    PRIVATE_KEY_JWT = "private_key_jwt"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientSpec:
    """One registered client."""

    client_id: str
    auth_method: str
    redirect_uris: tuple[str, ...] = ()
    secret: str | None = None
    jwks_url: str | None = None
    jwks: Mapping[str, object] | None = None
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token")


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    """A seeded patient or practitioner as the launcher lists it."""

    id: str
    name: str
    kind: str
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EhrConfig:
    """Everything the EHR needs; `public_url` is its own origin, e.g. http://127.0.0.1:8001."""

    public_url: str
    backend_url: str
    clients: tuple[ClientSpec, ...]
    patients: tuple[Listing, ...] = ()
    practitioners: tuple[Listing, ...] = ()
    default_launch_uri: str = ""
    code_seconds: int = 60
    refresh_token_seconds: int = 7 * 24 * 3600
    backend_token_seconds: int = 300
    admin_enabled: bool = True
    fault_seed: int = 0
    backend_timeout: float = 60.0
    clock: Callable[[], float] = field(default=time.time)


def default_clients(app_url: str, *, secret: str) -> tuple[ClientSpec, ...]:
    """The four clients the sandbox registers for the app at `app_url`."""
    app = app_url.rstrip("/")
    redirect = (f"{app}/callback",)
    jwks_url = f"{app}/.well-known/jwks.json"
    return (
        ClientSpec(client_id="functionfirst", auth_method=ClientAuth.NONE, redirect_uris=redirect),
        ClientSpec(
            client_id="functionfirst-secret",
            auth_method=ClientAuth.SECRET_BASIC,
            redirect_uris=redirect,
            secret=secret,
        ),
        ClientSpec(
            client_id="functionfirst-jwt",
            auth_method=ClientAuth.PRIVATE_KEY_JWT,
            redirect_uris=redirect,
            jwks_url=jwks_url,
        ),
        ClientSpec(
            client_id="functionfirst-backend",
            auth_method=ClientAuth.PRIVATE_KEY_JWT,
            jwks_url=jwks_url,
            grant_types=("client_credentials",),
        ),
    )


def client_secret_from(environ: Mapping[str, str] = os.environ) -> str:
    """The confidential client's secret: FUNCTIONFIRST_SANDBOX_CLIENT_SECRET or the default."""
    return environ.get("FUNCTIONFIRST_SANDBOX_CLIENT_SECRET") or DEFAULT_CLIENT_SECRET
