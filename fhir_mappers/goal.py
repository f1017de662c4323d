"""FunctionalGoal <-> FHIR Goal (US Core Goal; PCO GAS goal when levels are given)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from fhir_mappers import extensions as x
from fhir_mappers.codes import (
    GOAL_ACHIEVEMENT,
    GOAL_CATEGORY,
    LIFE_AREA,
    LOINC,
    PCO_GAS_EXTENSION,
    PCO_GAS_GOAL,
    PCO_GOAL_DOMAIN,
    US_CORE_GOAL,
    code_lists,
)
from fhir_mappers.errors import UnreadableResourceError
from fhir_mappers.identifiers import identifiers_for, parse_plan_item
from rehab import (
    ActionStep,
    ExpressedBy,
    FunctionalGoal,
    GasLevels,
    Measure,
    gas_answer,
    gas_score,
)


def goal_to_fhir(
    goal: FunctionalGoal,
    *,
    expressed_by: ExpressedBy,
    patient_ref: str,
    author: str,
    today: date,
    plan_key: str,
    addresses: Sequence[str] = (),
) -> dict[str, Any]:
    """A US Core Goal for one functional goal (not yet validated; ids absent).

    `expressed_by` is who voiced it: ActionPlan.goal_expressed_by (the goal's own, else the plan's).
    """
    lists = code_lists()
    area = lists.area(goal.domain)
    extensions: list[dict[str, Any]] = []
    if goal.expressed_by is not None:
        extensions.append(x.ext(x.GOAL_EXPRESSED_BY, "Code", goal.expressed_by.value))
    profiles = [US_CORE_GOAL]
    targets: list[dict[str, Any]] = []
    if goal.measure is not None:
        target: dict[str, Any] = {"measure": {"text": goal.measure.text}}
        quantity: dict[str, Any] = {}
        if goal.measure.target is not None:
            quantity["value"] = goal.measure.target
        if goal.measure.unit:
            quantity["unit"] = goal.measure.unit
        if quantity:
            target["detailQuantity"] = quantity  # gol-1 holds: the measure is always present
        targets.append({**target, "dueDate": goal.due.isoformat()})
    if goal.gas is not None:
        profiles.append(PCO_GAS_GOAL)
        extensions.extend(_gas_extensions(goal.gas))
        code, display = _answer(0)
        targets.append(
            {
                "measure": {
                    "coding": [
                        {
                            "system": LOINC,
                            "code": lists.gas_reported,
                            "display": "Goal attainment scale - Reported",
                        }
                    ]
                },
                "detailCodeableConcept": {
                    "coding": [{"system": LOINC, "code": code, "display": display}],
                    "text": goal.gas.expected,
                },
                "dueDate": goal.due.isoformat(),
            }
        )
    if not targets:
        targets.append({"dueDate": goal.due.isoformat()})
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "meta": {"profile": profiles},
        "identifier": identifiers_for(plan_key, "goal", goal.key),
        "lifecycleStatus": "active",
        "achievementStatus": {
            "coding": [
                {"system": GOAL_ACHIEVEMENT, "code": "in-progress", "display": "In Progress"}
            ]
        },
        "category": [
            {"coding": [{"system": GOAL_CATEGORY, "code": area.goal_category}]},
            {
                "coding": [
                    {"system": PCO_GOAL_DOMAIN, "code": area.pco_domain},
                    {"system": LIFE_AREA, "code": goal.domain, "display": area.display},
                ],
                "text": area.display if area.key == goal.domain else goal.domain,
            },
        ],
        "description": {"text": goal.description},
        "subject": {"reference": patient_ref},
        "startDate": goal.start.isoformat(),
        "target": targets,
        "statusDate": today.isoformat(),
        # US Core 8.0 / PCO: who established the goal; the patient when they voiced it.
        "expressedBy": {
            "reference": author if expressed_by is ExpressedBy.CLINICIAN else patient_ref
        },
    }
    if extensions:
        resource["extension"] = extensions
    if addresses:
        resource["addresses"] = [{"reference": ref} for ref in addresses]
    return resource


def _answer(score: int) -> tuple[str, str]:
    answer = gas_answer(score)
    if answer is None:
        raise ValueError(f"GAS score {score} is outside -2..2")
    return answer


def _gas_extensions(gas: GasLevels) -> list[dict[str, Any]]:
    # PCO IG pco-goal-attainment-scaling: one extension per level, with level and progressText.
    items = []
    for score, text in gas.by_score():
        code, display = _answer(score)
        items.append(
            {
                "url": PCO_GAS_EXTENSION,
                "extension": [
                    {
                        "url": "level",
                        "valueCoding": {"system": LOINC, "code": code, "display": display},
                    },
                    {"url": "progressText", "valueString": text},
                ],
            }
        )
    return items


def _gas_from(goal: Mapping[str, Any]) -> GasLevels | None:
    levels: dict[int, str] = {}
    for item in goal.get("extension") or []:
        if not isinstance(item, Mapping) or item.get("url") != PCO_GAS_EXTENSION:
            continue
        code = None
        text = None
        for part in item.get("extension") or []:
            if part.get("url") == "level":
                code = (part.get("valueCoding") or {}).get("code")
            elif part.get("url") == "progressText":
                text = part.get("valueString")
        score = gas_score(code)
        if score is not None and isinstance(text, str):
            levels[score] = text
    if len(levels) != 5:
        return None
    return GasLevels(
        minus_two=levels[-2],
        minus_one=levels[-1],
        expected=levels[0],
        plus_one=levels[1],
        plus_two=levels[2],
    )


def _is_gas_target(target: Mapping[str, Any]) -> bool:
    codings = (target.get("measure") or {}).get("coding") or []
    return any(
        c.get("system") == LOINC and c.get("code") == code_lists().gas_reported for c in codings
    )


def _measure_from(targets: Sequence[Mapping[str, Any]]) -> Measure | None:
    for target in targets:
        measure = target.get("measure")
        if not isinstance(measure, Mapping) or _is_gas_target(target):
            continue
        text = measure.get("text")
        if not isinstance(text, str):
            continue
        quantity = target.get("detailQuantity") or {}
        value = quantity.get("value")
        return Measure(
            text=text,
            target=None if value is None else float(value),
            unit=str(quantity.get("unit") or ""),
        )
    return None


def goal_domain(goal: Mapping[str, Any]) -> str | None:
    """The life-area key of a Goal (the app's category coding), or None."""
    for category in goal.get("category") or []:
        for coding in (category or {}).get("coding") or []:
            if coding.get("system") == LIFE_AREA and isinstance(coding.get("code"), str):
                return str(coding["code"])
    return None


def goal_from_fhir(goal: Mapping[str, Any], *, steps: Sequence[ActionStep] = ()) -> FunctionalGoal:
    """The FunctionalGoal the app wrote; steps live on the CarePlan and are passed in."""
    try:
        item = parse_plan_item(goal)
        key = item[2] if item is not None and item[1] == "goal" else str(goal.get("id") or "goal")
        targets = [t for t in goal.get("target") or [] if isinstance(t, Mapping)]
        dues = [t["dueDate"] for t in targets if isinstance(t.get("dueDate"), str)]
        start = goal.get("startDate")
        if not dues or not isinstance(start, str):
            raise UnreadableResourceError("Goal", "startDate and target.dueDate are needed")
        text = (goal.get("description") or {}).get("text")
        if not isinstance(text, str):
            raise UnreadableResourceError("Goal", "description.text is needed")
        who = x.ext_value(goal, x.GOAL_EXPRESSED_BY, "Code")
        return FunctionalGoal(
            key=key,
            domain=goal_domain(goal) or "default",
            description=text,
            measure=_measure_from(targets),
            start=date.fromisoformat(start[:10]),
            due=date.fromisoformat(dues[0][:10]),
            gas=_gas_from(goal),
            steps=tuple(steps),
            expressed_by=None if who is None else ExpressedBy(who),
        )
    except (AttributeError, TypeError, ValueError) as error:
        raise UnreadableResourceError("Goal", str(error)) from error
