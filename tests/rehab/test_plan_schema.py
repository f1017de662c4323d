"""docs/plan-schema.json describes what to_dict gives and refuses what from_dict refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from rehab.plan import ActionPlan
from rehab.review import GoalReview
from tests.rehab.factories import make_goal_dict, make_plan_dict, make_review_dict

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "plan-schema.json"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The published schema, itself checked against the 2020-12 meta-schema."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(loaded)
    return loaded


def validator(schema: dict[str, Any], name: str) -> Draft202012Validator:
    """A validator for one definition of the schema."""
    return Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]})


def test_a_plan_written_by_to_dict_matches_the_schema(schema: dict[str, Any]) -> None:
    plan, _ = ActionPlan.from_dict(make_plan_dict())
    assert plan is not None

    assert list(validator(schema, "ActionPlan").iter_errors(plan.to_dict())) == []
    assert list(Draft202012Validator(schema).iter_errors(plan.to_dict())) == []


def test_a_review_written_by_to_dict_matches_the_schema(schema: dict[str, Any]) -> None:
    review, _ = GoalReview.from_dict(make_review_dict())
    assert review is not None

    assert list(validator(schema, "GoalReview").iter_errors(review.to_dict())) == []


def test_field_errors_match_the_schema(schema: dict[str, Any]) -> None:
    _, errors = ActionPlan.from_dict(make_plan_dict(confidence=99))

    payload = [error.to_dict() for error in errors]

    assert payload
    assert list(validator(schema, "FieldErrors").iter_errors(payload)) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"confidence": 11},
        {"goals": []},
        {"expressed_by": "doctor"},
        {"colour": "blue"},
        {"goals": [make_goal_dict(due="2027-1-1")]},
        {"goals": [make_goal_dict(domain="Not A Key")]},
        {"follow_up": {"check_in": "2027-01-01"}},
    ],
)
def test_payloads_the_code_refuses_the_schema_refuses_too(
    schema: dict[str, Any], changes: dict[str, Any]
) -> None:
    data = make_plan_dict(**changes)

    plan, errors = ActionPlan.from_dict(data)

    assert plan is None
    assert errors
    assert not validator(schema, "ActionPlan").is_valid(data)
