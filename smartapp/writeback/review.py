"""Record a goal review: GAS and PEG Observations, then the Goal updated with If-Match.

What a review writes is planned before anything is sent, from the EHR's CapabilityStatement
and the granted scopes (`WritePlan`: `observations`, `goal_update`, `provenance`,
`observations_conditional`):

- The Observations are written when Observation create is allowed. Each is created once: a
  conditional create (`If-None-Exist`) on its app identifier derived from the review key, or a
  search before the create where the EHR does not support conditional create (the plan save's
  own `write_one`). A double submit or a retry with the same review key leaves one set.
- The Goal is updated (PUT with If-Match; a 412 comes back as a `Conflict`) only when Goal
  update is allowed. Where it is not (Oracle Health: Goal is read-only), the review writes the
  scores, leaves the Goal as it is, and says so: `goal_updated=False` and a warning telling the
  clinician to record the status change by hand.
- When neither can be written, nothing is sent: the result is export-style, with the review as
  a FHIR transaction Bundle to download (`export_bundle`) and a warning.

An EHR that advertises the Goal update but then refuses it (403, 405, 501) gets the same answer
as one planned without it: the scores that landed are reported, never a failure of the whole.
Without a `write_plan` the review tries every write and relies on that answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from fhir_mappers.plan import resolve_references
from fhir_mappers.provenance import provenance_for
from fhir_mappers.review import ReviewResources, review_to_resources
from rehab.review import GoalReview
from smartapp.gateway.capabilities import WritePlan
from smartapp.gateway.client import FhirClient
from smartapp.gateway.errors import FhirConflict, FhirError, FhirForbidden
from smartapp.writeback.bundle import Entry
from smartapp.writeback.conflict import Change, Conflict, conflict_between, conflict_since
from smartapp.writeback.result import (
    Failed,
    WriteEvent,
    WriteHook,
    Written,
    if_match,
    no_hook,
    scope_on_refusal,
    version_from_etag,
    written_from_resource,
)
from smartapp.writeback.review_plan import ReviewWrites, by_hand, review_bundle, without_urns
from smartapp.writeback.save import if_none_exist_for
from smartapp.writeback.sequential import write_one

__all__ = ["Change", "Conflict", "ReviewResult", "ReviewWrites", "read_goal", "save_review"]

# Answers that mean "this EHR or this token does not allow the update", not "try again".
_REFUSED = (403, 405, 501)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewResult:
    """What the review left in the EHR: the scores, the Goal's version, the Provenance.

    `goal` is the Goal's version after the review: the new one when `goal_updated`, else the
    one read. `warnings` say in clinician words what to record by hand.
    """

    written: tuple[Written, ...]
    goal: Written
    failed: tuple[Failed, ...] = ()
    warnings: tuple[str, ...] = ()
    goal_updated: bool = True
    scores_saved: bool = True
    export_bundle: Mapping[str, Any] | None = None

    @property
    def complete(self) -> bool:
        """True when the scores and the Goal's new status are both in the EHR."""
        return self.goal_updated and self.scores_saved and not self.failed

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API."""
        data: dict[str, object] = {
            "goal": self.goal.to_dict(),
            "goalUpdated": self.goal_updated,
            "scoresSaved": self.scores_saved,
            "complete": self.complete,
            "written": [w.to_dict() for w in self.written],
            "failed": [f.to_dict() for f in self.failed],
            "warnings": list(self.warnings),
        }
        if self.export_bundle is not None:
            data["bundle"] = dict(self.export_bundle)
        return data


def read_goal(client: FhirClient, goal_id: str) -> tuple[dict[str, Any], str | None, str | None]:
    """The Goal, its version id and its ETag (kept opaque for If-Match)."""
    answer = client.send("GET", f"Goal/{goal_id}", retry_safe=True)
    goal = dict(answer.json or {})
    version = (goal.get("meta") or {}).get("versionId") or version_from_etag(answer.etag)
    return goal, (str(version) if version else None), answer.etag


def save_review(
    client: FhirClient,
    goal_id: str,
    review: GoalReview,
    *,
    patient_id: str,
    author: str,
    today: date,
    recorded: datetime,
    base_version: str | None,
    review_key: str | None = None,
    provenance: bool = True,
    write_plan: WritePlan | None = None,
    hook: WriteHook = no_hook,
    on_behalf_of: str | None = None,
) -> ReviewResult | Conflict:
    """Write what the EHR allows of the review unless the Goal changed since `base_version`.

    `on_behalf_of` ("Organization/<id>", the tenant's) goes into the Provenance (smart.md 73).
    """
    if write_plan is not None:
        hook = scope_on_refusal(hook, write_plan.granted_scope)
    goal, version, etag = read_goal(client, goal_id)
    if base_version is not None and version is not None and base_version != version:
        return conflict_since(client, goal_id, base_version, goal, version)
    made = review_to_resources(review, goal=goal, patient_id=patient_id, author=author,
                               today=today, review_key=review_key)
    writes = ReviewWrites.from_plan(write_plan)
    current = Written(resource_type="Goal", id=goal_id, version_id=version, created=False)
    scores = bool(made.observations)
    if not (scores and writes.observations) and not writes.goal_update:
        return ReviewResult(written=(), goal=current, goal_updated=False, scores_saved=not scores,
                            warnings=(by_hand(review, made.goal, scores_saved=False,
                                              goal_updated=False),),
                            export_bundle=review_bundle(made, goal_id, version))
    written: tuple[Written, ...] = ()
    mapping: dict[str, str] = {}
    if writes.observations:
        written, mapping = _write_observations(client, made, writes.conditional_create, hook)
    updated: Written | None = None
    if writes.goal_update:
        new_goal = without_urns(resolve_references(made.goal, mapping))
        try:
            updated = _update_goal(client, goal_id, new_goal, version, etag, hook)
        except FhirConflict:
            fresh, fresh_version, _ = read_goal(client, goal_id)
            found = conflict_between(goal_id, version, goal, fresh, fresh_version)
            return replace(found, written=written)
    scores_saved = not scores or writes.observations
    warnings: tuple[str, ...] = ()
    if updated is None or not scores_saved:
        warnings = (by_hand(review, made.goal, scores_saved=scores_saved,
                            goal_updated=updated is not None),)
    everything = (*written, *((updated,) if updated else ()))
    # Provenance names what this call changed: a retry that found its scores adds none.
    new = tuple(w for w in everything if w.created or w is updated)
    if provenance and writes.provenance and new:
        prov, refused = _provenance(client, new, author=author, recorded=recorded,
                                    updated=updated is not None, hook=hook,
                                    on_behalf_of=on_behalf_of)
        everything = (*everything, *((prov,) if prov else ()))
        warnings = (*warnings, *((refused,) if refused else ()))
    return ReviewResult(written=everything, goal=updated or current,
                        goal_updated=updated is not None, scores_saved=scores_saved,
                        warnings=warnings)


def _write_observations(
    client: FhirClient, made: ReviewResources, conditional_create: bool, hook: WriteHook
) -> tuple[tuple[Written, ...], dict[str, str]]:
    """Each Observation created once (smart.md 75, 76); urn:uuid -> Observation/id."""
    written: list[Written] = []
    mapping: dict[str, str] = {}
    for obs, full_url in zip(made.observations, made.full_urls, strict=True):
        entry = Entry(full_url=full_url, resource=dict(obs), if_none_exist=if_none_exist_for(obs))
        try:
            item = write_one(client, entry, entry.resource, conditional_create=conditional_create)
        except FhirError as exc:
            hook(WriteEvent(action="create:Observation", accepted=False,
                            detail=f"HTTP {exc.status}"))
            raise
        hook(WriteEvent(action="create:Observation", accepted=True, resources=(item.reference,),
                        detail=None if item.created else "already present"))
        written.append(item)
        mapping[full_url] = f"Observation/{item.id}"
    return tuple(written), mapping


def _update_goal(
    client: FhirClient, goal_id: str, goal: dict[str, Any], version: str | None,
    etag: str | None, hook: WriteHook,
) -> Written | None:
    """PUT the Goal with If-Match; None when the EHR refuses apps this update."""
    # FHIR R4 http.html#concurrency: "If the version id given in the If-Match header does not
    # match, the server returns a 412 Precondition Failed status code instead of updating".
    headers: dict[str, str] = {}
    if etag or version:
        headers["If-Match"] = etag or if_match(str(version))
    try:
        answer = client.send("PUT", f"Goal/{goal_id}", json={**goal, "id": goal_id},
                             headers=headers, retry_safe=bool(headers))
    except FhirError as exc:
        refused = isinstance(exc, FhirForbidden) or exc.status in _REFUSED
        hook(WriteEvent(action="update:Goal", accepted=False, resources=(f"Goal/{goal_id}",),
                        detail="version conflict" if isinstance(exc, FhirConflict)
                        else f"HTTP {exc.status}"))
        if refused:
            return None
        raise
    done = written_from_resource(answer.json or {}, created=False) or Written(
        resource_type="Goal", id=goal_id, version_id=version_from_etag(answer.etag),
        created=False,
    )
    hook(WriteEvent(action="update:Goal", accepted=True, resources=(done.reference,)))
    return done


def _provenance(
    client: FhirClient, targets: tuple[Written, ...], *, author: str, recorded: datetime,
    updated: bool, hook: WriteHook, on_behalf_of: str | None = None,
) -> tuple[Written | None, str | None]:
    """One Provenance for what the review changed; a warning when the EHR refuses it."""
    refs = tuple(w.reference for w in targets)
    prov = provenance_for(refs, author=author, today_instant=recorded,
                          activity="UPDATE" if updated else "CREATE", on_behalf_of=on_behalf_of)
    try:
        answer = client.send("POST", "Provenance", json=prov, retry_safe=False)
    except FhirError as exc:
        # smart.md 73: if the EHR rejects the Provenance, the audit log keeps the record.
        hook(WriteEvent(action="create:Provenance", accepted=False, resources=refs,
                        detail=f"HTTP {exc.status}"))
        return None, "The EHR did not accept the provenance record; the audit log holds it."
    item = written_from_resource(answer.json or {})
    hook(WriteEvent(action="create:Provenance", accepted=True,
                    resources=(item.reference,) if item else ()))
    return item, None
