"""The searches that build the patient context, as data, so the gateway writes no FHIR queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from fhir_mappers.codes import CAREPLAN_CATEGORY, LOINC, code_lists

# Page size asked of the server; the gateway bounds how many pages it follows.
PAGE_SIZE = "100"


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchSpec:
    """One FHIR request: `GET {resource_type}?{params}` (a read when resource_type is "Type/id");
    `words` name it for the clinician."""

    name: str
    resource_type: str
    params: tuple[tuple[str, str], ...]
    words: str


def _tokens(system: str, codes: tuple[str, ...]) -> str:
    return ",".join(f"{system}|{code}" for code in codes)


def search_specs(
    patient_id: str, *, lookback_start: date, quirks: Mapping[str, bool]
) -> tuple[SearchSpec, ...]:
    """The context searches of one patient (US Core SHALL combinations where they exist)."""
    if not patient_id or any(ch in patient_id for ch in "/?&#,|"):
        raise ValueError("patient_id must be a plain resource id")
    lists = code_lists()

    def search(name: str, resource_type: str, words: str, *params: tuple[str, str]) -> SearchSpec:
        # Every search is of this patient.
        return SearchSpec(
            name=name,
            resource_type=resource_type,
            params=(("patient", patient_id), *params),
            words=words,
        )

    conditions: list[tuple[str, str]] = [("clinical-status", "active")]
    if quirks.get("condition_requires_category"):
        # US Core Condition SHALL combination patient+category (problem list and health concerns).
        conditions.append(("category", "problem-list-item,health-concern"))
    # Pain and function scores by LOINC, and the codes an EHR records its own daily MME under
    # (recorded_mme.json), in the same search: one request, no extra round.
    scores = ("code", ",".join(lists.observation_tokens()))
    survey: tuple[tuple[str, str], ...] = ()
    if quirks.get("observation_requires_category"):
        # Some EHRs refuse Observation searches without a category; PROs are category survey.
        # Known limit: an MME the EHR records under another category (the AHRQ test patient's is
        # "therapy") is then not returned; the category stays "survey" because granular scopes
        # such as `patient/Observation.rs?category=survey` would refuse a wider search.
        survey = (("category", "survey"),)
    newest_first, page = ("_sort", "-date"), ("_count", PAGE_SIZE)
    medications: list[tuple[str, str]] = [("status", "active")]
    if quirks.get("medication_requires_intent"):
        medications.append(("intent", "order"))  # the US Core SHALL combination patient+intent
    if not quirks.get("no_include"):
        # Medication codes may sit in a referenced Medication resource.
        medications.append(("_include", "MedicationRequest:medication"))
    return (
        # A read, not a search: a SMART `patient/Patient.r` scope allows it (reads need no `.s`).
        SearchSpec(
            name="patient",
            resource_type=f"Patient/{patient_id}",
            params=(),
            words="the patient's details",
        ),
        search("conditions", "Condition", "pain conditions", *conditions, page),
        search(
            "observations",
            "Observation",
            "pain and function scores",
            scores,
            ("date", f"ge{lookback_start.isoformat()}"),
            *survey,
            newest_first,
            page,
        ),
        # FHIR R4 Observation `date` searches effective[x] only: a score that carries only
        # `issued` (the AHRQ test patient's, some feeds') never matches a date range, so a second
        # search asks for exactly those (`:missing`, FHIR R4 search 3.1.1.5.6).
        search(
            "observations_undated",
            "Observation",
            "pain and function scores recorded without a date",
            scores,
            ("date:missing", "true"),
            *survey,
            page,
        ),
        search("medications", "MedicationRequest", "medications", *medications, page),
        search("goals", "Goal", "goals", page),
        search(
            "care_plans",
            "CarePlan",
            "care plans",
            # US Core SHALL: CarePlan?patient=&category=; Oracle Health requires the category.
            ("category", f"{CAREPLAN_CATEGORY}|assess-plan"),
            page,
        ),
        search(
            "reviews",
            "Observation",
            "goal reviews",
            ("code", _tokens(LOINC, tuple(sorted(lists.gas_codes)))),
            *survey,
            newest_first,
            page,
        ),
    )
