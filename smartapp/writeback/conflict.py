"""A review's version conflict: what someone else changed in the Goal since it was read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smartapp.gateway.client import FhirClient
from smartapp.gateway.errors import FhirError
from smartapp.writeback.result import Written


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


def conflict_since(
    client: FhirClient, goal_id: str, base_version: str, current: dict[str, Any], version: str
) -> Conflict:
    """The conflict between the version the reviewer saw (read from history) and the current."""
    try:
        base = client.send("GET", f"Goal/{goal_id}/_history/{base_version}", retry_safe=True)
        before: Mapping[str, Any] = base.json or {}
    except FhirError:
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
