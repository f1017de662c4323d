"""The patient's take-home plan: plain words (reading grade 6-8), large type, HTML and PDF.

`build_handout` turns a saved ActionPlan into the words of the handout once; the HTML page
(`templates/pages/handout.html`) and the PDF (`handout_pdf`, fpdf2 with its built-in fonts, no
system libraries) both print those same words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from fpdf import FPDF

from rehab.plan import ActionPlan, Frequency, PeriodUnit

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


def frequency_words(often: Frequency) -> str:
    """How often in words: `3 times a week`, `once a day`, `twice every 2 weeks`."""
    times = {1: "once", 2: "twice"}.get(often.frequency, f"{often.frequency} times")
    unit = {PeriodUnit.DAY: "day", PeriodUnit.WEEK: "week", PeriodUnit.MONTH: "month"}[often.unit]
    if often.period == 1:
        return f"{times} a {unit}"
    return f"{times} every {often.period} {unit}s"


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
            goal_part = f" My target is {target:g} {goal.measure.unit}".rstrip() + "."
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


def _syllables(word: str) -> int:
    """Vowel groups, less a silent final e: the usual estimate for readability formulas."""
    word = word.lower()
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups) - (1 if word.endswith("e") and not word.endswith("le") else 0)
    return max(1, count)


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade level of the text (US school grade)."""
    sentences = max(1, len(re.findall(r"[.!?]+(?:\s|$)", text)))
    words = re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text)
    if not words:
        return 0.0
    syllables = sum(_syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59


def _latin1(text: str) -> str:
    """The PDF's built-in fonts cover Latin-1: keep what fits, spell out or drop the rest."""
    text = text.translate(
        {
            0x2018: "'",
            0x2019: "'",
            0x201C: '"',
            0x201D: '"',
            0x2013: "-",
            0x2014: "-",
            0x2026: "...",
        }
    )
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
        else:
            plain = (
                unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            )
            out.append(plain or "?")
    return "".join(out)


class _HandoutPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=11)
        self.cell(0, 8, f"Page {self.page_no()}", align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", style="B", size=18)
    pdf.multi_cell(0, 9, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=14)


def _para(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, 7.5, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _checklist(pdf: FPDF, step: HandoutStep) -> None:
    """A grid of boxes: one row per week, one column per day."""
    first, box = 46.0, 18.0
    if pdf.get_y() + 9 * (len(step.weeks) + 1) > pdf.h - 25:
        pdf.add_page()
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


def handout_pdf(handout: Handout) -> bytes:
    """The handout as a PDF (A4, 14 pt body type, checklist grids)."""
    pdf = _HandoutPdf(format="A4")
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
        _heading(pdf, f"Goal {number}: {goal.title}")
        _para(pdf, goal.by)
        if goal.track:
            _para(pdf, goal.track)
        for step in goal.steps:
            pdf.set_font("Helvetica", style="B", size=14)
            _para(pdf, step.text)
            pdf.set_font("Helvetica", size=14)
            if step.detail:
                _para(pdf, step.detail)
            _para(pdf, f"{step.aim} Tick a box each day you do it.")
            _checklist(pdf, step)
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
