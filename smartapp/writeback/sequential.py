"""The `sequential` strategy: one conditional create per resource, in dependency order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from fhir_mappers.plan import resolve_references
from smartapp.gateway.capabilities import Strategy
from smartapp.gateway.client import FhirClient
from smartapp.gateway.errors import FhirError, FhirInvalid, FhirUnavailable
from smartapp.writeback.bundle import Entry, unresolved_urns
from smartapp.writeback.placement import unplaced
from smartapp.writeback.result import (
    Failed,
    SaveResult,
    WriteEvent,
    WriteHook,
    Written,
    if_match,
    written_from_location,
    written_from_resource,
)

# Status codes that a retry cannot change: the content or the permission is the problem.
_PERMANENT = (400, 401, 403, 404, 405, 409, 412, 422)


def save_sequential(
    client: FhirClient,
    entries: Sequence[Entry],
    *,
    conditional_create: bool,
    hook: WriteHook,
    strategy: Strategy = Strategy.SEQUENTIAL,
) -> SaveResult:
    """Write each entry (conditional create, or search-before-create); compensate on a hard stop."""
    mapping: dict[str, str] = {}
    written: list[Written] = []
    trips_before = client.requests_sent
    for entry in entries:
        resource = resolve_references(entry.resource, mapping)
        if unresolved_urns(resource):
            failed = Failed(resource_type=entry.resource_type, status=0,
                            message="depends on a record that was not saved")
            return _stop(client, strategy, written, failed, hook, trips_before)
        try:
            item = write_one(client, entry, resource, conditional_create=conditional_create)
        except FhirError as exc:
            hook(WriteEvent(action=f"create:{entry.resource_type}", accepted=False,
                            detail=f"HTTP {exc.status} {type(exc).__name__}"))
            failed = Failed(resource_type=entry.resource_type, status=exc.status,
                            message=exc.message, issues=unplaced(exc), sent=(resource,),
                            refused=0)
            return _stop(client, strategy, written, failed, hook, trips_before)
        hook(WriteEvent(action=f"create:{entry.resource_type}", accepted=True,
                        resources=(item.reference,),
                        detail=None if item.created else "already present"))
        written.append(item)
        if entry.full_url:
            mapping[entry.full_url] = f"{item.resource_type}/{item.id}"
    return SaveResult(strategy=strategy, written=tuple(written),
                      round_trips=client.requests_sent - trips_before)


def write_one(
    client: FhirClient, entry: Entry, resource: Mapping[str, Any], *, conditional_create: bool
) -> Written:
    """Create one resource exactly once (smart.md 75, 76)."""
    item, body = _create_once(client, entry, resource, conditional_create=conditional_create)
    if not item.created and body is not None and withdrawn(body):
        # An earlier save of this plan was withdrawn (compensated: entered-in-error); saving it
        # again puts the new content on the same identifier instead of reviving nothing.
        return _revive(client, item, resource)
    return item


def withdrawn(resource: Mapping[str, Any]) -> bool:
    """True for a resource marked entered-in-error (Goal.lifecycleStatus or .status)."""
    return "entered-in-error" in (resource.get("lifecycleStatus"), resource.get("status"))


def _create_once(
    client: FhirClient, entry: Entry, resource: Mapping[str, Any], *, conditional_create: bool
) -> tuple[Written, Mapping[str, Any] | None]:
    rtype = entry.resource_type
    if entry.if_none_exist and conditional_create:
        # Conditional create: 201 when new, 200 with the existing one when it matched; both
        # safe to repeat, so the gateway may retry it after a timeout or a 503.
        try:
            answer = client.send("POST", rtype, json=resource,
                                 headers={"If-None-Exist": entry.if_none_exist}, retry_safe=True)
            # A match (200) right after a send whose answer was lost is most likely what that
            # send created: this save's write, which its Provenance must name (smart.md 73).
            made = _written(client, answer.json, answer.location, answer.etag, answer.status,
                            created=answer.status == 201 or answer.after_lost_answer)
            return made, answer.json
        except FhirInvalid as exc:
            # Some EHRs refuse If-None-Exist with a 400 although they did not say so (smart.md
            # 76): fall back to search-before-create; an invalid resource fails there again.
            # A 422 is about the content itself (FHIR http.html#2.21.0.10): no second try.
            if exc.status != 400:
                raise
    if entry.if_none_exist:
        found = find_existing_resource(client, rtype, entry.if_none_exist,
                                       narrow=_narrowing(resource))
        if found is not None:
            return found
    try:
        answer = client.send("POST", rtype, json=resource, retry_safe=False)
    except FhirUnavailable:
        # smart.md 76: never blindly repeat a plain POST; look first, create only if absent.
        # (A race window remains if the server commits after this search: documented.)
        if not entry.if_none_exist:
            raise
        found = find_existing_resource(client, rtype, entry.if_none_exist,
                                       narrow=_narrowing(resource))
        if found is not None:
            # Absent before the POST, present after it: the POST whose answer was lost made it.
            return replace(found[0], created=True), found[1]
        answer = client.send("POST", rtype, json=resource, retry_safe=False)
    made = _written(client, answer.json, answer.location, answer.etag, answer.status,
                    created=answer.status == 201)
    return made, answer.json


def _revive(client: FhirClient, item: Written, resource: Mapping[str, Any]) -> Written:
    headers = {"If-Match": if_match(item.version_id)} if item.version_id else {}
    answer = client.send("PUT", f"{item.resource_type}/{item.id}",
                         json={**resource, "id": item.id}, headers=headers,
                         retry_safe=bool(headers))
    revived = written_from_resource(answer.json or {}, created=True)
    return revived or Written(resource_type=item.resource_type, id=item.id, version_id=None)


def find_existing_resource(
    client: FhirClient,
    resource_type: str,
    query: str,
    *,
    narrow: tuple[tuple[str, str], ...] = (),
) -> tuple[Written, Mapping[str, Any]] | None:
    """The match of a conditional-create query and its body, if the EHR already has one."""
    params = (*narrow, *parse_qsl(query, keep_blank_values=True))
    answer = client.send("GET", resource_type, params=params, retry_safe=True)
    for raw in (answer.json or {}).get("entry") or ():
        resource = raw.get("resource") if isinstance(raw, Mapping) else None
        if isinstance(resource, Mapping) and resource.get("resourceType") == resource_type:
            item = written_from_resource(resource, created=False)
            if item is not None:
                return item, resource
    return None


def _narrowing(resource: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Search parameters EHRs insist on: the patient (smart.md 76: GET /Goal?patient=X&
    identifier=..., patient-scoped tokens need it) and, for Observations, the code (Epic
    refuses Observation searches without a category or a code)."""
    params: list[tuple[str, str]] = []
    subject = resource.get("subject")
    ref = subject.get("reference") if isinstance(subject, Mapping) else None
    if isinstance(ref, str) and ref.startswith("Patient/"):
        params.append(("patient", ref.removeprefix("Patient/")))
    if resource.get("resourceType") == "Observation":
        codings = (resource.get("code") or {}).get("coding") or ()
        first = next((c for c in codings if c.get("system") and c.get("code")), None)
        if first:
            params.append(("code", f"{first['system']}|{first['code']}"))
    return tuple(params)


