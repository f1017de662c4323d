"""One refresh per launch at a time, across threads (and so across processes): a database lock."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smartapp.store import Store
from smartapp.store.engine import create_store_engine

from .conftest import SECRET


def due_launch(store: Store, tokens: dict[str, object], expires_at: datetime) -> str:
    """A launch of patient p1 at the open site, in a new browser session, expiring `expires_at`."""
    return store.sessions.create_launch(
        store.sessions.new_browser_session(),
        tenant="open",
        patient_id="p1",
        fhir_user=None,
        tokens=tokens,
        expires_at=expires_at,
    )


def test_ten_concurrent_refreshes_make_one_token_call(store: Store) -> None:
    # smart.md 50
    launch_id = due_launch(
        store,
        {"access_token": "old", "refresh_token": "rt-1"},
        datetime.now(UTC) - timedelta(seconds=1),
    )
    seen = store.sessions.get_launch(launch_id)
    assert seen is not None
    calls: list[str] = []
    guard = threading.Lock()
    start = threading.Barrier(10)

    def refresher(tokens: dict[str, object]) -> tuple[dict[str, object], datetime]:
        with guard:
            calls.append(str(tokens["refresh_token"]))
        time.sleep(0.2)  # a slow token endpoint: the others must wait, not call again
        return {"access_token": "new", "refresh_token": "rt-2"}, datetime.now(UTC) + timedelta(
            minutes=5
        )

    def worker() -> str:
        start.wait()
        record = store.refresh_launch(
            launch_id, seen_version=seen.token_version, refresher=refresher
        )
        return str(record.tokens["access_token"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: worker(), range(10)))
    assert calls == ["rt-1"]
    assert results == ["new"] * 10
    final = store.sessions.get_launch(launch_id)
    assert final is not None
    assert final.token_version == seen.token_version + 1
    assert final.tokens["refresh_token"] == "rt-2"


def test_a_failed_refresh_releases_the_lock(store: Store) -> None:
    # smart.md 50, 51
    launch_id = due_launch(store, {"access_token": "old"}, datetime.now(UTC))

    def failing(_tokens: dict[str, object]) -> tuple[dict[str, object], datetime]:
        raise RuntimeError("token endpoint down")

    with pytest.raises(RuntimeError):
        store.refresh_launch(launch_id, seen_version=1, refresher=failing)
    record = store.refresh_launch(
        launch_id,
        seen_version=1,
        refresher=lambda _t: ({"access_token": "next"}, datetime.now(UTC) + timedelta(minutes=5)),
    )
    assert record.tokens == {"access_token": "next"}


def refresh_in_another_process(
    url: str, schema: str | None, launch_id: str, counter: str, start_at: float
) -> str:
    """Run in a child process: open the store and refresh, counting token calls in a file."""
    store = Store(create_store_engine(url, schema=schema), secret_key=SECRET)

    def refresher(tokens: dict[str, object]) -> tuple[dict[str, object], datetime]:
        with Path(counter).open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        time.sleep(0.3)
        return {"access_token": f"new-{os.getpid()}"}, datetime.now(UTC) + timedelta(minutes=5)

    time.sleep(max(0.0, start_at - time.time()))
    try:
        record = store.refresh_launch(launch_id, seen_version=1, refresher=refresher)
    finally:
        store.close()
    return str(record.tokens["access_token"])


def test_ten_processes_refreshing_at_once_make_one_token_call(
    store: Store, database_url: tuple[str, str | None], tmp_path: Path
) -> None:
    # smart.md 50: gunicorn workers are processes; the lock lives in the database
    launch_id = due_launch(store, {"access_token": "old", "refresh_token": "rt"}, datetime.now(UTC))
    url, schema = database_url
    counter = tmp_path / "token-calls.txt"
    start_at = time.time() + 1.5  # every child is up and waiting by then
    # fork: the children open their own engines; nothing of the parent's pool is used there.
    context = multiprocessing.get_context("fork")
    with context.Pool(10) as pool:
        results = pool.starmap_async(
            refresh_in_another_process,
            [(url, schema, launch_id, str(counter), start_at)] * 10,
        ).get(timeout=60)
    calls = counter.read_text(encoding="utf-8").split()
    assert len(calls) == 1
    assert set(results) == {f"new-{calls[0]}"}
