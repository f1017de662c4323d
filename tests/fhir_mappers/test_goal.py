"""FunctionalGoal <-> Goal details: categories, targets, GAS levels, who expressed it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from fhir_mappers import UnreadableResourceError, goal_from_fhir, plan_to_resources
from rehab import ExpressedBy
from tests.fhir_mappers.factories import AUTHOR, PATIENT_ID, TODAY, make_plan


def goals(**plan_changes: Any) -> list[dict[str, Any]]:
    resources = plan_to_resources(
        make_plan(**plan_changes), patient_id=PATIENT_ID, author=AUTHOR, today=TODAY, plan_key="k"
    )
    return [goal.resource for goal in resources.goals]


def test_a_goal_has_the_us_core_and_pco_shape() -> None:
    walk = goals()[0]
    assert walk["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-goal",
        "http://hl7.org/fhir/us/pco/StructureDefinition/pco-gas-goal-profile",
    ]
    assert walk["lifecycleStatus"] == "active"
    assert walk["achievementStatus"]["coding"][0]["code"] == "in-progress"
    assert walk["startDate"] == "2026-11-23"
    assert walk["statusDate"] == "2026-11-23"
    assert walk["subject"] == {"reference": "Patient/123"}
    categories = [c["coding"] for c in walk["category"]]
    assert categories[0] == [
        {"system": "http://terminology.hl7.org/CodeSystem/goal-category", "code": "physiotherapy"}
    ]
    assert categories[1][0]["code"] == "physical-function"
    assert categories[1][1]["code"] == "walking"


def test_a_measurable_goal_has_a_quantity_target_and_a_gas_target() -> None:
    walk = goals()[0]
    measure, gas = walk["target"]
    assert measure == {
        "measure": {"text": "minutes walked per week"},
        "detailQuantity": {"value": 45.0, "unit": "min/wk"},
        "dueDate": "2027-03-01",
    }
    assert gas["measure"]["coding"][0]["code"] == "107332-9"
    assert gas["detailCodeableConcept"]["coding"][0]["code"] == "LA34481-4"
    assert gas["detailCodeableConcept"]["text"] == "Walk 15 min 3 times a week"


def test_gas_levels_are_the_five_pco_extensions() -> None:
    extensions = [
        e for e in goals()[0]["extension"] if e["url"].endswith("pco-goal-attainment-scaling")
    ]
    levels = [
        (e["extension"][0]["valueCoding"]["code"], e["extension"][1]["valueString"])
        for e in extensions
    ]
    assert levels == [
        ("LA34484-8", "No walks"),
        ("LA34483-0", "Walk 10 min once a week"),
        ("LA34481-4", "Walk 15 min 3 times a week"),
        ("LA34480-6", "Walk 20 min 3 times a week"),
        ("LA34479-8", "Walk 30 min 3 times a week"),
    ]


def test_a_measure_without_a_number_keeps_its_unit_and_satisfies_gol_1() -> None:
    sleep = goals()[1]
    assert sleep["target"] == [
        {
            "measure": {"text": "nights of 6 h+ per week"},
            "detailQuantity": {"unit": "nights/wk"},
            "dueDate": "2027-01-04",
        }
    ]


def test_a_goal_without_measure_or_gas_still_has_its_due_date() -> None:
    data = make_plan().to_dict()
    goal = dict(data["goals"][1])  # type: ignore[index]
    goal.pop("measure")
    resource = goals(goals=[goal])[0]
    assert resource["target"] == [{"dueDate": "2027-01-04"}]


@pytest.mark.parametrize(
    ("plan_by", "goal_by", "reference"),
    [
        ("patient", None, "Patient/123"),
        ("shared", None, "Patient/123"),
        ("clinician", None, AUTHOR),
        ("patient", "clinician", AUTHOR),
        ("clinician", "patient", "Patient/123"),
    ],
)
def test_expressed_by_points_at_who_voiced_the_goal(
    plan_by: str, goal_by: str | None, reference: str
) -> None:
    data = make_plan().to_dict()
    goal = dict(data["goals"][0])  # type: ignore[index]
    goal["expressed_by"] = goal_by
    resource = goals(expressed_by=plan_by, goals=[goal])[0]
    assert resource["expressedBy"] == {"reference": reference}


def test_a_goal_reads_back_with_the_steps_it_is_given() -> None:
    plan = make_plan()
    resource = goals()[1]
    assert goal_from_fhir(resource, steps=plan.goals[1].steps) == plan.goals[1]
    assert goal_from_fhir(resource).steps == ()
    assert goal_from_fhir(resource).expressed_by is ExpressedBy.CLINICIAN


def test_a_goal_of_another_app_reads_with_defaults_where_it_can() -> None:
    foreign = {
        "resourceType": "Goal",
        "id": "g9",
        "lifecycleStatus": "active",
        "description": {"text": "Garden for 30 minutes"},
        "subject": {"reference": "Patient/1"},
        "startDate": "2026-01-01",
        "target": [{"dueDate": "2026-03-01"}],
    }
    goal = goal_from_fhir(foreign)
    assert (goal.key, goal.domain, goal.measure, goal.gas) == ("g9", "default", None, None)


def test_a_goal_without_dates_cannot_be_read_back() -> None:
    foreign = {"resourceType": "Goal", "description": {"text": "x"}}
    with pytest.raises(UnreadableResourceError, match="startDate"):
        goal_from_fhir(foreign)


def test_an_unknown_domain_uses_the_default_codings_and_keeps_its_key() -> None:
    plan = make_plan()
    odd = dataclasses.replace(plan.goals[0], domain="gardening")
    resources = plan_to_resources(
        dataclasses.replace(plan, goals=(odd,)),
        patient_id=PATIENT_ID,
        author=AUTHOR,
        today=TODAY,
        plan_key="k",
    )
    resource = resources.goals[0].resource
    assert resource["category"][1]["coding"][1]["code"] == "gardening"
    assert resource["category"][1]["text"] == "gardening"
    assert goal_from_fhir(resource, steps=odd.steps) == odd
