"""Record a goal review: GAS and PEG Observations, then the Goal updated with If-Match."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fhir_mappers.provenance import provenance_for
from fhir_mappers.review import review_to_resources
from rehab.review import GoalReview
from smartapp.gateway.client import FhirClient
from smartapp.gateway.errors import FhirConflict, FhirError, FhirNotFound
from smartapp.writeback.bundle import Entry, rewrite_references
from smartapp.writeback.result import (
    Failed,
    WriteEvent,
    WriteHook,
    Written,
    if_match,
    no_hook,
    version_from_etag,
    written_from_resource,
)
from smartapp.writeback.save import if_none_exist_for
from smartapp.writeback.sequential import write_one


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One element of the Goal that someone else changed."""

    field: str
    before: str | None
    after: str | None

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API."""
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True, kw_only=True)
class Conflict:
    """The Goal changed since the reviewer read it: what changed, and the current version."""

    goal_id: str
    base_version: str | None
    current_version: str | None
    changes: tuple[Change, ...]
    current: Mapping[str, Any]
    written: tuple[Written, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API's 409 answer."""
        return {
            "goalId": self.goal_id,
            "baseVersion": self.base_version,
            "currentVersion": self.current_version,
            "changes": [c.to_dict() for c in self.changes],
            "written": [w.to_dict() for w in self.written],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewResult:
    """What the review wrote: the Observations, the Goal's new version, the Provenance."""

    written: tuple[Written, ...]
    goal: Written
    failed: tuple[Failed, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API."""
        return {
            "goal": self.goal.to_dict(),
            "written": [w.to_dict() for w in self.written],
            "failed": [f.to_dict() for f in self.failed],
            "warnings": list(self.warnings),
        }


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
    hook: WriteHook = no_hook,
) -> ReviewResult | Conflict:
    """Write the review unless the Goal changed since `base_version`; then return the conflict."""
    goal, version, etag = read_goal(client, goal_id)
    if base_version is not None and version is not None and base_version != version:
        return conflict_since(client, goal_id, base_version, goal, version)
    made = review_to_resources(review, goal=goal, patient_id=patient_id, author=author,
                               today=today, review_key=review_key)
    written: list[Written] = []
    mapping: dict[str, str] = {}
    for obs, full_url in zip(made.observations, made.full_urls, strict=True):
        entry = Entry(full_url=full_url, resource=dict(obs),
                      if_none_exist=if_none_exist_for(obs))
        try:
            item = write_one(client, entry, entry.resource, conditional_create=True)
        except FhirError as exc:
            hook(WriteEvent(action="create:Observation", accepted=False,
                            detail=f"HTTP {exc.status}"))
            raise
        hook(WriteEvent(action="create:Observation", accepted=True, resources=(item.reference,)))
        written.append(item)
        if entry.full_url:
            mapping[entry.full_url] = f"Observation/{item.id}"
    updated = rewrite_references(dict(made.goal), mapping)
    updated["id"] = goal_id
    # FHIR R4 http.html#concurrency: "If the version id given in the If-Match header does not
    # match, the server returns a 412 Precondition Failed status code instead of updating".
    headers: dict[str, str] = {}
    if etag or version:
        headers["If-Match"] = etag or if_match(str(version))
    try:
        answer = client.send("PUT", f"Goal/{goal_id}", json=updated, headers=headers,
                             retry_safe=bool(headers))
    except FhirConflict:
        hook(WriteEvent(action="update:Goal", accepted=False, resources=(f"Goal/{goal_id}",),
                        detail="version conflict"))
        fresh, fresh_version, _ = read_goal(client, goal_id)
        found = conflict_between(goal_id, version, goal, fresh, fresh_version)
        return Conflict(goal_id=found.goal_id, base_version=found.base_version,
                        current_version=found.current_version, changes=found.changes,
                        current=found.current, written=tuple(written))
    goal_written = written_from_resource(answer.json or {}, created=False) or Written(
        resource_type="Goal", id=goal_id, version_id=version_from_etag(answer.etag),
        created=False,
    )
    hook(WriteEvent(action="update:Goal", accepted=True, resources=(goal_written.reference,)))
    warnings: tuple[str, ...] = ()
    everything = (*written, goal_written)
    if provenance:
        prov = provenance_for(tuple(w.reference for w in everything), author=author,
                              today_instant=recorded, activity="UPDATE")
        try:
            made_prov = client.send("POST", "Provenance", json=prov, retry_safe=False)
            prov_item = written_from_resource(made_prov.json or {})
            if prov_item is not None:
                everything = (*everything, prov_item)
            hook(WriteEvent(action="create:Provenance", accepted=True,
                            resources=(prov_item.reference,) if prov_item else ()))
        except FhirError as exc:
            hook(WriteEvent(action="create:Provenance", accepted=False,
                            resources=tuple(w.reference for w in everything),
                            detail=f"HTTP {exc.status}"))
            warnings = ("The EHR did not accept the provenance record; the audit log holds it.",)
    return ReviewResult(written=everything, goal=goal_written, warnings=warnings)


def conflict_since(
    client: FhirClient, goal_id: str, base_version: str, current: dict[str, Any], version: str
) -> Conflict:
    """The conflict between the version the reviewer saw (read from history) and the current."""
    try:
        base = client.send("GET", f"Goal/{goal_id}/_history/{base_version}", retry_safe=True)
        before: Mapping[str, Any] = base.json or {}
    except (FhirNotFound, FhirError):
        before = {}  # history not kept: report the current values only
    return conflict_between(goal_id, base_version, before, current, version)


def conflict_between(
    goal_id: str,
    base_version: str | None,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    after_version: str | None,
) -> Conflict:
    """Compare the elements a reviewer cares about between two versions of a Goal."""
    changes = []
    for name, read in _FIELDS:
        old, new = read(before) if before else None, read(after)
        if old != new:
            changes.append(Change(field=name, before=old, after=new))
    return Conflict(goal_id=goal_id, base_version=base_version, current_version=after_version,
                    changes=tuple(changes), current=after)


def _codes(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return None
    codes = [c.get("code") for c in value.get("coding") or () if isinstance(c, Mapping)]
    return ",".join(str(c) for c in codes if c) or value.get("text")


def _targets(goal: Mapping[str, Any]) -> str | None:
    parts = []
    for t in goal.get("target") or ():
        q = t.get("detailQuantity") or {}
        parts.append(f"{q.get('value', '')} {q.get('unit', '')} by {t.get('dueDate', '')}".strip())
    return "; ".join(parts) or None


_FIELDS = (
    ("lifecycleStatus", lambda g: g.get("lifecycleStatus")),
    ("achievementStatus", lambda g: _codes(g.get("achievementStatus"))),
    ("description", lambda g: (g.get("description") or {}).get("text")),
    ("target", _targets),
    ("statusDate", lambda g: g.get("statusDate")),
    ("note", lambda g: " | ".join(n.get("text", "") for n in g.get("note") or ()) or None),
    ("outcomeReference",
     lambda g: ", ".join(r.get("reference", "") for r in g.get("outcomeReference") or ()) or None),
)
