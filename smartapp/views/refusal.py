"""An EHR's refusal beside what it concerns: the placed OperationOutcome issues on the pages.

`save_plan` places each issue of a refused write on the plan (`failed[].issues[].where`, in plan
indices: `goals[1].steps[0].what`). Here those places become the form's field names (the form may
hold blank goals and steps the plan leaves out, so its indices can differ) for the set-goals page,
and goal numbers for the saved page. An issue that cannot be placed stays in the top message.
The texts are the EHR's own words: the templates escape them, and they are never logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rehab.review import GoalReview
from smartapp import forms
from smartapp.gateway.errors import FhirError
from smartapp.views.words import MOST_SAID, SAID_LENGTH, error_words, said
from smartapp.writeback.placement import PlacedIssue, place_review_issues

# Statuses of a refusal about the content: checking the plan can help (FHIR R4 http.html).
CONTENT_REFUSED = (400, 422)
# Goal fields the form shows (the key and start date ride along hidden).
_GOAL_FIELDS = tuple(k for k in forms.GOAL_KEYS if k not in ("key", "start"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Said:
    """One issue of the EHR: its words and its place in the plan (None: not known)."""

    text: str
    where: Mapping[str, object] | None

    @property
    def words(self) -> str:
        """The issue as a sentence for the page, shortened."""
        text = self.text[:SAID_LENGTH].strip()
        if not text:
            return "The EHR did not accept this."
        return f"The EHR said: {text}" + ("" if text.endswith((".", "!", "?", ")")) else ".")


def objects(data: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    """The JSON objects of a list in the save's answer (`written`, `failed`, `issues`)."""
    found = data.get(key)
    return [i for i in found if isinstance(i, Mapping)] if isinstance(found, list) else []


def issues_of(result: Mapping[str, object]) -> tuple[Said, ...]:
    """Every issue of the save's failures (`SaveResult.to_dict()`), in order."""
    found = []
    for failed in objects(result, "failed"):
        for issue in objects(failed, "issues"):
            where = issue.get("where")
            found.append(Said(text=str(issue.get("text") or ""),
                              where=where if isinstance(where, Mapping) else None))
    return tuple(found)


