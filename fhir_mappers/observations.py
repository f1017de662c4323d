"""Observations the app writes: readiness (PCO), goal barriers (PCO), GAS score and PEG."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fhir_mappers.codes import (
    BARRIER_CODE,
    LOINC,
    OBSERVATION_CATEGORY,
    PCO_READINESS,
    SNOMED,
    UCUM,
    code_lists,
)
from rehab import PegItems, gas_answer

SURVEY = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}]
QUESTIONS = {
    "confidence": "How confident are you that you can carry out this plan? (0-10)",
    "importance": "How important is it right now for you to make this change? (0-10)",
}


def _base(
    code: dict[str, Any],
    *,
    patient_ref: str,
    focus: Sequence[str],
    today: date,
    performer: str,
    identifier: list[dict[str, str]] | None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": SURVEY,
        "code": code,
        "subject": {"reference": patient_ref},
        "focus": [{"reference": ref} for ref in focus],
        "effectiveDateTime": today.isoformat(),
        "performer": [{"reference": performer}],
    }
    if identifier:
        resource["identifier"] = identifier
    if not focus:
        del resource["focus"]
    return resource


def readiness_observation(
    kind: str,
    value: int,
    *,
    patient_ref: str,
    focus: Sequence[str],
    today: date,
    identifier: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """PCO readiness assessment (importance or confidence, 0-10) about the plan's goals."""
    code = {"coding": [{"system": PCO_READINESS, "code": kind}], "text": QUESTIONS[kind]}
    resource = _base(
        code,
        patient_ref=patient_ref,
        focus=focus,
        today=today,
        performer=patient_ref,
        identifier=identifier,
    )
    # LL2335-9 answer codes are not all confirmed; the integer is valid R4 and exact.
    resource["valueInteger"] = value
    return resource


def barrier_observation(
    text: str,
    *,
    patient_ref: str,
    focus: Sequence[str],
    today: date,
    identifier: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """PCO goal barrier: what might get in the way, about the plan's goals."""
    code = {
        "coding": [
            {
                "system": SNOMED,
                "code": BARRIER_CODE,
                "display": "Identifying barriers to goal achievement",
            }
        ],
        "text": "Barrier to goal achievement",
    }
    resource = _base(
        code,
        patient_ref=patient_ref,
        focus=focus,
        today=today,
        performer=patient_ref,
        identifier=identifier,
    )
    resource["valueString"] = text
    return resource


def gas_observation(
    score: int,
    *,
    patient_ref: str,
    goal_ref: str,
    author: str,
    today: date,
    identifier: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """PCO GAS score: the practitioner's follow-up score (LOINC 107333-7) for a goal."""
    answer = gas_answer(score)
    if answer is None:
        raise ValueError(f"GAS score {score} is outside -2..2")
    code = {
        "coding": [
            {
                "system": LOINC,
                "code": code_lists().gas_practitioner,
                "display": "Goal attainment scale follow-up score - practitioner",
            }
        ]
    }
    resource = _base(
        code,
        patient_ref=patient_ref,
        focus=[goal_ref],
        today=today,
        performer=author,
        identifier=identifier,
    )
    resource["valueCodeableConcept"] = {
        "coding": [{"system": LOINC, "code": answer[0], "display": answer[1]}],
        "text": f"{score:+d}" if score else "0",
    }
    return resource


def peg_observation(
    items: PegItems,
    *,
    patient_ref: str,
    goal_ref: str | None,
    today: date,
    identifier: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The PEG panel (91148-7) with its three items and the mean score as components."""
    lists = code_lists()
    code = {
        "coding": [
            {"system": LOINC, "code": lists.peg_panel, "display": "PEG pain screening panel"}
        ],
        "text": "PEG",
    }
    resource = _base(
        code,
        patient_ref=patient_ref,
        focus=[goal_ref] if goal_ref else [],
        today=today,
        performer=patient_ref,
        identifier=identifier,
    )
    values = {"pain": items.pain, "enjoyment": items.enjoyment, "activity": items.activity}
    components: list[dict[str, Any]] = [
        {"code": {"coding": [{"system": LOINC, "code": item_code}]}, "valueInteger": values[name]}
        for name, item_code in lists.peg_items
    ]
    components.append(
        {
            "code": {
                "coding": [
                    {"system": LOINC, "code": lists.peg_score, "display": "Mean score [PEG]"}
                ]
            },
            "valueQuantity": {
                "value": round(items.score, 2),
                "unit": "{score}",
                "system": UCUM,
                "code": "{score}",
            },
        }
    )
    resource["component"] = components
    return resource
