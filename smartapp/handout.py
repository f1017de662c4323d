"""The patient's take-home plan: plain words (reading grade 6-8), large type, HTML and PDF.

`build_handout` turns a saved ActionPlan into the words of the handout once; the HTML page
(`templates/pages/handout.html`) and the PDF (`handout_pdf`, fpdf2 with its built-in fonts, no
system libraries) both print those same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from fpdf import FPDF
from fpdf.recorder import FPDFRecorder

from fhir_mappers.narrative import frequency_words
from rehab.plan import ActionPlan
from smartapp.plain_text import latin1

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_WEEKS = 6
# What to do in a flare: self-management steps from the pacing and relaxation advice of the
# clinic's goal-setting material, and the warning signs that need a call (red flags).
FLARE_STEPS = (
    "A flare is a time when pain is worse for a while. It often settles in a few days.",
    "Keep doing your steps, but do less. Try half of your usual amount.",
    "Take short rests, then move gently again. Do not stay in bed all day.",
    "Breathe in slowly, then breathe out slowly, for 5 minutes.",
    "Use heat or cold if it helps you.",
    "When the flare settles, go back to your plan step by step.",
)
CALL_US = (
    "Call us if the flare does not get better in a week.",
    "Get help right away if you have new weakness or numbness in your legs,",
    "trouble holding your pee or poop, a fever with back pain, or pain after a fall.",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoutStep:
    """One action step in plain words, with the weeks of its checklist."""

    text: str
    detail: str
    aim: str
    weeks: tuple[date, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoutGoal:
    """One goal in plain words."""

    title: str
    by: str
    track: str | None
    steps: tuple[HandoutStep, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Handout:
    """Every word of the handout, for the page and the PDF."""

    patient_name: str | None
    made_on: str
    what_matters: str
    goals: tuple[HandoutGoal, ...]
    barriers: tuple[str, ...]
    supports: tuple[str, ...]
    confidence: str
    check_in: str | None
    review: str
    flare: tuple[str, ...] = FLARE_STEPS
    call_us: tuple[str, ...] = CALL_US


def long_date(day: date) -> str:
    """A date in words: `Monday 7 December 2026`."""
    return f"{day:%A} {day.day} {day:%B %Y}"


_PERIODS = {"d": "day", "day": "day", "wk": "week", "week": "week", "mo": "month", "month": "month"}
_ABBREVIATIONS = {"min": "minute", "mins": "minute", "h": "hour", "hr": "hour", "hrs": "hour"}


def target_words(target: float | None, unit: str) -> str:
    """A target in words: `1 trip a week`, `45 minutes a week`, `a score of 4` (UCUM-ish units)."""
    number = f"{target:g}" if target is not None else ""
    unit = unit.strip()
    if unit in ("{score}", "score"):
        return f"a score of {number}"
    noun, _, per = unit.partition("/")
    if per and per.strip() not in _PERIODS:
        return f"{number} {unit}".strip()
    noun = _ABBREVIATIONS.get(noun.strip(), noun.strip())
    if noun:
        singular = noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun
        noun = singular if target == 1 else (noun if noun.endswith("s") else noun + "s")
    words = f"{number} {noun}".strip()
    return f"{words} a {_PERIODS[per.strip()]}" if per else words


def _week_starts(today: date, review: date) -> tuple[date, ...]:
    """Mondays of the weeks from today until the review visit (at most MAX_WEEKS)."""
    monday = today - timedelta(days=today.weekday())
    weeks: list[date] = []
    while monday <= review and len(weeks) < MAX_WEEKS:
        weeks.append(monday)
        monday += timedelta(weeks=1)
    return tuple(weeks) or (monday,)


def _lower_first(text: str) -> str:
    """Lower-case a leading capital mid-sentence, unless it starts an acronym (PEG)."""
    text = text.strip()
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def build_handout(plan: ActionPlan, *, patient_name: str | None, today: date) -> Handout:
    """The handout's words for a plan, with a checklist week by week until the review."""
    weeks = _week_starts(today, plan.follow_up.review)
    goals = []
    for goal in plan.goals:
        steps = tuple(
            HandoutStep(
                text=_sentence(s.what),
                detail=" ".join(
                    f"{label}: {_sentence(value)}"
                    for label, value in (("How much", s.how_much), ("When", s.when))
                    if value.strip()
                ),
                aim=f"Aim: {frequency_words(s.how_often)}.",
                weeks=weeks,
            )
            for s in goal.steps
        )
        track = None
        if goal.measure is not None:
            target = goal.measure.target
            goal_part = f" My target is {target_words(target, goal.measure.unit)}."
            track = f"I will keep track of {_lower_first(goal.measure.text)}." + (
                goal_part if target is not None else ""
            )
        goals.append(
            HandoutGoal(
                title=_sentence(goal.description),
                by=f"By {long_date(goal.due)}.",
                track=track,
                steps=steps,
            )
        )
    return Handout(
        patient_name=patient_name,
        made_on=long_date(today),
        what_matters=_sentence(plan.what_matters),
        goals=tuple(goals),
        barriers=plan.barriers,
        supports=plan.supports,
        confidence=f"I am {plan.confidence} out of 10 sure I can do this plan.",
        check_in=None if plan.follow_up.check_in is None else long_date(plan.follow_up.check_in),
        review=long_date(plan.follow_up.review),
    )


