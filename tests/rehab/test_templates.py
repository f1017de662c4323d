"""Goal templates and life areas: every row of the design table, editable by a site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rehab.errors import RehabDataError
from rehab.goal import PAIN_DOMAIN, PeriodUnit
from rehab.plan import ActionPlan
from rehab.rules import plan_warnings, smart_check
from rehab.templates import (
    default_library,
    goal_from_template,
    life_areas,
    load_library,
    load_templates,
)
from tests.rehab.factories import TODAY, make_plan

DESIGN_AREAS = [
    "walking", "exercise", "sleep", "work", "social", "household",
    "pacing", "relaxation", "thoughts", "medication", "pain",
]
PACKAGED = Path(__file__).resolve().parents[2] / "rehab" / "data" / "goal_templates.json"


def packaged_data() -> dict[str, Any]:
    """The packaged template file as JSON, to edit into a site's copy."""
    data: dict[str, Any] = json.loads(PACKAGED.read_text(encoding="utf-8"))
    return data


def test_there_is_one_template_for_every_row_of_the_design_table() -> None:
    assert [t.area for t in load_templates()] == DESIGN_AREAS


def test_every_template_has_all_five_gas_levels_and_a_measure_with_a_target() -> None:
    for template in load_templates():
        assert template.gas is not None, template.key
        assert all(text for _, text in template.gas.by_score())
        assert template.measure is not None
        assert template.measure.target is not None
        assert 4 <= template.due_weeks <= 12


def test_a_goal_from_any_template_passes_the_smart_check() -> None:
    for template in load_templates():
        goal = goal_from_template(template, key=template.key, start=TODAY)
        assert smart_check(goal) == (), template.key


def test_a_goal_from_a_template_is_due_after_its_weeks_and_round_trips() -> None:
    walking = next(t for t in load_templates() if t.key == "walk-around-block")

    goal = goal_from_template(walking, key="g1", start=TODAY)
    plan = make_plan(goals=(goal,))

    assert (goal.due - goal.start).days == 7 * walking.due_weeks
    assert goal.steps[0].how_often.unit is PeriodUnit.WEEK
    assert ActionPlan.from_dict(plan.to_dict()) == (plan, [])


def test_the_pain_template_alone_makes_a_pain_only_plan() -> None:
    pain = next(t for t in load_templates() if t.area == PAIN_DOMAIN)

    plan = make_plan(goals=(goal_from_template(pain, key="peg", start=TODAY),))

    assert len(plan_warnings(plan)) == 1


def test_life_areas_tie_into_the_eight_circle_of_health_areas() -> None:
    library = default_library()
    circle = {area.key for area in library.circle_of_health}

    assert len(circle) == 8
    assert {area.key for area in life_areas()} >= set(DESIGN_AREAS)
    tied = {area.circle_of_health for area in life_areas() if area.circle_of_health}
    assert tied == circle
    pain = next(area for area in life_areas() if area.key == PAIN_DOMAIN)
    assert pain.circle_of_health is None


def test_a_site_can_point_to_its_own_edited_file(tmp_path: Path) -> None:
    data = packaged_data()
    data["templates"][0]["goal_text"] = "Walk to the mailbox and back every day"
    data["templates"] = data["templates"][:2]
    path = tmp_path / "templates.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    templates = load_templates(path)

    assert len(templates) == 2
    assert templates[0].goal_text == "Walk to the mailbox and back every day"
    assert len(load_templates()) == len(DESIGN_AREAS)


def broken(edit: str) -> dict[str, Any]:
    """The packaged file with one fault."""
    data = packaged_data()
    first = data["templates"][0]
    if edit == "area":
        first["area"] = "gardening"
    elif edit == "weeks":
        first["due_weeks"] = 0
    elif edit == "gas":
        del first["gas"]["0"]
    elif edit == "step":
        first["step"]["how_often"]["unit"] = "week"
    elif edit == "duplicate":
        data["templates"][1]["key"] = first["key"]
    elif edit == "circle":
        data["areas"][0]["circle_of_health"] = "moon"
    return data


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ("area", "templates[0].area 'gardening' is not in the areas list"),
        ("weeks", "templates[0].due_weeks must be a whole number from 1 to 52"),
        ("gas", "templates[0].gas.0: is required"),
        ("step", "templates[0].step.how_often.unit: Choose one of: d, wk, mo."),
        ("duplicate", "templates: key 'walk-around-block' is used twice"),
        ("circle", "areas[0].circle_of_health 'moon' is not listed"),
    ],
)
def test_a_faulty_site_file_names_the_fault(tmp_path: Path, edit: str, reason: str) -> None:
    path = tmp_path / "templates.json"
    path.write_text(json.dumps(broken(edit)), encoding="utf-8")

    with pytest.raises(RehabDataError) as caught:
        load_library(path)

    assert caught.value.reason == reason
