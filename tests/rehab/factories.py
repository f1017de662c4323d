"""Factories of plan and review JSON and domain objects for the rehab tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from rehab.context import GoalSummary, PatientContext, PatientSummary, ReviewRecord
from rehab.plan import (
    ActionPlan,
    ActionStep,
    ExpressedBy,
    FollowUp,
    Frequency,
    FunctionalGoal,
    GasLevels,
    Measure,
    PeriodUnit,
)

TODAY = date(2026, 11, 23)


def make_step_dict(**changes: Any) -> dict[str, Any]:
    """An action step as JSON: walk 5 minutes after breakfast 3 times a week."""
    step: dict[str, Any] = {
        "what": "Walk around the block",
        "how_much": "5 minutes, rest 1 minute, twice",
        "when": "After breakfast",
        "how_often": {"frequency": 3, "period": 1, "unit": "wk"},
    }
    step.update(changes)
    return step


def make_goal_dict(**changes: Any) -> dict[str, Any]:
    """A complete walking goal as JSON."""
    goal: dict[str, Any] = {
        "key": "walk",
        "domain": "walking",
        "description": "Walk around the block (15 minutes) 3 times a week",
        "measure": {"text": "Minutes walked per week", "target": 45, "unit": "min/wk"},
        "start": "2026-11-23",
        "due": "2027-01-18",
        "gas": {
            "-2": "Not walking",
            "-1": "Walk 10 minutes once a week",
            "0": "Walk 15 minutes 3 times a week",
            "1": "Walk 15 minutes 4 times a week",
            "2": "Walk 20 minutes 4 times a week",
        },
        "steps": [make_step_dict()],
        "expressed_by": "patient",
    }
    goal.update(changes)
    return goal


def make_plan_dict(**changes: Any) -> dict[str, Any]:
    """A complete plan as JSON, in the normalized form to_dict gives back."""
    plan: dict[str, Any] = {
        "what_matters": "Walking my dog again",
        "expressed_by": "shared",
        "goals": [make_goal_dict()],
        "confidence": 8,
        "importance": 9,
        "barriers": ["Fear of a flare"],
        "supports": ["Daughter walks along on Saturdays"],
        "follow_up": {"check_in": "2026-12-07", "review": "2027-01-04"},
        "override_reason": None,
    }
    plan.update(changes)
    return plan


def make_review_dict(**changes: Any) -> dict[str, Any]:
    """A complete review as JSON, in normalized form."""
    review: dict[str, Any] = {
        "gas_score": 0,
        "achievement_status": "achieved",
        "peg": {"pain": 6, "enjoyment": 5, "activity": 4},
        "note": "Walked 3 times most weeks.",
        "decision": "complete",
        "what_helped": "Walking with the dog",
        "what_got_in_the_way": None,
    }
    review.update(changes)
    return review


def make_step(**changes: Any) -> ActionStep:
    """An action step object."""
    values: dict[str, Any] = {
        "what": "Walk around the block",
        "how_much": "5 minutes",
        "when": "After breakfast",
        "how_often": Frequency(frequency=3, period=1, unit=PeriodUnit.WEEK),
    }
    values.update(changes)
    return ActionStep(**values)


def make_goal(**changes: Any) -> FunctionalGoal:
    """A SMART walking goal object."""
    values: dict[str, Any] = {
        "key": "walk",
        "domain": "walking",
        "description": "Walk around the block 3 times a week",
        "measure": Measure(text="Minutes walked per week", target=45.0, unit="min/wk"),
        "start": TODAY,
        "due": date(2027, 1, 18),
        "gas": GasLevels(
            minus_two="Not walking",
            minus_one="10 minutes once a week",
            expected="15 minutes 3 times a week",
            plus_one="15 minutes 4 times a week",
            plus_two="20 minutes 4 times a week",
        ),
        "steps": (make_step(),),
    }
    values.update(changes)
    return FunctionalGoal(**values)


def make_plan(**changes: Any) -> ActionPlan:
    """A plan object with one functional goal and confidence 8."""
    values: dict[str, Any] = {
        "what_matters": "Walking my dog again",
        "expressed_by": ExpressedBy.SHARED,
        "goals": (make_goal(),),
        "confidence": 8,
        "follow_up": FollowUp(check_in=date(2026, 12, 7), review=date(2027, 1, 4)),
    }
    values.update(changes)
    return ActionPlan(**values)


def make_goal_summary(**changes: Any) -> GoalSummary:
    """An active functional goal in the EHR, started today, never reviewed."""
    values: dict[str, Any] = {
        "id": "goal-1",
        "description": "Walk 15 minutes 3 times a week",
        "lifecycle_status": "active",
        "achievement_status": "in-progress",
        "start": TODAY,
        "due": date(2027, 1, 18),
        "is_functional": True,
        "is_pain_only": False,
        "from_functionfirst": True,
        "plan_key": "plan-1",
        "version_id": "1",
        "last_review": None,
        "last_gas": None,
    }
    values.update(changes)
    return GoalSummary(**values)


def make_context(
    *goals: GoalSummary, reviews: tuple[ReviewRecord, ...] = ()
) -> PatientContext:
    """A patient context holding the given goals and reviews."""
    patient = PatientSummary(id="p1", name="Test Patient", birth_date=None, sex=None)
    return PatientContext(patient=patient, goals=goals, reviews=reviews)
