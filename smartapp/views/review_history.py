"""What was agreed when a goal was set, and how it went since: the review page's side box.

Pure: from the patient context (PEGs, reviews, the goal's summary), the Goal as the review page
reads it (with its version, for the save) and the care plans it reads beside it (the context
keeps each plan's activities only as words, without the goal each belongs to or the plan's
confidence). Every part that is missing says so instead of leaving a gap.

The PEG change uses the overview's rule (`rehab.peg_change`, 30% of the PEG when the goal was
set is a meaningful change).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir_mappers import extensions as x
from fhir_mappers import goal_from_fhir
from fhir_mappers.codes import LOINC, PERTAINS_TO_GOAL, code_lists
from fhir_mappers.context_goals import goal_summary
from fhir_mappers.errors import MappingError
from fhir_mappers.narrative import frequency_words
from fhir_mappers.reading import (
    BadResourceError,
    codings,
    concept_text,
    day,
    items,
    mapping,
    number,
    reference_id,
    text,
)
from fhir_mappers.steps import step_from_detail, step_from_request
from rehab.context import GoalSummary, PatientContext
from rehab.goal import ActionStep, Frequency, GasLevels, PeriodUnit
from rehab.measures import PegReading, peg_change
from rehab.overview import OPEN_GOAL_STATUSES
from rehab.rules import CONFIDENCE_THRESHOLD
from smartapp.charts import format_value, one_per_day
from smartapp.views.summary import change_words

NOT_RECORDED = "not recorded"


@dataclass(frozen=True, slots=True, kw_only=True)
class CarePlanRead:
    """What the review page's care plan search returned: the resources, or why it failed."""

    resources: tuple[Mapping[str, Any], ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetLine:
    """One line of what the goal aims at: a label and its words."""

    label: str
    words: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StepLine:
    """An action step as planned; a part the EHR does not hold reads "not recorded"."""

    what: str
    how_much: str
    when: str
    how_often: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PastReview:
    """An earlier review of the goal, with the PEG of that day or the nearest before it."""

    when: date
    gas_score: int | None
    peg: PegReading | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalHistory:
    """Everything the review page shows beside its form, each missing part in words."""

    description: str
    status: str | None
    gas: GasLevels | None
    start: date | None
    due: date | None
    due_words: str
    overdue_days: int | None
    targets: tuple[TargetLine, ...]
    targets_words: str | None
    steps: tuple[StepLine, ...]
    steps_words: tuple[str, ...]
    confidence: int | None
    confidence_words: str
    peg_then: PegReading | None
    peg_now: PegReading | None
    peg_words: str
    reviews: tuple[PastReview, ...]
    peg_since: tuple[PegReading, ...]


def _pegs(ctx: PatientContext) -> list[PegReading]:
    """One PEG a day, oldest first, read the way the overview and its chart read a day."""
    return [r for r, _ in one_per_day(ctx.peg, when=lambda r: r.when, value=lambda r: r.score)]


def peg_on(pegs: Sequence[PegReading], when: date) -> PegReading | None:
    """The latest PEG on or before a day (readings oldest first)."""
    before = [r for r in pegs if r.when <= when]
    return before[-1] if before else None


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def due_words(due: date | None, status: str | None, today: date) -> tuple[str, int | None]:
    """The due date in words, and by how many days an open goal is overdue (None if not)."""
    if due is None:
        return "No due date on file.", None
    days = (due - today).days
    if status not in OPEN_GOAL_STATUSES:
        return f"{due.isoformat()}.", None
    if days < 0:
        return f"{due.isoformat()}: overdue by {_plural(-days, 'day', 'days')}.", -days
    if days == 0:
        return f"{due.isoformat()}: due today.", None
    return f"{due.isoformat()}: {_plural(days, 'day', 'days')} to go.", None


def _is_gas_target(target: Mapping[str, Any]) -> bool:
    gas = code_lists().gas_codes | {code_lists().gas_reported}
    return any(s == LOINC and c in gas for s, c, _ in codings(target.get("measure")))


def _amount(target: Mapping[str, Any]) -> str | None:
    quantity = mapping(target.get("detailQuantity"))
    if quantity:
        value = number(quantity.get("value"))
        unit = text(quantity.get("unit")) or text(quantity.get("code")) or ""
        if value is not None:
            return f"{format_value(value)} {unit}".strip()
        return unit or None
    detail_range = mapping(target.get("detailRange"))
    if detail_range:
        low = number(mapping(detail_range.get("low")).get("value"))
        high = number(mapping(detail_range.get("high")).get("value"))
        ends = (mapping(detail_range.get("high")), mapping(detail_range.get("low")))
        bound_unit = next((text(end.get("unit")) for end in ends if text(end.get("unit"))), None)
        parts = [format_value(v) for v in (low, high) if v is not None]
        return (" to ".join(parts) + (f" {bound_unit}" if bound_unit else "")) if parts else None
    if isinstance(target.get("detailBoolean"), bool):
        return "yes" if target["detailBoolean"] else "no"
    for key in ("detailString", "detailInteger"):
        if isinstance(target.get(key), str | int):
            return text(str(target[key]))
    return concept_text(target.get("detailCodeableConcept"))


def targets_of(goal: Mapping[str, Any], gas: GasLevels | None) -> tuple[TargetLine, ...]:
    """The goal's measure and target, and its GAS baseline (-1) and expected outcome (0)."""
    lines = []
    for target in items(goal.get("target")):
        target = mapping(target)
        if _is_gas_target(target):
            continue
        measure, amount = concept_text(target.get("measure")), _amount(target)
        if measure and amount:
            lines.append(TargetLine(label="Measure", words=f"{measure}; target {amount}"))
        elif measure:
            lines.append(TargetLine(label="Measure", words=f"{measure}; no target number"))
        elif amount:
            lines.append(TargetLine(label="Target", words=amount))
    if gas is not None:
        lines.append(TargetLine(label="Baseline (GAS -1)", words=gas.minus_one))
        lines.append(TargetLine(label="Expected by the due date (GAS 0)", words=gas.expected))
    return tuple(lines)


def _names_goal(plan: Mapping[str, Any], goal_id: str) -> bool:
    if any(reference_id(ref, "Goal") == goal_id for ref in items(plan.get("goal"))):
        return True
    return any(
        reference_id(ref, "Goal") == goal_id
        for activity in items(plan.get("activity"))
        for ref in items(mapping(mapping(activity).get("detail")).get("goal"))
    )


def _plan_day(plan: Mapping[str, Any]) -> date | None:
    return (
        day(mapping(plan.get("period")).get("start"))
        or day(plan.get("created"))
        or day(mapping(plan.get("meta")).get("lastUpdated"))
    )


def _often(timing: object) -> str:
    """How often from another writer's Timing, where it says it in days, weeks or months."""
    repeat = mapping(mapping(timing).get("repeat"))
    frequency, period = number(repeat.get("frequency")), number(repeat.get("period") or 1)
    units = {u.value: u for u in PeriodUnit}
    unit = repeat.get("periodUnit")
    if not frequency or not period or not isinstance(unit, str) or unit not in units:
        return NOT_RECORDED
    return frequency_words(
        Frequency(frequency=int(frequency), period=int(period), unit=units[unit])
    )


def _step_line(
    read: Callable[[Mapping[str, Any]], ActionStep], resource: Mapping[str, Any], timing_key: str
) -> StepLine:
    """The step as the app wrote it, else what another writer's activity says."""
    what = (
        concept_text(resource.get("code"))
        or text(resource.get("description"))
        or text(resource.get("patientInstruction"))
        or "(no description)"
    )
    try:
        step = read(resource)
    except (MappingError, AttributeError, KeyError, TypeError, ValueError):
        return StepLine(
            what=what,
            how_much=NOT_RECORDED,
            when=NOT_RECORDED,
            how_often=_often(resource.get(timing_key)),
        )
    return StepLine(
        what=step.what or what,
        how_much=step.how_much or NOT_RECORDED,
        when=step.when or NOT_RECORDED,
        how_often=frequency_words(step.how_often),
    )


def _steps(
    plan: Mapping[str, Any], goal_id: str, requests: Mapping[str, Mapping[str, Any]]
) -> tuple[tuple[StepLine, ...], tuple[str, ...]]:
    """This goal's steps in one care plan, and what of the plan could not be shown."""
    plan_goals = {reference_id(ref, "Goal") for ref in items(plan.get("goal"))} - {None}
    only_goal = plan_goals <= {goal_id}
    steps: list[StepLine] = []
    unsent = unlinked = 0
    activities = items(plan.get("activity"))
    for activity in activities:
        activity = mapping(activity)
        detail = mapping(activity.get("detail"))
        if detail:
            links = [reference_id(ref, "Goal") for ref in items(detail.get("goal"))]
            resource, timing = detail, "scheduledTiming"
            read: Callable[[Mapping[str, Any]], ActionStep] = step_from_detail
        else:
            request = requests.get(reference_id(activity.get("reference"), "ServiceRequest") or "")
            if request is None:
                unsent += 1
                continue
            links = [
                reference_id(mapping(e).get("valueReference"), "Goal")
                for e in items(request.get("extension"))
                if mapping(e).get("url") == PERTAINS_TO_GOAL
            ]
            resource, read, timing = request, step_from_request, "occurrenceTiming"
        if goal_id in links or (not links and only_goal):
            steps.append(_step_line(read, resource, timing))
        elif not links:
            unlinked += 1
    words: list[str] = []
    if not activities:
        words.append("The care plan names this goal, but the EHR returned it without action steps.")
    elif not steps and not unsent and not unlinked:
        words.append("The current care plan has no action step for this goal.")
    if unsent:
        words.append(
            f"{_plural(unsent, 'action step', 'action steps')} of the care plan "
            f"{'is an order' if unsent == 1 else 'are orders'} the EHR did not send with it, "
            "so not shown."
        )
    if unlinked:
        words.append(
            f"{_plural(unlinked, 'action step', 'action steps')} of the care plan "
            f"{'names' if unlinked == 1 else 'name'} no goal, so not shown here."
        )
    return tuple(steps), tuple(words)


def _confidence(plans: Sequence[Mapping[str, Any]]) -> tuple[int | None, str]:
    """The confidence recorded with the earliest plan of the goal (when it was set)."""
    for plan in plans:
        value = x.ext_value(plan, x.CONFIDENCE, "Integer")
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10:
            when = _plan_day(plan)
            words = f"{value} out of 10" + (f" on {when.isoformat()}" if when else "") + "."
            reason = text(x.ext_value(plan, x.OVERRIDE_REASON, "String"))
            if value < CONFIDENCE_THRESHOLD:
                words += (
                    f" Below {CONFIDENCE_THRESHOLD}"
                    + (f"; went ahead because: {reason}" if reason else "")
                    + "."
                )
            return value, words
    return None, "No confidence rating was recorded with the care plan."


def _plans_part(
    read: CarePlanRead, goal_id: str
) -> tuple[tuple[StepLine, ...], tuple[str, ...], int | None, str]:
    if read.error is not None:
        return (
            (),
            (f"The care plans could not be read: {read.error}. The action steps are not shown.",),
            None,
            "Not shown: the care plans could not be read.",
        )
    plans = [
        r
        for r in read.resources
        if r.get("resourceType") == "CarePlan"
        and r.get("status") != "entered-in-error"
        and _names_goal(r, goal_id)
    ]
    if not plans:
        return (
            (),
            ("No care plan in the EHR names this goal, so no action steps are on file.",),
            None,
            "No confidence rating on file: no care plan names this goal.",
        )
    requests = {
        str(r["id"]): r
        for r in read.resources
        if r.get("resourceType") == "ServiceRequest" and isinstance(r.get("id"), str)
    }
    plans.sort(key=lambda p: _plan_day(p) or date.min)
    current = max(plans, key=lambda p: (p.get("status") == "active", _plan_day(p) or date.min))
    steps, words = _steps(current, goal_id, requests)
    confidence, confidence_words = _confidence(plans)
    return steps, words, confidence, confidence_words


def peg_then_words(then: PegReading | None, now: PegReading | None, start: date | None) -> str:
    """The PEG when the goal was set beside the PEG now, the change by the 30% rule."""
    if now is None:
        return "No PEG on file. Ask the three PEG questions below to have one from now on."
    now_words = f"PEG {format_value(now.score)} now ({now.when.isoformat()})"
    if start is None:
        return f"{now_words}. The goal has no start date, so the PEG when it was set is unknown."
    if then is None:
        return f"{now_words}. No PEG on or before the goal's start ({start.isoformat()})."
    then_words = f"{format_value(then.score)} when the goal was set ({then.when.isoformat()})"
    if then.when == now.when:
        return f"PEG {then_words}; none recorded since. The PEG below records one for this review."
    change = peg_change(then.score, now.score)
    if change.direction == "same":
        return f"{now_words}, {then_words}: no change."
    return f"{now_words}, {then_words}: {change_words(change)}."


def _summary(ctx: PatientContext, goal_id: str, goal: Mapping[str, Any]) -> GoalSummary | None:
    try:
        return goal_summary(goal)
    except (BadResourceError, KeyError, TypeError, ValueError, AttributeError):
        return next((g for g in ctx.goals if g.id == goal_id), None)


def goal_history(
    ctx: PatientContext,
    goal_id: str,
    *,
    goal: Mapping[str, Any],
    plans: CarePlanRead,
    today: date,
) -> GoalHistory:
    """The review page's "What was agreed" and "History" of one goal."""
    summary = _summary(ctx, goal_id, goal)
    try:
        gas = goal_from_fhir(goal).gas
    except MappingError:
        gas = None  # a goal another app wrote: no attainment levels to show
    status = text(goal.get("lifecycleStatus")) or (summary.lifecycle_status if summary else None)
    start = summary.start if summary else None
    due = summary.due if summary else None
    due_text, overdue = due_words(due, status, today)
    targets = targets_of(goal, gas)
    steps, steps_words, confidence, confidence_words = _plans_part(plans, goal_id)
    pegs = _pegs(ctx)
    then = peg_on(pegs, start) if start else None
    now = pegs[-1] if pegs else None
    reviews = sorted((r for r in ctx.reviews if r.goal_id == goal_id), key=lambda r: r.when)
    return GoalHistory(
        description=concept_text(goal.get("description"))
        or (summary.description if summary else "(no description)"),
        status=status,
        gas=gas,
        start=start,
        due=due,
        due_words=due_text,
        overdue_days=overdue,
        targets=targets,
        targets_words=None if targets else "No measure or target was recorded with this goal.",
        steps=steps,
        steps_words=steps_words,
        confidence=confidence,
        confidence_words=confidence_words,
        peg_then=then,
        peg_now=now,
        peg_words=peg_then_words(then, now, start),
        reviews=tuple(
            PastReview(when=r.when, gas_score=r.gas_score, peg=peg_on(pegs, r.when))
            for r in reviews
        ),
        peg_since=tuple(r for r in pegs if start is not None and r.when >= start),
    )
