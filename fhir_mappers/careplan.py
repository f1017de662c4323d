"""ActionPlan <-> FHIR CarePlan (US Core CarePlan, generated narrative, assess-plan category)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from fhir_mappers import extensions as x
from fhir_mappers.codes import CAREPLAN_CATEGORY, PERTAINS_TO_GOAL, SNOMED, US_CORE_CAREPLAN
from fhir_mappers.errors import UnreadableResourceError
from fhir_mappers.goal import goal_from_fhir
from fhir_mappers.identifiers import identifiers_for, uri_identifier
from fhir_mappers.narrative import plan_xhtml
from fhir_mappers.steps import step_from_detail, step_from_request
from rehab import ActionPlan, ActionStep, ExpressedBy, FollowUp, FunctionalGoal

TITLE = "Pain rehabilitation goals and action plan"


def _plan_extensions(plan: ActionPlan) -> list[dict[str, Any]]:
    # The plan's own fields, kept exactly so the app can read its plan back (round trip);
    # the confidence/importance/barrier Observations carry the same facts in PCO form.
    items = [
        x.ext(x.PLAN_EXPRESSED_BY, "Code", plan.expressed_by.value),
        x.ext(x.CONFIDENCE, "Integer", plan.confidence),
    ]
    if plan.importance is not None:
        items.append(x.ext(x.IMPORTANCE, "Integer", plan.importance))
    items.extend(x.ext(x.BARRIER, "String", text) for text in plan.barriers)
    items.extend(x.ext(x.SUPPORT, "String", text) for text in plan.supports)
    if plan.follow_up.check_in is not None:
        items.append(x.ext(x.CHECK_IN, "Date", plan.follow_up.check_in.isoformat()))
    items.append(x.ext(x.REVIEW_DATE, "Date", plan.follow_up.review.isoformat()))
    if plan.override_reason:
        items.append(x.ext(x.OVERRIDE_REASON, "String", plan.override_reason))
    return items


def careplan_to_fhir(
    plan: ActionPlan,
    *,
    goal_refs: Sequence[str],
    activities: Sequence[dict[str, Any]],
    patient_ref: str,
    author: str,
    today: date,
    plan_key: str,
    addresses: Sequence[str] = (),
    previous_careplan_id: str | None = None,
) -> dict[str, Any]:
    """A US Core CarePlan for the plan (not yet validated; ids absent)."""
    end = max(goal.due for goal in plan.goals) if plan.goals else plan.follow_up.review
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "meta": {"profile": [US_CORE_CAREPLAN]},
        # US Core 3.1.1: text 1..1, generated; the plain-language plan.
        "text": {"status": "generated", "div": plan_xhtml(plan)},
        "extension": _plan_extensions(plan),
        "identifier": identifiers_for(plan_key, "careplan", 0),
        "status": "active",
        "intent": "plan",
        "category": [
            {
                "coding": [
                    {
                        "system": CAREPLAN_CATEGORY,
                        "code": "assess-plan",
                        "display": "Assessment and Plan of Treatment",
                    }
                ]
            },
            {
                "coding": [
                    {
                        "system": SNOMED,
                        "code": "408957008",
                        "display": "Chronic pain control management",
                    }
                ]
            },
        ],
        "title": TITLE,
        "description": plan.what_matters,
        "subject": {"reference": patient_ref},
        "period": {"start": today.isoformat(), "end": max(end, today).isoformat()},
        "created": today.isoformat(),
        "author": {"reference": author},
        "contributor": [{"reference": author}, {"reference": patient_ref}],
        "goal": [{"reference": ref} for ref in goal_refs],
        "activity": list(activities),
    }
    if previous_careplan_id:
        resource["replaces"] = [{"reference": f"CarePlan/{previous_careplan_id}"}]
    if addresses:
        resource["addresses"] = [{"reference": ref} for ref in addresses]
    if not resource["activity"]:
        del resource["activity"]
    return resource


def _names(resource: Mapping[str, Any], kind: str) -> set[str]:
    names = set()
    if isinstance(resource.get("id"), str):
        names.add(f"{kind}/{resource['id']}")
    uri = uri_identifier(resource)
    if uri is not None:
        names.add(uri)
    return names


def _matches(reference: object, names: set[str]) -> bool:
    if not isinstance(reference, Mapping) or not isinstance(reference.get("reference"), str):
        return False
    ref = str(reference["reference"])
    # Absolute URLs and versioned references still name the same resource.
    ref = ref.split("/_history/")[0]
    return any(ref == name or ref.endswith("/" + name) for name in names)


def _steps_by_goal(
    careplan: Mapping[str, Any],
    goals: Sequence[Mapping[str, Any]],
    requests: Sequence[Mapping[str, Any]],
) -> list[list[ActionStep]]:
    goal_names = [_names(goal, "Goal") for goal in goals]
    steps: list[list[ActionStep]] = [[] for _ in goals]
    for activity in careplan.get("activity") or []:
        detail = activity.get("detail")
        if isinstance(detail, Mapping):
            step, links = step_from_detail(detail), detail.get("goal") or []
        else:
            request = next(
                (
                    r
                    for r in requests
                    if _matches(activity.get("reference"), _names(r, "ServiceRequest"))
                ),
                None,
            )
            if request is None:
                raise UnreadableResourceError("CarePlan", "an activity's ServiceRequest is missing")
            step = step_from_request(request)
            links = [
                e.get("valueReference")
                for e in request.get("extension") or []
                if e.get("url") == PERTAINS_TO_GOAL
            ]
        for index, names in enumerate(goal_names):
            if any(_matches(link, names) for link in links):
                steps[index].append(step)
                break
    return steps


def careplan_from_fhir(
    careplan: Mapping[str, Any],
    goals: Sequence[Mapping[str, Any]],
    service_requests: Sequence[Mapping[str, Any]] = (),
) -> ActionPlan:
    """The ActionPlan the app wrote, from its CarePlan, Goals (in plan order) and steps."""
    try:
        ordered = [
            g
            for ref in careplan.get("goal") or []
            for g in goals
            if _matches(ref, _names(g, "Goal"))
        ]
        steps = _steps_by_goal(careplan, ordered, service_requests)
        built: list[FunctionalGoal] = [
            goal_from_fhir(goal, steps=tuple(found))
            for goal, found in zip(ordered, steps, strict=True)
        ]
        review = x.ext_value(careplan, x.REVIEW_DATE, "Date")
        check_in = x.ext_value(careplan, x.CHECK_IN, "Date")
        confidence = x.ext_value(careplan, x.CONFIDENCE, "Integer")
        if not isinstance(review, str) or not isinstance(confidence, int):
            raise UnreadableResourceError("CarePlan", "not written by this app")
        return ActionPlan(
            what_matters=str(careplan.get("description") or ""),
            expressed_by=ExpressedBy(x.ext_value(careplan, x.PLAN_EXPRESSED_BY, "Code")),
            goals=tuple(built),
            confidence=confidence,
            importance=x.ext_value(careplan, x.IMPORTANCE, "Integer"),
            barriers=tuple(str(v) for v in x.ext_values(careplan, x.BARRIER, "String")),
            supports=tuple(str(v) for v in x.ext_values(careplan, x.SUPPORT, "String")),
            follow_up=FollowUp(
                check_in=None if check_in is None else date.fromisoformat(str(check_in)),
                review=date.fromisoformat(review),
            ),
            override_reason=x.ext_value(careplan, x.OVERRIDE_REASON, "String"),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise UnreadableResourceError("CarePlan", str(error)) from error
