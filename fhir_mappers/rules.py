"""Rules the R4B models do not check: required-binding codes, invariants, US Core must-haves."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from fhir_mappers.bindings import (
    ACTIVITY_KIND,
    ACTIVITY_STATUS,
    BUNDLE_TYPES,
    CAREPLAN_INTENT,
    DOCUMENT_STATUS,
    GOAL_STATUS,
    HTTP_VERBS,
    NARRATIVE_STATUS,
    OBSERVATION_STATUS,
    PERIOD_UNITS,
    REQUEST_INTENT,
    REQUEST_STATUS,
    US_CORE_NARRATIVE_STATUS,
)
from fhir_mappers.codes import CAREPLAN_CATEGORY
from fhir_mappers.identifiers import PLAN_ITEM_SYSTEM

XHTML = "http://www.w3.org/1999/xhtml"
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")

Problems = list[str]
# (element, allowed codes, value set name) of a required binding.
Bindings = tuple[tuple[str, frozenset[str], str], ...]


def _code(problems: Problems, path: str, value: object, allowed: frozenset[str], name: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or value not in allowed:
        problems.append(f"{path}: {value!r} is not a {name} code")


def _codes(problems: Problems, element: Mapping[str, Any], path: str, bindings: Bindings) -> None:
    for key, allowed, name in bindings:
        _code(problems, f"{path}.{key}", element.get(key), allowed, name)


def _required(problems: Problems, resource: Mapping[str, Any], path: str, *keys: str) -> None:
    for key in keys:
        if resource.get(key) in (None, "", [], {}):
            problems.append(f"{path}.{key}: required")


def _day(value: object) -> date | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value[:10]) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _is_patient_ref(value: object) -> bool:
    if not isinstance(value, Mapping):
        return False
    ref = value.get("reference")
    return isinstance(ref, str) and (ref.startswith("Patient/") or ref.startswith("urn:uuid:"))


def _is_app_resource(resource: Mapping[str, Any]) -> bool:
    items = resource.get("identifier")
    return isinstance(items, list) and any(
        isinstance(item, Mapping) and item.get("system") == PLAN_ITEM_SYSTEM for item in items
    )


def check_narrative(problems: Problems, text: object, path: str) -> None:
    """Narrative rules: a status code and a well-formed XHTML div in the XHTML namespace."""
    if not isinstance(text, Mapping):
        problems.append(f"{path}: required")
        return
    _code(problems, f"{path}.status", text.get("status"), NARRATIVE_STATUS, "narrative-status")
    div = text.get("div")
    if not isinstance(div, str) or not div.startswith(f'<div xmlns="{XHTML}"'):
        problems.append(f'{path}.div: must start with <div xmlns="{XHTML}"')
        return
    if "<!" in div or "<?" in div:
        # R4 txt-1/txt-2: XHTML only; a DOCTYPE, entity declaration or PI is never valid here.
        problems.append(f"{path}.div: declarations and processing instructions are not allowed")
        return
    try:
        root = ET.fromstring(div)  # noqa: S314 - no DTD can reach the parser (checked above)
    except ET.ParseError as error:
        problems.append(f"{path}.div: not well-formed XHTML ({error})")
        return
    if root.tag != f"{{{XHTML}}}div":
        problems.append(f"{path}.div: the root element must be an XHTML div")
    for element in root.iter():
        if element.tag.split("}")[-1] in {"script", "form", "iframe", "object", "embed"}:
            problems.append(f"{path}.div: <{element.tag.split('}')[-1]}> is not allowed (txt-1)")


def _check_goal(goal: Mapping[str, Any], problems: Problems) -> None:
    description = goal.get("description")
    if isinstance(description, Mapping) and not (
        description.get("text") or description.get("coding")
    ):
        problems.append("Goal.description: needs text or a coding")
    if "subject" in goal and not _is_patient_ref(goal.get("subject")):
        problems.append("Goal.subject: must reference a Patient")
    start = _day(goal.get("startDate"))
    targets = goal.get("target") or []
    dues: list[date] = []
    for index, target in enumerate(targets if isinstance(targets, list) else []):
        if not isinstance(target, Mapping):
            continue
        has_detail = any(key.startswith("detail") for key in target)
        # R4 invariant gol-1: Goal.target.measure is required if Goal.target.detail is populated.
        if has_detail and not target.get("measure"):
            problems.append(f"Goal.target[{index}]: gol-1 (a detail needs a measure)")
        due = _day(target.get("dueDate"))
        if due is not None:
            dues.append(due)
            if start is not None and due < start:
                problems.append(f"Goal.target[{index}].dueDate: before startDate")
    if _is_app_resource(goal):
        # US Core 6.1+: the client SHALL support both startDate and target.dueDate;
        # 8.0 adds expressedBy as Must Support. The app always sends all three.
        if start is None:
            problems.append("Goal.startDate: required for the app's goals (US Core 6.1+)")
        if not dues:
            problems.append("Goal.target.dueDate: required for the app's goals (US Core 6.1+)")
        if not goal.get("expressedBy"):
            problems.append("Goal.expressedBy: required for the app's goals (US Core 8.0)")


def _check_activity(activity: Mapping[str, Any], index: int, problems: Problems) -> None:
    path = f"CarePlan.activity[{index}]"
    detail = activity.get("detail")
    # R4 invariant cpl-3: provide a reference or detail, not both.
    if detail and activity.get("reference"):
        problems.append(f"{path}: cpl-3 (reference or detail, not both)")
    if isinstance(detail, Mapping):
        if not detail.get("status"):
            problems.append(f"{path}.detail.status: required")
        _codes(problems, detail, f"{path}.detail", ACTIVITY_BINDINGS)
        _check_timing(detail.get("scheduledTiming"), f"{path}.detail.scheduledTiming", problems)


def _check_timing(timing: object, path: str, problems: Problems) -> None:
    if not isinstance(timing, Mapping) or not isinstance(timing.get("repeat"), Mapping):
        return
    repeat = timing["repeat"]
    _codes(problems, repeat, f"{path}.repeat", (("periodUnit", PERIOD_UNITS, "units-of-time"),))
    bounds = repeat.get("boundsPeriod")
    if isinstance(bounds, Mapping):
        _check_period(bounds, f"{path}.repeat.boundsPeriod", problems)


def _check_period(period: Mapping[str, Any], path: str, problems: Problems) -> None:
    start, end = _day(period.get("start")), _day(period.get("end"))
    if start is not None and end is not None and end < start:
        problems.append(f"{path}: end before start (per-1)")


def _check_careplan(plan: Mapping[str, Any], problems: Problems) -> None:
    if "subject" in plan and not _is_patient_ref(plan.get("subject")):
        problems.append("CarePlan.subject: must reference a Patient")
    # US Core 3.1.1: text 1..1 with status generated | additional.
    check_narrative(problems, plan.get("text"), "CarePlan.text")
    text = plan.get("text")
    if isinstance(text, Mapping) and text.get("status") not in US_CORE_NARRATIVE_STATUS:
        problems.append("CarePlan.text.status: US Core needs generated or additional")
    # US Core 3.1.1-7.0: category slice AssessPlan 1..1 (optional only from 8.0).
    categories = plan.get("category") or []
    if not any(
        isinstance(coding, Mapping)
        and coding.get("system") == CAREPLAN_CATEGORY
        and coding.get("code") == "assess-plan"
        for category in categories
        if isinstance(category, Mapping)
        for coding in category.get("coding") or []
    ):
        problems.append("CarePlan.category: needs the US Core assess-plan coding")
    if isinstance(plan.get("period"), Mapping):
        _check_period(plan["period"], "CarePlan.period", problems)
    for index, activity in enumerate(plan.get("activity") or []):
        if isinstance(activity, Mapping):
            _check_activity(activity, index, problems)
    if _is_app_resource(plan):
        # US Core 8.0 lists contributor as an additional USCDI requirement; goal SHOULD be present.
        _required(problems, plan, "CarePlan", "contributor", "goal")


def _check_observation(obs: Mapping[str, Any], problems: Problems) -> None:
    if "subject" in obs and not _is_patient_ref(obs.get("subject")):
        problems.append("Observation.subject: must reference a Patient")


def _check_service_request(request: Mapping[str, Any], problems: Problems) -> None:
    _check_timing(request.get("occurrenceTiming"), "ServiceRequest.occurrenceTiming", problems)


def _check_bundle(bundle: Mapping[str, Any], problems: Problems) -> None:
    for index, entry in enumerate(bundle.get("entry") or []):
        if not isinstance(entry, Mapping):
            problems.append(f"Bundle.entry[{index}]: not an object")
            continue
        request = entry.get("request")
        if isinstance(request, Mapping):
            _codes(problems, request, f"Bundle.entry[{index}].request", REQUEST_METHOD)
        resource = entry.get("resource")
        if isinstance(resource, Mapping):
            problems.extend(f"Bundle.entry[{index}].{p}" for p in check_resource(resource))


ACTIVITY_BINDINGS: Bindings = (
    ("status", ACTIVITY_STATUS, "care-plan-activity-status"),
    ("kind", ACTIVITY_KIND, "care-plan-activity-kind"),
)
REQUEST_METHOD: Bindings = (("method", HTTP_VERBS, "http-verb"),)
# Per resource type, checked in this order: elements that must be present (US Core Goal
# 3.1.1-8.0: lifecycleStatus, description and subject are 1..1 in every version), the
# required-binding codes, then the type's own rules.
REQUIRED: dict[str, tuple[str, ...]] = {
    "Goal": ("lifecycleStatus", "description", "subject"),
    "CarePlan": ("status", "intent", "subject", "category"),
    "Observation": ("status", "code"),
    "ServiceRequest": ("status", "intent", "subject", "code"),
    "Provenance": ("target", "recorded", "agent"),
    "DocumentReference": ("status", "content", "subject", "type"),
}
BINDINGS: dict[str, Bindings] = {
    "Goal": (("lifecycleStatus", GOAL_STATUS, "goal-status"),),
    "CarePlan": (
        ("status", REQUEST_STATUS, "request-status"),
        ("intent", CAREPLAN_INTENT, "care-plan-intent"),
    ),
    "Observation": (("status", OBSERVATION_STATUS, "observation-status"),),
    "ServiceRequest": (
        ("status", REQUEST_STATUS, "request-status"),
        ("intent", REQUEST_INTENT, "request-intent"),
    ),
    "DocumentReference": (("status", DOCUMENT_STATUS, "document-reference-status"),),
    "Bundle": (("type", BUNDLE_TYPES, "bundle-type"),),
}
CHECKS: dict[str, Callable[[Mapping[str, Any], Problems], None]] = {
    "Goal": _check_goal,
    "CarePlan": _check_careplan,
    "Observation": _check_observation,
    "ServiceRequest": _check_service_request,
    "Bundle": _check_bundle,
}


def check_resource(resource: Mapping[str, Any]) -> list[str]:
    """Every problem the R4B models miss, as "Path: message"; empty when the resource is fine."""
    problems: Problems = []
    kind = resource.get("resourceType")
    if isinstance(kind, str):
        _required(problems, resource, kind, *REQUIRED.get(kind, ()))
        _codes(problems, resource, kind, BINDINGS.get(kind, ()))
        check = CHECKS.get(kind)
        if check is not None:
            check(resource, problems)
    text = resource.get("text")
    if text is not None and kind != "CarePlan":
        check_narrative(problems, text, f"{kind}.text")
    return problems
