"""Raw FHIR R4 JSON builders for the synthetic patients (plain dicts, by hand on purpose)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sandbox.patients import codes as c

Json = dict[str, Any]
Med = tuple[str, str, str | None, str, float]
Cond = tuple[str, str, str, str]


def coding(system: str, code: str, display: str | None = None) -> Json:
    """A Coding, with display when known."""
    out: Json = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> Json:
    """A CodeableConcept with one coding."""
    out: Json = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def when(day: date, hour: int = 10, minute: int = 0) -> str:
    """A dateTime on `day` (UTC), as EHRs send it."""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00Z"


def patient(
    pid: str,
    *,
    given: str,
    family: str,
    gender: str,
    birth: date,
    mrn: str,
    extra: Json | None = None,
) -> Json:
    """A Patient with a sandbox MRN."""
    res: Json = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": c.SANDBOX_MRN, "value": mrn}],
        "active": True,
        "name": [{"use": "official", "family": family, "given": [given]}],
        "gender": gender,
        "birthDate": birth.isoformat(),
    }
    res.update(extra or {})
    return res


def condition(rid: str, pid: str, cond: Cond, *, onset: date, recorded: date) -> Json:
    """An active problem-list Condition coded in SNOMED CT and ICD-10-CM."""
    snomed, snomed_display, icd, icd_display = cond
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": concept(c.CONDITION_CLINICAL, "active"),
        "verificationStatus": concept(c.CONDITION_VERIFICATION, "confirmed"),
        "category": [concept(c.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": {
            "coding": [
                coding(c.SNOMED, snomed, snomed_display),
                coding(c.ICD10CM, icd, icd_display),
            ],
            "text": snomed_display,
        },
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": onset.isoformat(),
        "recordedDate": recorded.isoformat(),
    }


def _survey(rid: str, pid: str, code: tuple[str, str], effective: str) -> Json:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [concept(c.OBS_CATEGORY, "survey", "Survey")],
        "code": concept(c.LOINC, code[0], code[1]),
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": effective,
    }


def score_quantity(value: float) -> Json:
    """A score as a UCUM {score} quantity."""
    return {"value": value, "unit": "{score}", "system": c.UCUM, "code": "{score}"}


def nrs(rid: str, pid: str, effective: str, value: int) -> Json:
    """Pain NRS 0-10 (LOINC 72514-3)."""
    res = _survey(rid, pid, c.NRS, effective)
    res["valueQuantity"] = score_quantity(value)
    return res


def peg_panel(rid: str, pid: str, effective: str, pain: int, enjoyment: int, activity: int) -> Json:
    """PEG panel 91148-7: the three items and the mean score (91147-9) as components."""
    res = _survey(rid, pid, c.PEG_PANEL, effective)
    score = round((pain + enjoyment + activity) / 3, 1)
    res["component"] = [
        {"code": concept(c.LOINC, code, display), "valueQuantity": score_quantity(value)}
        for (code, display), value in (
            (c.PEG_PAIN, pain),
            (c.PEG_ENJOYMENT, enjoyment),
            (c.PEG_ACTIVITY, activity),
            (c.PEG_SCORE, score),
        )
    ]
    return res


def peg_score(rid: str, pid: str, effective: str, score: float) -> Json:
    """A lone PEG mean score (91147-9), as some EHRs store it."""
    res = _survey(rid, pid, c.PEG_SCORE, effective)
    res["valueQuantity"] = score_quantity(score)
    return res


def promis(rid: str, pid: str, effective: str, code: tuple[str, str], t_score: float) -> Json:
    """A PROMIS T-score."""
    res = _survey(rid, pid, code, effective)
    res["valueQuantity"] = score_quantity(t_score)
    return res


def gas_review(rid: str, pid: str, goal_id: str, effective: str, score: int, author: str) -> Json:
    """A practitioner GAS follow-up score (107333-7) about a Goal, answer from LL6900-6."""
    res = _survey(rid, pid, c.GAS_PRACTITIONER, effective)
    answer, display = c.GAS_ANSWERS[score]
    res["focus"] = [{"reference": f"Goal/{goal_id}"}]
    res["performer"] = [{"reference": f"Practitioner/{author}"}]
    res["valueCodeableConcept"] = concept(c.LOINC, answer, display, text=f"{score:+d}")
    return res


def by_reference(request: Json, medication_id: str) -> tuple[Json, Json]:
    """The request ordering a Medication resource instead (as Epic does), and that Medication."""
    concept = request.pop("medicationCodeableConcept")
    medication = {"resourceType": "Medication", "id": medication_id, "code": concept}
    request["medicationReference"] = {
        "reference": f"Medication/{medication_id}",
        "display": concept.get("text"),
    }
    return request, medication


def medication_request(
    rid: str,
    pid: str,
    med: Med,
    *,
    authored: date,
    period_hours: int,
    requester: str,
    per_dose: float = 1,
    times: int = 1,
    status: str = "active",
    prn: bool = False,
) -> Json:
    """An outpatient MedicationRequest with structured dosage (so MME can be computed)."""
    ingredient, name, scd, text, strength = med
    codings = [coding(c.RXNORM, scd, text)] if scd else []
    codings.append(coding(c.RXNORM, ingredient, name))
    dose_mg = per_dose * strength
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "category": [concept(c.MED_REQUEST_CATEGORY, "community", "Community")],
        "medicationCodeableConcept": {"coding": codings, "text": text},
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": authored.isoformat(),
        "requester": {"reference": f"Practitioner/{requester}"},
        "dosageInstruction": [
            {
                "text": f"Take {per_dose:g} by mouth every {period_hours} hours"
                + (" as needed for pain" if prn else ""),
                "timing": {
                    "repeat": {"frequency": times, "period": period_hours, "periodUnit": "h"}
                },
                "asNeededBoolean": prn,
                "route": concept(c.SNOMED, "26643006", "Oral route"),
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": dose_mg,
                            "unit": "mg",
                            "system": c.UCUM,
                            "code": "mg",
                        }
                    }
                ],
            }
        ],
    }


def goal(
    rid: str,
    pid: str,
    *,
    text: str,
    start: date,
    due: date,
    lifecycle: str,
    achievement: str | None,
    category: str = "physiotherapy",
    identifier: str | None = None,
) -> Json:
    """A Goal as another app or a clinician would have written it."""
    res: Json = {
        "resourceType": "Goal",
        "id": rid,
        "lifecycleStatus": lifecycle,
        "category": [concept(c.GOAL_CATEGORY, category)],
        "description": {"text": text},
        "subject": {"reference": f"Patient/{pid}"},
        "startDate": start.isoformat(),
        "target": [{"dueDate": due.isoformat()}],
    }
    if achievement:
        res["achievementStatus"] = concept(c.GOAL_ACHIEVEMENT, achievement)
    if identifier:
        res["identifier"] = [{"system": "urn:functionfirst:sandbox:goal", "value": identifier}]
    return res


def encounter(rid: str, pid: str, *, day: date, practitioner: str, reason: str) -> Json:
    """A finished ambulatory visit."""
    return {
        "resourceType": "Encounter",
        "id": rid,
        "status": "finished",
        "class": coding(c.ACT_CODE, "AMB", "ambulatory"),
        "type": [concept(c.SNOMED, "185389009", "Follow-up visit")],
        "subject": {"reference": f"Patient/{pid}"},
        "participant": [{"individual": {"reference": f"Practitioner/{practitioner}"}}],
        "period": {"start": when(day, 9), "end": when(day, 9, 30)},
        "reasonCode": [{"text": reason}],
    }


def care_plan(
    rid: str, pid: str, *, start: date, goals: tuple[str, ...], author: str, text: str
) -> Json:
    """An assess-plan CarePlan (US Core category) with a plain narrative."""
    return {
        "resourceType": "CarePlan",
        "id": rid,
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{text}</p></div>',
        },
        "status": "active",
        "intent": "plan",
        "category": [
            concept(c.CAREPLAN_CATEGORY, "assess-plan", "Assessment and Plan of Treatment")
        ],
        "subject": {"reference": f"Patient/{pid}"},
        "period": {"start": start.isoformat()},
        "author": {"reference": f"Practitioner/{author}"},
        "goal": [{"reference": f"Goal/{g}"} for g in goals],
        "activity": [{"detail": {"status": "in-progress", "description": text}}],
    }