def _written(
    client: FhirClient,
    body: Mapping[str, Any] | None,
    location: str | None,
    etag: str | None,
    status: int,
    *,
    created: bool,
) -> Written:
    if body and body.get("resourceType") not in (None, "OperationOutcome"):
        item = written_from_resource(body, created=created)
        if item is not None:
            return item
    item = written_from_location(location, etag=etag, created=created)
    if item is None:
        raise FhirError("The EHR did not say what it created", status=status)
    if item.version_id is None:
        # smart.md 78: an empty body and no version: read the resource back.
        read = client.send("GET", f"{item.resource_type}/{item.id}", retry_safe=True)
        return written_from_resource(read.json or {}, created=created) or item
    return item


def _stop(
    client: FhirClient,
    strategy: Strategy,
    written: list[Written],
    failed: Failed,
    hook: WriteHook,
    trips_before: int,
) -> SaveResult:
    compensated: list[Written] = []
    warnings: list[str] = []
    if failed.status in _PERMANENT:
        # smart.md 79: a step that can never succeed leaves no half plan behind: the Goals
        # created by this save are marked entered-in-error (delete is rarely granted).
        for item in written:
            if item.created and item.resource_type == "Goal":
                withdrawn_goal = compensate_goal(client, item, hook)
                if withdrawn_goal is not None:
                    compensated.append(withdrawn_goal)
                else:
                    warnings.append(f"Goal/{item.id} could not be withdrawn; please check it.")
    else:
        warnings.append("Saving stopped part-way; saving again completes it without duplicates.")
    gone = {(w.resource_type, w.id) for w in compensated}
    kept = tuple(w for w in written if (w.resource_type, w.id) not in gone)
    return SaveResult(strategy=strategy, written=kept, failed=(failed,),
                      compensated=tuple(compensated), warnings=tuple(warnings),
                      round_trips=client.requests_sent - trips_before)


def compensate_goal(client: FhirClient, item: Written, hook: WriteHook) -> Written | None:
    """Set a Goal this save created to entered-in-error (If-Match its version); its new
    version, or None when the EHR refused."""
    try:
        current = client.send("GET", f"Goal/{item.id}", retry_safe=True)
        goal = dict(current.json or {})
        goal["lifecycleStatus"] = "entered-in-error"
        version = item.version_id or ((goal.get("meta") or {}).get("versionId"))
        headers = {"If-Match": current.etag or if_match(str(version))} if version else {}
        answer = client.send("PUT", f"Goal/{item.id}", json=goal, headers=headers,
                             retry_safe=bool(headers))
    except FhirError as exc:
        hook(WriteEvent(action="compensate:Goal", accepted=False, resources=(item.reference,),
                        detail=f"HTTP {exc.status}"))
        return None
    done = written_from_resource(answer.json or {}, created=False) or item
    hook(WriteEvent(action="compensate:Goal", accepted=True, resources=(done.reference,)))
    return done
