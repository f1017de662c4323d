"""Per-tenant cache of discovery documents and CapabilityStatement facts, with a TTL."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from smartapp.store.engine import write_transaction
from smartapp.store.schema import tenant_cache
from smartapp.store.sessions import Clock, utc


class TenantCache:
    """JSON payloads per (tenant, kind) that expire; a miss means "fetch again"."""

    def __init__(self, engine: Engine, *, now: Clock) -> None:
        self._engine = engine
        self._now = now

    def get(self, tenant: str, kind: str) -> dict[str, object] | None:
        """The cached payload, or None when absent or expired."""
        table = tenant_cache
        with self._engine.connect() as conn:
            row = conn.execute(
                select(table.c.payload, table.c.expires_at).where(
                    (table.c.tenant == tenant) & (table.c.kind == kind)
                )
            ).one_or_none()
        if row is None or utc(row.expires_at) <= self._now():
            return None
        data = json.loads(row.payload)
        return data if isinstance(data, dict) else None

    def put(self, tenant: str, kind: str, payload: dict[str, object], *, ttl: timedelta) -> None:
        """Store (or replace) a payload for `ttl`."""
        table = tenant_cache
        now = self._now()
        where = (table.c.tenant == tenant) & (table.c.kind == kind)
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(delete(table).where(where))
                conn.execute(
                    insert(table).values(
                        tenant=tenant,
                        kind=kind,
                        payload=json.dumps(payload, separators=(",", ":")),
                        fetched_at=now,
                        expires_at=now + ttl,
                    )
                )
        except IntegrityError:
            return  # another worker stored the same fresh payload at the same moment
