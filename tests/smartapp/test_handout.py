"""The patient handout: plain words, a weekly checklist, a flare plan, and a readable PDF."""

from __future__ import annotations

import re
import zlib
from datetime import date

import pytest

from rehab.plan import ActionPlan, ExpressedBy, FollowUp, Frequency, PeriodUnit
from rehab.templates import GoalTemplate, default_library, goal_from_template
from smartapp.forms import parse_plan
from smartapp.handout import (
    CALL_US,
    FLARE_STEPS,
    build_handout,
    frequency_words,
    handout_pdf,
    handout_text,
)
from smartapp.plain_text import reading_grade
from tests.smartapp.test_forms import make_fields

TODAY = date(2026, 11, 25)  # a Wednesday


def make_plan(**overrides: str) -> ActionPlan:
    plan, errors = parse_plan(make_fields(**overrides))
    assert errors == {}
    assert plan is not None
    return plan


def pdf_text(pdf: bytes) -> str:
    """The text shown by a PDF's content streams (fpdf2 writes `(text) Tj` operators)."""
    shown = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:  # decompressobj leaves the end of line before `endstream` as unused data
            content = zlib.decompressobj().decompress(match.group(1))
        except zlib.error:
            continue
        for text in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", content):
            shown.append(re.sub(rb"\\(.)", rb"\1", text).decode("latin-1"))
    return "\n".join(shown)


def test_the_handout_speaks_in_the_patients_words() -> None:
    handout = build_handout(make_plan(), patient_name="Brenda Jackson", today=TODAY)
    goal = handout.goals[0]
    assert handout.what_matters == "Walk my dog again."
    assert goal.title == "Walk around the block 3 times a week."
    assert goal.by == "By Monday 4 January 2027."
    assert goal.track == "I will keep track of minutes walked per week. My target is 45 minutes."
    assert goal.steps[0].text == "Walk 5 min, rest 1 min, twice."
    assert goal.steps[0].detail == "How much: 12 minutes. When: After breakfast Mon/Wed/Fri."
    assert goal.steps[0].aim == "Aim: 3 times a week."
    assert handout.check_in == "Monday 7 December 2026"
    assert handout.review == "Monday 4 January 2027"
    assert handout.confidence == "I am 8 out of 10 sure I can do this plan."


def test_the_checklist_has_a_row_per_week_until_the_review_starting_this_monday() -> None:
    handout = build_handout(make_plan(), patient_name=None, today=TODAY)
    weeks = handout.goals[0].steps[0].weeks
    assert weeks[0] == date(2026, 11, 23)
    assert weeks[-1] == date(2026, 12, 28)
    assert len(weeks) == 6


def test_how_often_reads_as_words() -> None:
    assert frequency_words(Frequency(frequency=1, period=1, unit=PeriodUnit.DAY)) == "once a day"
    assert frequency_words(Frequency(frequency=2, period=1, unit=PeriodUnit.DAY)) == "twice a day"
    assert frequency_words(Frequency(frequency=3, period=2, unit=PeriodUnit.WEEK)) == (
        "3 times every 2 weeks"
    )


def test_the_fixed_advice_reads_at_grade_eight_or_below() -> None:
    grade = reading_grade(" ".join((*FLARE_STEPS, *CALL_US)))
    assert 0 < grade <= 8


def test_the_whole_handout_of_a_template_plan_reads_at_grade_eight_or_below() -> None:
    handout = build_handout(make_plan(), patient_name=None, today=TODAY)
    assert reading_grade(handout_text(handout)) <= 8


def test_reading_grade_rises_with_long_words_and_sentences() -> None:
    easy = "I walk my dog. We go to the park. It is fun."
    hard = (
        "Comprehensive multidisciplinary rehabilitation necessitates individualized "
        "biopsychosocial formulation incorporating occupational considerations."
    )
    assert reading_grade(easy) < 4 < 12 < reading_grade(hard)


def test_the_pdf_is_a_pdf_with_every_part_of_the_handout_readable() -> None:
    handout = build_handout(make_plan(), patient_name="Brenda Jackson", today=TODAY)
    pdf = handout_pdf(handout)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in (
        "My action plan",
        "For Brenda Jackson. Made on Wednesday 25 November 2026.",
        "Walk my dog again.",
        "Goal 1: Walk around the block 3 times a week.",
        "Aim: 3 times a week. Tick a box each day you do it.",
        "Week of",
        "28 Dec",
        "If I have a flare",
        "Review visit: Monday 4 January 2027.",
        "bad weather",
        "my daughter",
    ):
        assert expected in text


