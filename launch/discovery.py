"""SMART discovery: `.well-known/smart-configuration`, then the CapabilityStatement fallback.

SMART 2.2 conformance: the well-known document is a SHALL; the CapabilityStatement `oauth-uris`
extension is the deprecated v1 route (smart.md items 8-10, 12-13). Every endpoint is checked
against the tenant before any credential is sent to it (see `launch.endpoints`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from launch.endpoints import checked_endpoint
from launch.errors import LaunchError, OAuthHttpError
from launch.http import OAuthHttp
from launch.tenant_model import ClientAuth, Tenant

log = logging.getLogger("launch.discovery")

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
DEFAULT_TTL = timedelta(hours=1)
# SMART v1 conformance: sub-extensions of the oauth-uris extension.
_OAUTH_URI_NAMES = {
    "authorize": "authorization_endpoint",
    "token": "token_endpoint",
    "register": "registration_endpoint",
    "manage": "management_endpoint",
    "introspect": "introspection_endpoint",
    "revoke": "revocation_endpoint",
}
_ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "introspection_endpoint",
    "revocation_endpoint",
    "registration_endpoint",
    "management_endpoint",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SmartConfiguration:
    """The validated OAuth endpoints and capabilities of one tenant."""

    issuer: str | None
    authorization_endpoint: str | None
    token_endpoint: str
    jwks_uri: str | None = None
    introspection_endpoint: str | None = None
    revocation_endpoint: str | None = None
    registration_endpoint: str | None = None
    management_endpoint: str | None = None
    capabilities: tuple[str, ...] = ()
    code_challenge_methods_supported: tuple[str, ...] = ()
    grant_types_supported: tuple[str, ...] = ()
    scopes_supported: tuple[str, ...] = ()
    token_endpoint_auth_methods_supported: tuple[str, ...] = ()
    source: str = "well-known"  # or "capability-statement" (legacy discovery)
    fetched_at: datetime

    def supports(self, capability: str) -> bool:
        """Whether the server lists a SMART capability (e.g. "permission-v2")."""
        return capability in self.capabilities

    def to_json(self) -> str:
        """A JSON text for a cache row."""
        return json.dumps(self.to_dict(), sort_keys=True)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready mapping for a cache row."""
        data = asdict(self)
        data["fetched_at"] = self.fetched_at.isoformat()
        return data

    @classmethod
    def from_json(cls, text: str) -> SmartConfiguration:
        """Read back what `to_json` wrote; ValueError when it does not fit."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, value: object) -> SmartConfiguration:
        """Read back what `to_dict` wrote; ValueError when it does not fit."""
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        data = dict(value)
        try:
            fetched = datetime.fromisoformat(data.pop("fetched_at"))
            tuples = {k: tuple(v) for k, v in data.items() if isinstance(v, list)}
            return cls(**{**data, **tuples}, fetched_at=fetched)
        except (TypeError, KeyError) as exc:
            raise ValueError("cached configuration does not fit") from exc


class DiscoveryCache(Protocol):
    """Where discovery results are kept between launches (the app keeps them in SQL)."""

    def get(self, tenant_name: str) -> SmartConfiguration | None:
        """The stored configuration of a tenant, or None."""

    def put(self, tenant_name: str, config: SmartConfiguration) -> None:
        """Store (replace) the configuration of a tenant."""


def discover(
    http: OAuthHttp,
    tenant: Tenant,
    *,
    cache: DiscoveryCache | None = None,
    now: datetime | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> SmartConfiguration:
    """The tenant's SMART configuration: from the cache while fresh, else fetched and checked."""
    now = now or datetime.now(UTC)
    if cache is not None:
        cached = cache.get(tenant.name)
        if cached is not None and cached.fetched_at <= now < cached.fetched_at + ttl:
            return cached
    config = fetch_configuration(http, tenant, now=now)
    if cache is not None:
        cache.put(tenant.name, config)
    return config


