"""Plans saved in this launch, kept server-side (encrypted) for the saved page and the handout.

The EHR is the record; this keeps what the clinician just saved and how it landed, so the
saved page and the handout can be shown again (reload, print, PDF) even when the EHR only took
a note or nothing at all. Rows belong to a launch and expire with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, LargeBinary, String, Table, and_, delete, insert, select

from smartapp.store import Store
from smartapp.store.engine import write_transaction
from smartapp.store.schema import metadata

saved_plans = Table(
    "ff_saved_plan",
    metadata,
    Column("launch_id", String(64), primary_key=True),
    Column("plan_key", String(64), primary_key=True),
    Column("payload", LargeBinary, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)
KEEP = timedelta(hours=12)


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedPlan:
    """A plan as saved, with the save's answer (SaveResult JSON) and the patient's name."""

    plan: dict[str, object]
    result: dict[str, object]
    patient_name: str | None
    saved_at: datetime


class SavedPlans:
    """Remember and recall the plans saved in a launch."""

    def __init__(self, store: Store) -> None:
        self._store = store
        metadata.create_all(store.engine, tables=[saved_plans])

    def remember(
        self,
        launch_id: str,
        plan_key: str,
        *,
        plan: dict[str, object],
        result: dict[str, object],
        patient_name: str | None,
    ) -> None:
        """Keep (or replace) what was saved under the plan key."""
        sealed = self._store.cipher.seal(
            {"plan": plan, "result": result, "patient_name": patient_name}
        )
        key = and_(saved_plans.c.launch_id == launch_id, saved_plans.c.plan_key == plan_key)
        with write_transaction(self._store.engine) as conn:
            conn.execute(delete(saved_plans).where(key))
            conn.execute(
                insert(saved_plans).values(
                    launch_id=launch_id,
                    plan_key=plan_key,
                    payload=sealed,
                    saved_at=self._store.now(),
                )
            )

    def recall(self, launch_id: str, plan_key: str) -> SavedPlan | None:
        """What was saved under the plan key in this launch, or None (unknown or expired)."""
        key = and_(saved_plans.c.launch_id == launch_id, saved_plans.c.plan_key == plan_key)
        with self._store.engine.connect() as conn:
            row = conn.execute(select(saved_plans).where(key)).one_or_none()
        if row is None:
            return None
        saved_at = (
            row.saved_at
            if row.saved_at.tzinfo
            else row.saved_at.replace(tzinfo=self._store.now().tzinfo)
        )
        if saved_at + KEEP < self._store.now():
            return None
        data = self._store.cipher.open(row.payload)
        plan, result, name = data.get("plan"), data.get("result"), data.get("patient_name")
        if not isinstance(plan, dict) or not isinstance(result, dict):
            return None
        return SavedPlan(
            plan=plan,
            result=result,
            patient_name=name if isinstance(name, str) else None,
            saved_at=saved_at,
        )
