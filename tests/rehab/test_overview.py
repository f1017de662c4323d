"""Overview flags: no functional goal, only pain goals, review overdue."""

from __future__ import annotations

from datetime import timedelta

from rehab.context import ReviewRecord
from rehab.rules import Flag, overview_flags
from tests.rehab.factories import TODAY, make_context, make_goal_summary


def codes(flags: tuple[Flag, ...]) -> list[str]:
    """The codes of the flags, in order."""
    return [flag.code for flag in flags]


def test_a_patient_with_a_fresh_functional_goal_has_no_flags() -> None:
    assert overview_flags(make_context(make_goal_summary()), TODAY) == ()


def test_a_patient_without_goals_has_no_functional_goal() -> None:
    flags = overview_flags(make_context(), TODAY)

    assert flags == (
        Flag(
            code="no-functional-goal",
            message="No functional goal on file.",
            action="Set a functional goal with the patient.",
        ),
    )


def test_only_pain_goals_are_flagged_with_their_ids() -> None:
    pain = make_goal_summary(id="g-pain", is_functional=False, is_pain_only=True)

    flags = overview_flags(make_context(pain), TODAY)

    assert codes(flags) == ["only-pain-goals"]
    assert flags[0].goal_ids == ("g-pain",)


def test_closed_functional_goals_do_not_count() -> None:
    done = make_goal_summary(lifecycle_status="completed")
    cancelled = make_goal_summary(id="g2", lifecycle_status="cancelled")
    pain = make_goal_summary(id="g3", is_functional=False, is_pain_only=True)

    assert codes(overview_flags(make_context(done, cancelled, pain), TODAY)) == [
        "only-pain-goals"
    ]


def test_a_goal_neither_functional_nor_pain_only_leaves_no_functional_goal() -> None:
    other = make_goal_summary(is_functional=False, is_pain_only=False)

    assert codes(overview_flags(make_context(other), TODAY)) == ["no-functional-goal"]


def test_a_goal_past_its_due_date_without_review_is_overdue() -> None:
    goal = make_goal_summary(
        start=TODAY - timedelta(days=30), due=TODAY - timedelta(days=1), last_review=None
    )

    flags = overview_flags(make_context(goal), TODAY)

    assert codes(flags) == ["review-overdue"]
    assert flags[0].message == (
        "1 goal is due for review: past the due date or 6 weeks since review."
    )
    assert flags[0].goal_ids == ("goal-1",)


def test_a_goal_reviewed_after_its_due_date_is_not_overdue_until_six_weeks_pass() -> None:
    due = TODAY - timedelta(days=10)
    reviewed = make_goal_summary(start=due - timedelta(days=40), due=due, last_review=due)
    assert overview_flags(make_context(reviewed), TODAY) == ()

    later = TODAY + timedelta(days=40)
    assert codes(overview_flags(make_context(reviewed), later)) == ["review-overdue"]


def test_six_weeks_without_review_is_overdue_and_the_day_before_is_not() -> None:
    goal = make_goal_summary(start=TODAY - timedelta(days=42), due=TODAY + timedelta(days=60))
    assert overview_flags(make_context(goal), TODAY) == ()

    older = make_goal_summary(start=TODAY - timedelta(days=43), due=TODAY + timedelta(days=60))
    assert codes(overview_flags(make_context(older), TODAY)) == ["review-overdue"]


def test_review_records_count_as_reviews_of_their_goal() -> None:
    goal = make_goal_summary(start=TODAY - timedelta(days=90), due=TODAY + timedelta(days=30))
    recent = ReviewRecord(goal_id="goal-1", when=TODAY - timedelta(days=7), gas_score=-1)
    elsewhere = ReviewRecord(goal_id="other", when=TODAY, gas_score=0)

    assert overview_flags(make_context(goal, reviews=(recent,)), TODAY) == ()
    assert codes(overview_flags(make_context(goal, reviews=(elsewhere,)), TODAY)) == [
        "review-overdue"
    ]


def test_several_overdue_goals_are_counted_in_one_flag() -> None:
    old = TODAY - timedelta(days=100)
    goals = [make_goal_summary(id=f"g{i}", start=old, due=None) for i in range(3)]

    flags = overview_flags(make_context(*goals), TODAY)

    assert codes(flags) == ["review-overdue"]
    assert flags[0].message.startswith("3 goals are due for review")
    assert flags[0].goal_ids == ("g0", "g1", "g2")


def test_a_goal_without_any_dates_is_never_called_overdue() -> None:
    goal = make_goal_summary(start=None, due=None)

    assert overview_flags(make_context(goal), TODAY) == ()


def test_pain_only_and_overdue_flags_come_together() -> None:
    pain = make_goal_summary(
        is_functional=False, is_pain_only=True, start=TODAY - timedelta(days=60), due=None
    )

    assert codes(overview_flags(make_context(pain), TODAY)) == [
        "only-pain-goals",
        "review-overdue",
    ]
