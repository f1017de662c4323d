"""PEG scoring and the 30% change rule; GAS levels and 'achieved at 0 or above'."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rehab.measures import (
    GAS_ANSWERS,
    PegItems,
    PromisKind,
    PromisReading,
    gas_achieved,
    gas_answer,
    peg_change,
)
from tests.rehab.factories import TODAY


def test_the_peg_score_is_the_mean_of_its_three_items() -> None:
    assert PegItems(pain=6, enjoyment=5, activity=4).score == 5.0
    assert PegItems(pain=7, enjoyment=7, activity=6).score == pytest.approx(20 / 3)
    assert PegItems(pain=0, enjoyment=0, activity=0).score == 0.0
    assert PegItems(pain=10, enjoyment=10, activity=10).score == 10.0


def test_a_thirty_percent_drop_is_meaningful_and_better() -> None:
    change = peg_change(10.0, 7.0)

    assert change.percent == pytest.approx(-30.0)
    assert change.meaningful
    assert change.direction == "better"


def test_a_drop_just_under_thirty_percent_is_not_meaningful() -> None:
    change = peg_change(6.0, 4.3)

    assert change.percent == pytest.approx(-28.33, abs=0.01)
    assert not change.meaningful
    assert change.direction == "better"


def test_a_thirty_percent_rise_is_meaningful_and_worse() -> None:
    change = peg_change(5.0, 6.5)

    assert change.meaningful
    assert change.direction == "worse"
    assert change.percent == pytest.approx(30.0)


def test_thirds_from_item_means_are_judged_without_float_noise() -> None:
    baseline = PegItems(pain=4, enjoyment=3, activity=3).score  # 3.333...
    current = PegItems(pain=3, enjoyment=2, activity=2).score  # 2.333...

    change = peg_change(baseline, current)

    assert change.percent == pytest.approx(-30.0)
    assert change.meaningful


def test_no_change_is_the_same_and_not_meaningful() -> None:
    change = peg_change(6.0, 6.0)

    assert (change.percent, change.meaningful, change.direction) == (0.0, False, "same")


def test_any_rise_from_a_zero_baseline_is_reported_worse() -> None:
    change = peg_change(0.0, 1.0)

    assert (change.percent, change.meaningful, change.direction) == (100.0, True, "worse")
    assert peg_change(0.0, 0.0).direction == "same"


def test_non_finite_scores_give_no_change_rather_than_an_error() -> None:
    assert peg_change(float("nan"), 5.0).meaningful is False
    assert peg_change(5.0, float("inf")).direction == "same"


@pytest.mark.parametrize(
    ("score", "achieved"), [(-2, False), (-1, False), (0, True), (1, True), (2, True)]
)
def test_a_goal_is_achieved_at_gas_zero_or_above(score: int, achieved: bool) -> None:
    assert gas_achieved(score) is achieved


def test_each_gas_score_has_its_loinc_answer() -> None:
    assert gas_answer(0) == ("LA34481-4", "Expected outcome")
    assert gas_answer(-1) == ("LA34483-0", "Less than expected")
    assert gas_answer(2) == ("LA34479-8", "Much better than expected")
    assert gas_answer(3) is None
    assert sorted(score for score, _, _ in GAS_ANSWERS) == [-2, -1, 0, 1, 2]


def test_promis_direction_depends_on_the_kind() -> None:
    function = PromisReading(when=TODAY, kind=PromisKind.PHYSICAL_FUNCTION, t_score=40.0)
    interference = PromisReading(when=TODAY, kind=PromisKind.PAIN_INTERFERENCE, t_score=60.0)

    assert function.higher_is_better
    assert not interference.higher_is_better


@settings(max_examples=200, deadline=None)
@given(
    st.tuples(st.integers(0, 10), st.integers(0, 10), st.integers(0, 10)),
    st.tuples(st.integers(0, 10), st.integers(0, 10), st.integers(0, 10)),
)
def test_the_change_rule_holds_for_every_pair_of_peg_answers(
    before: tuple[int, int, int], after: tuple[int, int, int]
) -> None:
    baseline = PegItems(pain=before[0], enjoyment=before[1], activity=before[2])
    current = PegItems(pain=after[0], enjoyment=after[1], activity=after[2])
    # Item sums are whole numbers, so the rule can be checked exactly on them.
    old, new = sum(before), sum(after)

    change = peg_change(baseline.score, current.score)

    assert change.direction == ("same" if new == old else "better" if new < old else "worse")
    if old > 0:
        assert change.meaningful is (10 * abs(new - old) >= 3 * old)
        assert change.percent == pytest.approx(100 * (new - old) / old)
