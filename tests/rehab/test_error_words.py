"""Field error messages are clinician words; the field is named by the path, not the text."""

from __future__ import annotations

import re

from rehab.errors import FieldError
from rehab.plan import ActionPlan
from rehab.review import GoalReview
from tests.rehab.factories import make_goal_dict, make_plan_dict

# Fragments the app's form pages still build their sentences from ("Confidence must be a whole
# number."); they stay as they are until those pages show the message on its own.
FORM_FRAGMENTS = re.compile(
    r"^(is required|must be a number|must be a whole number|must be between -?\d+ and \d+|"
    r"must have between \d+ and \d+ entries|must not be before the start date)$"
)


def bad_payload_errors() -> list[FieldError]:
    """The errors of payloads that break every rule the readers know."""
    goal = make_goal_dict(
        key="bad key!", domain="moon", start="2026-13-01", due="01/02/2027", steps="walk"
    )
    goal["gas"] = {"1": "a", "+1": "b"}
    plan = make_plan_dict(
        goals=[goal, make_goal_dict(), make_goal_dict()],
        expressed_by="robot",
        what_matters=7,
        barriers=["x" * 600],
        follow_up={"check_in": "2027-03-01", "review": "2027-01-04"},
        confidance=5,
    )
    _, plan_errors = ActionPlan.from_dict(plan)
    _, root = ActionPlan.from_dict(["not", "an", "object"])
    review = {"decision": "maybe", "achievement_status": "done", "peg": {"pain": 12}}
    _, review_errors = GoalReview.from_dict(review)
    return [*plan_errors, *root, *review_errors]


def test_every_message_is_a_sentence_without_its_path() -> None:
    errors = bad_payload_errors()
    assert len({e.path for e in errors}) >= 12
    for error in errors:
        if FORM_FRAGMENTS.match(error.message):
            continue
        assert error.message[0].isupper(), error
        assert error.message.endswith("."), error
        assert not error.path or error.path not in error.message, error
        # No machine names: dotted or snake_case field names, list indexes.
        assert not re.search(r"\b[a-z]+[._][a-z]+\b|\[\d+\]", error.message), error


def test_the_clinician_sentences_for_pain_dates_and_lists() -> None:
    messages = {e.path: e.message for e in bad_payload_errors()}
    assert messages["peg.pain"] == "Pain must be a whole number from 0 to 10."
    assert messages["goals[0].start"] == "This date is not on the calendar."
    assert messages["goals[0].due"] == "Enter the date as YYYY-MM-DD."
    assert messages["goals[0].steps"] == "Enter a list here."
    assert messages["goals[2].key"] == "Each goal needs its own key; this one is used twice."
    assert messages["follow_up.check_in"] == "The check-in must be on or before the review date."
    assert messages["confidance"] == "This field is not part of the form."
    assert messages["expressed_by"] == "Choose one of: patient, clinician, shared."
