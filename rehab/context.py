"""What the overview shows about a patient, built from whatever the EHR returned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rehab.measures import NrsReading, PegReading, PromisReading
from rehab.medication import Medication, MmeReading


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientSummary:
    """The patient banner's facts."""

    id: str
    name: str | None
    birth_date: date | None
    sex: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PainCondition:
    """A chronic pain condition on the problem list; `code`/`system` of the matching coding."""

    id: str
    text: str
    code: str | None
    system: str | None
    onset: date | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalSummary:
    """A Goal already in the EHR, whoever wrote it, with its last review."""

    id: str
    description: str
    lifecycle_status: str
    achievement_status: str | None
    start: date | None
    due: date | None
    is_functional: bool
    is_pain_only: bool
    from_functionfirst: bool
    plan_key: str | None
    version_id: str | None
    last_review: date | None
    last_gas: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CarePlanSummary:
    """A CarePlan already in the EHR, with its activities in words."""

    id: str
    status: str
    start: date | None
    activities: tuple[str, ...]
    from_functionfirst: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewRecord:
    """A past goal review (a GAS follow-up Observation)."""

    goal_id: str | None
    when: date
    gas_score: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientContext:
    """Everything the overview shows; `skipped` ids did not parse, `missing` searches failed.

    `recorded_mme` is the daily MME as the EHR recorded it (oldest first), beside the MME the
    app computes per medication from structured doses; the two are never merged."""

    patient: PatientSummary | None
    conditions: tuple[PainCondition, ...] = ()
    nrs: tuple[NrsReading, ...] = ()
    peg: tuple[PegReading, ...] = ()
    promis: tuple[PromisReading, ...] = ()
    medications: tuple[Medication, ...] = ()
    recorded_mme: tuple[MmeReading, ...] = ()
    goals: tuple[GoalSummary, ...] = ()
    care_plans: tuple[CarePlanSummary, ...] = ()
    reviews: tuple[ReviewRecord, ...] = ()
    skipped: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
