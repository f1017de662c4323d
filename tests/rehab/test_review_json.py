"""GoalReview JSON in and out."""

from __future__ import annotations

import pytest

from rehab.measures import PegItems
from rehab.review import AchievementStatus, Decision, GoalReview
from tests.rehab.factories import make_review_dict


def paths(data: object) -> dict[str, str]:
    """The field errors of a review payload as {path: message}."""
    review, errors = GoalReview.from_dict(data)
    assert review is None
    return {error.path: error.message for error in errors}


def test_a_complete_review_is_read_and_written_back_unchanged() -> None:
    data = make_review_dict()

    review, errors = GoalReview.from_dict(data)

    assert errors == []
    assert review is not None
    assert review.achievement_status is AchievementStatus.ACHIEVED
    assert review.decision is Decision.COMPLETE
    assert review.peg == PegItems(pain=6, enjoyment=5, activity=4)
    assert review.to_dict() == data


def test_only_status_and_decision_are_required() -> None:
    review, errors = GoalReview.from_dict(
        {"achievement_status": "in-progress", "decision": "continue"}
    )

    assert errors == []
    assert review is not None
    assert review.to_dict() == {
        "gas_score": None,
        "achievement_status": "in-progress",
        "peg": None,
        "note": None,
        "decision": "continue",
        "what_helped": None,
        "what_got_in_the_way": None,
    }


def test_every_fhir_goal_achievement_code_is_accepted() -> None:
    codes = [
        "in-progress", "improving", "worsening", "no-change", "achieved",
        "sustaining", "not-achieved", "no-progress", "not-attainable",
    ]
    assert [status.value for status in AchievementStatus] == codes
    for code in codes:
        review, errors = GoalReview.from_dict(make_review_dict(achievement_status=code))
        assert errors == []
        assert review is not None


@pytest.mark.parametrize(("score", "ok"), [(-2, True), (2, True), (-3, False), (3, False)])
def test_gas_score_runs_from_minus_two_to_plus_two(score: int, ok: bool) -> None:
    review, errors = GoalReview.from_dict(make_review_dict(gas_score=score))

    assert (review is not None) is ok
    assert [e.path for e in errors] == ([] if ok else ["gas_score"])


def test_peg_items_are_checked_one_by_one() -> None:
    data = make_review_dict(peg={"pain": 11, "enjoyment": "x"})

    assert paths(data) == {
        "peg.pain": "Pain must be a whole number from 0 to 10.",
        "peg.enjoyment": (
            "Interference with enjoyment of life must be a whole number from 0 to 10."
        ),
        "peg.activity": "is required",
    }


def test_unknown_status_and_decision_name_the_allowed_values() -> None:
    data = make_review_dict(achievement_status="done", decision="stop")

    found = paths(data)

    assert found["decision"] == "Choose one of: continue, revise, complete."
    assert found["achievement_status"].startswith("Choose one of: in-progress, improving")


def test_a_blank_note_is_no_note() -> None:
    review, _ = GoalReview.from_dict(make_review_dict(note="   "))

    assert review is not None
    assert review.note is None


def test_a_non_object_review_is_one_error() -> None:
    assert paths(["achieved"]) == {"": "This part must be a set of named fields."}
