"""Drafts and idempotency keys, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from smartapp.store.crypto import Cipher
from smartapp.store.drafts import (
    ClaimKind,
    DraftConflict,
    DraftStore,
    DraftTooLarge,
    IdempotencyStore,
    drafts,
)
from smartapp.store.engine import create_store_engine, migrate

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = create_store_engine(f"sqlite:///{tmp_path / 'app.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    schema = f"t_drafts_{uuid.uuid4().hex[:12]}"
    eng = create_store_engine(PG_URL, schema=schema)
    migrate(eng)
    yield eng
    with eng.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    eng.dispose()


def test_a_draft_comes_back_for_the_same_patient_and_clinician(engine: Engine) -> None:
    store = DraftStore(engine, Cipher("k" * 32), now=Clock())
    store.put("site", "p1", "Practitioner/9", launch_id="L1", data={"what_matters": "walk"})
    again = store.get("site", "p1", "Practitioner/9")
    assert again is not None
    assert again.data == {"what_matters": "walk"}
    assert again.version == 1
    assert again.launch_id == "L1"
    assert store.get("site", "p1", "Practitioner/10") is None
    assert store.get("other", "p1", "Practitioner/9") is None


def test_the_draft_is_encrypted_at_rest(engine: Engine) -> None:
    store = DraftStore(engine, Cipher("k" * 32), now=Clock())
    store.put("site", "p1", "Practitioner/9", launch_id="L1", data={"what_matters": "gardening"})
    with engine.connect() as conn:
        raw = conn.execute(drafts.select()).one().payload
    assert b"gardening" not in bytes(raw)


def test_a_put_with_a_stale_version_is_a_conflict_and_keeps_the_newer_draft(
    engine: Engine,
) -> None:
    store = DraftStore(engine, Cipher("k" * 32), now=Clock())
    store.put("site", "p1", "Practitioner/9", launch_id="L1", data={"v": 1})
    store.put("site", "p1", "Practitioner/9", launch_id="L2", data={"v": 2}, expected_version=1)
    with pytest.raises(DraftConflict) as caught:
        store.put("site", "p1", "Practitioner/9", launch_id="L1", data={"v": 3}, expected_version=1)
    assert caught.value.current.data == {"v": 2}
    assert caught.value.current.version == 2


def test_a_draft_too_large_is_refused(engine: Engine) -> None:
    store = DraftStore(engine, Cipher("k" * 32), now=Clock())
    with pytest.raises(DraftTooLarge):
        store.put("site", "p1", "P/9", launch_id="L1", data={"x": "a" * 300_000})


def test_clear_removes_the_draft(engine: Engine) -> None:
    store = DraftStore(engine, Cipher("k" * 32), now=Clock())
    store.put("site", "p1", "P/9", launch_id="L1", data={"v": 1})
    store.clear("site", "p1", "P/9")
    assert store.get("site", "p1", "P/9") is None


def test_the_first_claim_runs_and_the_second_replays_the_answer(engine: Engine) -> None:
    keys = IdempotencyStore(engine, now=Clock())
    assert keys.claim("site", "k1", request_hash="h", owner="a").kind is ClaimKind.NEW
    assert keys.claim("site", "k1", request_hash="h", owner="b").kind is ClaimKind.BUSY
    keys.finish("site", "k1", owner="a", status_code=201, response={"strategy": "transaction"})
    replay = keys.claim("site", "k1", request_hash="h", owner="b")
    assert replay.kind is ClaimKind.REPLAY
    assert replay.status_code == 201
    assert replay.response == {"strategy": "transaction"}


def test_a_key_reused_for_another_body_is_a_mismatch(engine: Engine) -> None:
    keys = IdempotencyStore(engine, now=Clock())
    keys.claim("site", "k1", request_hash="h1", owner="a")
    assert keys.claim("site", "k1", request_hash="h2", owner="b").kind is ClaimKind.MISMATCH


def test_an_expired_lease_is_taken_over(engine: Engine) -> None:
    clock = Clock()
    keys = IdempotencyStore(engine, now=clock, lease=timedelta(seconds=30))
    keys.claim("site", "k1", request_hash="h", owner="dead")
    clock.now += timedelta(seconds=31)
    assert keys.claim("site", "k1", request_hash="h", owner="b").kind is ClaimKind.NEW
    # the dead worker's late answer does not overwrite the new owner's
    keys.finish("site", "k1", owner="dead", status_code=500, response={"x": 1})
    assert keys.claim("site", "k1", request_hash="h", owner="c").kind is ClaimKind.BUSY


def test_a_released_claim_can_be_claimed_again(engine: Engine) -> None:
    keys = IdempotencyStore(engine, now=Clock())
    keys.claim("site", "k1", request_hash="h", owner="a")
    keys.release("site", "k1", owner="a")
    assert keys.claim("site", "k1", request_hash="h", owner="b").kind is ClaimKind.NEW


def test_of_many_concurrent_claims_exactly_one_runs(engine: Engine) -> None:
    keys = IdempotencyStore(engine, now=Clock())
    with ThreadPoolExecutor(max_workers=8) as pool:
        kinds = list(
            pool.map(
                lambda i: keys.claim("site", "k1", request_hash="h", owner=f"w{i}").kind,
                range(16),
            )
        )
    assert kinds.count(ClaimKind.NEW) == 1
    assert kinds.count(ClaimKind.BUSY) == 15
