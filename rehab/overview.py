"""Flags on the patient overview: no functional goal, only pain goals, a review overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from rehab.context import GoalSummary, PatientContext

# FHIR goal-status codes of goals still being worked on (not completed, cancelled, rejected,
# entered-in-error).
OPEN_GOAL_STATUSES = frozenset({"proposed", "planned", "accepted", "active", "on-hold"})
# A goal is due for review six weeks after its start or its last review (the 4-6 week visit).
REVIEW_INTERVAL = timedelta(days=42)


@dataclass(frozen=True, slots=True, kw_only=True)
class Flag:
    """Something the clinician should see first, with what to do about it."""

    code: str
    message: str
    action: str
    goal_ids: tuple[str, ...] = ()


def last_review(goal: GoalSummary, ctx: PatientContext) -> date | None:
    """The latest review of a goal, from the goal itself or the review records."""
    dates = [r.when for r in ctx.reviews if r.goal_id is not None and r.goal_id == goal.id]
    if goal.last_review is not None:
        dates.append(goal.last_review)
    return max(dates, default=None)


def review_overdue(goal: GoalSummary, ctx: PatientContext, today: date) -> bool:
    """True when an open goal passed its due date unreviewed, or went 6 weeks without review."""
    reviewed = last_review(goal, ctx)
    if goal.due is not None and goal.due < today and (reviewed is None or reviewed < goal.due):
        return True
    since = reviewed or goal.start
    return since is not None and since + REVIEW_INTERVAL < today


def overview_flags(ctx: PatientContext, today: date) -> tuple[Flag, ...]:
    """The overview's flags: no functional goal, only pain goals, reviews overdue."""
    open_goals = [g for g in ctx.goals if g.lifecycle_status in OPEN_GOAL_STATUSES]
    flags: list[Flag] = []
    if not any(goal.is_functional for goal in open_goals):
        pain_only = tuple(goal.id for goal in open_goals if goal.is_pain_only)
        if pain_only:
            flags.append(
                Flag(
                    code="only-pain-goals",
                    message="The only goals on file are about pain intensity.",
                    action="Set a functional goal beside them.",
                    goal_ids=pain_only,
                )
            )
        else:
            flags.append(
                Flag(
                    code="no-functional-goal",
                    message="No functional goal on file.",
                    action="Set a functional goal with the patient.",
                )
            )
    overdue = tuple(goal.id for goal in open_goals if review_overdue(goal, ctx, today))
    if overdue:
        count = "1 goal is" if len(overdue) == 1 else f"{len(overdue)} goals are"
        flags.append(
            Flag(
                code="review-overdue",
                message=f"{count} due for review: past the due date or 6 weeks since review.",
                action="Review progress at this visit.",
                goal_ids=overdue,
            )
        )
    return tuple(flags)
