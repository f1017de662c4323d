"""The goal-setting plan: what matters, 1-5 functional goals, confidence, barriers, follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rehab.errors import FieldError
from rehab.goal import (
    ActionStep,
    ExpressedBy,
    Frequency,
    FunctionalGoal,
    GasLevels,
    Measure,
    PeriodUnit,
    parse_goal,
)
from rehab.jsonread import Reader, join, read_payload

__all__ = [
    "ActionPlan",
    "ActionStep",
    "ExpressedBy",
    "FollowUp",
    "Frequency",
    "FunctionalGoal",
    "GasLevels",
    "Measure",
    "PeriodUnit",
]

MAX_GOALS = 5
PLAN_FIELDS = (
    "what_matters",
    "expressed_by",
    "goals",
    "confidence",
    "importance",
    "barriers",
    "supports",
    "follow_up",
    "override_reason",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUp:
    """A check-in (usually 1-2 weeks) and a review visit (usually 4-6 weeks)."""

    check_in: date | None
    review: date

    def to_dict(self) -> dict[str, object]:
        """The JSON of the payload, dates YYYY-MM-DD."""
        return {
            "check_in": None if self.check_in is None else self.check_in.isoformat(),
            "review": self.review.isoformat(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionPlan:
    """A collaborative plan agreed at a visit; confidence and importance are 0-10 rulers."""

    what_matters: str
    expressed_by: ExpressedBy
    goals: tuple[FunctionalGoal, ...]
    confidence: int
    importance: int | None = None
    barriers: tuple[str, ...] = ()
    supports: tuple[str, ...] = ()
    follow_up: FollowUp
    override_reason: str | None = None

    def goal_expressed_by(self, goal: FunctionalGoal) -> ExpressedBy:
        """Who expressed a goal: its own value, else the plan's."""
        return goal.expressed_by or self.expressed_by

    @classmethod
    def from_dict(cls, data: object) -> tuple[ActionPlan | None, list[FieldError]]:
        """The plan and no errors, or None and every field error; never raises on user input."""
        return read_payload(data, _parse_plan)

    def to_dict(self) -> dict[str, object]:
        """The plan as the API's JSON (dates YYYY-MM-DD); from_dict reads it back unchanged."""
        return {
            "what_matters": self.what_matters,
            "expressed_by": self.expressed_by.value,
            "goals": [goal.to_dict() for goal in self.goals],
            "confidence": self.confidence,
            "importance": self.importance,
            "barriers": list(self.barriers),
            "supports": list(self.supports),
            "follow_up": self.follow_up.to_dict(),
            "override_reason": self.override_reason,
        }


def _parse_follow_up(data: object, path: str, errors: list[FieldError]) -> FollowUp | None:
    read = Reader.of(data, path, errors, ("check_in", "review"))
    if read is None:
        return None
    check_in = read.day("check_in", required=False)
    review = read.day("review")
    if review is None:
        return None
    if check_in is not None and check_in > review:
        read.fail("check_in", "The check-in must be on or before the review date.")
        return None
    return FollowUp(check_in=check_in, review=review)


def _parse_goals(read: Reader) -> tuple[FunctionalGoal, ...]:
    goals: list[FunctionalGoal] = []
    raw_goals = read.items("goals", low=1, high=MAX_GOALS)
    seen: set[str] = set()
    for index, raw in enumerate(raw_goals or ()):
        where = join(join(read.path, "goals"), index)
        goal = parse_goal(raw, where, read.errors)
        if goal is None:
            continue
        if goal.key in seen:
            twice = "Each goal needs its own key; this one is used twice."
            read.errors.append(FieldError(path=join(where, "key"), message=twice))
        seen.add(goal.key)
        goals.append(goal)
    return tuple(goals)


def _parse_plan(data: object, errors: list[FieldError]) -> ActionPlan | None:
    read = Reader.of(data, "", errors, PLAN_FIELDS)
    if read is None:
        return None
    what_matters = read.text("what_matters", max_len=1000)
    expressed_by = read.choice("expressed_by", ExpressedBy)
    goals = _parse_goals(read)
    confidence = read.integer("confidence", low=0, high=10)
    importance = read.integer("importance", low=0, high=10, required=False)
    barriers = read.texts("barriers")
    supports = read.texts("supports")
    raw_follow_up = read.raw("follow_up")
    follow_up = _parse_follow_up(raw_follow_up, "follow_up", errors)
    override_reason = read.text("override_reason", required=False, max_len=1000)
    if errors or what_matters is None or expressed_by is None or confidence is None:
        return None
    if follow_up is None:
        return None
    return ActionPlan(
        what_matters=what_matters,
        expressed_by=expressed_by,
        goals=goals,
        confidence=confidence,
        importance=importance,
        barriers=barriers,
        supports=supports,
        follow_up=follow_up,
        override_reason=override_reason,
    )
