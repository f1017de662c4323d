"""Drafts (server-side, per tenant+patient+clinician) and idempotency records of saves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from smartapp.store.crypto import Cipher
from smartapp.store.engine import write_transaction
from smartapp.store.schema import metadata
from smartapp.store.sessions import Clock, utc

# A draft comes back on the next launch for the same patient and clinician at the same site.
# The payload (clinician-typed plan text: PHI) is encrypted at rest like the tokens.
drafts = Table(
    "ff_draft",
    metadata,
    Column("tenant", String(200), primary_key=True),
    Column("patient_id", String(200), primary_key=True),
    Column("fhir_user", String(400), primary_key=True),
    Column("launch_id", String(64), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per save attempt key: the first request claims it (a lease), later ones replay
# its answer, so a double click, a retry after a timeout or a second worker write once.
idempotency = Table(
    "ff_idempotency",
    metadata,
    Column("tenant", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("response", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

MAX_DRAFT_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """A stored draft: the client's JSON, its version (for If-Match) and when it was saved."""

    data: dict[str, object]
    version: int
    updated_at: datetime
    launch_id: str


class DraftConflict(Exception):
    """The draft changed since the version the client read (another tab saved it)."""

    def __init__(self, current: Draft) -> None:
        super().__init__("the draft was changed in another window")
        self.current = current


class DraftTooLarge(Exception):
    """The draft exceeds the size bound."""


class DraftStore:
    """Get, put and clear the draft of one (tenant, patient, clinician)."""

    def __init__(self, engine: Engine, cipher: Cipher, *, now: Clock) -> None:
        self._engine = engine
        self._cipher = cipher
        self._now = now

    def get(self, tenant: str, patient_id: str, fhir_user: str) -> Draft | None:
        """The current draft, or None."""
        with self._engine.connect() as conn:
            row = conn.execute(select(drafts).where(_draft_key(tenant, patient_id, fhir_user)))
            found = row.one_or_none()
        if found is None:
            return None
        return Draft(
            data=self._cipher.open(found.payload),
            version=found.version,
            updated_at=utc(found.updated_at),
            launch_id=found.launch_id,
        )

    def put(
        self,
        tenant: str,
        patient_id: str,
        fhir_user: str,
        *,
        launch_id: str,
        data: dict[str, object],
        expected_version: int | None = None,
    ) -> Draft:
        """Store the draft; with `expected_version`, refuse if it changed (DraftConflict)."""
        if len(json.dumps(data)) > MAX_DRAFT_BYTES:
            raise DraftTooLarge(f"a draft is limited to {MAX_DRAFT_BYTES // 1024} KB")
        sealed, now = self._cipher.seal(data), self._now()
        key = _draft_key(tenant, patient_id, fhir_user)
        with write_transaction(self._engine) as conn:
            current = conn.execute(select(drafts.c.version).where(key)).scalar_one_or_none()
            if current is None:
                try:
                    conn.execute(
                        insert(drafts).values(
                            tenant=tenant, patient_id=patient_id, fhir_user=fhir_user,
                            launch_id=launch_id, payload=sealed, version=1, updated_at=now,
                        )
                    )
                    version = 1
                except IntegrityError:
                    current = None  # lost a race with another tab: report it as a conflict
                    version = -1
            else:
                if expected_version is not None and expected_version != current:
                    version = -1
                else:
                    version = current + 1
                    changed = conn.execute(
                        update(drafts)
                        .where(and_(key, drafts.c.version == current))
                        .values(launch_id=launch_id, payload=sealed, version=version,
                                updated_at=now)
                    )
                    if changed.rowcount != 1:
                        version = -1
        if version < 0:
            latest = self.get(tenant, patient_id, fhir_user)
            if latest is None:
                raise DraftConflict(Draft(data={}, version=0, updated_at=now, launch_id=launch_id))
            raise DraftConflict(latest)
        return Draft(data=data, version=version, updated_at=now, launch_id=launch_id)

    def clear(self, tenant: str, patient_id: str, fhir_user: str) -> None:
        """Remove the draft (after the plan it held was saved)."""
        with write_transaction(self._engine) as conn:
            conn.execute(delete(drafts).where(_draft_key(tenant, patient_id, fhir_user)))


def _draft_key(tenant: str, patient_id: str, fhir_user: str) -> ColumnElement[bool]:
    return and_(
        drafts.c.tenant == tenant,
        drafts.c.patient_id == patient_id,
        drafts.c.fhir_user == fhir_user,
    )


class ClaimKind(Enum):
    """What a save request found when it tried to claim its idempotency key."""

    NEW = "new"  # this request runs the save
    REPLAY = "replay"  # an earlier request finished: answer with its response
    BUSY = "busy"  # an earlier request is still running
    MISMATCH = "mismatch"  # the key was used for a different request body


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """The outcome of `IdempotencyStore.claim`."""

    kind: ClaimKind
    status_code: int | None = None
    response: dict[str, object] | None = None


class IdempotencyStore:
    """Idempotency keys for saves, shared by every worker through the database."""

    def __init__(self, engine: Engine, *, now: Clock, lease: timedelta = timedelta(seconds=60)):
        self._engine = engine
        self._now = now
        self._lease = lease

    def claim(self, tenant: str, key: str, *, request_hash: str, owner: str) -> Claim:
        """Claim `key` for `owner`, or learn that another request has it or finished it."""
        now = self._now()
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(
                    insert(idempotency).values(
                        tenant=tenant, key=key, request_hash=request_hash, owner=owner,
                        lease_until=now + self._lease, created_at=now,
                    )
                )
            return Claim(kind=ClaimKind.NEW)
        except IntegrityError:
            pass
        where = and_(idempotency.c.tenant == tenant, idempotency.c.key == key)
        with write_transaction(self._engine) as conn:
            row = conn.execute(select(idempotency).where(where)).one_or_none()
            if row is None:  # finished and released between our insert and select
                return self.claim(tenant, key, request_hash=request_hash, owner=owner)
            if row.request_hash != request_hash:
                return Claim(kind=ClaimKind.MISMATCH)
            if row.response is not None:
                return Claim(
                    kind=ClaimKind.REPLAY,
                    status_code=row.status_code,
                    response=json.loads(row.response),
                )
            if utc(row.lease_until) > now:
                return Claim(kind=ClaimKind.BUSY)
            # The first worker died mid-save: take over. The save itself is idempotent at the
            # EHR (identifiers from the plan key), so running it again lands nothing twice.
            taken = conn.execute(
                update(idempotency)
                .where(and_(where, idempotency.c.owner == row.owner,
                            idempotency.c.response.is_(None)))
                .values(owner=owner, lease_until=now + self._lease)
            )
        return Claim(kind=ClaimKind.NEW if taken.rowcount == 1 else ClaimKind.BUSY)

    def finish(
        self, tenant: str, key: str, *, owner: str, status_code: int, response: dict[str, object]
    ) -> None:
        """Record the answer of a claimed save so later requests replay it."""
        with write_transaction(self._engine) as conn:
            conn.execute(
                update(idempotency)
                .where(and_(idempotency.c.tenant == tenant, idempotency.c.key == key,
                            idempotency.c.owner == owner))
                .values(status_code=status_code, response=json.dumps(response))
            )

    def release(self, tenant: str, key: str, *, owner: str) -> None:
        """Give a claim up without an answer (the save failed before anything was known)."""
        with write_transaction(self._engine) as conn:
            conn.execute(
                delete(idempotency).where(
                    and_(idempotency.c.tenant == tenant, idempotency.c.key == key,
                         idempotency.c.owner == owner, idempotency.c.response.is_(None))
                )
            )
