"""Edits of the plan form without script: add a goal (blank or from a template), add a step,
remove a goal; and the SMART check of each goal as typed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta

from rehab.errors import FieldError
from rehab.goal import parse_goal
from rehab.rules import smart_check
from rehab.templates import GoalTemplate, goal_from_template
from smartapp.forms import (
    MAX_GOALS,
    MAX_STEPS,
    errors_by_field,
    goal_dict,
    goal_fields,
    slots,
)


def next_goal_index(fields: Mapping[str, str]) -> int | None:
    """The index a new goal takes, or None when the plan has the most goals allowed."""
    present = [slot.index for slot in slots(fields)]
    if len(present) >= MAX_GOALS:
        return None
    return max(present, default=-1) + 1


def unique_key(fields: Mapping[str, str], wanted: str) -> str:
    """A goal key not yet used on the form (`walking`, `walking-2`, ...)."""
    used = {v for k, v in fields.items() if k.endswith("].key")}
    key, n = wanted, 2
    while key in used:
        key, n = f"{wanted}-{n}", n + 1
    return key


def blank_goal(fields: Mapping[str, str], *, domain: str, today: date) -> dict[str, str]:
    """The fields with one more empty goal in a life area, due in 6 weeks, with one empty step."""
    index = next_goal_index(fields)
    if index is None:
        return dict(fields)
    prefix = f"goals[{index}]."
    added = {
        prefix + "key": unique_key(fields, f"goal-{index + 1}"),
        prefix + "domain": domain,
        prefix + "description": "",
        prefix + "start": today.isoformat(),
        prefix + "due": (today + timedelta(weeks=6)).isoformat(),
        prefix + "steps[0].what": "",
        prefix + "steps[0].how_often.period": "1",
        prefix + "steps[0].how_often.unit": "wk",
    }
    return {**fields, **added}


def add_step(fields: Mapping[str, str], goal_index: int) -> dict[str, str]:
    """The fields with one more empty step on a goal (at most MAX_STEPS)."""
    slot = next((s for s in slots(fields) if s.index == goal_index), None)
    if slot is None or len(slot.steps) >= MAX_STEPS:
        return dict(fields)
    step = max(slot.steps, default=-1) + 1
    prefix = f"goals[{goal_index}].steps[{step}]."
    return {
        **fields,
        prefix + "what": "",
        prefix + "how_often.period": "1",
        prefix + "how_often.unit": "wk",
    }


def remove_goal(fields: Mapping[str, str], goal_index: int) -> dict[str, str]:
    """The fields without one goal; later goals keep their values under new indices."""
    kept = [s.index for s in slots(fields) if s.index != goal_index]
    renumber = {old: new for new, old in enumerate(kept)}
    result: dict[str, str] = {}
    for name, value in fields.items():
        match = re.match(r"goals\[(\d)\](.*)", name)
        if not match:
            result[name] = value
        elif int(match.group(1)) in renumber:
            result[f"goals[{renumber[int(match.group(1))]}]{match.group(2)}"] = value
    return result


def template_goal(
    fields: Mapping[str, str], template: GoalTemplate, *, today: date
) -> dict[str, str]:
    """The fields with one more goal filled from a template (every field stays editable)."""
    index = next_goal_index(fields)
    if index is None:
        return dict(fields)
    goal = goal_from_template(template, key=unique_key(fields, template.key), start=today)
    return {**fields, **goal_fields(goal, index)}


def goal_checks(fields: Mapping[str, str]) -> dict[int, tuple[str, ...]]:
    """Per goal on the form: what it lacks to be SMART, or what stops it being read."""
    checks: dict[int, tuple[str, ...]] = {}
    for slot in slots(fields):
        errors: list[FieldError] = []
        data = goal_dict(fields, slot)
        data.setdefault("key", f"goal-{slot.index + 1}")
        goal = parse_goal(data, f"goals[{slot.index}]", errors)
        if goal is None:
            checks[slot.index] = tuple(
                message for messages in errors_by_field(errors).values() for message in messages
            )
        else:
            checks[slot.index] = smart_check(goal)
    return checks
