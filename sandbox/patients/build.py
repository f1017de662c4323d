"""All synthetic patients, in a fixed order, deterministic from (seed, today)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
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


def build_patients(
    seed: int, today: date, *, kinds: Iterable[str] | None = None
) -> tuple[SeedPatient, ...]:
    """Every patient kind (or those named), as transaction Bundles of PUTs with fixed ids."""
    wanted = tuple(KINDS if kinds is None else kinds)
    unknown = sorted(set(wanted) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown patient kind(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
    out = []
    for kind in KINDS:
        if kind not in wanted:
            continue
        if kind == "ahrq":
            out.append(ahrq_patient(today))
        elif kind == "no-chronic-pain":
            out.append(
                no_chronic_pain_patient(
                    seed, today, patient_id=NO_CHRONIC_PAIN_ID, practitioner_id=PRIMARY
                )
            )
        else:
            pid, builder = _BUILDERS[kind]
            # One Random per kind, so adding a kind never changes the others.
            out.append(builder(pid, Random(f"{seed}:{kind}"), today))  # noqa: S311 (synthetic data)
    return tuple(out)
