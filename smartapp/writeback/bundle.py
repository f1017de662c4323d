"""Reading a transaction Bundle's entries: dependency order and urn:uuid references left."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One write of a plan: its fullUrl, resource, and conditional-create query (if any)."""

    full_url: str
    resource: dict[str, Any]
    if_none_exist: str | None

    @property
    def resource_type(self) -> str:
        """The entry's resource type."""
        return str(self.resource.get("resourceType"))


def bundle_entries(bundle: Mapping[str, Any]) -> tuple[Entry, ...]:
    """The POST entries of a transaction Bundle, ordered so each comes after what it references."""
    entries = []
    for raw in bundle.get("entry") or ():
        request = raw.get("request") or {}
        if str(request.get("method", "POST")).upper() != "POST":
            continue
        if (raw.get("resource") or {}).get("resourceType") == "Provenance":
            continue  # written once, after the rest, naming what landed
        entries.append(
            Entry(
                full_url=str(raw.get("fullUrl") or ""),
                resource=dict(raw["resource"]),
                if_none_exist=request.get("ifNoneExist"),
            )
        )
    return dependency_order(entries)


def references_in(value: Any) -> set[str]:
    """Every `reference` string inside a resource."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.add(item)
            else:
                found |= references_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= references_in(item)
    return found


def dependency_order(entries: Sequence[Entry]) -> tuple[Entry, ...]:
    """A stable topological order: an entry follows every entry whose fullUrl it references."""
    by_url = {e.full_url: e for e in entries if e.full_url}
    done: list[Entry] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(entry: Entry) -> None:
        key = entry.full_url or str(id(entry))
        if key in placed or key in visiting:
            return  # a cycle (Goal <-> CarePlan would be one) keeps the given order
        visiting.add(key)
        for ref in sorted(references_in(entry.resource)):
            if ref in by_url and ref != entry.full_url:
                place(by_url[ref])
        visiting.discard(key)
        placed.add(key)
        done.append(entry)

    for entry in entries:
        place(entry)
    return tuple(done)


def unresolved_urns(value: Any) -> set[str]:
    """urn:uuid references still left in a resource (they must not reach the EHR)."""
    return {ref for ref in references_in(value) if ref.startswith("urn:")}
