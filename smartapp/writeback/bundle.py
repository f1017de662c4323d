"""Reading a transaction Bundle's entries, and the urn:uuid references left in a resource."""

from __future__ import annotations

from collections.abc import Mapping
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
    """The POST entries of a transaction Bundle, in its order.

    The mapper writes a plan's entries in dependency order (goals, steps, care plan,
    observations: `fhir_mappers.plan.PlanResources.entries`), so each comes after what it
    references; a write whose reference is still a urn:uuid stops the save (`unresolved_urns`).
    """
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
    return tuple(entries)


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


def unresolved_urns(value: Any) -> set[str]:
    """urn:uuid references still left in a resource (they must not reach the EHR)."""
    return {ref for ref in references_in(value) if ref.startswith("urn:")}
