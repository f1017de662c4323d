"""Tokens of a launch: discovery (cached in SQL), the token source, the pending authorization.

The token source refreshes proactively (a minute before expiry) and on demand (a 401), once per
launch across threads and workers (smart.md 50-51); each refresh is audited.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import TypeGuard

from launch.discovery import SmartConfiguration, discover
from launch.errors import LaunchError, TokenEndpointError
from launch.flow import PendingAuthorization
from launch.refresh import refresh_tokens
from launch.revoke import revoke_tokens
from launch.tenant_model import Tenant
from launch.tokens import TokenSet, needs_refresh
from smartapp.services import LaunchSession, Services, services
from smartapp.store import AuditEntry, Outcome, Store


def smart_configuration(tenant: Tenant, found: Services | None = None) -> SmartConfiguration:
    """The tenant's discovery document, cached in the database for the configured TTL.

    Pass `found` outside a request (a worker thread has no Flask app context).
    """
    found = found or services()
    return discover(
        found.oauth_http,
        tenant,
        cache=SqlDiscoveryCache(found.store, ttl=found.config.discovery_ttl),
        now=found.store.now(),
        ttl=found.config.discovery_ttl,
    )


# RFC 6749 5.2: answers that mean this refresh token will never work at this EHR (revoked,
# expired, or the client may not use the grant). A network error, a timeout or a 5xx may pass.
PERMANENT_REFRESH_ERRORS = frozenset(
    {"invalid_grant", "unauthorized_client", "unsupported_grant_type"}
)


def refresh_failed_for_good(exc: LaunchError) -> TypeGuard[TokenEndpointError]:
    """True when the token endpoint refused the refresh for good (the launch must end)."""
    return (
        isinstance(exc, TokenEndpointError)
        and exc.status < 500
        and exc.oauth_error in PERMANENT_REFRESH_ERRORS
    )


class SqlDiscoveryCache:
    """launch.DiscoveryCache kept in the app database (shared by all workers)."""

    def __init__(self, store: Store, *, ttl: timedelta) -> None:
        self._store = store
        self._ttl = ttl

    def get(self, tenant_name: str) -> SmartConfiguration | None:
        """The cached configuration, or None when absent, expired or unreadable."""
        payload = self._store.cache.get(tenant_name, "smart-configuration")
        if payload is None:
            return None
        try:
            return SmartConfiguration.from_dict(payload)
        except ValueError:
            return None

    def put(self, tenant_name: str, config: SmartConfiguration) -> None:
        """Keep the configuration for the TTL."""
        self._store.cache.put(
            tenant_name, "smart-configuration", config.to_dict(), ttl=self._ttl
        )


class LaunchTokenSource:
    """The gateway's TokenSource for one launch: proactive and on-demand refresh, single-flight."""

    def __init__(self, found: Services, launch: LaunchSession, correlation: str) -> None:
        self._services = found
        self._launch = launch
        self._tokens = launch.tokens
        self._version = launch.token_version
        self._correlation = correlation

    def access_token(self) -> str:
        """The access token, refreshed first when it expires within a minute (smart.md 51)."""
        if needs_refresh(self._tokens, self._services.store.now()):
            return self.refresh()
        return self._tokens.access_token

    def refresh(self) -> str:
        """Refresh once per launch across workers; others reuse the result (smart.md 50)."""
        found, launch = self._services, self._launch
        if self._tokens.refresh_token is None:
            raise LaunchError("refresh_failed", "this launch cannot renew its access")

        refreshed: list[bool] = []

        def refresher(stored: dict[str, object]) -> tuple[dict[str, object], datetime]:
            refreshed.append(True)
            current = TokenSet.from_dict(stored)
            renewed = refresh_tokens(
                launch.tenant,
                smart_configuration(launch.tenant, found),
                current,
                keys=found.keys,
                http=found.oauth_http,
                now=found.store.now(),
            )
            return renewed.to_dict(), renewed.expires_at

        def entry(outcome: Outcome, detail: str | None = None) -> AuditEntry:
            return AuditEntry(
                action="token-refresh",
                outcome=outcome,
                tenant=launch.tenant.name,
                launch_id=launch.launch_id,
                fhir_user=launch.fhir_user,
                patient_id=launch.patient_id,
                correlation_id=self._correlation,
                detail=detail,
            )

        try:
            record = found.store.refresh_launch(
                launch.launch_id, seen_version=self._version, refresher=refresher
            )
        except LaunchError as exc:
            found.store.audit.append(entry(Outcome.FAILURE, exc.code))
            if refresh_failed_for_good(exc):
                # smart.md 51: the grant is dead; keep no credential that can never work again.
                found.store.sessions.end_launch(launch.launch_id)
                closed = entry(Outcome.SUCCESS, f"refresh_failed:{exc.oauth_error}")
                found.store.audit.append(replace(closed, action="launch-end"))
            raise
        if refreshed:  # this worker made the token call (the others reused its result)
            found.store.audit.append(entry(Outcome.SUCCESS))
        self._tokens = TokenSet.from_dict(record.tokens)
        self._version = record.token_version
        return self._tokens.access_token


def revoke_launch(found: Services, launch: LaunchSession) -> tuple[Outcome, str | None] | None:
    """Revoke the launch's grant at the EHR (RFC 7009); None when no `revocation_endpoint`.

    smart.md 64: SMART conformance lists `revocation_endpoint` as RECOMMENDED. Best effort: never
    raises; the outcome (and a failure's code) is for the audit trail.
    """
    try:
        smart = smart_configuration(launch.tenant, found)
        if smart.revocation_endpoint is None:
            return None
        done = revoke_tokens(
            launch.tenant,
            smart,
            launch.tokens,
            keys=found.keys,
            http=found.oauth_http,
            now=found.store.now(),
        )
    except LaunchError as exc:  # discovery or client authentication could not be done
        return Outcome.FAILURE, exc.code
    return (Outcome.SUCCESS, None) if done else (Outcome.FAILURE, "not_confirmed")


def pending_to_dict(pending: PendingAuthorization) -> dict[str, object]:
    """The pending authorization as a mapping for the encrypted store."""
    data = {f.name: getattr(pending, f.name) for f in fields(pending)}
    data["created_at"] = pending.created_at.isoformat()
    return data


def pending_from_dict(data: dict[str, object]) -> PendingAuthorization:
    """Read back what `pending_to_dict` stored."""
    values = dict(data)
    values["created_at"] = datetime.fromisoformat(str(values["created_at"]))
    return PendingAuthorization(**values)  # type: ignore[arg-type]
