"""Goals already in the EHR -> GoalSummary: functional or pain-only, the app's own, last review."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from fhir_mappers.codes import GOAL_ACHIEVEMENT, GOAL_CATEGORY, LOINC, PCO_GOAL_DOMAIN, code_lists
from fhir_mappers.goal import goal_domain
from fhir_mappers.identifiers import parse_plan_item
from fhir_mappers.reading import BadResourceError, codings, concept_text, day, items, mapping, text
from rehab import GoalSummary, ReviewRecord

# A goal about pain intensity (clinical.md: a secondary goal only) ...
_PAIN = re.compile(
    r"\b(pain|peg)\b[^.]*\b(score|level|intensity|rating|below|under|less than|or lower|or less|"
    r"\d+\s*(/|out of)\s*10)\b|\b(reduce|decrease|lower|less|control|manage|relieve|no)\b[^.]*"
    r"\bpain\b|\bpain[- ]free\b",
    re.I,
)
# ... unless it also names something the patient wants to do.
_FUNCTION = re.compile(
    r"\b(walk\w*|work\w*|sleep\w*|shop\w*|garden\w*|exercis\w*|swim\w*|lift\w*|stand\w*|"
    r"sit\w*|driv\w*|play\w*|cook\w*|clean\w*|danc\w*|bik\w*|cycl\w*|run\w*|climb\w*|stairs|"
    r"job|social|friends?|family|activit(y|ies)|function\w*|able to|so (that )?i can)\b",
    re.I,
)


def _pain_measure(goal: Mapping[str, Any]) -> bool:
    lists = code_lists()
    pain_codes = lists.nrs | {lists.peg_score, lists.peg_panel}
    return any(
        system == LOINC and code in pain_codes
        for target in items(goal.get("target"))
        for system, code, _ in codings(mapping(target).get("measure"))
    )


def is_pain_only(goal: Mapping[str, Any], description: str) -> bool:
    """True when a goal is about pain intensity only (by area, target measure or wording)."""
    domain = goal_domain(goal)
    if domain is not None:
        return domain in code_lists().pain_only_areas
    if _FUNCTION.search(description):
        return False
    return _pain_measure(goal) or bool(_PAIN.search(description))


def _functional_code(goal: Mapping[str, Any]) -> bool:
    """True when a category, PCO goal domain or target measure is listed as functional."""
    lists = code_lists()
    categories = [
        (system, code)
        for category in items(goal.get("category"))
        for system, code, _ in codings(category)
    ]
    measures = [
        (system, code)
        for target in items(goal.get("target"))
        for system, code, _ in codings(mapping(target).get("measure"))
    ]
    return (
        any(s == GOAL_CATEGORY and c in lists.functional_goal_categories for s, c in categories)
        or any(s == PCO_GOAL_DOMAIN and c in lists.functional_pco_domains for s, c in categories)
        or any(s == LOINC and c in lists.functional_measures for s, c in measures)
    )


def is_functional(
    goal: Mapping[str, Any], description: str, *, pain_only: bool, from_functionfirst: bool
) -> bool:
    """True when a goal is not about pain intensity (`pain_only`, from is_pain_only) and names
    something the patient will do.

    Evidence of the latter, any one of: written by FunctionFirst (its goals are functional by
    construction), a functional category, PCO domain or PROMIS target measure (goal_domains.json),
    or wording that names an activity. A due date or target alone does not make "feel better"
    functional: it says when, not what the patient will do.
    """
    if pain_only:
        return False
    if from_functionfirst or goal_domain(goal) is not None or _functional_code(goal):
        return True
    return bool(_FUNCTION.search(description))


def goal_summary(goal: Mapping[str, Any]) -> GoalSummary:
    """The summary of one Goal; BadResourceError when it has no id or lifecycle status."""
    rid, status = text(goal.get("id")), text(goal.get("lifecycleStatus"))
    if rid is None or status is None:
        raise BadResourceError("id and lifecycleStatus are required")
    description = concept_text(goal.get("description")) or "(no description)"
    achievement = next(
        (
            code
            for system, code, _ in codings(goal.get("achievementStatus"))
            if system == GOAL_ACHIEVEMENT
        ),
        None,
    )
    dues = [day(mapping(t).get("dueDate")) for t in items(goal.get("target"))]
    plan_item = parse_plan_item(goal)
    from_functionfirst = plan_item is not None
    pain_only = is_pain_only(goal, description)
    version = mapping(goal.get("meta")).get("versionId")
    return GoalSummary(
        id=rid,
        description=description,
        lifecycle_status=status,
        achievement_status=achievement,
        start=day(goal.get("startDate")),
        due=next((d for d in dues if d is not None), None),
        is_functional=is_functional(
            goal, description, pain_only=pain_only, from_functionfirst=from_functionfirst
        ),
        is_pain_only=pain_only,
        from_functionfirst=from_functionfirst,
        plan_key=plan_item[0] if plan_item is not None else None,
        version_id=version if isinstance(version, str) else None,
        last_review=None,
        last_gas=None,
    )


def link_reviews(
    goals: tuple[GoalSummary, ...], reviews: tuple[ReviewRecord, ...]
) -> tuple[GoalSummary, ...]:
    """Goals with their latest review (reviews sorted by date, linked by Observation.focus)."""
    latest: dict[str, ReviewRecord] = {}
    for review in reviews:
        if review.goal_id is not None:
            latest[review.goal_id] = review
    return tuple(
        dataclasses.replace(
            goal, last_review=latest[goal.id].when, last_gas=latest[goal.id].gas_score
        )
        if goal.id in latest
        else goal
        for goal in goals
    )
