"""The CapabilityStatement read once for all workers: the store's SQL cache behind each process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import responses
from flask import Flask

from smartapp.gateway.capabilities import (
    CapabilityCache,
    capabilities_from_statement,
    statement_of,
)
from smartapp.store import Store
from tests.smartapp.conftest import SECRET
from tests.smartapp.gateway.fakes import BASE, make_client
from tests.smartapp.gateway.test_capabilities import make_statement


class Clock:
    """A settable clock for the store (aware datetimes) and the caches (seconds)."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def seconds(self) -> float:
        return self.at.timestamp()

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def shared_store(database_url: tuple[str, str | None], clock: Clock) -> Iterator[Store]:
    """One database (SQLite file, or a PostgreSQL schema) that every 'worker' below shares."""
    url, schema = database_url
    opened = Store.open(url, secret_key=SECRET, schema=schema, now=clock.now)
    yield opened
    opened.close()


def metadata_reads(wire: responses.RequestsMock) -> int:
    return sum(1 for call in wire.calls if str(call.request.url).endswith("/metadata"))


def test_the_stored_form_reads_back_the_same_capabilities() -> None:
    for statement in (make_statement(), make_statement(transaction=False, conditional=False)):
        caps = capabilities_from_statement(statement)
        assert capabilities_from_statement(statement_of(caps)) == caps


def test_several_workers_share_one_metadata_read(shared_store: Store, clock: Clock) -> None:
    # smart.md 74: the CapabilityStatement is read once and cached, across worker processes
    workers = [
        CapabilityCache(clock=clock.seconds, shared=shared_store.cache) for _ in range(3)
    ]  # one cache per process, one database
    with responses.RequestsMock() as wire:
        wire.get(f"{BASE}/metadata", json=make_statement(transaction=False))
        seen = [worker.get("ehr", make_client()) for worker in workers]
        assert metadata_reads(wire) == 1
    assert all(caps == seen[0] for caps in seen)
    assert not seen[0].transaction
    assert seen[0].resource("Goal").conditional_create


def test_the_shared_entry_expires_with_the_ttl(shared_store: Store, clock: Clock) -> None:
    # smart.md 74: after the TTL the statement is read again (the EHR may have changed)
    first = CapabilityCache(ttl=600, clock=clock.seconds, shared=shared_store.cache)
    second = CapabilityCache(ttl=600, clock=clock.seconds, shared=shared_store.cache)
    with responses.RequestsMock() as wire:
        wire.get(f"{BASE}/metadata", json=make_statement())
        assert first.get("ehr", make_client()).transaction
        clock.advance(599)
        assert second.get("ehr", make_client()).transaction
        assert metadata_reads(wire) == 1
        clock.advance(2)
        wire.replace(responses.GET, f"{BASE}/metadata", json=make_statement(transaction=False))
        assert not first.get("ehr", make_client()).transaction  # its own copy is old too
        assert metadata_reads(wire) == 2


def test_a_process_holds_its_copy_shorter_than_the_shared_ttl(
    shared_store: Store, clock: Clock
) -> None:
    # A worker's in-process copy (no database round trip) lasts at most local_ttl, so a
    # statement another worker re-read reaches it within that time.
    worker = CapabilityCache(ttl=3600, local_ttl=60, clock=clock.seconds, shared=shared_store.cache)
    with responses.RequestsMock() as wire:
        wire.get(f"{BASE}/metadata", json=make_statement())
        assert worker.get("ehr", make_client()).transaction
    newer = capabilities_from_statement(make_statement(transaction=False))
    shared_store.cache.put("ehr", CapabilityCache.KIND, statement_of(newer), ttl=timedelta(hours=1))
    clock.advance(30)
    with responses.RequestsMock() as wire:  # no request may leave
        assert worker.get("ehr", make_client()).transaction  # its own copy, still fresh
        clock.advance(31)
        assert not worker.get("ehr", make_client()).transaction  # the shared one, no read


def test_tenants_are_cached_apart(shared_store: Store, clock: Clock) -> None:
    cache = CapabilityCache(clock=clock.seconds, shared=shared_store.cache)
    with responses.RequestsMock() as wire:
        wire.get(f"{BASE}/metadata", json=make_statement())
        cache.get("ehr", make_client())
        cache.get("other", make_client())
        assert metadata_reads(wire) == 2
    assert shared_store.cache.get("ehr", CapabilityCache.KIND) is not None
    assert shared_store.cache.get("other", CapabilityCache.KIND) is not None


def test_without_a_shared_cache_it_stays_in_process(clock: Clock) -> None:
    cache = CapabilityCache(ttl=60, clock=clock.seconds)
    with responses.RequestsMock() as wire:
        wire.get(f"{BASE}/metadata", json=make_statement())
        cache.get("ehr", make_client())
        clock.advance(59)
        cache.get("ehr", make_client())
        assert metadata_reads(wire) == 1


def test_the_app_pages_keep_capabilities_in_the_store(app: Flask) -> None:
    # smart.md 74: the pages' cache is the shared one (a second worker of this app reads no more)
    pages = app.extensions["functionfirst.pages"]
    store = app.extensions["functionfirst"].store
    with responses.RequestsMock() as wire:
        wire.get(f"{BASE}/metadata", json=make_statement())
        pages.capabilities.get("ehr", make_client())
    stored = store.cache.get("ehr", CapabilityCache.KIND)
    assert stored is not None
    assert capabilities_from_statement(stored) == capabilities_from_statement(make_statement())
