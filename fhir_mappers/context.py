"""Whatever the EHR returned -> PatientContext: lenient, one bad resource skipped, never fatal."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fhir_mappers.codes import CLINICAL_STATUS, ICD10CM, SNOMED, VERIFICATION_STATUS, code_lists
from fhir_mappers.context_goals import goal_summary, link_reviews
from fhir_mappers.context_observations import read_observation
from fhir_mappers.identifiers import parse_plan_item
from fhir_mappers.medications import authored_on, medication_from_request, one_per_product
from fhir_mappers.reading import (
    BadResourceError,
    codings,
    concept_text,
    day,
    items,
    label,
    mapping,
    text,
)
from rehab import (
    CarePlanSummary,
    Medication,
    MmeReading,
    NrsReading,
    PainCondition,
    PatientContext,
    PatientSummary,
    PegReading,
    PromisReading,
    ReviewRecord,
)

# Errors a reader may meet in malformed JSON; each one skips only that resource.
READ_ERRORS = (BadResourceError, KeyError, TypeError, ValueError, AttributeError, IndexError)
INACTIVE = frozenset({"inactive", "resolved", "remission"})
NOT_TRUE = frozenset({"entered-in-error", "refuted"})


@dataclass(slots=True)
class Collected:
    """What one call has read so far (local to the call; nothing is kept between calls)."""

    today: date
    patient: PatientSummary | None = None
    conditions: list[PainCondition] = field(default_factory=list)
    nrs: list[NrsReading] = field(default_factory=list)
    peg: list[PegReading] = field(default_factory=list)
    promis: list[PromisReading] = field(default_factory=list)
    reviews: list[ReviewRecord] = field(default_factory=list)
    recorded_mme: list[MmeReading] = field(default_factory=list)
    goals: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)
    care_plans: list[CarePlanSummary] = field(default_factory=list)
    requests: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)
    medication_resources: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _patient(resource: Mapping[str, Any], found: Collected) -> None:
    rid = text(resource.get("id"))
    if rid is None:
        raise BadResourceError("no id")
    names = [mapping(n) for n in items(resource.get("name"))]
    names.sort(key=lambda n: {"official": 0, "usual": 1}.get(str(n.get("use")), 2))
    name = None
    for entry in names:
        parts = [p for p in items(entry.get("given")) if isinstance(p, str)]
        family = entry.get("family")
        joined = " ".join([*parts, family] if isinstance(family, str) else parts).strip()
        name = text(entry.get("text")) or (joined or None)
        if name:
            break
    gender = resource.get("gender")
    found.patient = PatientSummary(
        id=rid,
        name=name,
        birth_date=day(resource.get("birthDate")),
        sex=gender if isinstance(gender, str) else None,
    )


def _pain_coding(concept: object) -> tuple[str, str, str | None] | None:
    lists = code_lists()
    for system, code, display in codings(concept):
        if system == SNOMED and code in lists.pain_snomed:
            return system, code, display
        if system == ICD10CM and code.upper().startswith(lists.pain_icd10_prefixes):
            return system, code, display
    return None


def _status_codes(concept: object, system: str) -> set[str]:
    return {code for sys, code, _ in codings(concept) if sys == system}


def _condition(resource: Mapping[str, Any], found: Collected) -> None:
    match = _pain_coding(resource.get("code"))
    if match is None:
        return
    if _status_codes(resource.get("clinicalStatus"), CLINICAL_STATUS) & INACTIVE:
        return
    if _status_codes(resource.get("verificationStatus"), VERIFICATION_STATUS) & NOT_TRUE:
        return
    rid = text(resource.get("id"))
    if rid is None:
        raise BadResourceError("no id")
    onset = day(resource.get("onsetDateTime")) or day(
        mapping(resource.get("onsetPeriod")).get("start")
    )
    found.conditions.append(
        PainCondition(
            id=rid,
            text=concept_text(resource.get("code")) or match[2] or match[1],
            code=match[1],
            system=match[0],
            onset=onset,
        )
    )


def _careplan(resource: Mapping[str, Any], found: Collected) -> None:
    rid, status = text(resource.get("id")), text(resource.get("status"))
    if rid is None or status is None:
        raise BadResourceError("id and status are required")
    if status == "entered-in-error":
        return
    activities: list[str] = []
    for activity in items(resource.get("activity")):
        detail = mapping(mapping(activity).get("detail"))
        words = concept_text(detail.get("code")) or text(detail.get("description"))
        words = words or text(mapping(mapping(activity).get("reference")).get("display"))
        if words:
            activities.append(words)
    found.care_plans.append(
        CarePlanSummary(
            id=rid,
            status=status,
            start=day(mapping(resource.get("period")).get("start")),
            activities=tuple(activities),
            from_functionfirst=parse_plan_item(resource) is not None,
        )
    )


def _observation(resource: Mapping[str, Any], found: Collected) -> None:
    reading = read_observation(resource, latest=found.today + timedelta(days=1))
    if isinstance(reading, NrsReading):
        found.nrs.append(reading)
    elif isinstance(reading, PegReading):
        found.peg.append(reading)
    elif isinstance(reading, PromisReading):
        found.promis.append(reading)
    elif isinstance(reading, ReviewRecord):
        found.reviews.append(reading)
    elif isinstance(reading, MmeReading):
        found.recorded_mme.append(reading)


def _medication(resource: Mapping[str, Any], found: Collected) -> None:
    rid = text(resource.get("id"))
    if rid is not None:
        found.medication_resources[rid] = resource


READERS: dict[str, Callable[[Mapping[str, Any], Collected], None]] = {
    "Patient": _patient,
    "Condition": _condition,
    "Observation": _observation,
    "CarePlan": _careplan,
    "Medication": _medication,
}


def _flatten(resources: Iterable[object]) -> Iterator[object]:
    # Overlapping searches (and pages of a changing result set) can return a resource twice.
    seen: set[tuple[str, str]] = set()
    for resource in resources:
        batch = [resource]
        if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            batch = [
                mapping(entry).get("resource", entry) for entry in items(resource.get("entry"))
            ]
        for item in batch:
            if isinstance(item, dict):
                kind, rid = item.get("resourceType"), item.get("id")
                if isinstance(kind, str) and isinstance(rid, str):
                    if (kind, rid) in seen:
                        continue
                    seen.add((kind, rid))
            yield item


def _unique_conditions(conditions: list[PainCondition]) -> tuple[PainCondition, ...]:
    # The same diagnosis often comes from the problem list and from several encounters.
    seen: set[tuple[str | None, str | None]] = set()
    unique = []
    for condition in conditions:
        if (condition.system, condition.code) not in seen:
            seen.add((condition.system, condition.code))
            unique.append(condition)
    return tuple(unique)


def _unique_peg(readings: list[PegReading]) -> tuple[PegReading, ...]:
    # A PEG panel and its derived score Observation are one reading; keep the one with items.
    best: dict[tuple[date, float], PegReading] = {}
    for reading in readings:
        key = (reading.when, round(reading.score, 2))
        if key not in best or (best[key].items is None and reading.items is not None):
            best[key] = reading
    return tuple(sorted(best.values(), key=lambda r: r.when))


def patient_context(resources: Iterable[object], *, today: date) -> PatientContext:
    """The overview's context from EHR resources (or Bundles); bad ones are listed in skipped."""
    found = Collected(today=today)
    for index, resource in enumerate(_flatten(resources)):
        if not isinstance(resource, dict):
            found.skipped.append((index, label(resource, index)))
            continue
        kind = resource.get("resourceType")
        if kind == "MedicationRequest":
            found.requests.append((index, resource))  # read after every Medication is known
            continue
        if kind == "Goal":
            found.goals.append((index, resource))  # read after the reviews are known
            continue
        reader = READERS.get(kind) if isinstance(kind, str) else None
        if reader is None:
            continue  # other types (Procedure, OperationOutcome ...) are not part of the context
        try:
            reader(resource, found)
        except READ_ERRORS:
            found.skipped.append((index, label(resource, index)))
    medications: list[tuple[Medication, date | None]] = []
    for index, request in found.requests:
        try:
            medication = medication_from_request(request, found.medication_resources)
        except READ_ERRORS:
            found.skipped.append((index, label(request, index)))
            continue
        if medication is not None:
            medications.append((medication, authored_on(request)))
    reviews = tuple(sorted(found.reviews, key=lambda r: r.when))
    goals_in = [(i, g) for i, g in found.goals if g.get("lifecycleStatus") != "entered-in-error"]
    goals = []
    for index, goal in goals_in:
        try:
            goals.append(goal_summary(goal))
        except READ_ERRORS:
            found.skipped.append((index, label(goal, index)))
    return PatientContext(
        patient=found.patient,
        conditions=_unique_conditions(found.conditions),
        nrs=tuple(sorted(found.nrs, key=lambda r: r.when)),
        peg=_unique_peg(found.peg),
        promis=tuple(sorted(found.promis, key=lambda r: (r.when, r.kind.value))),
        medications=one_per_product(medications),
        recorded_mme=tuple(sorted(found.recorded_mme, key=lambda r: r.when)),
        goals=link_reviews(tuple(goals), reviews),
        care_plans=tuple(found.care_plans),
        reviews=reviews,
        skipped=tuple(text for _, text in sorted(found.skipped)),  # in input order
    )
