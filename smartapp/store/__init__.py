"""The app's own database: sessions, pending authorizations, audit log, tenant cache.

Other modules add their tables to `smartapp.store.schema.metadata` (import them before
`Store.open` so `create_all` sees them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from smartapp.store.audit import AuditEntry, AuditLog, Outcome
from smartapp.store.cache import TenantCache
from smartapp.store.crypto import Cipher, DecryptError
from smartapp.store.engine import create_store_engine, is_reachable, migrate
from smartapp.store.refresh import LaunchGone, RefreshBusy, Refresher, refresh_single_flight
from smartapp.store.schema import metadata
from smartapp.store.sessions import LaunchRecord, PendingRecord, SessionPolicy, SessionStore

__all__ = [
    "AuditEntry",
    "AuditLog",
    "Cipher",
    "DecryptError",
    "LaunchGone",
    "LaunchRecord",
    "Outcome",
    "PendingRecord",
    "RefreshBusy",
    "SessionPolicy",
    "Store",
    "TenantCache",
    "metadata",
]


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


class Store:
    """The database: `.sessions`, `.audit`, `.cache`, and `.engine` for further tables."""

    def __init__(
        self,
        engine: Engine,
        *,
        secret_key: str,
        policy: SessionPolicy | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.cipher = Cipher(secret_key)
        self.now = now
        policy = policy or SessionPolicy(idle=timedelta(minutes=30), max_age=timedelta(hours=8))
        self.sessions = SessionStore(engine, self.cipher, policy=policy, now=now)
        self.audit = AuditLog(engine, now=now)
        self.cache = TenantCache(engine, now=now)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        secret_key: str,
        policy: SessionPolicy | None = None,
        schema: str | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> Store:
        """Connect to `url`, create missing tables, and return the store."""
        engine = create_store_engine(url, schema=schema)
        migrate(engine)
        return cls(engine, secret_key=secret_key, policy=policy, now=now)

    def refresh_launch(
        self, launch_id: str, *, seen_version: int, refresher: Refresher
    ) -> LaunchRecord:
        """Run `refresher` for the launch unless another worker refreshed since `seen_version`."""
        return refresh_single_flight(
            self.engine,
            self.cipher,
            launch_id,
            seen_version=seen_version,
            refresher=refresher,
            now=self.now,
        )

    def is_ready(self) -> bool:
        """True when the database is reachable."""
        return is_reachable(self.engine)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()