def refused_content(result: Mapping[str, object]) -> bool:
    """True when the EHR refused the plan's content and none of the plan is in the chart.

    A Provenance alone (recording that the goals written first were withdrawn again) is not
    the plan: the clinician goes back to the form to fix what the EHR named.
    """
    failed = objects(result, "failed")
    landed = [w for w in objects(result, "written") if w.get("resourceType") != "Provenance"]
    return bool(failed) and not landed and any(
        f.get("status") in CONTENT_REFUSED for f in failed
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def form_name(where: Mapping[str, object], fields: Mapping[str, str]) -> str | None:
    """The form's name for a place in the plan: a field, or a goal or step block (`goals[2]`).

    The plan leaves out the goals and steps the form holds blank, so its n-th goal is the
    form's n-th goal with text (`forms.written_goals`, the rule `forms.fields_to_dict` reads by).
    """
    goal, step, field = _int(where.get("goal")), _int(where.get("step")), where.get("field")
    if goal is None:
        return field if isinstance(field, str) and field in forms.PLAN_KEYS else None
    slots = forms.written_goals(fields)
    if goal >= len(slots):
        return None
    slot = slots[goal]
    name = f"goals[{slot.index}]"
    if step is None:
        return f"{name}.{field}" if field in _GOAL_FIELDS else name
    steps = forms.written_steps(fields, slot)
    if step >= len(steps):
        return name
    name = f"{name}.steps[{steps[step]}]"
    return f"{name}.{field}" if field in forms.STEP_KEYS else name


_FORM_NAME = re.compile(r"goals\[(\d+)\](?:\.steps\[(\d+)\])?(?:\.(.+))?")


def place_words(name: str, fields: Mapping[str, str]) -> str:
    """A form name as the page numbers it: `goal 2, step 1, times`, `confidence`."""
    match = _FORM_NAME.fullmatch(name)
    if match is None:
        return forms.LABELS.get(name, name).lower()
    goal, step, rest = int(match.group(1)), match.group(2), match.group(3)
    slots = forms.slots(fields)
    number = next((n for n, s in enumerate(slots, start=1) if s.index == goal), goal + 1)
    words = f"goal {number}"
    if step is not None:
        steps = next((s.steps for s in slots if s.index == goal), ())
        words += f", step {steps.index(int(step)) + 1 if int(step) in steps else int(step) + 1}"
    if rest:
        words += ", description" if rest == "description" else (
            f", {forms.LABELS.get(rest, rest).lower()}")
    return words


def _refused_words(where: str, text: str) -> str:
    text = text[:SAID_LENGTH].strip()
    if not text:
        return f"The EHR did not accept {where}."
    end = "" if text.endswith((".", "!", "?", ")")) else "."
    return f"The EHR did not accept {where}: {text}{end}"


def on_form(
    result: Mapping[str, object], fields: Mapping[str, str], *, most: int = MOST_SAID
) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """The issues by form name (at most `most` a place, each naming its place for the summary
    at the top), and the texts no place holds."""
    placed: dict[str, list[str]] = {}
    unplaced: list[str] = []
    for one in issues_of(result):
        name = form_name(one.where, fields) if one.where else None
        if name is None:
            if one.text:
                unplaced.append(one.text)
            continue
        messages = placed.setdefault(name, [])
        words = _refused_words(place_words(name, fields), one.text)
        if len(messages) < most and words not in messages:
            messages.append(words)
    return {name: tuple(m) for name, m in placed.items()}, tuple(unplaced)


def _label(where: Mapping[str, object]) -> str:
    step, field = _int(where.get("step")), where.get("field")
    label = forms.LABELS.get(field, "") if isinstance(field, str) else ""
    if step is not None:
        return f"Step {step + 1}" + (f", {label.lower()}" if label else "")
    return label


def by_goal(
    result: Mapping[str, object], *, most: int = MOST_SAID
) -> tuple[dict[int, tuple[str, ...]], tuple[str, ...]]:
    """For the saved page: the issues by plan goal index (named by step and field), and the
    issues of the plan as a whole or of no known place (named by field where known)."""
    goals: dict[int, list[str]] = {}
    rest: list[str] = []
    for one in issues_of(result):
        where = one.where or {}
        goal = _int(where.get("goal"))
        label = _label(where)
        words = f"{label}: {one.words}" if label else one.words
        if goal is None:
            rest.append(words)
            continue
        messages = goals.setdefault(goal, [])
        if len(messages) < most and words not in messages:
            messages.append(words)
    return {g: tuple(m) for g, m in goals.items()}, tuple(rest[: most * 2])


def placed_review_refusal(exc: FhirError, review: GoalReview) -> tuple[PlacedIssue, ...] | None:
    """The EHR's issues with a refused review write, each on its review field where known;
    None when the error is not a refusal of the content (an outage, an ended session)."""
    if exc.status not in CONTENT_REFUSED or not exc.issues:
        return None
    return place_review_issues(exc.issues, request_path=exc.path,
                               gas=review.gas_score is not None, peg=review.peg is not None)


def on_review(exc: FhirError, review: GoalReview) -> tuple[dict[str, tuple[str, ...]], str]:
    """A refused review: the EHR's issues by review field, and the words at the top."""
    placed = placed_review_refusal(exc, review)
    if placed is None:
        return {}, f"Not saved: {error_words(exc)}"
    errors: dict[str, list[str]] = {}
    unplaced: list[str] = []
    for item in placed:
        said_one = Said(text=item.issue.text, where=None)
        field = item.where.field if item.where else None
        if field is None:
            unplaced.append(item.issue.text)
            continue
        messages = errors.setdefault(field, [])
        if len(messages) < MOST_SAID and said_one.words not in messages:
            messages.append(said_one.words)
    words = f"Not saved: the EHR did not accept the review.{said(unplaced)}"
    if errors:
        words += " What it said about a field is shown beside it."
    words += " Check the review, then press Save again; what you entered is kept."
    return {f: tuple(m) for f, m in errors.items()}, words