def fetch_configuration(http: OAuthHttp, tenant: Tenant, *, now: datetime) -> SmartConfiguration:
    """Fetch well-known, fall back to the CapabilityStatement, and validate the endpoints."""
    document: Mapping[str, object] | None = None
    source = "well-known"
    try:
        # SMART 2.2 conformance: the path is appended to the base even when it has one.
        document = http.get_json(f"{tenant.iss}/.well-known/smart-configuration").body
    except OAuthHttpError as exc:
        log.info("smart-configuration unavailable for tenant %s (%s)", tenant.name, exc.code)
    if document is None or not isinstance(document.get("token_endpoint"), str):
        log.warning("legacy discovery from the CapabilityStatement for tenant %s", tenant.name)
        source = "capability-statement"
        document = _from_capability_statement(http, tenant)
    config = _build(tenant, document, source=source, now=now)
    if "S256" not in config.code_challenge_methods_supported:
        # smart.md 12: PKCE S256 is sent anyway (some servers omit the field but support it).
        log.info("discovery for tenant %s does not list PKCE S256; sending it anyway", tenant.name)
    if (
        tenant.client_auth is ClientAuth.PRIVATE_KEY_JWT
        and config.capabilities
        and not config.supports("client-confidential-asymmetric")
    ):
        # smart.md 12: a tenant set up for private_key_jwt fails closed when the server says no.
        raise LaunchError(
            "discovery_failed", "the EHR does not advertise asymmetric client authentication"
        )
    return config


def _from_capability_statement(http: OAuthHttp, tenant: Tenant) -> Mapping[str, object]:
    try:
        statement = (
            http.get_json(f"{tenant.iss}/metadata", accept="application/fhir+json").body or {}
        )
    except OAuthHttpError as exc:
        raise LaunchError(
            "discovery_failed", "the EHR's SMART configuration could not be read"
        ) from exc
    found: dict[str, object] = {}
    for rest in _dicts(statement.get("rest")):
        security = rest.get("security")
        if not isinstance(security, dict):
            continue
        for extension in _dicts(security.get("extension")):
            if extension.get("url") != OAUTH_URIS:
                continue
            for sub in _dicts(extension.get("extension")):
                name, value = _OAUTH_URI_NAMES.get(str(sub.get("url"))), sub.get("valueUri")
                if name is not None and isinstance(value, str):
                    found[name] = value
        if found:
            break
    if not isinstance(found.get("token_endpoint"), str):
        raise LaunchError("discovery_failed", "the EHR publishes no OAuth endpoints")
    return found


def _build(
    tenant: Tenant, doc: Mapping[str, object], *, source: str, now: datetime
) -> SmartConfiguration:
    endpoints: dict[str, str | None] = {}
    for name in _ENDPOINTS:
        value = doc.get(name)
        endpoints[name] = checked_endpoint(tenant, name, value) if value is not None else None
    issuer = doc.get("issuer")
    return SmartConfiguration(
        issuer=checked_endpoint(tenant, "issuer", issuer) if issuer is not None else None,
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"] or "",
        jwks_uri=endpoints["jwks_uri"],
        introspection_endpoint=endpoints["introspection_endpoint"],
        revocation_endpoint=endpoints["revocation_endpoint"],
        registration_endpoint=endpoints["registration_endpoint"],
        management_endpoint=endpoints["management_endpoint"],
        capabilities=_words(doc.get("capabilities")),
        code_challenge_methods_supported=_words(doc.get("code_challenge_methods_supported")),
        grant_types_supported=_words(doc.get("grant_types_supported")),
        scopes_supported=_words(doc.get("scopes_supported")),
        token_endpoint_auth_methods_supported=_words(
            doc.get("token_endpoint_auth_methods_supported")
        ),
        source=source,
        fetched_at=now,
    )


def _dicts(value: object) -> tuple[Mapping[str, object], ...]:
    return tuple(v for v in value if isinstance(v, dict)) if isinstance(value, list) else ()


def _words(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
