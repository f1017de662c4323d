"""Goal templates grouped by life area, and the Circle-of-Health areas, from an editable file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from rehab.datafile import load_json, object_list, optional_text, text_field
from rehab.errors import FieldError, RehabDataError
from rehab.goal import (
    ActionStep,
    ExpressedBy,
    FunctionalGoal,
    GasLevels,
    Measure,
    parse_gas,
    parse_measure,
    parse_step,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CircleArea:
    """One of the eight self-care areas of the VA Whole Health Circle of Health."""

    key: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LifeArea:
    """A goal domain the clinician picks, tied to a Circle-of-Health area where one fits."""

    key: str
    label: str
    circle_of_health: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalTemplate:
    """A starting point for a goal: the outcome, one action step, a measure and GAS levels."""

    key: str
    area: str
    title: str
    goal_text: str
    measure: Measure | None
    due_weeks: int
    gas: GasLevels | None
    step: ActionStep


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateLibrary:
    """Everything in a template file."""

    source: str
    circle_of_health: tuple[CircleArea, ...]
    areas: tuple[LifeArea, ...]
    templates: tuple[GoalTemplate, ...]


def load_library(path: Path | None = None) -> TemplateLibrary:
    """The template file of a site, or the packaged one; raises RehabDataError naming the fault."""
    source, data = load_json("goal_templates.json", path)
    label = text_field(data, "source", source)
    circle = tuple(
        CircleArea(key=text_field(row, "key", source), label=text_field(row, "label", source))
        for row in object_list(data, "circle_of_health", source)
    )
    circle_keys = {area.key for area in circle}
    areas: list[LifeArea] = []
    for index, row in enumerate(object_list(data, "areas", source)):
        where = f"areas[{index}]."
        ring = optional_text(row, "circle_of_health", source, where)
        if ring is not None and ring not in circle_keys:
            raise RehabDataError(source, f"{where}circle_of_health '{ring}' is not listed")
        areas.append(
            LifeArea(
                key=text_field(row, "key", source, where),
                label=text_field(row, "label", source, where),
                circle_of_health=ring,
            )
        )
    area_keys = _unique([a.key for a in areas], source, "areas")
    templates = tuple(
        _template(row, f"templates[{index}]", source, area_keys)
        for index, row in enumerate(object_list(data, "templates", source))
    )
    _unique([t.key for t in templates], source, "templates")
    return TemplateLibrary(
        source=label, circle_of_health=circle, areas=tuple(areas), templates=templates
    )


def _unique(keys: list[str], source: str, what: str) -> set[str]:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise RehabDataError(source, f"{what}: key '{key}' is used twice")
        seen.add(key)
    return seen


def _template(row: dict[str, object], where: str, source: str, areas: set[str]) -> GoalTemplate:
    errors: list[FieldError] = []
    area = text_field(row, "area", source, f"{where}.")
    if area not in areas:
        raise RehabDataError(source, f"{where}.area '{area}' is not in the areas list")
    weeks = row.get("due_weeks")
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 52:
        raise RehabDataError(source, f"{where}.due_weeks must be a whole number from 1 to 52")
    measure = None if row.get("measure") is None else parse_measure(
        row["measure"], f"{where}.measure", errors
    )
    gas = None if row.get("gas") is None else parse_gas(row["gas"], f"{where}.gas", errors)
    step = parse_step(row.get("step"), f"{where}.step", errors)
    if errors or step is None:
        first = errors[0] if errors else FieldError(path=f"{where}.step", message="is required")
        raise RehabDataError(source, f"{first.path}: {first.message}")
    return GoalTemplate(
        key=text_field(row, "key", source, f"{where}."),
        area=area,
        title=text_field(row, "title", source, f"{where}."),
        goal_text=text_field(row, "goal_text", source, f"{where}."),
        measure=measure,
        due_weeks=weeks,
        gas=gas,
        step=step,
    )


@lru_cache(maxsize=1)
def default_library() -> TemplateLibrary:
    """The packaged template file, loaded once."""
    return load_library()


def load_templates(path: Path | None = None) -> tuple[GoalTemplate, ...]:
    """The goal templates of a site's file, or the packaged ones."""
    return (default_library() if path is None else load_library(path)).templates


def life_areas(path: Path | None = None) -> tuple[LifeArea, ...]:
    """The goal domains a clinician can pick, in display order."""
    return (default_library() if path is None else load_library(path)).areas


def goal_from_template(
    template: GoalTemplate, *, key: str, start: date, expressed_by: ExpressedBy | None = None
) -> FunctionalGoal:
    """A goal filled from a template, due `due_weeks` after `start`, ready to edit."""
    return FunctionalGoal(
        key=key,
        domain=template.area,
        description=template.goal_text,
        measure=template.measure,
        start=start,
        due=start + timedelta(weeks=template.due_weeks),
        gas=template.gas,
        steps=(template.step,),
        expressed_by=expressed_by,
    )
