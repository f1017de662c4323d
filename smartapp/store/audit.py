"""The append-only audit log: who, for which tenant and patient, did what, to which versions."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import Engine, insert, select

from smartapp.store.engine import write_transaction
from smartapp.store.schema import audit_log
from smartapp.store.sessions import Clock, utc

log = logging.getLogger("functionfirst.audit")


class Outcome(Enum):
    """Audit outcome codes (FHIR AuditEvent.outcome words, spelled for people)."""

    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One audit row. `resources` holds versioned references such as "Goal/1/_history/2"."""

    action: str
    outcome: Outcome
    tenant: str | None = None
    launch_id: str | None = None
    fhir_user: str | None = None
    patient_id: str | None = None
    resources: tuple[str, ...] = ()
    correlation_id: str | None = None
    detail: str | None = None
    at: datetime | None = None  # set by the store when appended


class AuditLog:
    """Appends and reads audit entries; there is no update or delete (the database refuses)."""

    def __init__(self, engine: Engine, *, now: Clock) -> None:
        self._engine = engine
        self._now = now

    def append(self, entry: AuditEntry) -> None:
        """Record one entry, stamped with the current time."""
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(audit_log).values(
                    at=self._now(),
                    action=entry.action,
                    outcome=entry.outcome.value,
                    tenant=entry.tenant,
                    launch_id=entry.launch_id,
                    fhir_user=entry.fhir_user,
                    patient_id=entry.patient_id,
                    resources=json.dumps(list(entry.resources)),
                    correlation_id=entry.correlation_id,
                    detail=(entry.detail or None) and entry.detail[:400],
                )
            )
        # Ids only: the audit row itself carries no PHI beyond the patient id.
        log.info(
            "audit %s %s",
            entry.action,
            entry.outcome.value,
            extra={
                "tenant": entry.tenant,
                "launch_id": entry.launch_id,
                "correlation_id": entry.correlation_id,
            },
        )

    def entries(self, *, launch_id: str | None = None, limit: int = 200) -> tuple[AuditEntry, ...]:
        """The newest entries first, optionally for one launch."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if launch_id is not None:
            query = query.where(audit_log.c.launch_id == launch_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return tuple(
            AuditEntry(
                action=row.action,
                outcome=Outcome(row.outcome),
                tenant=row.tenant,
                launch_id=row.launch_id,
                fhir_user=row.fhir_user,
                patient_id=row.patient_id,
                resources=tuple(json.loads(row.resources)),
                correlation_id=row.correlation_id,
                detail=row.detail,
                at=utc(row.at),
            )
            for row in rows
        )
