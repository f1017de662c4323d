"""plan_text and the CarePlan narrative: plain language, escaped XHTML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from fhir_mappers import plan_text
from fhir_mappers.narrative import frequency_words, plan_xhtml
from rehab import Frequency, PeriodUnit
from tests.fhir_mappers.factories import make_plan


def test_the_plan_text_says_everything_in_plain_words() -> None:
    text = plan_text(make_plan())
    assert text.startswith(
        "My pain rehabilitation plan\n\nWhat matters to me\n- Walk my grandchildren"
    )
    assert "Goal 1: Walk around the block (15 minutes) 3 times a week by 1 March" in text
    assert "- Start 23 November 2026, aim to reach it by 1 March 2027." in text
    assert "How we will count progress: minutes walked per week: aim for 45 min/wk." in text
    assert (
        "- Step: Walk, 5 min, rest 1 min, twice, after breakfast Mon/Wed/Fri (3 times a week)."
        in text
    )
    assert "- Step: Add 2 minutes (once a week)." in text
    assert "- The goal (0): Walk 15 min 3 times a week" in text
    assert "How confident I am that I can do this plan: 8 out of 10." in text
    assert "What might get in the way\n- Fear of a flare after long walks" in text
    assert "Who or what helps\n- Spouse walks along" in text
    assert "- Check-in: 7 December 2026.\n- Review visit: 4 January 2027." in text


@pytest.mark.parametrize(
    ("frequency", "period", "unit", "words"),
    [
        (1, 1, PeriodUnit.DAY, "once a day"),
        (2, 1, PeriodUnit.DAY, "twice a day"),
        (3, 1, PeriodUnit.WEEK, "3 times a week"),
        (2, 2, PeriodUnit.MONTH, "twice every 2 months"),
    ],
)
def test_frequency_words(frequency: int, period: int, unit: PeriodUnit, words: str) -> None:
    assert frequency_words(Frequency(frequency=frequency, period=period, unit=unit)) == words


def test_the_narrative_escapes_what_the_user_typed() -> None:
    div = plan_xhtml(make_plan(what_matters="<script>alert(1)</script> & more"))
    root = ET.fromstring(div)  # noqa: S314 - our own generated markup
    assert root.tag == "{http://www.w3.org/1999/xhtml}div"
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in div
    assert not [e for e in root.iter() if e.tag.endswith("script")]


def test_a_typed_control_character_cannot_break_the_narrative() -> None:
    div = plan_xhtml(make_plan(what_matters="Walk\x1b to school\x00"))
    ET.fromstring(div)  # noqa: S314 - our own generated markup; raises if not well-formed
    assert "Walk\ufffd to school\ufffd" in div
