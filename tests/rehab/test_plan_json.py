"""ActionPlan JSON in and out: field errors with paths, bounds, normalization, round trips."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from rehab.errors import FieldError
from rehab.plan import ActionPlan, ExpressedBy, PeriodUnit
from tests.rehab.factories import make_goal_dict, make_plan_dict, make_step_dict


def paths(data: object) -> dict[str, str]:
    """The field errors of a payload as {path: message}; fails if a plan came back anyway."""
    plan, errors = ActionPlan.from_dict(data)
    assert plan is None
    assert errors
    return {error.path: error.message for error in errors}


def test_a_complete_plan_is_read_into_domain_objects() -> None:
    plan, errors = ActionPlan.from_dict(make_plan_dict())

    assert errors == []
    assert plan is not None
    assert plan.expressed_by is ExpressedBy.SHARED
    goal = plan.goals[0]
    assert goal.start == date(2026, 11, 23)
    assert goal.due == date(2027, 1, 18)
    assert goal.steps[0].how_often.unit is PeriodUnit.WEEK
    assert goal.gas is not None
    assert goal.gas.expected == "Walk 15 minutes 3 times a week"
    assert plan.follow_up.review == date(2027, 1, 4)
    assert plan.barriers == ("Fear of a flare",)


def test_to_dict_gives_back_the_normalized_payload() -> None:
    data = make_plan_dict()
    plan, _ = ActionPlan.from_dict(data)

    assert plan is not None
    assert plan.to_dict() == data
    assert json.loads(json.dumps(plan.to_dict())) == data


def test_optional_fields_may_be_absent_and_come_back_as_null() -> None:
    goal = make_goal_dict()
    for key in ("measure", "gas", "expressed_by"):
        del goal[key]
    data = make_plan_dict(goals=[goal])
    for key in ("importance", "barriers", "supports", "override_reason"):
        del data[key]
    data["follow_up"] = {"review": "2027-01-04"}

    plan, errors = ActionPlan.from_dict(data)

    assert errors == []
    assert plan is not None
    out = plan.to_dict()
    assert out["importance"] is None
    assert out["barriers"] == []
    assert out["override_reason"] is None
    assert out["follow_up"] == {"check_in": None, "review": "2027-01-04"}
    goal_out: Any = out["goals"]
    assert goal_out[0]["measure"] is None
    assert goal_out[0]["gas"] is None
    assert goal_out[0]["expressed_by"] is None


def test_text_is_trimmed_and_blank_list_entries_dropped() -> None:
    data = make_plan_dict(what_matters="  Walking my dog  ", barriers=["  time ", "  ", ""])

    plan, errors = ActionPlan.from_dict(data)

    assert errors == []
    assert plan is not None
    assert plan.what_matters == "Walking my dog"
    assert plan.barriers == ("time",)


def test_numbers_sent_as_digit_strings_or_whole_floats_are_accepted() -> None:
    plan, errors = ActionPlan.from_dict(make_plan_dict(confidence="7", importance=9.0))

    assert errors == []
    assert plan is not None
    assert (plan.confidence, plan.importance) == (7, 9)


def test_gas_levels_accept_plus_signs_and_are_written_without() -> None:
    gas = {"-2": "a", "-1": "b", "0": "c", "+1": "d", "+2": "e"}
    plan, errors = ActionPlan.from_dict(make_plan_dict(goals=[make_goal_dict(gas=gas)]))

    assert errors == []
    assert plan is not None
    goal_out: Any = plan.to_dict()["goals"]
    assert goal_out[0]["gas"] == {"-2": "a", "-1": "b", "0": "c", "1": "d", "2": "e"}


def test_an_error_deep_in_a_step_names_its_full_path() -> None:
    never = {"frequency": 0, "period": 1, "unit": "wk"}
    steps = [make_step_dict(), make_step_dict(how_often=never)]
    data = make_plan_dict(goals=[make_goal_dict(steps=steps)])

    assert paths(data) == {
        "goals[0].steps[1].how_often.frequency": "must be between 1 and 50",
    }


def test_every_problem_is_reported_at_once() -> None:
    data = make_plan_dict(confidence=11, expressed_by="doctor", what_matters="")
    data["goals"][0]["due"] = "2026-02-30"

    found = paths(data)

    assert found == {
        "what_matters": "is required",
        "expressed_by": "Choose one of: patient, clinician, shared.",
        "confidence": "must be between 0 and 10",
        "goals[0].due": "This date is not on the calendar.",
    }


@pytest.mark.parametrize(
    ("goals", "message"),
    [
        ([], "must have between 1 and 5 entries"),
        ([make_goal_dict(key=f"g{i}") for i in range(6)], "must have between 1 and 5 entries"),
        ("walk", "Enter a list here."),
    ],
)
def test_a_plan_holds_one_to_five_goals(goals: object, message: str) -> None:
    assert paths(make_plan_dict(goals=goals)) == {"goals": message}


def test_a_plan_without_goals_field_says_goals_are_required() -> None:
    data = make_plan_dict()
    del data["goals"]

    assert paths(data) == {"goals": "is required"}


def test_a_gas_level_given_both_with_and_without_plus_is_refused() -> None:
    gas = {"-2": "a", "-1": "b", "0": "c", "1": "d", "+1": "d2", "2": "e"}

    assert paths(make_plan_dict(goals=[make_goal_dict(gas=gas)])) == {
        "goals[0].gas.+1": "Level 1 is given twice."
    }


def test_five_goals_are_accepted() -> None:
    goals = [make_goal_dict(key=f"g{i}") for i in range(5)]

    plan, errors = ActionPlan.from_dict(make_plan_dict(goals=goals))

    assert errors == []
    assert plan is not None
    assert len(plan.goals) == 5


def test_goal_keys_must_be_unique_within_a_plan() -> None:
    data = make_plan_dict(goals=[make_goal_dict(), make_goal_dict()])

    assert paths(data) == {"goals[1].key": "Each goal needs its own key; this one is used twice."}


@pytest.mark.parametrize(("value", "ok"), [(0, True), (10, True), (-1, False), (11, False)])
def test_confidence_and_importance_run_from_zero_to_ten(value: int, ok: bool) -> None:
    for field in ("confidence", "importance"):
        plan, errors = ActionPlan.from_dict(make_plan_dict(**{field: value}))
        assert (plan is not None) is ok
        assert [e.path for e in errors] == ([] if ok else [field])


@pytest.mark.parametrize("value", [True, 7.5, "seven", [], None])
def test_confidence_must_be_a_whole_number(value: object) -> None:
    expected = "is required" if value is None else "must be a whole number"
    assert paths(make_plan_dict(confidence=value)) == {"confidence": expected}


def test_due_may_equal_start_but_not_precede_it() -> None:
    same = make_plan_dict(goals=[make_goal_dict(start="2026-12-01", due="2026-12-01")])
    before = make_plan_dict(goals=[make_goal_dict(start="2026-12-01", due="2026-11-30")])

    assert ActionPlan.from_dict(same)[1] == []
    assert paths(before) == {"goals[0].due": "must not be before the start date"}


def test_check_in_after_review_is_an_error() -> None:
    data = make_plan_dict(follow_up={"check_in": "2027-02-01", "review": "2027-01-04"})

    expected = "The check-in must be on or before the review date."
    assert paths(data) == {"follow_up.check_in": expected}


@pytest.mark.parametrize("value", ["2026-1-5", "05/01/2026", "2026-01-05T10:00:00", 20260105])
def test_dates_must_be_written_year_month_day(value: object) -> None:
    data = make_plan_dict(goals=[make_goal_dict(start=value)])

    assert paths(data) == {"goals[0].start": "Enter the date as YYYY-MM-DD."}


def test_unknown_fields_are_errors_so_a_typo_loses_nothing_silently() -> None:
    data = make_plan_dict(confidance=5)
    data["goals"][0]["steps"][0]["how_offen"] = "daily"

    assert paths(data) == {
        "confidance": "This field is not part of the form.",
        "goals[0].steps[0].how_offen": "This field is not part of the form.",
    }


def test_missing_how_often_is_reported_as_required() -> None:
    step = make_step_dict()
    del step["how_often"]
    data = make_plan_dict(goals=[make_goal_dict(steps=[step])])

    assert paths(data) == {"goals[0].steps[0].how_often": "is required"}


def test_blank_step_text_is_accepted_for_the_smart_check_to_report() -> None:
    step = make_step_dict(what="", how_much="  ")
    plan, errors = ActionPlan.from_dict(make_plan_dict(goals=[make_goal_dict(steps=[step])]))

    assert errors == []
    assert plan is not None
    assert (plan.goals[0].steps[0].what, plan.goals[0].steps[0].how_much) == ("", "")


def test_domain_and_key_must_be_plain_keys() -> None:
    data = make_plan_dict(goals=[make_goal_dict(domain="Walking!", key="a b")])

    assert paths(data) == {
        "goals[0].key": "A goal key may use only letters, digits, '.', '_' and '-'.",
        "goals[0].domain": "Choose a life area such as walking or sleep.",
    }


def test_overlong_text_is_refused_not_cut() -> None:
    assert paths(make_plan_dict(what_matters="x" * 1001)) == {
        "what_matters": "Shorten this to 1000 characters or fewer."
    }


def test_a_non_object_payload_is_one_error_at_the_root() -> None:
    payloads: tuple[object, ...] = (None, [], "plan", 3, {1: "a"})
    for data in payloads:
        plan, errors = ActionPlan.from_dict(data)
        assert plan is None
        assert errors == [FieldError(path="", message="This part must be a set of named fields.")]


def test_field_errors_serialize_as_path_and_message() -> None:
    _, errors = ActionPlan.from_dict(make_plan_dict(confidence=12))

    assert [e.to_dict() for e in errors] == [
        {"path": "confidence", "message": "must be between 0 and 10"}
    ]


def test_a_goal_falls_back_to_the_plans_expressed_by() -> None:
    own, inherited = make_goal_dict(key="a"), make_goal_dict(key="b", expressed_by=None)
    plan, _ = ActionPlan.from_dict(make_plan_dict(goals=[own, inherited]))

    assert plan is not None
    assert plan.goal_expressed_by(plan.goals[0]) is ExpressedBy.PATIENT
    assert plan.goal_expressed_by(plan.goals[1]) is ExpressedBy.SHARED
