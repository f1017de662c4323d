"""The SMART check, plan warnings, the confidence gate and follow-up defaults."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rehab.plan import FollowUp, Measure
from rehab.review import AchievementStatus, Decision, GoalReview
from rehab.rules import (
    CONFIDENCE_THRESHOLD,
    confidence_gate,
    follow_up_defaults,
    plan_warnings,
    review_warnings,
    smart_check,
)
from tests.rehab.factories import TODAY, make_goal, make_plan, make_step


def test_a_complete_goal_passes_the_smart_check() -> None:
    assert smart_check(make_goal()) == ()


def test_a_goal_without_steps_needs_an_action_step() -> None:
    found = smart_check(make_goal(steps=()))

    assert found == (
        "Add an action step: what the patient will do, how much, when and how often.",
    )


def test_a_step_without_an_activity_is_named_by_its_number() -> None:
    goal = make_goal(steps=(make_step(), make_step(what="")))

    assert smart_check(goal) == ("Step 2: say what the patient will do (the activity).",)


def test_a_step_without_an_amount_asks_for_a_set_amount() -> None:
    found = smart_check(make_goal(steps=(make_step(how_much=""),)))

    assert len(found) == 1
    assert found[0].startswith("Step 1: say how much")
    assert "rather than 'until it hurts'" in found[0]


def test_a_step_without_a_time_asks_when() -> None:
    found = smart_check(make_goal(steps=(make_step(when=""),)))

    assert found == ("Step 1: say when (time of day or days of the week).",)


def test_a_goal_with_no_number_and_no_target_is_not_measurable() -> None:
    vague = make_goal(description="Walk more", measure=None)
    target_free = make_goal(
        description="Walk more", measure=Measure(text="walks", target=None, unit="")
    )

    message = (
        "Make the goal measurable: add an amount (minutes, times a week) "
        "or a measure with a target."
    )
    assert smart_check(vague) == (message,)
    assert smart_check(target_free) == (message,)


def test_a_number_in_the_goal_text_makes_it_measurable() -> None:
    assert smart_check(make_goal(description="Walk 3 times a week", measure=None)) == ()


def test_a_due_date_on_the_start_date_is_reported() -> None:
    found = smart_check(make_goal(start=TODAY, due=TODAY))

    assert found == ("Set a due date after the start date (usually 4 to 12 weeks).",)


def test_a_due_date_more_than_six_months_away_is_reported() -> None:
    far = make_goal(start=TODAY, due=TODAY + timedelta(days=183))
    near = make_goal(start=TODAY, due=TODAY + timedelta(days=182))

    assert len(smart_check(far)) == 1
    assert smart_check(far)[0].startswith("The due date is more than 6 months away")
    assert smart_check(near) == ()


def test_everything_missing_is_reported_together() -> None:
    goal = make_goal(
        description="Be more active",
        measure=None,
        steps=(make_step(what="", how_much="", when=""),),
        due=TODAY,
    )

    assert len(smart_check(goal)) == 5


def test_a_plan_with_a_functional_goal_has_no_warning() -> None:
    pain = make_goal(key="peg", domain="pain", description="PEG 4 or lower")

    assert plan_warnings(make_plan(goals=(make_goal(), pain))) == ()


def test_a_plan_whose_only_goal_is_pain_intensity_is_flagged() -> None:
    pain = make_goal(key="peg", domain="pain", description="PEG 4 or lower")

    warnings = plan_warnings(make_plan(goals=(pain,)))

    assert len(warnings) == 1
    assert warnings[0].startswith("The only goal is about pain intensity. Add a functional goal")


def test_a_plan_without_goals_needs_a_functional_goal() -> None:
    assert plan_warnings(make_plan(goals=())) == (
        "The plan has no goal: add at least one functional goal.",
    )


def test_pain_domain_is_what_marks_a_pain_intensity_goal() -> None:
    assert make_goal(domain="pain").is_pain_intensity
    assert not make_goal(domain="walking", description="Walk despite pain").is_pain_intensity


def test_confidence_of_seven_or_more_passes_the_gate() -> None:
    assert CONFIDENCE_THRESHOLD == 7
    assert confidence_gate(make_plan(confidence=7)) is None
    assert confidence_gate(make_plan(confidence=10)) is None


def test_confidence_below_seven_asks_for_a_smaller_plan_or_a_reason() -> None:
    message = confidence_gate(make_plan(confidence=6))

    assert message == (
        "Confidence is 6 out of 10. Below 7, make the plan smaller or easier and ask again, "
        "or record why you go ahead anyway."
    )


def test_an_override_reason_opens_the_gate_below_seven() -> None:
    plan = make_plan(confidence=3, override_reason="Patient wants to try this plan as is")

    assert confidence_gate(plan) is None


def test_a_blank_override_reason_does_not_open_the_gate() -> None:
    assert confidence_gate(make_plan(confidence=0, override_reason="")) is not None


def test_follow_up_defaults_are_two_weeks_and_six_weeks() -> None:
    assert follow_up_defaults(date(2026, 12, 30)) == FollowUp(
        check_in=date(2027, 1, 13), review=date(2027, 2, 10)
    )


def make_review(**changes: Any) -> GoalReview:
    """A review scored GAS 0, achieved, goal continued."""
    values: dict[str, Any] = {
        "gas_score": 0,
        "achievement_status": AchievementStatus.ACHIEVED,
        "peg": None,
        "note": None,
        "decision": Decision.CONTINUE,
    }
    values.update(changes)
    return GoalReview(**values)


def test_a_consistent_review_has_no_warning() -> None:
    assert review_warnings(make_review()) == ()
    assert review_warnings(make_review(gas_score=None, decision=Decision.COMPLETE)) == ()
    below = make_review(gas_score=-1, achievement_status=AchievementStatus.IMPROVING)
    assert review_warnings(below) == ()


def test_gas_zero_or_above_with_a_not_achieved_status_is_pointed_out() -> None:
    review = make_review(gas_score=1, achievement_status=AchievementStatus.NOT_ACHIEVED)

    assert review_warnings(review) == (
        "GAS +1 means the expected outcome was reached, but the status says 'not achieved'.",
    )


def test_achieved_with_gas_below_zero_is_pointed_out() -> None:
    warnings = review_warnings(make_review(gas_score=-2))

    assert warnings == (
        "The status says achieved, but GAS -2 is below the expected outcome (0).",
    )


def test_completing_a_goal_scored_below_zero_mentions_revising() -> None:
    review = make_review(
        gas_score=-1, achievement_status=AchievementStatus.NO_PROGRESS, decision=Decision.COMPLETE
    )

    assert review_warnings(review) == (
        "The goal scored GAS -1: 'revise' keeps it with a smaller step, 'complete' closes it.",
    )
