"""A saved plan as FHIR: Goals, action steps, CarePlan, Observations, and the transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from fhir_mappers.careplan import careplan_to_fhir
from fhir_mappers.goal import goal_to_fhir
from fhir_mappers.identifiers import check_key, identifiers_for, if_none_exist, plan_uuid
from fhir_mappers.observations import barrier_observation, readiness_observation
from fhir_mappers.provenance import provenance_for
from fhir_mappers.steps import step_detail, step_index, step_request
from fhir_mappers.validate import validated
from rehab import ActionPlan

ActivityStyle = Literal["detail", "reference"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanEntry:
    """One resource to write, its urn:uuid fullUrl and its conditional-create query."""

    full_url: str
    resource: dict[str, Any]
    if_none_exist: str

    @property
    def resource_type(self) -> str:
        """The resource's type."""
        return str(self.resource["resourceType"])


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanResources:
    """Every resource of a saved plan, validated, ids absent, linked by urn:uuid fullUrls."""

    goals: tuple[PlanEntry, ...]
    service_requests: tuple[PlanEntry, ...]
    careplan: PlanEntry
    observations: tuple[PlanEntry, ...]

    def entries(self) -> tuple[PlanEntry, ...]:
        """Every entry in dependency order: goals, steps, care plan, observations."""
        return (*self.goals, *self.service_requests, self.careplan, *self.observations)

    def all(self) -> tuple[dict[str, Any], ...]:
        """Every resource in dependency order."""
        return tuple(entry.resource for entry in self.entries())

    @property
    def full_urls(self) -> tuple[str, ...]:
        """The fullUrls, aligned with all()."""
        return tuple(entry.full_url for entry in self.entries())


def _condition_ref(condition: str) -> str:
    return condition if condition.startswith("Condition/") else f"Condition/{condition}"


def _entry(resource: dict[str, Any], plan_key: str, kind: str, index: int | str) -> PlanEntry:
    return PlanEntry(
        full_url=plan_uuid(plan_key, kind, index),
        resource=validated(resource),
        if_none_exist=if_none_exist(plan_key, kind, index),
    )


def plan_to_resources(
    plan: ActionPlan,
    *,
    patient_id: str,
    author: str,
    today: date,
    plan_key: str,
    activity_style: ActivityStyle = "detail",
    conditions: Sequence[str] = (),
    previous_careplan_id: str | None = None,
) -> PlanResources:
    """Every resource of a saved plan; the same plan and key always give the same identifiers."""
    check_key(plan_key)
    if activity_style not in ("detail", "reference"):
        raise ValueError(f"activity_style must be 'detail' or 'reference', not {activity_style!r}")
    patient_ref = f"Patient/{patient_id}"
    addresses = [_condition_ref(c) for c in conditions]
    goal_refs = [plan_uuid(plan_key, "goal", goal.key) for goal in plan.goals]
    goals = tuple(
        _entry(
            goal_to_fhir(
                goal,
                expressed_by=plan.goal_expressed_by(goal),
                patient_ref=patient_ref,
                author=author,
                today=today,
                plan_key=plan_key,
                addresses=addresses,
            ),
            plan_key,
            "goal",
            goal.key,
        )
        for goal in plan.goals
    )
    activities: list[dict[str, Any]] = []
    requests: list[PlanEntry] = []
    for goal, goal_ref in zip(plan.goals, goal_refs, strict=True):
        for position, step in enumerate(goal.steps):
            if activity_style == "detail":
                activities.append(
                    step_detail(step, goal, goal_ref=goal_ref, patient_ref=patient_ref)
                )
                continue
            index = step_index(goal, position)
            request = _entry(
                step_request(
                    step,
                    goal,
                    position,
                    goal_ref=goal_ref,
                    patient_ref=patient_ref,
                    author=author,
                    today=today,
                    plan_key=plan_key,
                ),
                plan_key,
                "step",
                index,
            )
            requests.append(request)
            activities.append(
                {
                    "reference": {
                        "reference": request.full_url,
                        "display": step.what or "Action step",
                    }
                }
            )
    careplan = _entry(
        careplan_to_fhir(
            plan,
            goal_refs=goal_refs,
            activities=activities,
            patient_ref=patient_ref,
            author=author,
            today=today,
            plan_key=plan_key,
            addresses=addresses,
            previous_careplan_id=previous_careplan_id,
        ),
        plan_key,
        "careplan",
        0,
    )
    rulers = (("confidence", plan.confidence), ("importance", plan.importance))
    observations = [
        _entry(
            readiness_observation(
                kind,
                value,
                patient_ref=patient_ref,
                focus=goal_refs,
                today=today,
                identifier=identifiers_for(plan_key, kind, 0),
            ),
            plan_key,
            kind,
            0,
        )
        for kind, value in rulers
        if value is not None
    ]
    for number, text in enumerate(plan.barriers):
        observations.append(
            _entry(
                barrier_observation(
                    text,
                    patient_ref=patient_ref,
                    focus=goal_refs,
                    today=today,
                    identifier=identifiers_for(plan_key, "barrier", number),
                ),
                plan_key,
                "barrier",
                number,
            )
        )
    return PlanResources(
        goals=goals,
        service_requests=tuple(requests),
        careplan=careplan,
        observations=tuple(observations),
    )


def plan_to_transaction(
    plan: ActionPlan,
    *,
    recorded: datetime | None = None,
    on_behalf_of: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """A transaction Bundle (POST + ifNoneExist per entry); with `recorded`, a Provenance too.

    `on_behalf_of` is the Provenance's organisation (see `provenance_for`).
    """
    resources = plan_to_resources(plan, **options)
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": entry.full_url,
            "resource": entry.resource,
            "request": {
                "method": "POST",
                "url": entry.resource_type,
                "ifNoneExist": entry.if_none_exist,
            },
        }
        for entry in resources.entries()
    ]
    if recorded is not None:
        provenance = provenance_for(
            resources.full_urls,
            author=str(options["author"]),
            today_instant=recorded,
            on_behalf_of=on_behalf_of,
        )
        entries.append({"resource": provenance, "request": {"method": "POST", "url": "Provenance"}})
    return validated({"resourceType": "Bundle", "type": "transaction", "entry": entries})


def resolve_references(resource: Mapping[str, Any], written: Mapping[str, str]) -> dict[str, Any]:
    """A copy with each urn:uuid reference replaced by its written "Type/id" (sequential writes)."""

    def walk(value: Any) -> Any:
        if isinstance(value, Mapping):
            out = {key: walk(item) for key, item in value.items()}
            ref = out.get("reference")
            if isinstance(ref, str) and ref in written:
                out["reference"] = written[ref]
            return out
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    result: dict[str, Any] = walk(resource)
    return result