def handout_text(handout: Handout) -> str:
    """The handout's prose as plain text (used to measure its reading grade)."""
    parts = [handout.what_matters]
    for goal in handout.goals:
        parts += [goal.title, goal.by, goal.track or ""]
        parts += [f"{step.text} {step.detail} {step.aim}" for step in goal.steps]
    parts += [handout.confidence, *handout.flare, *handout.call_us]
    return "\n".join(p for p in parts if p)


# Inside `unbreakable()` fpdf2 hands out a recorder that replays the calls on the page.
Pdf = FPDF | FPDFRecorder


class _HandoutPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=11)
        # fpdf2 replaces the alias with the page count when the document is output.
        self.cell(0, 8, f"Page {self.page_no()} of {self.str_alias_nb_pages}", align="C")


def _heading(pdf: Pdf, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", style="B", size=18)
    pdf.multi_cell(0, 9, latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=14)


def _para(pdf: Pdf, text: str) -> None:
    # Left-aligned: fpdf2's multi_cell justifies by default, which opens wide gaps in short
    # lines and large type.
    pdf.multi_cell(0, 7.5, latin1(text), align="L", new_x="LMARGIN", new_y="NEXT")


def _checklist(pdf: Pdf, step: HandoutStep) -> None:
    """A grid of boxes: one row per week, one column per day."""
    first, box = 46.0, 18.0
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.cell(first, 9, "Week of", border=1)
    for day in DAYS:
        pdf.cell(box, 9, day, border=1, align="C")
    pdf.ln()
    pdf.set_font("Helvetica", size=12)
    for monday in step.weeks:
        pdf.cell(first, 9, f"{monday.day} {monday:%b}", border=1)
        for _ in DAYS:
            pdf.cell(box, 9, "", border=1)
        pdf.ln()
    pdf.set_font("Helvetica", size=14)
    pdf.ln(2)


def _step(pdf: Pdf, step: HandoutStep) -> None:
    """A step's words, then its checklist."""
    pdf.set_font("Helvetica", style="B", size=14)
    _para(pdf, step.text)
    pdf.set_font("Helvetica", size=14)
    if step.detail:
        _para(pdf, step.detail)
    _para(pdf, f"{step.aim} Tick a box each day you do it.")
    _checklist(pdf, step)


def handout_pdf(handout: Handout) -> bytes:
    """The handout as a PDF (US Letter, 14 pt body type, checklist grids)."""
    # US Letter: the product serves US clinics; Letter prints whole on A4 printers too
    # (the margins are wider than the 6 mm difference in width).
    pdf = _HandoutPdf(format="Letter")
    pdf.set_title("My action plan")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=24)
    pdf.cell(0, 12, "My action plan", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=14)
    who = f"For {handout.patient_name}. " if handout.patient_name else ""
    _para(pdf, f"{who}Made on {handout.made_on}.")
    _heading(pdf, "What matters to me")
    _para(pdf, handout.what_matters)
    for number, goal in enumerate(handout.goals, start=1):
        for index, step in enumerate(goal.steps or (None,)):
            # A goal's heading stays on the page of its first checklist, and each step's words
            # on the page of its own checklist: fpdf2 breaks the page before the block if needed.
            with pdf.unbreakable() as block:
                if index == 0:
                    _heading(block, f"Goal {number}: {goal.title}")
                    _para(block, goal.by)
                    if goal.track:
                        _para(block, goal.track)
                if step is not None:
                    _step(block, step)
    if handout.barriers:
        _heading(pdf, "What might get in the way")
        for text in handout.barriers:
            _para(pdf, f"- {text}")
    if handout.supports:
        _heading(pdf, "Who and what helps me")
        for text in handout.supports:
            _para(pdf, f"- {text}")
    _para(pdf, handout.confidence)
    _heading(pdf, "If I have a flare")
    for text in handout.flare:
        _para(pdf, f"- {text}")
    _para(pdf, " ".join(handout.call_us))
    _heading(pdf, "My next visits")
    if handout.check_in:
        _para(pdf, f"Check-in: {handout.check_in}.")
    _para(pdf, f"Review visit: {handout.review}.")
    return bytes(pdf.output())
