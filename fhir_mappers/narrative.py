"""The plan in plain language: one outline rendered as text (handout, note) and as XHTML."""

from __future__ import annotations

import re
from datetime import date
from html import escape

from fhir_mappers.rules import XHTML
from rehab import ActionPlan, ActionStep, Frequency, FunctionalGoal, PeriodUnit
from rehab.measures import GAS_ANSWERS

Section = tuple[str, tuple[str, ...]]

# Characters XML 1.0 (and so an XHTML narrative) cannot hold; a typed control character would
# otherwise make the CarePlan unsendable. The structured fields keep the text as typed.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xhtml_text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


_UNIT_WORDS = {PeriodUnit.DAY: "day", PeriodUnit.WEEK: "week", PeriodUnit.MONTH: "month"}
_TIMES = {1: "once", 2: "twice"}
# The GAS levels by their LOINC answer displays; level 0 is the goal itself.
_GAS_LABELS = {score: display for score, _code, display in GAS_ANSWERS} | {0: "The goal"}


def day_words(day: date) -> str:
    """A date as a patient reads it, e.g. "1 March 2027"."""
    months = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    return f"{day.day} {months[day.month - 1]} {day.year}"


def frequency_words(how_often: Frequency) -> str:
    """How often in words, e.g. "3 times a week" or "twice every 2 days"."""
    times = _TIMES.get(how_often.frequency, f"{how_often.frequency} times")
    unit = _UNIT_WORDS[how_often.unit]
    if how_often.period == 1:
        return f"{times} a {unit}"
    return f"{times} every {how_often.period} {unit}s"


def step_sentence(step: ActionStep) -> str:
    """One action step as a sentence: what, how much, when, how often."""
    parts = [part for part in (step.what, step.how_much, step.when) if part]
    return ", ".join(parts) + f" ({frequency_words(step.how_often)})"


def _goal_section(number: int, goal: FunctionalGoal) -> Section:
    lines: list[str] = [f"Start {day_words(goal.start)}, aim to reach it by {day_words(goal.due)}."]
    if goal.measure is not None:
        target = ""
        if goal.measure.target is not None:
            target = f": aim for {goal.measure.target:g} {goal.measure.unit}".rstrip()
        lines.append(f"How we will count progress: {goal.measure.text}{target}.")
    lines.extend(f"Step: {step_sentence(step)}." for step in goal.steps)
    if goal.gas is not None:
        lines.extend(
            f"{_GAS_LABELS[score]} ({score:+d}): {text}"
            if score
            else f"{_GAS_LABELS[score]} (0): {text}"
            for score, text in goal.gas.by_score()
        )
    return f"Goal {number}: {goal.description}", tuple(lines)


def plan_outline(plan: ActionPlan) -> tuple[Section, ...]:
    """The plan as headed sections of lines, shared by the text and the XHTML renderings."""
    sections: list[Section] = [("What matters to me", (plan.what_matters,))]
    sections.extend(_goal_section(index + 1, goal) for index, goal in enumerate(plan.goals))
    ready = [f"How confident I am that I can do this plan: {plan.confidence} out of 10."]
    if plan.importance is not None:
        ready.append(f"How important this plan is to me: {plan.importance} out of 10.")
    sections.append(("Confidence", tuple(ready)))
    if plan.barriers:
        sections.append(("What might get in the way", plan.barriers))
    if plan.supports:
        sections.append(("Who or what helps", plan.supports))
    follow = []
    if plan.follow_up.check_in is not None:
        follow.append(f"Check-in: {day_words(plan.follow_up.check_in)}.")
    follow.append(f"Review visit: {day_words(plan.follow_up.review)}.")
    sections.append(("Follow-up", tuple(follow)))
    return tuple(sections)


def plan_text(plan: ActionPlan) -> str:
    """The plan as plain-language text (handout, clinical note)."""
    blocks = []
    for heading, lines in plan_outline(plan):
        blocks.append("\n".join([heading, *(f"- {line}" for line in lines)]))
    return "My pain rehabilitation plan\n\n" + "\n\n".join(blocks) + "\n"


def plan_xhtml(plan: ActionPlan) -> str:
    """The plan as an XHTML div for CarePlan.text (R4 Narrative, XHTML namespace)."""
    parts = [f'<div xmlns="{XHTML}">', "<h1>My pain rehabilitation plan</h1>"]
    for heading, lines in plan_outline(plan):
        parts.append(f"<h2>{_xhtml_text(heading)}</h2><ul>")
        parts.extend(f"<li>{_xhtml_text(line)}</li>" for line in lines)
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)
