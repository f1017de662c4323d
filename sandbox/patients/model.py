"""The seed records: a patient (or practitioner) with the transaction Bundle that creates it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedPatient:
    """One synthetic patient: `bundle` is a transaction of PUTs with fixed ids."""

    id: str
    name: str
    kind: str
    description: str
    bundle: Json
    # "Type/id" of resources the app should not be able to read as what their code says.
    unreadable: tuple[str, ...] = ()
    # Large data sets: seed() leaves them out unless asked (Medplum's search is a linear scan).
    opt_in: bool = False

    def listing(self) -> dict[str, str]:
        """The JSON the sandbox serves at /sandbox/patients."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
        }

    def resources(self) -> tuple[Json, ...]:
        """The resources of the bundle, in order."""
        return tuple(entry["resource"] for entry in self.bundle["entry"])


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedPractitioner:
    """A practitioner with a name and a role; `entries` are PUT entries (Practitioner, role)."""

    id: str
    name: str
    role: str
    entries: tuple[Json, ...] = field(default=())

    def listing(self) -> dict[str, str]:
        """The JSON the sandbox serves at /sandbox/practitioners."""
        return {"id": self.id, "name": self.name, "role": self.role}


def put_entry(resource: Json) -> Json:
    """A transaction entry that creates or replaces the resource at its fixed id."""
    ref = f"{resource['resourceType']}/{resource['id']}"
    return {"fullUrl": ref, "resource": resource, "request": {"method": "PUT", "url": ref}}


def transaction(resources: Iterable[Json]) -> Json:
    """A transaction Bundle of PUT entries."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [put_entry(r) for r in resources],
    }
