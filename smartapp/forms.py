"""Flat HTML form fields <-> the ActionPlan JSON of `rehab`, with errors keyed by field.

Field names are the JSON paths of `ActionPlan.from_dict` (`goals[0].steps[1].what`), so a
`FieldError.path` names the field it belongs to and the page shows it beside that field. The
form keeps every value exactly as typed: a plan that does not parse loses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rehab.errors import FieldError
from rehab.plan import ActionPlan, FunctionalGoal

MAX_GOALS = 5
MAX_STEPS = 5
MAX_VALUE = 2000  # characters kept per field; more than any field of the plan allows
GAS_KEYS = ("-2", "-1", "0", "1", "2")
# fmt: off
STEP_KEYS = ("what", "how_much", "when", "how_often.frequency", "how_often.period",
             "how_often.unit")
# fmt: on
GOAL_KEYS = (
    "key",
    "domain",
    "description",
    "start",
    "due",
    "measure.text",
    "measure.target",
    "measure.unit",
    *(f"gas.{k}" for k in GAS_KEYS),
)
# What makes a goal or a step on the form written (a goal's area or dates alone are no goal):
# the plan leaves the others out, so the n-th written goal is the plan's n-th.
GOAL_TEXT_KEYS = tuple(k for k in GOAL_KEYS if k not in ("key", "domain", "start", "due"))
STEP_TEXT_KEYS = ("what", "how_much", "when")
PLAN_KEYS = (
    "what_matters",
    "expressed_by",
    "confidence",
    "importance",
    "barriers",
    "supports",
    "override_reason",
    "follow_up.check_in",
    "follow_up.review",
)
_NAME = re.compile(
    r"(?:" + "|".join(re.escape(k) for k in PLAN_KEYS) + r")"
    r"|goals\[(\d)\]\.(?:" + "|".join(re.escape(k) for k in GOAL_KEYS) + r")"
    r"|goals\[(\d)\]\.steps\[(\d)\]\.(?:" + "|".join(re.escape(k) for k in STEP_KEYS) + r")"
)
_INDEX = re.compile(r"goals\[(\d)\](?:\.steps\[(\d)\])?\.(.+)")
_LIST_ITEM = re.compile(r"^(barriers|supports)\[\d+\]$")

LABELS: Mapping[str, str] = {
    "what_matters": "What matters",
    "expressed_by": "Who said it",
    "confidence": "Confidence",
    "importance": "Importance",
    "barriers": "Barriers",
    "supports": "Supports",
    "override_reason": "Reason to go ahead",
    "follow_up.check_in": "Check-in date",
    "follow_up.review": "Review visit date",
    "goals": "Goals",
    "key": "Goal key",
    "domain": "Life area",
    "description": "Goal",
    "start": "Start date",
    "due": "Due date",
    "measure.text": "Measure",
    "measure.target": "Target",
    "measure.unit": "Unit",
    "gas.-2": "GAS -2",
    "gas.-1": "GAS -1",
    "gas.0": "GAS 0",
    "gas.1": "GAS +1",
    "gas.2": "GAS +2",
    "steps": "Action steps",
    "what": "What",
    "how_much": "How much",
    "when": "When",
    "how_often.frequency": "Times",
    "how_often.period": "Every",
    "how_often.unit": "Period",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalSlot:
    """A goal on the form: its index and the indices of its steps."""

    index: int
    steps: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanForm:
    """What the page shows: the values as typed, the goal/step slots, errors by field name."""

    values: Mapping[str, str]
    goals: tuple[GoalSlot, ...]
    errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def value(self, name: str) -> str:
        """The value of a field as typed ('' when absent)."""
        return self.values.get(name, "")

    def errors_for(self, name: str) -> tuple[str, ...]:
        """Messages shown beside the named field."""
        return self.errors.get(name, ())


def field_id(name: str) -> str:
    """An HTML id for a field name (`goals[0].due` -> `f-goals-0-due`)."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name.replace(".-", ".m")).strip("-")


