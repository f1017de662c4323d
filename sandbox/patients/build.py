"""All synthetic patients, in a fixed order, deterministic from (seed, now).

Nothing a patient's record says happened lies after `now`, the moment of seeding: a builder draws
its timeline back from a day (diary readings at 08:00, 14:00 and 20:00, visits at 09:00, ...), and
a patient whose timeline built on today would reach past `now` is built on yesterday instead, the
whole record shifted by one day. Shifting the whole record (rather than leaving out today's later
readings) keeps every id, count and reference the same for every `now`, so seeding a persistent
server again on a later day overwrites every resource and leaves none behind from an older build.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from random import Random

from sandbox.patients.external import ahrq_patient, no_chronic_pain_patient
from sandbox.patients.histories import goal_history, heavy
from sandbox.patients.kinds import PRIMARY, empty, opioid, sparse, typical
from sandbox.patients.messy import messy
from sandbox.patients.model import SeedPatient

Builder = Callable[[str, Random, date], SeedPatient]
# kind -> (fixed patient id, builder); ids stay the same for every seed so links keep working.
_BUILDERS: dict[str, tuple[str, Builder]] = {
    "typical": ("ff-typical", typical),
    "opioid": ("ff-opioid", opioid),
    "heavy": ("ff-heavy", heavy),
    "sparse": ("ff-sparse", sparse),
    "empty": ("ff-empty", empty),
    "messy": ("ff-messy", messy),
    "goal-history": ("ff-goal-history", goal_history),
}
NO_CHRONIC_PAIN_ID = "ff-no-chronic-pain"
KINDS: tuple[str, ...] = (*_BUILDERS, "no-chronic-pain", "ahrq")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def build_patients(
    seed: int, now: datetime, *, kinds: Iterable[str] | None = None
) -> tuple[SeedPatient, ...]:
    """Every patient kind (or those named), as transaction Bundles of PUTs with fixed ids.

    `now` (timezone-aware) is the moment of seeding: no recorded time lies after it.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime (the moment of seeding)")
    now = now.astimezone(UTC)
    wanted = tuple(KINDS if kinds is None else kinds)
    unknown = sorted(set(wanted) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown patient kind(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
    return tuple(_not_after(now, _maker(seed, kind)) for kind in KINDS if kind in wanted)


def _maker(seed: int, kind: str) -> Callable[[date], SeedPatient]:
    """The patient of `kind` with its timeline ending on a given day."""
    if kind == "ahrq":
        return ahrq_patient
    if kind == "no-chronic-pain":
        return lambda day: no_chronic_pain_patient(
            seed, day, patient_id=NO_CHRONIC_PAIN_ID, practitioner_id=PRIMARY
        )
    pid, builder = _BUILDERS[kind]
    # One fresh Random per kind and build, so adding a kind never changes the others.
    return lambda day: builder(pid, Random(f"{seed}:{kind}"), day)  # noqa: S311 (synthetic data)


def _not_after(now: datetime, make: Callable[[date], SeedPatient]) -> SeedPatient:
    """The patient built on today, or on yesterday when today's timeline reaches past `now`."""
    today = now.date()
    patient = make(today)
    if (latest_time(patient.resources()) or now) <= now:
        return patient
    earlier = make(today - timedelta(days=1))
    latest = latest_time(earlier.resources())
    if latest is not None and latest > now:  # a builder dating things in the future: a bug
        raise ValueError(f"patient {earlier.id} records {latest.isoformat()}, after {now}")
    return earlier


def latest_time(node: object) -> datetime | None:
    """The latest FHIR dateTime or instant (a value with a time of day) anywhere in `node`."""
    latest: datetime | None = None
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str) and _DATE_TIME.match(item):
            moment = datetime.fromisoformat(item.replace("Z", "+00:00"))
            if moment.tzinfo is None:  # FHIR requires a zone with a time; read none as UTC
                moment = moment.replace(tzinfo=UTC)
            if latest is None or moment > latest:
                latest = moment
    return latest
