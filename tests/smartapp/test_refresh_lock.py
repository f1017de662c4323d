"""One refresh per launch at a time, across threads (and so across processes): a database lock."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from smartapp.store import Store


def test_ten_concurrent_refreshes_make_one_token_call(store: Store) -> None:
    # smart.md 50
    sid = store.sessions.new_browser_session()
    launch_id = store.sessions.create_launch(
        sid,
        tenant="open",
        patient_id="p1",
        fhir_user=None,
        tokens={"access_token": "old", "refresh_token": "rt-1"},
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
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
    sid = store.sessions.new_browser_session()
    launch_id = store.sessions.create_launch(
        sid,
        tenant="open",
        patient_id="p1",
        fhir_user=None,
        tokens={"access_token": "old"},
        expires_at=datetime.now(UTC),
    )

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