def label_for(name: str) -> str:
    """Clinician words for a field, with its goal and step number."""
    match = _INDEX.fullmatch(name)
    if not match:
        return LABELS.get(name, name)
    goal, step, rest = match.groups()
    where = f"Goal {int(goal) + 1}" + (f", step {int(step) + 1}" if step is not None else "")
    return f"{where}: {LABELS.get(rest, rest).lower()}"


def clean_fields(form: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Keep only the plan's field names, each value bounded; unknown names are dropped."""
    pairs = form.items() if isinstance(form, Mapping) else form
    return {
        name: value[:MAX_VALUE]
        for name, value in pairs
        if isinstance(name, str) and isinstance(value, str) and _NAME.fullmatch(name)
    }


def slots(fields: Mapping[str, str]) -> tuple[GoalSlot, ...]:
    """The goals and steps present in the fields, in index order."""
    goals: dict[int, set[int]] = {}
    for name in fields:
        match = _INDEX.fullmatch(name)
        if match:
            steps = goals.setdefault(int(match.group(1)), set())
            if match.group(2) is not None:
                steps.add(int(match.group(2)))
    return tuple(GoalSlot(index=g, steps=tuple(sorted(s))) for g, s in sorted(goals.items()))


def _blank(fields: Mapping[str, str], prefix: str, keys: Iterable[str]) -> bool:
    return all(not fields.get(prefix + key, "").strip() for key in keys)


def written_goals(fields: Mapping[str, str]) -> tuple[GoalSlot, ...]:
    """The goals on the form with text: the plan's goals, in the plan's order."""
    return tuple(
        slot
        for slot in slots(fields)
        if not _blank(fields, f"goals[{slot.index}].", GOAL_TEXT_KEYS)
    )


def written_steps(fields: Mapping[str, str], slot: GoalSlot) -> tuple[int, ...]:
    """The steps of a goal on the form with text: the plan's steps of it, in order."""
    prefix = f"goals[{slot.index}].steps"
    return tuple(s for s in slot.steps if not _blank(fields, f"{prefix}[{s}].", STEP_TEXT_KEYS))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _number(text: str) -> object:
    """A float when the text is one; else the text, so the domain reports the error."""
    try:
        return float(text)
    except ValueError:
        return text


def _optional(data: dict[str, object], key: str, text: str, value: object = None) -> None:
    if text.strip():
        data[key] = text.strip() if value is None else value


def _step_dict(fields: Mapping[str, str], prefix: str) -> dict[str, object]:
    how_often: dict[str, object] = {}
    for key in ("frequency", "period", "unit"):
        _optional(how_often, key, fields.get(f"{prefix}how_often.{key}", ""))
    step: dict[str, object] = {k: fields.get(prefix + k, "") for k in STEP_TEXT_KEYS}
    step["how_often"] = how_often
    return step


def goal_dict(fields: Mapping[str, str], slot: GoalSlot) -> dict[str, object]:
    """The Goal JSON of one goal on the form (blank steps left out)."""
    prefix = f"goals[{slot.index}]."
    goal: dict[str, object] = {}
    for key in ("key", "domain", "description", "start", "due"):
        _optional(goal, key, fields.get(prefix + key, ""))
    if not _blank(fields, prefix, ("measure.text", "measure.target", "measure.unit")):
        measure: dict[str, object] = {"text": fields.get(prefix + "measure.text", "").strip()}
        target = fields.get(prefix + "measure.target", "").strip()
        _optional(measure, "target", target, _number(target) if target else None)
        _optional(measure, "unit", fields.get(prefix + "measure.unit", ""))
        goal["measure"] = measure
    gas_keys = [f"gas.{k}" for k in GAS_KEYS]
    if not _blank(fields, prefix, gas_keys):
        gas: dict[str, object] = {}
        for key in GAS_KEYS:
            _optional(gas, key, fields.get(f"{prefix}gas.{key}", ""))
        goal["gas"] = gas
    steps = written_steps(fields, slot)
    goal["steps"] = [_step_dict(fields, f"{prefix}steps[{s}].") for s in steps]
    return goal


def fields_to_dict(fields: Mapping[str, str]) -> dict[str, object]:
    """The ActionPlan JSON for the fields; blank goals and steps are left out."""
    data: dict[str, object] = {}
    for key in ("what_matters", "expressed_by", "confidence", "importance", "override_reason"):
        _optional(data, key, fields.get(key, ""))
    data["barriers"] = _lines(fields.get("barriers", ""))
    data["supports"] = _lines(fields.get("supports", ""))
    follow_up: dict[str, object] = {}
    _optional(follow_up, "check_in", fields.get("follow_up.check_in", ""))
    _optional(follow_up, "review", fields.get("follow_up.review", ""))
    data["follow_up"] = follow_up
    # A goal the clinician added but has not written yet is left out (its area alone is no goal).
    data["goals"] = [goal_dict(fields, slot) for slot in written_goals(fields)]
    return data


def field_message(name: str, message: str) -> str:
    """One sentence: rehab's full sentences as they are, its fragments after the field's name."""
    if message[:1].isupper():
        return message if message.endswith((".", "?", "!")) else f"{message}."
    label = label_for(name) if name else "The plan"
    return f"{label} {message}."


def errors_by_field(errors: Iterable[FieldError]) -> dict[str, tuple[str, ...]]:
    """Field errors keyed by the form field they belong to, as sentences with the field's name."""
    found: dict[str, list[str]] = {}
    for error in errors:
        name = _LIST_ITEM.sub(r"\1", error.path)
        found.setdefault(name, []).append(field_message(name, error.message))
    return {name: tuple(messages) for name, messages in found.items()}


def parse_plan(fields: Mapping[str, str]) -> tuple[ActionPlan | None, dict[str, tuple[str, ...]]]:
    """The plan, or None and the errors by field name; never raises on user input."""
    plan, errors = ActionPlan.from_dict(fields_to_dict(fields))
    return plan, errors_by_field(errors)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def goal_fields(goal: FunctionalGoal, index: int) -> dict[str, str]:
    """Form fields of one goal at the given index."""
    prefix = f"goals[{index}]."
    fields = {
        prefix + "key": goal.key,
        prefix + "domain": goal.domain,
        prefix + "description": goal.description,
        prefix + "start": goal.start.isoformat(),
        prefix + "due": goal.due.isoformat(),
    }
    if goal.measure is not None:
        fields[prefix + "measure.text"] = goal.measure.text
        fields[prefix + "measure.target"] = _text(goal.measure.target)
        fields[prefix + "measure.unit"] = goal.measure.unit
    if goal.gas is not None:
        for score, text in goal.gas.by_score():
            fields[f"{prefix}gas.{score}"] = text
    for s, step in enumerate(goal.steps):
        sp = f"{prefix}steps[{s}]."
        fields.update(
            {sp + "what": step.what, sp + "how_much": step.how_much, sp + "when": step.when}
        )
        fields[sp + "how_often.frequency"] = str(step.how_often.frequency)
        fields[sp + "how_often.period"] = str(step.how_often.period)
        fields[sp + "how_often.unit"] = step.how_often.unit.value
    return fields


def plan_to_fields(plan: ActionPlan) -> dict[str, str]:
    """Form fields showing a plan (a revised plan, a saved plan shown again)."""
    fields = {
        "what_matters": plan.what_matters,
        "expressed_by": plan.expressed_by.value,
        "confidence": str(plan.confidence),
        "importance": _text(plan.importance),
        "barriers": "\n".join(plan.barriers),
        "supports": "\n".join(plan.supports),
        "override_reason": plan.override_reason or "",
        "follow_up.check_in": ""
        if plan.follow_up.check_in is None
        else plan.follow_up.check_in.isoformat(),
        "follow_up.review": plan.follow_up.review.isoformat(),
    }
    for index, goal in enumerate(plan.goals):
        fields.update(goal_fields(goal, index))
    return fields
