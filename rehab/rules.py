"""The clinical rules of goal setting, as pure functions that answer in a clinician's words."""

from __future__ import annotations

import re
from datetime import date, timedelta

from rehab.goal import FunctionalGoal
from rehab.measures import gas_achieved
from rehab.overview import Flag, overview_flags
from rehab.plan import ActionPlan, FollowUp
from rehab.review import AchievementStatus, Decision, GoalReview

__all__ = [
    "CHECK_IN_DAYS",
    "CONFIDENCE_THRESHOLD",
    "REVIEW_DAYS",
    "Flag",
    "confidence_gate",
    "follow_up_defaults",
    "overview_flags",
    "plan_warnings",
    "review_warnings",
    "smart_check",
]

# Brief Action Planning (Gutnick et al. 2014) and the Stanford self-management programme:
# below 7 on the confidence ruler, make the plan smaller or easier.
CONFIDENCE_THRESHOLD = 7
# A check-in within 1-2 weeks and a review visit at 4-6 weeks (clinical.md, follow-up).
CHECK_IN_DAYS = 14
REVIEW_DAYS = 42
# Goals usually run 4-12 weeks; beyond about six months the goal drops out of view.
LONGEST_GOAL_DAYS = 182
_NUMBER = re.compile(r"\d")
# Achievement statuses that say the goal was not reached (FHIR goal-achievement).
_SHORT_OF_GOAL = frozenset(
    {
        AchievementStatus.NOT_ACHIEVED,
        AchievementStatus.NO_PROGRESS,
        AchievementStatus.WORSENING,
        AchievementStatus.NOT_ATTAINABLE,
    }
)


def smart_check(goal: FunctionalGoal) -> tuple[str, ...]:
    """What the goal still lacks to be SMART (activity, amount, frequency, date), in plain words."""
    missing: list[str] = []
    if not goal.steps:
        missing.append(
            "Add an action step: what the patient will do, how much, when and how often."
        )
    for number, step in enumerate(goal.steps, start=1):
        if not step.what:
            missing.append(f"Step {number}: say what the patient will do (the activity).")
        if not step.how_much:
            missing.append(
                f"Step {number}: say how much (minutes, distance or repetitions), "
                "a set amount rather than 'until it hurts'."
            )
        if not step.when:
            missing.append(f"Step {number}: say when (time of day or days of the week).")
    has_target = goal.measure is not None and goal.measure.target is not None
    if not has_target and not _NUMBER.search(goal.description):
        missing.append(
            "Make the goal measurable: add an amount (minutes, times a week) "
            "or a measure with a target."
        )
    if goal.due <= goal.start:
        missing.append("Set a due date after the start date (usually 4 to 12 weeks).")
    elif (goal.due - goal.start).days > LONGEST_GOAL_DAYS:
        missing.append(
            "The due date is more than 6 months away: a nearer date "
            "(4 to 12 weeks) keeps the goal in view."
        )
    return tuple(missing)


def plan_warnings(plan: ActionPlan) -> tuple[str, ...]:
    """Warnings about the plan as a whole: it needs at least one functional goal."""
    if not plan.goals:
        return ("The plan has no goal: add at least one functional goal.",)
    if all(goal.is_pain_intensity for goal in plan.goals):
        # UW Osher "Goal Setting for Pain Rehabilitation": pain reduction as the only goal
        # risks frustration and dropping out; a pain goal belongs beside a functional one.
        return (
            "The only goal is about pain intensity. Add a functional goal: something the "
            "patient wants to be able to do, whether or not the pain improves.",
        )
    return ()


def confidence_gate(plan: ActionPlan) -> str | None:
    """A message when confidence is below 7 and no override reason is recorded, else None."""
    if plan.confidence >= CONFIDENCE_THRESHOLD or plan.override_reason:
        return None
    return (
        f"Confidence is {plan.confidence} out of 10. Below {CONFIDENCE_THRESHOLD}, make the "
        "plan smaller or easier and ask again, or record why you go ahead anyway."
    )


def follow_up_defaults(today: date) -> FollowUp:
    """A check-in in 2 weeks and a review visit in 6 weeks from today."""
    return FollowUp(
        check_in=today + timedelta(days=CHECK_IN_DAYS),
        review=today + timedelta(days=REVIEW_DAYS),
    )


def review_warnings(review: GoalReview) -> tuple[str, ...]:
    """Where a review's GAS score, status and decision disagree (achieved means GAS 0 or above)."""
    score = review.gas_score
    if score is None:
        return ()
    status = review.achievement_status.value.replace("-", " ")
    warnings: list[str] = []
    if gas_achieved(score) and review.achievement_status in _SHORT_OF_GOAL:
        warnings.append(
            f"GAS {score:+d} means the expected outcome was reached, but the status says "
            f"'{status}'."
        )
    if not gas_achieved(score) and review.achievement_status is AchievementStatus.ACHIEVED:
        warnings.append(
            f"The status says achieved, but GAS {score:+d} is below the expected outcome (0)."
        )
    if not gas_achieved(score) and review.decision is Decision.COMPLETE:
        warnings.append(
            f"The goal scored GAS {score:+d}: 'revise' keeps it with a smaller step, "
            "'complete' closes it."
        )
    return tuple(warnings)
