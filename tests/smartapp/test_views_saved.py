"""Plans saved in a launch: kept encrypted, recalled by launch and plan key, expired after 12 h."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from smartapp.store import Store
from smartapp.views.saved import KEEP, SavedPlans, saved_plans

SECRET = "test-secret-key-0123456789abcdefghijklmnop"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make_saved(tmp_path: Path, clock: Clock) -> tuple[Store, SavedPlans]:
    store = Store.open(f"sqlite:///{tmp_path / 'app.db'}", secret_key=SECRET, now=clock)
    return store, SavedPlans(store)


def test_a_saved_plan_comes_back_for_its_launch_and_key_only(tmp_path: Path) -> None:
    store, saved = make_saved(tmp_path, Clock())
    saved.remember(
        "launch-a",
        "key-1",
        plan={"what_matters": "Walk my dog"},
        result={"strategy": "note"},
        patient_name="Pat Example",
    )
    found = saved.recall("launch-a", "key-1")
    assert found is not None
    assert found.plan == {"what_matters": "Walk my dog"}
    assert found.patient_name == "Pat Example"
    assert saved.recall("launch-b", "key-1") is None
    assert saved.recall("launch-a", "key-2") is None
    store.close()


def test_the_plan_text_is_encrypted_at_rest(tmp_path: Path) -> None:
    store, saved = make_saved(tmp_path, Clock())
    saved.remember(
        "launch-a",
        "key-1",
        plan={"what_matters": "Walk my dog"},
        result={},
        patient_name="Pat Example",
    )
    with store.engine.connect() as conn:
        payload = conn.execute(select(saved_plans.c.payload)).scalar_one()
    assert b"Walk my dog" not in payload
    assert b"Pat Example" not in payload
    store.close()


def test_saving_again_replaces_the_answer_and_old_ones_expire(tmp_path: Path) -> None:
    clock = Clock()
    store, saved = make_saved(tmp_path, clock)
    saved.remember("launch-a", "key-1", plan={}, result={"complete": False}, patient_name=None)
    saved.remember("launch-a", "key-1", plan={}, result={"complete": True}, patient_name=None)
    found = saved.recall("launch-a", "key-1")
    assert found is not None
    assert found.result == {"complete": True}
    clock.now += KEEP + timedelta(minutes=1)
    assert saved.recall("launch-a", "key-1") is None
    store.close()
