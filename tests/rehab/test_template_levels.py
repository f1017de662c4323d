"""The five GAS levels of every packaged template leave no gap and do not overlap."""

from __future__ import annotations

import itertools
import re

import pytest

from rehab.templates import load_templates

# Per template: the counted thing as worded in its levels, and the most it can be (None: open).
COUNTED: dict[str, tuple[str, int | None]] = {
    "walk-around-block": ("times a week", None),
    "home-exercise": ("sessions? a week", None),
    "sleep-six-hours": ("nights? a week", 7),
    "return-to-shifts": ("days a week", 7),
    "lunch-with-friend": ("outings? a month", None),
    "garden-paced": ("minutes", None),
    "breathing-for-flares": ("days a week", 7),
    "reframe-thoughts": ("worksheets? a week", None),
    "medicines-as-prescribed": ("days a week", 7),  # days with extra doses (-2 and -1 only)
}
# Levels judged by reading, not numbers: who shops (with help or alone) and how often, the
# add-ons above "as prescribed every day", and the PEG bands relative to now (parsed below).
BY_READING = {"grocery-shopping", "peg-four"}


def count_range(text: str, counted: str) -> tuple[int, int | None]:
    """(lowest, highest or None when open) count that a level's text states."""
    if re.match(r"(No|Not)\b", text):
        return 0, 0
    if found := re.search(rf"\bLess than (\d+) {counted}", text):
        return 0, int(found[1]) - 1
    found = re.search(rf"\b(\d+)(?: (?:or|to) (\d+))?( or more)? {counted}( or more)?\b", text)
    assert found is not None, text
    low = int(found[1])
    return low, None if found[3] or found[4] else int(found[2] or low)


def test_every_packaged_template_is_checked() -> None:
    assert {t.key for t in load_templates()} == set(COUNTED) | BY_READING


@pytest.mark.parametrize("key", [k for k in COUNTED if k != "medicines-as-prescribed"])
def test_counted_levels_rise_one_after_another_from_zero(key: str) -> None:
    template = next(t for t in load_templates() if t.key == key)
    assert template.gas is not None
    counted, most = COUNTED[key]
    ranges = [count_range(text, counted) for _, text in template.gas.by_score()]
    assert ranges[0][0] == 0, (key, ranges)
    for (_, high), (low, _) in itertools.pairwise(ranges):
        assert high is not None, (key, ranges)
        assert low == high + 1, (key, ranges)
    # The top level reaches the top of the scale: open-ended ("or more"), or the most there is.
    assert ranges[-1][1] in {None, most}, (key, ranges)


def test_medicine_levels_count_extra_dose_days_down_to_none_then_add_habits() -> None:
    template = next(t for t in load_templates() if t.key == "medicines-as-prescribed")
    assert template.gas is not None
    texts = [text for _, text in template.gas.by_score()]
    assert count_range(texts[0], "days a week") == (4, None)  # 4-7 days with extra doses
    assert count_range(texts[1], "days a week") == (1, 3)
    assert "no extra doses" in texts[2]
    # +1 and +2 build on each other, so a patient fits exactly one level.
    assert texts[3].startswith("As prescribed every day and the organizer filled every week")
    assert texts[4].startswith("As prescribed every day, the organizer filled every week and")


def test_peg_bands_meet_without_overlap() -> None:
    template = next(t for t in load_templates() if t.key == "peg-four")
    assert template.gas is not None
    texts = dict(template.gas.by_score())
    bands = {
        score: (float(found[1]), float(found[2]))
        for score, text in texts.items()
        if (found := re.search(r"above (\d+), up to (\d+)", text))
    }
    # Half-open bands (above low, up to high]: 0 is (3, 4], +1 is (2, 3].
    assert bands == {0: (3.0, 4.0), 1: (2.0, 3.0)}
    assert texts[2] == "PEG 2 or lower"
    assert texts[-1] == "PEG as now, or lower but above 4"
    assert texts[-2] == "PEG higher than now"


def test_the_parser_reads_ranges_and_open_ends() -> None:
    assert count_range("Walk about 15 minutes 1 or 2 times a week", "times a week") == (1, 2)
    assert count_range("4-hour shifts 5 or more days a week", "days a week") == (5, None)
    assert count_range("Less than 10 minutes without a flare", "minutes") == (0, 9)
    assert count_range("Not practising", "days a week") == (0, 0)
    assert count_range("60 minutes or more without a flare", "minutes") == (60, None)