def test_text_outside_the_pdf_fonts_is_kept_readable() -> None:
    plan = make_plan(what_matters="Play with my grandchild – “Zoë” ✓")
    text = pdf_text(handout_pdf(build_handout(plan, patient_name="José Núñez", today=TODAY)))
    assert 'Play with my grandchild - "Zoë" ?.' in text
    assert "For José Núñez." in text


@pytest.mark.parametrize("template", default_library().templates, ids=lambda t: t.key)
def test_every_template_makes_a_handout_at_grade_eight_or_below(template: GoalTemplate) -> None:
    goal = goal_from_template(template, key=template.key, start=TODAY)
    plan = ActionPlan(
        what_matters="Walk my dog again",
        expressed_by=ExpressedBy.PATIENT,
        goals=(goal,),
        confidence=8,
        follow_up=FollowUp(check_in=date(2026, 12, 7), review=date(2027, 1, 4)),
    )
    text = handout_text(build_handout(plan, patient_name=None, today=TODAY))
    assert 0 < reading_grade(text) <= 8


def pdf_pages(pdf: bytes) -> list[bytes]:
    """Each page's decompressed content stream, in order (fpdf2 writes one per page)."""
    pages = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            pages.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            continue
    return pages


def shown(content: bytes) -> str:
    texts = re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", content)
    return "\n".join(re.sub(rb"\\(.)", rb"\1", t).decode("latin-1") for t in texts)


def template_plan(keys: tuple[str, ...]) -> ActionPlan:
    library = {t.key: t for t in default_library().templates}
    return ActionPlan(
        what_matters="Do my own shopping and walk my dog again",
        expressed_by=ExpressedBy.PATIENT,
        goals=tuple(goal_from_template(library[k], key=k, start=TODAY) for k in keys),
        confidence=8,
        barriers=("Bad days after a long shift", "Rain"),
        supports=("My daughter",),
        follow_up=FollowUp(check_in=date(2026, 12, 7), review=date(2027, 1, 4)),
    )


def test_targets_read_as_words_with_their_units() -> None:
    handout = build_handout(
        template_plan(("grocery-shopping", "walk-around-block", "peg-four")),
        patient_name=None,
        today=TODAY,
    )
    tracks = [g.track or "" for g in handout.goals]
    assert tracks[0] == "I will keep track of shopping trips per week. My target is 1 trip a week."
    assert tracks[1].endswith("My target is 45 minutes a week.")
    assert tracks[2].endswith("My target is a score of 4.")


KEYS = tuple(t.key for t in default_library().templates)


@pytest.mark.parametrize("count", [2, 3, 4, 5])
def test_every_goal_heading_shares_its_page_with_its_first_checklist(count: int) -> None:
    keys = tuple(KEYS[i % len(KEYS)] for i in range(count))
    pdf = handout_pdf(build_handout(template_plan(keys), patient_name="Pat", today=TODAY))
    pages = [shown(p) for p in pdf_pages(pdf)]
    for number in range(1, count + 1):
        page = next(p for p in pages if f"Goal {number}:" in p)
        assert "Week of" in page.split(f"Goal {number}:")[1], f"goal {number} split from its table"


def test_the_pdf_is_us_letter_numbered_page_n_of_total_and_left_aligned() -> None:
    keys = ("grocery-shopping", "walk-around-block", "home-exercise")
    pdf = handout_pdf(build_handout(template_plan(keys), patient_name="Pat", today=TODAY))
    assert re.search(rb"/MediaBox \[0 0 612(\.00)? 792(\.00)?\]", pdf)
    pages = pdf_pages(pdf)
    total = len(pages)
    assert total >= 2
    for number, page in enumerate(pages, start=1):
        # the page count is its own text piece (fpdf2 fills it in at the end)
        assert f"Page {number} of {total}" in re.sub(r"\s+", " ", shown(page))
        assert not re.search(rb"(?<![\d.])[1-9][\d.]* Tw", page)  # no stretched word spacing
