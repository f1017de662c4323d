"""Action steps as CarePlan.activity.detail or as ServiceRequests (PCO style), and back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fhir_mappers import extensions as x
from fhir_mappers.codes import PERTAINS_TO_GOAL, code_lists
from fhir_mappers.errors import UnreadableResourceError
from fhir_mappers.identifiers import identifiers_for
from fhir_mappers.narrative import step_sentence
from rehab import ActionStep, Frequency, FunctionalGoal, PeriodUnit


def step_index(goal: FunctionalGoal, position: int) -> str:
    """The identifier index of a goal's step: "{goal key}.{position}"."""
    return f"{goal.key}.{position}"


def _timing(step: ActionStep, goal: FunctionalGoal) -> dict[str, Any]:
    return {
        "repeat": {
            "boundsPeriod": {"start": goal.start.isoformat(), "end": goal.due.isoformat()},
            "frequency": step.how_often.frequency,
            "period": step.how_often.period,
            "periodUnit": step.how_often.unit.value,
        }
    }


def _code(step: ActionStep, goal: FunctionalGoal) -> dict[str, Any]:
    area = code_lists().area(goal.domain)
    code: dict[str, Any] = {
        "coding": [
            {
                "system": area.activity_system,
                "code": area.activity_code,
                "display": area.activity_display,
            }
        ],
    }
    if step.what:
        code["text"] = step.what
    return code


def _step_extensions(step: ActionStep) -> list[dict[str, Any]]:
    # FHIR strings cannot be empty, so a blank amount or time is left out and read back as "".
    items = []
    if step.how_much:
        items.append(x.ext(x.STEP_AMOUNT, "String", step.how_much))
    if step.when:
        items.append(x.ext(x.STEP_WHEN, "String", step.when))
    return items


def step_detail(
    step: ActionStep, goal: FunctionalGoal, *, goal_ref: str, patient_ref: str
) -> dict[str, Any]:
    """CarePlan.activity with an inline detail (plain US Core CarePlan)."""
    detail: dict[str, Any] = {
        "kind": "ServiceRequest",
        "code": _code(step, goal),
        "goal": [{"reference": goal_ref}],
        "status": "not-started",
        "scheduledTiming": _timing(step, goal),
        "performer": [{"reference": patient_ref}],
        "description": step_sentence(step),
    }
    extensions = _step_extensions(step)
    if extensions:
        detail["extension"] = extensions
    return {"detail": detail}


def step_request(
    step: ActionStep,
    goal: FunctionalGoal,
    position: int,
    *,
    goal_ref: str,
    patient_ref: str,
    author: str,
    today: date,
    plan_key: str,
) -> dict[str, Any]:
    """A ServiceRequest for one step (PCO CarePlan: activity.reference, performer the patient)."""
    return {
        "resourceType": "ServiceRequest",
        "identifier": identifiers_for(plan_key, "step", step_index(goal, position)),
        "extension": [
            {"url": PERTAINS_TO_GOAL, "valueReference": {"reference": goal_ref}},
            *_step_extensions(step),
        ],
        "status": "active",
        "intent": "plan",
        "code": _code(step, goal),
        "subject": {"reference": patient_ref},
        "occurrenceTiming": _timing(step, goal),
        "authoredOn": today.isoformat(),
        "requester": {"reference": author},
        "performer": [{"reference": patient_ref}],
        "patientInstruction": step_sentence(step),
    }


def _frequency(timing: Mapping[str, Any]) -> Frequency:
    repeat = timing.get("repeat") or {}
    return Frequency(
        frequency=int(repeat["frequency"]),
        period=int(repeat.get("period", 1)),
        unit=PeriodUnit(repeat["periodUnit"]),
    )


def _text(code: object) -> str:
    if isinstance(code, Mapping) and isinstance(code.get("text"), str):
        return str(code["text"])
    return ""


def _step(element: Mapping[str, Any], timing: str) -> ActionStep:
    return ActionStep(
        what=_text(element.get("code")),
        how_much=str(x.ext_value(element, x.STEP_AMOUNT, "String") or ""),
        when=str(x.ext_value(element, x.STEP_WHEN, "String") or ""),
        how_often=_frequency(element.get(timing) or {}),
    )


def step_from_detail(detail: Mapping[str, Any]) -> ActionStep:
    """The ActionStep of an activity.detail the app wrote."""
    try:
        return _step(detail, "scheduledTiming")
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableResourceError("CarePlan", f"activity.detail: {error}") from error


def step_from_request(request: Mapping[str, Any]) -> ActionStep:
    """The ActionStep of a ServiceRequest the app wrote."""
    try:
        return _step(request, "occurrenceTiming")
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableResourceError("ServiceRequest", str(error)) from error
