"""Browser sessions, pending authorizations and launch sessions (tokens encrypted at rest)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.engine import Row

from smartapp.store.crypto import Cipher
from smartapp.store.engine import write_transaction
from smartapp.store.schema import browser_sessions, launch_sessions, pending_authorizations

Clock = Callable[[], datetime]
# Record last_seen at most this often, so reads do not turn every page into a write.
_TOUCH_EVERY = timedelta(seconds=30)


def utc(value: datetime) -> datetime:
    """Attach UTC to a naive datetime read back from SQLite."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def new_opaque_id() -> str:
    """256 bits from the OS random source, URL-safe (session ids, launch ids)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionPolicy:
    """Idle and absolute lifetimes of a browser session and its launches."""

    idle: timedelta
    max_age: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingRecord:
    """An authorization in flight, taken (and deleted) exactly once at the callback."""

    tenant: str
    secret: dict[str, object]
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchRecord:
    """A completed launch as stored; `tokens` is the decrypted token mapping."""

    launch_id: str
    tenant: str
    patient_id: str | None
    fhir_user: str | None
    tokens: dict[str, object]
    token_version: int
    expires_at: datetime
    created_at: datetime
    last_seen_at: datetime


def launch_record(row: Row[Any], cipher: Cipher) -> LaunchRecord:
    """Turn a launch_sessions row into a record, decrypting the tokens."""
    data = row._mapping
    return LaunchRecord(
        launch_id=str(data["launch_id"]),
        tenant=str(data["tenant"]),
        patient_id=data["patient_id"],
        fhir_user=data["fhir_user"],
        tokens=cipher.open(data["tokens"]),
        token_version=int(data["token_version"]),
        expires_at=utc(data["expires_at"]),
        created_at=utc(data["created_at"]),
        last_seen_at=utc(data["last_seen_at"]),
    )


class SessionStore:
    """Server-side session state; the browser holds only an opaque session id."""

    def __init__(
        self, engine: Engine, cipher: Cipher, *, policy: SessionPolicy, now: Clock
    ) -> None:
        self._engine = engine
        self._cipher = cipher
        self._policy = policy
        self._now = now

    def _live(self, created_at: datetime, last_seen_at: datetime) -> bool:
        now = self._now()
        return (
            utc(created_at) + self._policy.max_age > now
            and utc(last_seen_at) + self._policy.idle > now
        )

    def launch_is_live(self, record: LaunchRecord) -> bool:
        """True when the launch has timed out neither idle nor by its absolute lifetime."""
        return self._live(record.created_at, record.last_seen_at)

    def new_browser_session(self) -> str:
        """Start a browser session; returns the raw id for the cookie (only its hash is kept)."""
        sid = new_opaque_id()
        now = self._now()
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(browser_sessions).values(
                    sid_hash=self._cipher.lookup_hash(sid), created_at=now, last_seen_at=now
                )
            )
        return sid

    def browser_session_alive(self, sid: str) -> bool:
        """True when the cookie's session exists and has not timed out."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(browser_sessions).where(
                    browser_sessions.c.sid_hash == self._cipher.lookup_hash(sid)
                )
            ).one_or_none()
        return row is not None and self._live(row.created_at, row.last_seen_at)

    def rotate(self, old_sid: str) -> str:
        """Replace the session id (session fixation, OWASP); launches and pending move along."""
        new_sid = new_opaque_id()
        old_hash, new_hash = self._cipher.lookup_hash(old_sid), self._cipher.lookup_hash(new_sid)
        now = self._now()
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(browser_sessions).values(sid_hash=new_hash, created_at=now, last_seen_at=now)
            )
            for table in (pending_authorizations, launch_sessions):
                conn.execute(
                    update(table).where(table.c.sid_hash == old_hash).values(sid_hash=new_hash)
                )
            conn.execute(delete(browser_sessions).where(browser_sessions.c.sid_hash == old_hash))
        return new_sid

    def save_pending(
        self, sid: str, *, state: str, tenant: str, secret: dict[str, object], ttl: timedelta
    ) -> None:
        """Keep an authorization in flight, bound to the browser session, for `ttl`."""
        now = self._now()
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(pending_authorizations).values(
                    state_hash=self._cipher.lookup_hash(state),
                    sid_hash=self._cipher.lookup_hash(sid),
                    tenant=tenant,
                    secret=self._cipher.seal(secret),
                    created_at=now,
                    expires_at=now + ttl,
                )
            )

    def take_pending(self, sid: str, state: str) -> PendingRecord | None:
        """Take the authorization for `state` in this session, once; None if unknown or expired."""
        table = pending_authorizations
        where = (table.c.state_hash == self._cipher.lookup_hash(state)) & (
            table.c.sid_hash == self._cipher.lookup_hash(sid)
        )
        with write_transaction(self._engine) as conn:
            row = conn.execute(select(table).where(where)).one_or_none()
            if row is None:
                return None
            # Single use across workers: only the request whose DELETE removed the row goes on.
            if conn.execute(delete(table).where(where)).rowcount != 1:
                return None
        if utc(row.expires_at) <= self._now():
            return None
        return PendingRecord(
            tenant=row.tenant, secret=self._cipher.open(row.secret), created_at=utc(row.created_at)
        )

    def create_launch(
        self,
        sid: str,
        *,
        tenant: str,
        patient_id: str | None,
        fhir_user: str | None,
        tokens: dict[str, object],
        expires_at: datetime,
    ) -> str:
        """Store a completed launch under the browser session; returns the new launch id."""
        launch_id = new_opaque_id()
        now = self._now()
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(launch_sessions).values(
                    launch_id=launch_id,
                    sid_hash=self._cipher.lookup_hash(sid),
                    tenant=tenant,
                    patient_id=patient_id,
                    fhir_user=fhir_user,
                    tokens=self._cipher.seal(tokens),
                    token_version=1,
                    expires_at=expires_at,
                    created_at=now,
                    last_seen_at=now,
                )
            )
        return launch_id

    def launch_for_session(self, launch_id: str, sid: str) -> LaunchRecord | None:
        """The launch when it belongs to this browser session and has not timed out."""
        table = launch_sessions
        with self._engine.connect() as conn:
            row = conn.execute(
                select(table).where(
                    (table.c.launch_id == launch_id)
                    & (table.c.sid_hash == self._cipher.lookup_hash(sid))
                )
            ).one_or_none()
        if row is None or not self._live(row.created_at, row.last_seen_at):
            return None
        now = self._now()
        if now - utc(row.last_seen_at) > _TOUCH_EVERY:
            with write_transaction(self._engine) as conn:
                conn.execute(
                    update(table).where(table.c.launch_id == launch_id).values(last_seen_at=now)
                )
                conn.execute(
                    update(browser_sessions)
                    .where(browser_sessions.c.sid_hash == self._cipher.lookup_hash(sid))
                    .values(last_seen_at=now)
                )
        return launch_record(row, self._cipher)

    def get_launch(self, launch_id: str) -> LaunchRecord | None:
        """The launch by id alone (for background work that has no browser)."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(launch_sessions).where(launch_sessions.c.launch_id == launch_id)
            ).one_or_none()
        return None if row is None else launch_record(row, self._cipher)

    def end_launch(self, launch_id: str) -> None:
        """Forget a launch and its tokens."""
        with write_transaction(self._engine) as conn:
            conn.execute(delete(launch_sessions).where(launch_sessions.c.launch_id == launch_id))

    def purge_expired(self) -> int:
        """Delete expired pending authorizations and timed-out sessions; returns rows removed."""
        now = self._now()
        idle_cut, max_cut = now - self._policy.idle, now - self._policy.max_age
        removed = 0
        with write_transaction(self._engine) as conn:
            removed += conn.execute(
                delete(pending_authorizations).where(pending_authorizations.c.expires_at <= now)
            ).rowcount
            for table in (launch_sessions, browser_sessions):
                removed += conn.execute(
                    delete(table).where(
                        (table.c.last_seen_at <= idle_cut) | (table.c.created_at <= max_cut)
                    )
                ).rowcount
        return removed
