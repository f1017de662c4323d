"""The SQL store: sessions, single-use pending authorizations, audit, cache, encryption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from smartapp.store import AuditEntry, DecryptError, Outcome, Store
from smartapp.store.crypto import Cipher
from smartapp.store.engine import create_store_engine
from smartapp.store.schema import launch_sessions, pending_authorizations

from .conftest import SECRET

TOKENS = {"access_token": "AT-secret-value", "refresh_token": "RT-secret-value"}


def make_launch(store: Store, sid: str, patient: str = "p1") -> str:
    return store.sessions.create_launch(
        sid,
        tenant="open",
        patient_id=patient,
        fhir_user="Practitioner/1",
        tokens=dict(TOKENS),
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )


def test_tokens_are_encrypted_at_rest(store: Store) -> None:
    # smart.md 40
    sid = store.sessions.new_browser_session()
    launch_id = make_launch(store, sid)
    with store.engine.connect() as conn:
        raw = conn.execute(select(launch_sessions.c.tokens)).scalar_one()
        dump = str(conn.execute(select(launch_sessions)).all())
    assert b"AT-secret-value" not in bytes(raw)
    assert "AT-secret-value" not in dump
    assert "RT-secret-value" not in dump
    assert sid not in dump  # only a keyed hash of the session id is stored
    record = store.sessions.launch_for_session(launch_id, sid)
    assert record is not None
    assert record.tokens == TOKENS


def test_a_launch_is_only_found_with_its_own_session(store: Store) -> None:
    # smart.md 7
    sid_a = store.sessions.new_browser_session()
    sid_b = store.sessions.new_browser_session()
    launch_a = make_launch(store, sid_a, "patient-a")
    assert store.sessions.launch_for_session(launch_a, sid_b) is None
    found = store.sessions.launch_for_session(launch_a, sid_a)
    assert found is not None
    assert found.patient_id == "patient-a"


def test_pending_authorization_is_single_use_and_bound_to_the_session(store: Store) -> None:
    # smart.md 15, 25
    sid = store.sessions.new_browser_session()
    other = store.sessions.new_browser_session()
    secret = {"state": "S" * 43, "nonce": "N", "code_verifier": "V"}
    store.sessions.save_pending(
        sid, state="S" * 43, tenant="open", secret=secret, ttl=timedelta(minutes=10)
    )
    assert store.sessions.take_pending(other, "S" * 43) is None
    taken = store.sessions.take_pending(sid, "S" * 43)
    assert taken is not None
    assert taken.secret == secret
    assert taken.tenant == "open"
    assert store.sessions.take_pending(sid, "S" * 43) is None
    with store.engine.connect() as conn:
        assert conn.execute(select(pending_authorizations)).all() == []


def test_an_expired_pending_authorization_is_refused(store: Store) -> None:
    # smart.md 25
    sid = store.sessions.new_browser_session()
    store.sessions.save_pending(
        sid, state="x" * 43, tenant="open", secret={}, ttl=timedelta(seconds=-1)
    )
    assert store.sessions.take_pending(sid, "x" * 43) is None


def test_rotation_gives_a_new_id_and_keeps_the_launches(store: Store) -> None:
    # smart.md 26
    sid = store.sessions.new_browser_session()
    launch_id = make_launch(store, sid)
    new_sid = store.sessions.rotate(sid)
    assert new_sid != sid
    assert not store.sessions.browser_session_alive(sid)
    assert store.sessions.browser_session_alive(new_sid)
    assert store.sessions.launch_for_session(launch_id, sid) is None
    assert store.sessions.launch_for_session(launch_id, new_sid) is not None


def test_idle_sessions_time_out(database_url: tuple[str, str | None]) -> None:
    # smart.md 64
    url, schema = database_url
    clock = [datetime(2026, 1, 1, 9, 0, tzinfo=UTC)]
    store = Store.open(url, secret_key=SECRET, schema=schema, now=lambda: clock[0])
    try:
        sid = store.sessions.new_browser_session()
        launch_id = make_launch(store, sid)
        clock[0] += timedelta(minutes=29)
        assert store.sessions.launch_for_session(launch_id, sid) is not None
        clock[0] += timedelta(minutes=31)
        assert store.sessions.launch_for_session(launch_id, sid) is None
        assert store.sessions.purge_expired() >= 1
        assert store.sessions.get_launch(launch_id) is None
    finally:
        store.close()


def test_the_audit_log_is_append_only(store: Store) -> None:
    # smart.md 72
    store.audit.append(
        AuditEntry(
            action="launch",
            outcome=Outcome.SUCCESS,
            tenant="open",
            launch_id="L1",
            fhir_user="Practitioner/1",
            patient_id="p1",
            resources=("Goal/7/_history/2",),
            correlation_id="c1",
        )
    )
    (entry,) = store.audit.entries()
    assert entry.resources == ("Goal/7/_history/2",)
    assert entry.outcome is Outcome.SUCCESS
    assert entry.at is not None
    for statement in ("UPDATE ff_audit_log SET outcome = 'x'", "DELETE FROM ff_audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(statement))
    assert len(store.audit.entries()) == 1


def test_the_tenant_cache_expires(database_url: tuple[str, str | None]) -> None:
    # smart.md 13
    url, schema = database_url
    clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    store = Store.open(url, secret_key=SECRET, schema=schema, now=lambda: clock[0])
    try:
        store.cache.put(
            "open", "smart", {"token_endpoint": "https://x/token"}, ttl=timedelta(hours=1)
        )
        store.cache.put(
            "open", "smart", {"token_endpoint": "https://y/token"}, ttl=timedelta(hours=1)
        )
        assert store.cache.get("open", "smart") == {"token_endpoint": "https://y/token"}
        clock[0] += timedelta(hours=1, seconds=1)
        assert store.cache.get("open", "smart") is None
    finally:
        store.close()


def test_a_wrong_key_cannot_read_stored_tokens() -> None:
    # smart.md 40
    sealed = Cipher(SECRET).seal({"access_token": "x"})
    with pytest.raises(DecryptError):
        Cipher("another-secret-key-0123456789abcdefghij").open(sealed)


def test_readiness_reports_an_unreachable_database(store: Store) -> None:
    assert store.is_ready()
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    down = Store(
        create_store_engine("postgresql+psycopg://postgres@127.0.0.1:1/test"), secret_key=SECRET
    )
    assert not down.is_ready()
