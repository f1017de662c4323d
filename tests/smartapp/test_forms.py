"""Form fields <-> the ActionPlan JSON: errors land beside their fields, nothing typed is lost."""

from __future__ import annotations

from datetime import date

from smartapp.forms import (
    clean_fields,
    field_id,
    fields_to_dict,
    label_for,
    parse_plan,
    plan_to_fields,
    slots,
)
from smartapp.views.edits import add_step, blank_goal, goal_checks, remove_goal, template_goal

TODAY = date(2026, 11, 23)


def make_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "what_matters": "Walk my dog again",
        "expressed_by": "patient",
        "confidence": "8",
        "importance": "9",
        "barriers": "bad weather\n\n  rainy days  ",
        "supports": "my daughter",
        "follow_up.check_in": "2026-12-07",
        "follow_up.review": "2027-01-04",
        "goals[0].key": "walking",
        "goals[0].domain": "walking",
        "goals[0].description": "Walk around the block 3 times a week",
        "goals[0].start": "2026-11-23",
        "goals[0].due": "2027-01-04",
        "goals[0].measure.text": "minutes walked per week",
        "goals[0].measure.target": "45",
        "goals[0].measure.unit": "min",
        "goals[0].gas.-2": "No walks",
        "goals[0].gas.-1": "1 walk a week",
        "goals[0].gas.0": "3 walks a week",
        "goals[0].gas.1": "4 walks a week",
        "goals[0].gas.2": "5 walks a week",
        "goals[0].steps[0].what": "walk 5 min, rest 1 min, twice",
        "goals[0].steps[0].how_much": "12 minutes",
        "goals[0].steps[0].when": "after breakfast Mon/Wed/Fri",
        "goals[0].steps[0].how_often.frequency": "3",
        "goals[0].steps[0].how_often.period": "1",
        "goals[0].steps[0].how_often.unit": "wk",
    }
    fields.update(overrides)
    return fields


def test_a_complete_form_becomes_a_plan() -> None:
    plan, errors = parse_plan(make_fields())
    assert errors == {}
    assert plan is not None
    assert plan.barriers == ("bad weather", "rainy days")
    goal = plan.goals[0]
    assert goal.measure is not None
    assert goal.measure.target == 45.0
    assert goal.gas is not None
    assert goal.gas.expected == "3 walks a week"
    assert goal.steps[0].how_often.frequency == 3


def test_a_plan_shown_on_the_form_reads_back_the_same() -> None:
    plan, _ = parse_plan(make_fields())
    assert plan is not None
    again, errors = parse_plan(plan_to_fields(plan))
    assert errors == {}
    assert again == plan


def test_errors_are_keyed_by_the_field_that_caused_them() -> None:
    fields = make_fields(confidence="eleven", **{"goals[0].due": "2026-01-01"})
    fields["goals[0].steps[0].how_often.frequency"] = ""
    plan, errors = parse_plan(fields)
    assert plan is None
    assert errors["confidence"] == ("Confidence must be a whole number.",)
    assert errors["goals[0].due"] == ("Goal 1: due date must not be before the start date.",)
    assert errors["goals[0].steps[0].how_often.frequency"] == (
        "Goal 1, step 1: times is required.",
    )


def test_a_number_that_is_not_one_is_reported_not_dropped() -> None:
    _, errors = parse_plan(make_fields(**{"goals[0].measure.target": "lots"}))
    assert errors["goals[0].measure.target"] == ("Goal 1: target must be a number.",)


def test_blank_goals_and_steps_are_left_out_of_the_plan() -> None:
    fields = blank_goal(make_fields(), domain="sleep", today=TODAY)
    fields = add_step(fields, 0)
    data = fields_to_dict(fields)
    goals = data["goals"]
    assert isinstance(goals, list)
    assert len(goals) == 1
    assert len(goals[0]["steps"]) == 1


def test_a_plan_without_goals_says_so_on_the_goals_section() -> None:
    fields = {k: v for k, v in make_fields().items() if not k.startswith("goals")}
    _, errors = parse_plan(fields)
    assert errors["goals"] == ("Goals must have between 1 and 5 entries.",)


def test_a_partly_filled_gas_scale_names_the_missing_levels() -> None:
    fields = make_fields(**{"goals[0].gas.2": "", "goals[0].gas.-2": ""})
    _, errors = parse_plan(fields)
    assert set(errors) == {"goals[0].gas.-2", "goals[0].gas.2"}


def test_unknown_and_oversized_fields_are_cleaned_away() -> None:
    fields = clean_fields(
        {"what_matters": "x" * 5000, "patient": "Patient/evil", "goals[0].steps[0].what": "walk"}
    )
    assert set(fields) == {"what_matters", "goals[0].steps[0].what"}
    assert len(fields["what_matters"]) == 2000


def test_new_goals_get_unique_keys_and_default_dates() -> None:
    fields = blank_goal(blank_goal({}, domain="sleep", today=TODAY), domain="sleep", today=TODAY)
    assert fields["goals[0].key"] == "goal-1"
    assert fields["goals[1].key"] == "goal-2"
    assert fields["goals[1].due"] == "2027-01-04"
    assert [s.index for s in slots(fields)] == [0, 1]


def test_no_more_than_five_goals_can_be_added() -> None:
    fields: dict[str, str] = {}
    for _ in range(7):
        fields = blank_goal(fields, domain="work", today=TODAY)
    assert len(slots(fields)) == 5


def test_removing_a_goal_renumbers_the_later_ones_and_keeps_their_values() -> None:
    fields = blank_goal(make_fields(), domain="sleep", today=TODAY)
    fields["goals[1].description"] = "Sleep 6 hours most nights"
    fields = remove_goal(fields, 0)
    assert fields["goals[0].description"] == "Sleep 6 hours most nights"
    assert not any(name.startswith("goals[1]") for name in fields)
    assert fields["what_matters"] == "Walk my dog again"


def test_labels_and_ids_name_goal_and_step() -> None:
    assert label_for("goals[1].steps[0].how_much") == "Goal 2, step 1: how much"
    assert label_for("follow_up.review") == "Review visit date"
    assert field_id("goals[1].gas.-2") == "f-goals-1-gas-m2"
    assert field_id("goals[1].gas.2") != field_id("goals[1].gas.-2")


def test_a_template_goal_is_smart_and_a_bare_one_says_what_it_lacks() -> None:
    from rehab.templates import default_library

    walking = next(t for t in default_library().templates if t.key == "walk-around-block")
    fields = template_goal({}, walking, today=TODAY)
    fields = blank_goal(fields, domain="sleep", today=TODAY)
    fields["goals[1].description"] = "Sleep better"
    checks = goal_checks(fields)
    assert checks[0] == ()
    assert any("action step" in message for message in checks[1])
    assert any("measurable" in message for message in checks[1])


def test_the_same_template_twice_gets_two_keys() -> None:
    from rehab.templates import default_library

    walking = default_library().templates[0]
    fields = template_goal(template_goal({}, walking, today=TODAY), walking, today=TODAY)
    assert fields["goals[1].key"] == f"{walking.key}-2"
    _, errors = parse_plan(
        {
            **fields,
            "what_matters": "x",
            "expressed_by": "patient",
            "confidence": "8",
            "follow_up.review": "2027-01-04",
        }
    )
    assert errors == {}
