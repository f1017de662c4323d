"""Save a plan with the planned strategy; reconcile when the EHR's answer was lost."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Literal

from fhir_mappers.identifiers import PLAN_ITEM_SYSTEM
from fhir_mappers.narrative import plan_text
from fhir_mappers.note import plan_to_note
from fhir_mappers.plan import plan_to_transaction
from fhir_mappers.provenance import provenance_for
from rehab.plan import ActionPlan
from smartapp.gateway.capabilities import Strategy, WritePlan
from smartapp.gateway.client import FhirClient
from smartapp.gateway.errors import FhirError
from smartapp.handout import build_handout, handout_pdf
from smartapp.writeback.bundle import Entry, bundle_entries
from smartapp.writeback.placement import place_issues, unplaced
from smartapp.writeback.result import (
    Failed,
    SaveResult,
    WriteEvent,
    WriteHook,
    Written,
    no_hook,
    scope_on_refusal,
    written_from_location,
    written_from_resource,
)
from smartapp.writeback.sequential import save_sequential, write_one
from smartapp.writeback.transaction import save_transaction

NOTHING_WRITTEN = "Nothing was written to the EHR: print the plan or download it as a FHIR Bundle."


def save_plan(
    client: FhirClient,
    plan: ActionPlan,
    *,
    write_plan: WritePlan,
    patient_id: str,
    author: str,
    today: date,
    plan_key: str,
    recorded: datetime,
    conditions: Sequence[str] = (),
    activity_style: str = "detail",
    patient_name: str | None = None,
    hook: WriteHook = no_hook,
    on_behalf_of: str | None = None,
) -> SaveResult:
    """Land the plan in the EHR exactly once, with the strategy of `write_plan`.

    `on_behalf_of` ("Organization/<id>", the tenant's) goes into each Provenance (smart.md 73).
    """
    hook = scope_on_refusal(hook, write_plan.granted_scope)
    if write_plan.strategy is Strategy.NOTE:
        text = plan_text(plan)
        pdf = handout_pdf(build_handout(plan, patient_name=patient_name, today=today))
        note = plan_to_note(plan, patient_id=patient_id, author=author, today=today,
                            plan_key=plan_key, text=text, pdf=pdf)
        entry = Entry(full_url="", resource=note, if_none_exist=if_none_exist_for(note))
        result = _save_note(client, entry, write_plan=write_plan, hook=hook)
        return _with_provenance(client, result, write_plan, author=author, recorded=recorded,
                                hook=hook, on_behalf_of=on_behalf_of)
    # Inside a transaction the server rewrites urn:uuid targets to the ids it assigns (FHIR R4
    # http.html#trules), so the Provenance goes in the Bundle, naming resources not yet created.
    # Record by record it is written after the rest (`bundle_entries` leaves it out), naming
    # what landed. The plan is mapped (and validated) once either way.
    in_bundle = write_plan.strategy is Strategy.TRANSACTION and write_plan.provenance
    bundle = plan_to_transaction(
        plan, recorded=recorded if in_bundle else None, on_behalf_of=on_behalf_of,
        patient_id=patient_id, author=author, today=today, plan_key=plan_key,
        activity_style=activity_style, conditions=tuple(conditions),
    )
    if write_plan.strategy is Strategy.EXPORT:
        return SaveResult(strategy=Strategy.EXPORT, written=(), warnings=(NOTHING_WRITTEN,),
                          export_bundle=bundle)
    bundle, dropped = _writable(bundle, write_plan)
    warnings = _dropped_words(dropped)
    if write_plan.strategy is Strategy.TRANSACTION:
        result = save_transaction(client, bundle, hook=hook)
        status = result.failed[0].status if result.failed else None
        unknown = status is not None and (status in (0, 429) or status >= 500)
        refused = status in (400, 405, 501)
        if not unknown and not refused:
            return placed(_add_warnings(result, warnings), plan)
        if refused:
            # A transaction is all or nothing: refused as a whole (e.g. Medplum's limit of 8
            # entries with conditional creates), nothing was written, so record by record.
            warnings += ("The EHR refused the plan as one transaction; it was saved record "
                         "by record instead.",)
        # The EHR may have committed before the answer was lost (smart.md 76): conditional
        # creates find what is there and write only what is missing.
        trips = result.round_trips
        result = save_sequential(client, bundle_entries(bundle),
                                 conditional_create=write_plan.conditional_create, hook=hook,
                                 strategy=Strategy.SEQUENTIAL if refused else Strategy.TRANSACTION)
        if unknown:
            warnings += ("The EHR did not confirm the save; the app checked what it holds and "
                         "completed the save record by record.",)
        result = _add_warnings(result, warnings, extra_trips=trips)
    else:
        result = _add_warnings(
            save_sequential(client, bundle_entries(bundle),
                            conditional_create=write_plan.conditional_create, hook=hook),
            warnings,
        )
    result = placed(result, plan)
    return _with_provenance(client, result, write_plan, author=author, recorded=recorded,
                            hook=hook, on_behalf_of=on_behalf_of)


def placed(result: SaveResult, plan: ActionPlan) -> SaveResult:
    """`result` with each refusal's issues placed on the plan's goals, steps and fields."""
    if not any(f.issues for f in result.failed):
        return result
    failed = tuple(
        replace(f, issues=place_issues([i.issue for i in f.issues], f.sent, plan,
                                       refused=f.refused))
        for f in result.failed
    )
    return replace(result, failed=failed)


def if_none_exist_for(resource: Mapping[str, Any]) -> str | None:
    """The conditional-create query on the app's plan-item identifier of a resource."""
    for item in resource.get("identifier") or ():
        if isinstance(item, Mapping) and item.get("system") == PLAN_ITEM_SYSTEM:
            return f"identifier={PLAN_ITEM_SYSTEM}|{item.get('value')}"
    return None


def _save_note(client: FhirClient, entry: Entry, *, write_plan: WritePlan,
               hook: WriteHook) -> SaveResult:
    before = client.requests_sent
    try:
        item = write_one(client, entry, entry.resource,
                         conditional_create=write_plan.conditional_create)
    except FhirError as exc:
        hook(WriteEvent(action="create:DocumentReference", accepted=False,
                        detail=f"HTTP {exc.status} {type(exc).__name__}"))
        failed = Failed(resource_type="DocumentReference", message=exc.message, status=exc.status,
                        issues=unplaced(exc))
        return SaveResult(strategy=Strategy.NOTE, written=(), failed=(failed,),
                          round_trips=client.requests_sent - before)
    hook(WriteEvent(action="create:DocumentReference", accepted=True,
                    resources=(item.reference,)))
    return SaveResult(
        strategy=Strategy.NOTE, written=(item,), round_trips=client.requests_sent - before,
        warnings=("The EHR does not accept goals from this app: the plan was saved as a "
                  "clinical note.",),
    )


def _writable(
    bundle: Mapping[str, Any], write_plan: WritePlan
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The Bundle without entries the EHR or the token does not allow (e.g. Observations)."""
    keep, dropped = [], []
    for entry in bundle.get("entry") or ():
        rtype = (entry.get("resource") or {}).get("resourceType")
        if rtype == "Observation" and not write_plan.observations:
            dropped.append(rtype)
            continue
        keep.append(entry)
    return {**bundle, "entry": keep}, tuple(dropped)


def _dropped_words(dropped: tuple[str, ...]) -> tuple[str, ...]:
    if not dropped:
        return ()
    return ("The EHR does not accept readiness and barrier observations from this app; they "
            "are in the plan's text instead.",)


def _add_warnings(result: SaveResult, warnings: tuple[str, ...], *,
                  extra_trips: int = 0) -> SaveResult:
    return replace(result, warnings=(*warnings, *result.warnings),
                   round_trips=result.round_trips + extra_trips)


def _with_provenance(client: FhirClient, result: SaveResult, write_plan: WritePlan, *,
                     author: str, recorded: datetime, hook: WriteHook,
                     on_behalf_of: str | None = None) -> SaveResult:
    """Provenance for what this save created (CREATE) and withdrew (UPDATE) (smart.md 73)."""
    if not write_plan.provenance:
        return result
    created = tuple(w for w in result.written if w.created and w.resource_type != "Provenance")
    extra: list[Written] = []
    warnings: list[str] = []
    groups: tuple[tuple[Literal["CREATE", "UPDATE"], tuple[Written, ...]], ...] = (
        ("CREATE", created), ("UPDATE", result.compensated),
    )
    for activity, targets in groups:
        if not targets:
            continue
        refs = tuple(w.reference for w in targets)
        prov = provenance_for(refs, author=author, today_instant=recorded, activity=activity,
                              on_behalf_of=on_behalf_of)
        try:
            answer = client.send("POST", "Provenance", json=prov, retry_safe=False)
        except FhirError as exc:
            # smart.md 73: if the EHR rejects the Provenance, the audit log keeps the record.
            hook(WriteEvent(action="create:Provenance", accepted=False, resources=refs,
                            detail=f"HTTP {exc.status}"))
            warnings.append("The EHR did not accept the provenance record; the app's audit "
                            "log holds it.")
            continue
        made = written_from_resource(answer.json or {}) or written_from_location(
            answer.location, etag=answer.etag)
        if made is not None:
            extra.append(made)
            hook(WriteEvent(action="create:Provenance", accepted=True,
                            resources=(made.reference,)))
    if not extra and not warnings:
        return result
    return replace(result, written=(*result.written, *extra),
                   warnings=(*result.warnings, *warnings),
                   round_trips=result.round_trips + len(extra) + len(warnings))
