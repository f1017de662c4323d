"""make_* factories and the fhirkit-rs check shared by the mapper tests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import fhirkit

from rehab import ActionPlan, GoalReview

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 11, 23)
AUTHOR = "Practitioner/9"
PATIENT_ID = "123"


def make_plan_dict(**changes: Any) -> dict[str, Any]:
    """The JSON of a typical two-goal plan (walking with GAS, sleep), with changes applied."""
    data: dict[str, Any] = {
        "what_matters": "Walk my grandchildren to school",
        "expressed_by": "patient",
        "goals": [
            {
                "key": "walk",
                "domain": "walking",
                "description": "Walk around the block (15 minutes) 3 times a week by 1 March",
                "measure": {"text": "minutes walked per week", "target": 45, "unit": "min/wk"},
                "start": "2026-11-23",
                "due": "2027-03-01",
                "gas": {
                    "-2": "No walks",
                    "-1": "Walk 10 min once a week",
                    "0": "Walk 15 min 3 times a week",
                    "1": "Walk 20 min 3 times a week",
                    "2": "Walk 30 min 3 times a week",
                },
                "steps": [
                    {
                        "what": "Walk",
                        "how_much": "5 min, rest 1 min, twice",
                        "when": "after breakfast Mon/Wed/Fri",
                        "how_often": {"frequency": 3, "period": 1, "unit": "wk"},
                    },
                    {
                        "what": "Add 2 minutes",
                        "how_much": "",
                        "when": "",
                        "how_often": {"frequency": 1, "period": 1, "unit": "wk"},
                    },
                ],
            },
            {
                "key": "sleep",
                "domain": "sleep",
                "description": "Sleep 6 hours or more on most nights within 6 weeks",
                "measure": {"text": "nights of 6 h+ per week", "unit": "nights/wk"},
                "start": "2026-11-23",
                "due": "2027-01-04",
                "steps": [
                    {
                        "what": "Same wake time",
                        "how_much": "6:30",
                        "when": "every morning",
                        "how_often": {"frequency": 1, "period": 1, "unit": "d"},
                    }
                ],
                "expressed_by": "clinician",
            },
        ],
        "confidence": 8,
        "importance": 9,
        "barriers": ["Fear of a flare after long walks"],
        "supports": ["Spouse walks along"],
        "follow_up": {"check_in": "2026-12-07", "review": "2027-01-04"},
        "override_reason": None,
    }
    data.update(changes)
    return data


def make_plan(**changes: Any) -> ActionPlan:
    """A valid ActionPlan built through the public JSON reader."""
    plan, errors = ActionPlan.from_dict(make_plan_dict(**changes))
    assert errors == [], errors
    assert plan is not None
    return plan


def make_review(**changes: Any) -> GoalReview:
    """A valid GoalReview."""
    data: dict[str, Any] = {
        "gas_score": 1,
        "achievement_status": "achieved",
        "peg": {"pain": 5, "enjoyment": 4, "activity": 3},
        "note": "Walked 3 times most weeks",
        "decision": "complete",
    }
    data.update(changes)
    review, errors = GoalReview.from_dict(data)
    assert errors == [], errors
    assert review is not None
    return review


def fhirkit_errors(resource: dict[str, Any]) -> list[str]:
    """Every error fhirkit-rs (FHIR R4 4.0.1) reports for a resource."""
    assert fhirkit.FHIR_VERSION == "4.0.1"
    return [str(issue) for issue in fhirkit.validate(resource) if issue.severity == "error"]


def brenda() -> dict[str, Any]:
    """The AHRQ Pain Management Summary test patient (collection Bundle)."""
    data: dict[str, Any] = json.loads((DATA / "brenda_jackson.json").read_text(encoding="utf-8"))
    return data
