"""One token refresh per launch at a time, across threads and processes (a lock in the database).

SMART 2.2 best practices: a refresh token is used once; with rotation, two workers refreshing at
the same time would replay it. PostgreSQL: `SELECT ... FOR UPDATE` on the launch row for the
whole refresh. SQLite: a lease on the launch row, claimed inside `BEGIN IMMEDIATE` (the write lock),
so the token call itself runs without holding the database lock.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.engine import Row

from smartapp.store.crypto import Cipher
from smartapp.store.engine import write_transaction
from smartapp.store.schema import launch_sessions
from smartapp.store.sessions import Clock, LaunchRecord, launch_record, utc

# Given the current token mapping, returns the new one and its expiry.
Refresher = Callable[[dict[str, object]], tuple[dict[str, object], datetime]]
_LEASE = timedelta(seconds=60)  # longer than the OAuth client's own timeouts
_POLL_SECONDS = 0.02


class LaunchGone(Exception):
    """The launch no longer exists (ended or purged)."""


class RefreshBusy(Exception):
    """Another worker holds the refresh lease for longer than we wait."""


def _write(
    conn: Connection,
    cipher: Cipher,
    launch_id: str,
    tokens: dict[str, object],
    expires_at: datetime,
    version: int,
) -> LaunchRecord:
    """Store the refreshed tokens, release any lease, and return the launch as now stored."""
    conn.execute(
        update(launch_sessions)
        .where(launch_sessions.c.launch_id == launch_id)
        .values(
            tokens=cipher.seal(tokens),
            token_version=version + 1,
            expires_at=expires_at,
            refresh_holder=None,
            refresh_until=None,
        )
    )
    return launch_record(_load(conn, launch_id, for_update=False), cipher)


def _load(conn: Connection, launch_id: str, *, for_update: bool) -> Row[Any]:
    query = select(launch_sessions).where(launch_sessions.c.launch_id == launch_id)
    row = conn.execute(query.with_for_update() if for_update else query).one_or_none()
    if row is None:
        raise LaunchGone(launch_id)
    return row


def _postgres(
    engine: Engine, cipher: Cipher, launch_id: str, seen_version: int, refresher: Refresher
) -> LaunchRecord:
    with write_transaction(engine) as conn:
        row = _load(conn, launch_id, for_update=True)
        record = launch_record(row, cipher)
        if row.token_version != seen_version:
            return record
        tokens, expires_at = refresher(record.tokens)
        return _write(conn, cipher, launch_id, tokens, expires_at, seen_version)


def _sqlite(
    engine: Engine,
    cipher: Cipher,
    launch_id: str,
    seen_version: int,
    refresher: Refresher,
    now: Clock,
    wait: float,
) -> LaunchRecord:
    holder = uuid.uuid4().hex
    give_up = time.monotonic() + wait
    while True:
        with write_transaction(engine) as conn:
            row = _load(conn, launch_id, for_update=False)
            if row.token_version != seen_version:
                return launch_record(row, cipher)
            until = row.refresh_until
            if row.refresh_holder is None or until is None or utc(until) <= now():
                conn.execute(
                    update(launch_sessions)
                    .where(launch_sessions.c.launch_id == launch_id)
                    .values(refresh_holder=holder, refresh_until=now() + _LEASE)
                )
                record = launch_record(row, cipher)
                break
        if time.monotonic() > give_up:
            raise RefreshBusy(launch_id)
        time.sleep(_POLL_SECONDS)
    mine = (launch_sessions.c.launch_id == launch_id) & (launch_sessions.c.refresh_holder == holder)
    try:
        tokens, expires_at = refresher(record.tokens)
    except BaseException:
        with write_transaction(engine) as conn:
            conn.execute(
                update(launch_sessions).where(mine).values(refresh_holder=None, refresh_until=None)
            )
        raise
    with write_transaction(engine) as conn:
        return _write(conn, cipher, launch_id, tokens, expires_at, seen_version)


def refresh_single_flight(
    engine: Engine,
    cipher: Cipher,
    launch_id: str,
    *,
    seen_version: int,
    refresher: Refresher,
    now: Clock,
    wait_seconds: float = 45.0,
) -> LaunchRecord:
    """Refresh unless someone already did since `seen_version`; returns the current launch."""
    if engine.dialect.name == "postgresql":
        return _postgres(engine, cipher, launch_id, seen_version, refresher)
    return _sqlite(engine, cipher, launch_id, seen_version, refresher, now, wait_seconds)
