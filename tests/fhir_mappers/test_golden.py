"""Golden JSON: what the mappers write, reviewed once and kept; any change shows up as a diff.

Regenerate after an intended change with `python -m tests.fhir_mappers.test_golden` and
review the diff before committing.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from fhir_mappers import plan_to_note, plan_to_transaction, review_to_resources
from tests.fhir_mappers.factories import (
    AUTHOR,
    PATIENT_ID,
    TODAY,
    fhirkit_errors,
    make_plan,
    make_review,
)

GOLDEN = Path(__file__).parent / "golden"


def _review() -> dict[str, Any]:
    bundle = plan_to_transaction(
        make_plan(), patient_id=PATIENT_ID, author=AUTHOR, today=TODAY, plan_key="golden-plan"
    )
    goal = {**bundle["entry"][0]["resource"], "id": "g1"}
    result = review_to_resources(
        make_review(),
        goal=goal,
        patient_id=PATIENT_ID,
        author=AUTHOR,
        today=date(2027, 1, 4),
        review_key="golden-review",
    )
    return {
        "observations": list(result.observations),
        "full_urls": list(result.full_urls),
        "goal": result.goal,
    }


def render() -> dict[str, Any]:
    """Every golden example by file name."""
    options: dict[str, Any] = {
        "patient_id": PATIENT_ID,
        "author": AUTHOR,
        "today": TODAY,
        "plan_key": "golden-plan",
        "conditions": ("cp-1",),
    }
    recorded = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    return {
        "transaction_detail.json": plan_to_transaction(make_plan(), recorded=recorded, **options),
        "transaction_reference.json": plan_to_transaction(
            make_plan(), activity_style="reference", previous_careplan_id="cp-old", **options
        ),
        "review.json": _review(),
        "note.json": plan_to_note(
            make_plan(),
            patient_id=PATIENT_ID,
            author=AUTHOR,
            today=TODAY,
            plan_key="golden-plan",
            text="My pain rehabilitation plan",
            pdf=b"%PDF-1.4\n%golden\n",
        ),
    }


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


@pytest.mark.parametrize("name", sorted(render()))
def test_output_matches_the_golden_file(name: str) -> None:
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert _dump(render()[name]) == expected


def test_golden_resources_are_valid_fhir_r4() -> None:
    for name in ("transaction_detail.json", "transaction_reference.json", "note.json"):
        assert fhirkit_errors(json.loads((GOLDEN / name).read_text(encoding="utf-8"))) == []
    review = json.loads((GOLDEN / "review.json").read_text(encoding="utf-8"))
    for resource in (*review["observations"], review["goal"]):
        assert fhirkit_errors(resource) == []


if __name__ == "__main__":
    for file_name, value in render().items():
        (GOLDEN / file_name).write_text(_dump(value), encoding="utf-8")
