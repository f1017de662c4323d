"""What the overview shows, computed from the patient context (pure; the template only prints).

The PEG is read against its baseline with the 30% rule (Krebs 2009, via `rehab.peg_change`);
PROMIS T-scores against the population mean of 50; MME is information only, never advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rehab.context import GoalSummary, PatientContext
from rehab.measures import NrsReading, PegChange, PegReading, PromisKind, peg_change
from rehab.medication import Medication, MmeReading
from rehab.overview import OPEN_GOAL_STATUSES, last_review, review_overdue
from rehab.rules import overview_flags
from smartapp.charts import (
    Series,
    TrendChart,
    format_value,
    lookback_window,
    one_per_day,
    trend_chart,
)

LOOKBACK_DAYS = 730
# Where each overview flag's action leads: the set-goals page, or the review of a goal.
# Goals that ended: shown collapsed under the open ones (entered-in-error never was a goal).
PAST_GOAL_STATUSES = frozenset({"completed", "cancelled", "rejected"})
FLAG_TARGETS = {"no-functional-goal": "plan", "only-pain-goals": "plan", "review-overdue": "review"}


@dataclass(frozen=True, slots=True, kw_only=True)
class FlagRow:
    """A flag with its action; `target` names the page that answers it."""

    code: str
    message: str
    action: str
    target: str
    goal_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalRow:
    """An open goal as the overview lists it."""

    goal: GoalSummary
    last_review: date | None
    overdue: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PastGoalRow:
    """A goal that ended, with its status in words and its latest date on file."""

    goal: GoalSummary
    status: str
    when: date | None
    when_words: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PromisLine:
    """The latest PROMIS T-score of one kind, in words."""

    label: str
    t_score: float
    when: date
    words: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """Everything the overview prints."""

    chart: TrendChart
    latest_nrs: NrsReading | None
    nrs_that_day: int
    latest_peg: PegReading | None
    baseline_peg: PegReading | None
    change: PegChange | None
    peg_words: str
    promis: tuple[PromisLine, ...]
    medications: tuple[Medication, ...]
    total_mme: float | None
    recorded_mme: tuple[MmeReading, ...]
    goals: tuple[GoalRow, ...]
    past_goals: tuple[PastGoalRow, ...]
    steps: tuple[str, ...]
    flags: tuple[FlagRow, ...]


def peg_words(baseline: PegReading | None, latest: PegReading | None) -> str:
    """The PEG change against baseline in a sentence (30% rule)."""
    if latest is None:
        return "No PEG score on file. Ask the three PEG questions to set a baseline."
    if baseline is None or baseline.when == latest.when:
        return (
            f"One PEG score: {format_value(latest.score)} on {latest.when.isoformat()}. "
            "Repeat the PEG at follow-up to see change."
        )
    change = peg_change(baseline.score, latest.score)
    start = f"PEG {format_value(latest.score)} now, {format_value(baseline.score)} at baseline"
    if change.direction == "same":
        return f"{start}: no change."
    return f"{start} ({baseline.when.isoformat()}): {change_words(change)}."


def change_words(change: PegChange) -> str:
    """A PEG change in words by the 30% rule: '27% lower, not yet a meaningful change ...'."""
    size = f"{abs(change.percent):.0f}% {'lower' if change.direction == 'better' else 'higher'}"
    if change.meaningful:
        verdict = (
            "a meaningful improvement" if change.direction == "better" else "meaningfully worse"
        )
    else:
        verdict = "not yet a meaningful change (30% or more counts)"
    return f"{size}, {verdict}"


def _promis(ctx: PatientContext) -> tuple[PromisLine, ...]:
    lines = []
    for kind, label, better in (
        (PromisKind.PHYSICAL_FUNCTION, "PROMIS physical function", "higher is better"),
        (PromisKind.PAIN_INTERFERENCE, "PROMIS pain interference", "higher is worse"),
    ):
        readings = sorted((r for r in ctx.promis if r.kind is kind), key=lambda r: r.when)
        if readings:
            last = readings[-1]
            words = f"T-score {last.t_score:.0f}; 50 is the population average, {better}."
            lines.append(PromisLine(label=label, t_score=last.t_score, when=last.when, words=words))
    return tuple(lines)


def past_goals(ctx: PatientContext) -> tuple[PastGoalRow, ...]:
    """Achieved, completed, cancelled or rejected goals, latest first."""
    rows = []
    for goal in ctx.goals:
        if goal.lifecycle_status not in PAST_GOAL_STATUSES:
            continue
        status = ", ".join(s for s in (goal.lifecycle_status, goal.achievement_status) if s)
        dated = ((goal.last_review, "last reviewed"), (goal.due, "due"), (goal.start, "started"))
        when, words = next(((d, w) for d, w in dated if d is not None), (None, ""))
        rows.append(PastGoalRow(goal=goal, status=status, when=when, when_words=words))
    return tuple(sorted(rows, key=lambda r: r.when or date.min, reverse=True))


def recorded_mme(ctx: PatientContext, *, keep: int = 5) -> tuple[MmeReading, ...]:
    """The daily MME the EHR recorded itself, newest first (one a day, as for every score)."""
    days = one_per_day(ctx.recorded_mme, when=lambda r: r.when, value=lambda r: r.value)
    return tuple(reading for reading, _ in reversed(days[-keep:]))


def summarize(ctx: PatientContext, *, today: date) -> Summary:
    """The overview of a patient context on a given day."""
    start, end = lookback_window(today, LOOKBACK_DAYS)
    # One value per day, read as the chart reads it (charts.one_per_day), so "now" agrees.
    nrs = one_per_day(ctx.nrs, when=lambda r: r.when, value=lambda r: r.value)
    peg = [
        r
        for r, _ in one_per_day(
            (r for r in ctx.peg if r.when >= start), when=lambda r: r.when, value=lambda r: r.score
        )
    ]
    chart = trend_chart(
        (
            Series(
                key="nrs", name="Pain (NRS)", readings=tuple((r.when, r.value) for r in ctx.nrs)
            ),
            Series(key="peg", name="PEG", readings=tuple((r.when, r.score) for r in peg)),
        ),
        start=start,
        end=end,
    )
    baseline, latest = (peg[0], peg[-1]) if peg else (None, None)
    change = None
    if baseline is not None and latest is not None and baseline.when != latest.when:
        change = peg_change(baseline.score, latest.score)
    open_goals = [g for g in ctx.goals if g.lifecycle_status in OPEN_GOAL_STATUSES]
    opioid_mme = [m.daily_mme for m in ctx.medications if m.is_opioid and m.daily_mme is not None]
    plans = [p for p in ctx.care_plans if p.status == "active"]
    plans.sort(key=lambda p: (p.from_functionfirst, p.start or date.min), reverse=True)
    return Summary(
        chart=chart,
        latest_nrs=nrs[-1][0] if nrs else None,
        nrs_that_day=nrs[-1][1] if nrs else 0,
        latest_peg=latest,
        baseline_peg=baseline,
        change=change,
        peg_words=peg_words(baseline, latest),
        promis=_promis(ctx),
        medications=tuple(sorted(ctx.medications, key=lambda m: (not m.is_opioid, m.name))),
        total_mme=sum(opioid_mme) if opioid_mme else None,
        recorded_mme=recorded_mme(ctx),
        goals=tuple(
            GoalRow(goal=g, last_review=last_review(g, ctx), overdue=review_overdue(g, ctx, today))
            for g in sorted(open_goals, key=lambda g: g.due or date.max)
        ),
        past_goals=past_goals(ctx),
        steps=plans[0].activities if plans else (),
        flags=tuple(
            FlagRow(
                code=f.code,
                message=f.message,
                action=f.action,
                target=FLAG_TARGETS.get(f.code, "plan"),
                goal_ids=f.goal_ids,
            )
            for f in overview_flags(ctx, today)
        ),
    )
