"""Where an EHR's refusal belongs in the plan: OperationOutcome issues placed on goals and steps.

An EHR that refuses a write names what it refused in each issue's `expression` (FHIRPath, e.g.
`Bundle.entry[2].resource.description.text` or `Goal.target[0].dueDate`; sekmet writes
`Goal.target.0.dueDate`) or in the older `location` (XPath, `/f:Bundle/f:entry[3]/...`, 1-based).
The app knows what it sent and in which order, and each resource it writes carries the app's
identifier (`{plan_key}/{kind}/{index}`), so the entry names the goal, the action step or the plan
field it holds; the rest of the path names the field where the form shows one.

`place_issues` is pure: the issues and the resources as sent in, placements out. An issue that
cannot be placed (no expression, an entry the plan does not know, two Goals and a path naming
neither) gets `where=None` and stays in the page's top message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fhir_mappers import extensions as x
from fhir_mappers.codes import PCO_GAS_EXTENSION, code_lists
from fhir_mappers.identifiers import parse_plan_item
from rehab.measures import gas_score
from rehab.plan import ActionPlan
from smartapp.gateway.errors import FhirError, OutcomeIssue


@dataclass(frozen=True, slots=True, kw_only=True)
class Where:
    """A place in the plan: a goal, a step of it, a field (names of the plan JSON), a list item.

    `goal` and `step` index `ActionPlan.goals` and that goal's `steps`; `field` is a goal's or
    step's field (`due`, `how_often.frequency`) or, without a goal, the plan's (`what_matters`,
    `barriers` with `item`).
    """

    goal: int | None = None
    step: int | None = None
    field: str | None = None
    item: int | None = None

    @property
    def path(self) -> str:
        """The plan JSON path, as the API's field errors name fields (`goals[0].steps[1].what`)."""
        parts = []
        if self.goal is not None:
            parts.append(f"goals[{self.goal}]")
            if self.step is not None:
                parts.append(f"steps[{self.step}]")
        if self.field is not None:
            parts.append(self.field + (f"[{self.item}]" if self.item is not None else ""))
        return ".".join(parts)

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API."""
        return {"path": self.path, "goal": self.goal, "step": self.step, "field": self.field}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlacedIssue:
    """One issue of the EHR's OperationOutcome and where in the plan it belongs (None: unknown)."""

    issue: OutcomeIssue
    where: Where | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API: the issue and its `where`."""
        return {**self.issue.to_dict(), "where": self.where.to_dict() if self.where else None}


@dataclass(frozen=True, slots=True)
class _Step:
    name: str
    index: int | None


_COMMENT = re.compile(r"/\*.*?\*/")
_CAST = re.compile(r"\.ofType\([^)]*\)|\.as\([^)]*\)|\s+as\s+[A-Za-z]+")
_SEGMENT = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)(?:\[(?P<index>\d+)\])?$")
_XPATH_SEGMENT = re.compile(
    r"^(?:[a-z]+:)?(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)(?:\[(?P<index>\d+)\])?$"
)


def parse_expression(text: str) -> tuple[_Step, ...] | None:
    """A FHIRPath-like path or an XPath `location` as 0-based steps; None if it is neither."""
    text = _CAST.sub("", _COMMENT.sub("", text.strip()))
    xpath = text.startswith("/")
    # XPath: `/f:Bundle/f:entry[3]`, counting from 1; FHIRPath: `Bundle.entry[2]`, from 0.
    segment, first = (_XPATH_SEGMENT, 1) if xpath else (_SEGMENT, 0)
    steps: list[_Step] = []
    for part in text.strip("/").split("/") if xpath else text.split("."):
        if not xpath and part.isdigit() and steps and steps[-1].index is None:
            steps[-1] = _Step(steps[-1].name, int(part))  # sekmet: `Goal.target.0.dueDate`
            continue
        match = segment.match(part)
        if match is None:
            return None
        index = None if match.group("index") is None else max(int(match.group("index")) - first, 0)
        steps.append(_Step(match.group("name"), index))
    return tuple(steps) or None


def place_issues(
    issues: Sequence[OutcomeIssue],
    sent: Sequence[Mapping[str, Any]],
    plan: ActionPlan,
    *,
    refused: int | None = None,
) -> tuple[PlacedIssue, ...]:
    """Each issue with the place in `plan` it concerns, where that can be known.

    `sent` is what the refused request wrote, in order: a transaction's entries (so
    `Bundle.entry[i]` is `sent[i]`), or the one resource of a create. `refused` is the index in
    `sent` of the resource the EHR refused when known (a create): a path of its type, or inside
    it, names its field; an issue whose path says nothing more still belongs to its goal or step.
    """
    return tuple(
        PlacedIssue(issue=issue, where=_place(issue, sent, plan, refused)) for issue in issues
    )


def _place(
    issue: OutcomeIssue, sent: Sequence[Mapping[str, Any]], plan: ActionPlan, refused: int | None
) -> Where | None:
    for expression in issue.expression:
        steps = parse_expression(expression)
        if steps is None:
            continue
        found = _resource_of(steps, sent, refused)
        if found is None:
            continue
        resource, rest = found
        where = where_in(resource, rest, plan)
        if where is not None:
            return where
    if refused is not None and 0 <= refused < len(sent):
        return where_in(sent[refused], (), plan)  # the create refused: at least its goal or step
    return None


def _resource_of(
    steps: tuple[_Step, ...], sent: Sequence[Mapping[str, Any]], refused: int | None
) -> tuple[Mapping[str, Any], tuple[_Step, ...]] | None:
    """The resource a path names, and the path inside it."""
    head = steps[0]
    if head.name == "Bundle" and len(steps) >= 3 and steps[1].name == "entry":
        entry = steps[1].index
        if entry is None or entry >= len(sent) or steps[2].name != "resource":
            return None
        rest = steps[3:]
        kind = str(sent[entry].get("resourceType"))
        if rest and rest[0].name == kind and rest[0].index is None:
            rest = rest[1:]  # XPath names the type inside `resource`
        return sent[entry], rest
    if head.name[:1].isupper():
        same = [k for k, r in enumerate(sent) if r.get("resourceType") == head.name]
        if refused is not None and refused in same:
            return sent[refused], steps[1:]
        if len(same) == 1:
            return sent[same[0]], steps[1:]
        return None
    if refused is not None and 0 <= refused < len(sent):
        return sent[refused], steps  # a path inside the resource, without its type
    return None


def where_in(
    resource: Mapping[str, Any], path: Sequence[_Step], plan: ActionPlan
) -> Where | None:
    """The place in `plan` of a path inside one resource the app wrote for it."""
    item = parse_plan_item(resource)
    if item is None:
        return None
    _key, kind, index = item
    keys = [goal.key for goal in plan.goals]
    if kind == "goal":
        if index not in keys:
            return None
        return Where(goal=keys.index(index), field=_goal_field(resource, path))
    if kind == "step":
        goal_key, _, position = index.rpartition(".")
        if goal_key not in keys or not position.isdigit():
            return None
        return Where(goal=keys.index(goal_key), step=int(position),
                     field=_step_field(resource, path, timing="occurrenceTiming"))
    if kind == "careplan":
        return _careplan_place(resource, path, plan)
    if kind in ("confidence", "importance"):
        return Where(field=kind)
    if kind == "barrier" and index.isdigit():
        return Where(field="barriers", item=int(index))
    return None


def _at(value: Any, step: _Step) -> Any:
    found = value.get(step.name) if isinstance(value, Mapping) else None
    if step.index is not None:
        return found[step.index] if isinstance(found, list) and step.index < len(found) else None
    return found


def _names(path: Sequence[_Step]) -> tuple[str, ...]:
    return tuple(step.name for step in path)


# A Goal's elements that are one form field each, whatever the rest of the path says.
_GOAL_ELEMENTS = {"description": "description", "startDate": "start", "category": "domain"}


def _goal_field(goal: Mapping[str, Any], path: Sequence[_Step]) -> str | None:
    names = _names(path)
    if not names:
        return None
    first = names[0]
    if first in _GOAL_ELEMENTS:
        return _GOAL_ELEMENTS[first]
    if first == "target":
        if "dueDate" in names[1:2]:
            return "due"
        target = _at(goal, path[0])
        if not isinstance(target, Mapping):
            return None
        if "detailCodeableConcept" in target:
            return "gas.0"  # the GAS target: its expected level
        if names[1:2] == ("measure",):
            return "measure.text"
        if names[1:2] == ("detailQuantity",):
            return "measure.unit" if names[2:3] in (("unit",), ("code",), ("system",)) else (
                "measure.target")
        return "measure.text" if "measure" in target else "due"
    if first == "extension":
        extension = _at(goal, path[0])
        if isinstance(extension, Mapping) and extension.get("url") == PCO_GAS_EXTENSION:
            for part in extension.get("extension") or ():
                coding = part.get("valueCoding") if isinstance(part, Mapping) else None
                score = gas_score((coding or {}).get("code"))
                if score is not None:
                    return f"gas.{score}"
    return None


def _step_field(step: Mapping[str, Any], path: Sequence[_Step], *, timing: str) -> str | None:
    names = _names(path)
    if not names:
        return None
    if names[0] in ("code", "description", "patientInstruction"):
        return "what"
    if names[0] == timing and names[1:2] == ("repeat",):
        return {
            "frequency": "how_often.frequency",
            "period": "how_often.period",
            "periodUnit": "how_often.unit",
        }.get(names[2] if len(names) > 2 else "")
    if names[0] == "extension":
        extension = _at(step, path[0])
        url = extension.get("url") if isinstance(extension, Mapping) else None
        return {x.STEP_AMOUNT: "how_much", x.STEP_WHEN: "when"}.get(str(url))
    return None


_PLAN_EXTENSIONS = {
    x.PLAN_EXPRESSED_BY: "expressed_by",
    x.CONFIDENCE: "confidence",
    x.IMPORTANCE: "importance",
    x.BARRIER: "barriers",
    x.SUPPORT: "supports",
    x.CHECK_IN: "follow_up.check_in",
    x.REVIEW_DATE: "follow_up.review",
    x.OVERRIDE_REASON: "override_reason",
}


def _careplan_place(
    careplan: Mapping[str, Any], path: Sequence[_Step], plan: ActionPlan
) -> Where | None:
    names = _names(path)
    if not names:
        return None  # the whole care plan: the plan as a whole, said at the top
    first = path[0]
    if first.name == "activity" and first.index is not None:
        # Activities are written goal by goal, step by step (fhir_mappers.plan_to_resources).
        order = [(g, s) for g, goal in enumerate(plan.goals) for s in range(len(goal.steps))]
        if first.index >= len(order):
            return None
        goal, step = order[first.index]
        detail = _at(_at(careplan, first), _Step("detail", None))
        inner = path[2:] if names[1:2] == ("detail",) else ()
        field = _step_field(detail, inner, timing="scheduledTiming") if detail else None
        return Where(goal=goal, step=step, field=field)
    if first.name == "goal" and first.index is not None and first.index < len(plan.goals):
        return Where(goal=first.index)
    if first.name == "description":
        return Where(field="what_matters")
    if first.name == "extension" and first.index is not None:
        extensions = careplan.get("extension") or []
        extension = _at(careplan, first)
        url = extension.get("url") if isinstance(extension, Mapping) else None
        field = _PLAN_EXTENSIONS.get(str(url))
        if field is None:
            return None
        if field in ("barriers", "supports"):
            before = [e for e in extensions[: first.index] if isinstance(e, Mapping)]
            return Where(field=field, item=sum(1 for e in before if e.get("url") == url))
        return Where(field=field)
    return None


def unplaced(exc: FhirError) -> tuple[PlacedIssue, ...]:
    """The issues of a refusal, not yet placed (`place_issues` does, once the plan is known)."""
    return tuple(PlacedIssue(issue=issue) for issue in exc.issues)


# A goal review's form fields by the Goal element the review updates.
_REVIEW_GOAL_FIELDS = {
    "achievementStatus": "achievement_status",
    "lifecycleStatus": "decision",
    "note": "note",
}


def place_review_issues(
    issues: Sequence[OutcomeIssue], *, request_path: str, gas: bool, peg: bool
) -> tuple[PlacedIssue, ...]:
    """A refused review write's issues on the review's fields (`Where.field`, no goal index).

    `request_path` is the refused request's (`.../Goal/<id>` for the goal update,
    `.../Observation` for a score); `gas` and `peg` say which scores the review writes, so a
    score path names one of them only when the other is not written or the path has PEG items.
    """
    parts = [p for p in request_path.split("/") if p]
    if len(parts) >= 2 and parts[-2] == "Goal":
        kind = "Goal"
    elif parts[-1:] == ["Observation"]:
        kind = "Observation"
    else:
        return tuple(PlacedIssue(issue=issue) for issue in issues)
    return tuple(
        PlacedIssue(issue=issue, where=_review_place(issue, kind, gas=gas, peg=peg))
        for issue in issues
    )


def _review_place(issue: OutcomeIssue, kind: str, *, gas: bool, peg: bool) -> Where | None:
    for expression in issue.expression:
        steps = parse_expression(expression)
        if not steps:
            continue
        if steps[0].name[:1].isupper():
            if steps[0].name != kind:
                continue
            steps = steps[1:]
        if kind == "Goal":
            field = _REVIEW_GOAL_FIELDS.get(steps[0].name) if steps else None
            if field is not None:
                return Where(field=field)
            continue
        if steps and steps[0].name == "component":
            items = [name for name, _code in code_lists().peg_items]
            index = steps[0].index
            return Where(field=f"peg.{items[index]}" if index is not None and index < len(items)
                         else "peg")
        if gas != peg:
            return Where(field="gas_score" if gas else "peg")
    return None
