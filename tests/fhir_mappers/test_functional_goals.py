"""A goal counts as functional only when it is not about pain and names something to do."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_mappers import patient_context
from rehab import overview_flags
from tests.fhir_mappers.factories import brenda

TODAY = date(2026, 11, 20)
AHRQ_AS_OF = date(2023, 10, 16)  # the AHRQ bundle's meta.lastUpdated
GOAL_CATEGORY = "http://terminology.hl7.org/CodeSystem/goal-category"
PCO_DOMAIN = "http://hl7.org/fhir/us/pco/CodeSystem/pco-goal-domains-temporary"


def feel_better() -> dict[str, Any]:
    """The sandbox `messy` patient's only goal: proposed, no category, target or start date."""
    return {
        "resourceType": "Goal",
        "id": "messy-goal-vague",
        "lifecycleStatus": "proposed",
        "description": {"text": "feel better"},
        "subject": {"reference": "Patient/messy"},
        "extension": [
            {"url": "https://ehr.example/fhir/StructureDefinition/goal-owner", "valueString": "x"}
        ],
    }


def other_app_goal(gid: str, text: str, category: str = "physiotherapy") -> dict[str, Any]:
    """A Goal as the sandbox writes one for another app or a clinician."""
    return {
        "resourceType": "Goal",
        "id": gid,
        "lifecycleStatus": "active",
        "category": [{"coding": [{"system": GOAL_CATEGORY, "code": category}]}],
        "description": {"text": text},
        "subject": {"reference": "Patient/p1"},
        "startDate": "2026-08-01",
        "target": [{"dueDate": "2027-02-01"}],
    }


def classified(*goals: dict[str, Any]) -> dict[str, tuple[bool, bool]]:
    """Goal id -> (is_functional, is_pain_only)."""
    context = patient_context(list(goals), today=TODAY)
    return {g.id: (g.is_functional, g.is_pain_only) for g in context.goals}


def test_feel_better_is_neither_functional_nor_pain_only_and_the_flag_shows() -> None:
    context = patient_context([feel_better()], today=TODAY)
    assert [(g.is_functional, g.is_pain_only) for g in context.goals] == [(False, False)]
    assert [f.code for f in overview_flags(context, TODAY)] == ["no-functional-goal"]


def test_a_due_date_or_a_non_functional_category_does_not_make_a_vague_goal_functional() -> None:
    dated = other_app_goal("g1", "feel better", category="behavioral")
    wellness = {
        **other_app_goal("g2", "Improve my mood", category="behavioral"),
        "category": [{"coding": [{"system": PCO_DOMAIN, "code": "emotional-and-mental-health"}]}],
    }
    assert classified(dated, wellness) == {"g1": (False, False), "g2": (False, False)}


def test_the_sandbox_goals_that_name_an_activity_are_functional_and_pain_goals_are_not() -> None:
    goals = [
        other_app_goal("walk", "Walk to the corner shop and back without stopping, 3 days a week"),
        other_app_goal("stairs", "Climb the stairs at home without the handrail"),
        other_app_goal("swim", "Swim 10 lengths at the community pool once a week"),
        other_app_goal(
            "grandkids",
            "Play with the grandchildren in the park for an hour on Sundays",
            category="behavioral",
        ),
        other_app_goal("pain", "Reduce back pain to 3 out of 10", category="behavioral"),
    ]
    assert classified(*goals) == {
        "walk": (True, False),
        "stairs": (True, False),
        "swim": (True, False),
        "grandkids": (True, False),
        "pain": (False, True),
    }


def test_a_functional_category_domain_or_target_measure_makes_a_goal_functional() -> None:
    by_category = {**feel_better(), "id": "c"}
    by_category["category"] = [{"coding": [{"system": GOAL_CATEGORY, "code": "physiotherapy"}]}]
    by_domain = {**feel_better(), "id": "d"}
    by_domain["category"] = [{"coding": [{"system": PCO_DOMAIN, "code": "independence"}]}]
    by_measure = {**feel_better(), "id": "m"}
    # PROMIS physical function v2.0 T-score (LOINC 91721-1)
    by_measure["target"] = [
        {"measure": {"coding": [{"system": "http://loinc.org", "code": "91721-1"}]}}
    ]
    # The same codes under another system say nothing.
    other_system = {**feel_better(), "id": "x"}
    other_system["category"] = [{"coding": [{"system": "urn:local", "code": "physiotherapy"}]}]
    assert classified(by_category, by_domain, by_measure, other_system) == {
        "c": (True, False),
        "d": (True, False),
        "m": (True, False),
        "x": (False, False),
    }


def test_a_pain_goal_stays_pain_only_even_in_a_functional_category() -> None:
    assert classified(other_app_goal("p", "Pain below 4 out of 10")) == {"p": (False, True)}


def test_the_ahrq_patient_has_no_functional_goal_with_or_without_a_vague_one() -> None:
    alone = patient_context([brenda()], today=AHRQ_AS_OF)
    vague = patient_context([brenda(), feel_better()], today=AHRQ_AS_OF)
    walking = patient_context(
        [brenda(), other_app_goal("walk", "Walk the dog for 20 minutes daily")], today=AHRQ_AS_OF
    )
    assert [f.code for f in overview_flags(alone, AHRQ_AS_OF)] == ["no-functional-goal"]
    assert [f.code for f in overview_flags(vague, AHRQ_AS_OF)] == ["no-functional-goal"]
    assert "no-functional-goal" not in [f.code for f in overview_flags(walking, AHRQ_AS_OF)]
