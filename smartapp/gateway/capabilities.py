"""What the EHR can do (its CapabilityStatement) and what the token allows -> a write plan."""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from smartapp.gateway.client import FhirClient


class Strategy(enum.StrEnum):
    """How a plan lands in the EHR (the four write strategies, best first)."""

    TRANSACTION = "transaction"
    SEQUENTIAL = "sequential"
    NOTE = "note"
    EXPORT = "export"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceSupport:
    """One `CapabilityStatement.rest.resource` entry, as feature flags (smart.md 74)."""

    interactions: frozenset[str]
    conditional_create: bool
    conditional_update: bool
    versioned_update: bool
    search_params: frozenset[str]

    def can(self, interaction: str) -> bool:
        """Whether the server advertises this interaction (create, update, read...)."""
        return interaction in self.interactions


NO_SUPPORT = ResourceSupport(
    interactions=frozenset(),
    conditional_create=False,
    conditional_update=False,
    versioned_update=False,
    search_params=frozenset(),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """The parts of a CapabilityStatement the app decides with."""

    fhir_version: str
    software: str
    transaction: bool
    batch: bool
    resources: Mapping[str, ResourceSupport] = field(default_factory=dict)

    def resource(self, resource_type: str) -> ResourceSupport:
        """Support for one resource type (nothing when the statement leaves it out)."""
        return self.resources.get(resource_type, NO_SUPPORT)

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API: the flags, per resource type the app writes."""
        return {
            "fhirVersion": self.fhir_version,
            "software": self.software,
            "transaction": self.transaction,
            "batch": self.batch,
            "resources": {
                name: {
                    "interactions": sorted(self.resource(name).interactions),
                    "conditionalCreate": self.resource(name).conditional_create,
                    "versionedUpdate": self.resource(name).versioned_update,
                }
                for name in WRITTEN_TYPES
            },
        }


WRITTEN_TYPES = (
    "Goal",
    "CarePlan",
    "Observation",
    "ServiceRequest",
    "Provenance",
    "DocumentReference",
)


def capabilities_from_statement(statement: Mapping[str, Any]) -> Capabilities:
    """Feature flags from a CapabilityStatement (FHIR R4 capabilitystatement.html), lenient."""
    rests = [r for r in statement.get("rest") or () if isinstance(r, Mapping)]
    server = next((r for r in rests if r.get("mode") == "server"), rests[0] if rests else {})
    system = {str(i.get("code")) for i in server.get("interaction") or () if isinstance(i, Mapping)}
    resources: dict[str, ResourceSupport] = {}
    for raw in server.get("resource") or ():
        if not isinstance(raw, Mapping) or not raw.get("type"):
            continue
        interactions = {
            str(i.get("code")) for i in raw.get("interaction") or () if isinstance(i, Mapping)
        }
        resources[str(raw["type"])] = ResourceSupport(
            interactions=frozenset(interactions),
            conditional_create=bool(raw.get("conditionalCreate")),
            conditional_update=bool(raw.get("conditionalUpdate")),
            versioned_update=raw.get("versioning") == "versioned-update",
            search_params=frozenset(
                str(p.get("name")) for p in raw.get("searchParam") or () if isinstance(p, Mapping)
            ),
        )
    software = statement.get("software") if isinstance(statement.get("software"), Mapping) else {}
    return Capabilities(
        fhir_version=str(statement.get("fhirVersion") or ""),
        software=str((software or {}).get("name") or ""),
        transaction="transaction" in system,
        batch="batch" in system,
        resources=resources,
    )


def read_capabilities(client: FhirClient) -> Capabilities:
    """Read `/metadata` (one round trip) and reduce it to feature flags."""
    answer = client.send("GET", "metadata", retry_safe=True)
    return capabilities_from_statement(answer.json or {})


def statement_of(capabilities: Capabilities) -> dict[str, Any]:
    """The smallest CapabilityStatement that `capabilities_from_statement` reads back the same."""
    resources = [
        {
            "type": name,
            "interaction": [{"code": code} for code in sorted(support.interactions)],
            "conditionalCreate": support.conditional_create,
            "conditionalUpdate": support.conditional_update,
            "versioning": "versioned-update" if support.versioned_update else "versioned",
            "searchParam": [{"name": param} for param in sorted(support.search_params)],
        }
        for name, support in sorted(capabilities.resources.items())
    ]
    system = [c for c, on in (("transaction", capabilities.transaction),
                               ("batch", capabilities.batch)) if on]  # fmt: skip
    return {
        "resourceType": "CapabilityStatement",
        "fhirVersion": capabilities.fhir_version,
        "software": {"name": capabilities.software},
        "rest": [{"mode": "server", "interaction": [{"code": c} for c in system],
                  "resource": resources}],
    }  # fmt: skip


class SharedCache(Protocol):
    """A cache all workers share (smartapp.store's per-tenant SQL cache)."""

    def get(self, tenant: str, kind: str) -> dict[str, object] | None: ...
    def put(
        self, tenant: str, kind: str, payload: dict[str, object], *, ttl: timedelta
    ) -> None: ...


class CapabilityCache:
    """Capabilities per tenant, read once and kept for `ttl` seconds (smart.md 74).

    With `shared` (the store's SQL cache) one `/metadata` read serves every worker; each process
    keeps what it read for at most `local_ttl` seconds on top, so workers agree within that.
    Threads asking for the same tenant at once (the context's batch check beside the write plan)
    share one read.
    """

    KIND = "capabilities"

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedCache | None = None,
        local_ttl: float = 300.0,
    ) -> None:
        self._ttl = ttl
        self._local_ttl = min(ttl, local_ttl) if shared is not None else ttl
        self._clock = clock
        self._shared = shared
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Capabilities]] = {}
        self._reading: dict[str, threading.Lock] = {}

    def get(self, tenant: str, client: FhirClient) -> Capabilities:
        """The cached capabilities of a tenant, read through `client` when absent or stale."""
        with self._lock:
            fresh = self._fresh(tenant)
            if fresh is not None:
                return fresh
            reading = self._reading.setdefault(tenant, threading.Lock())
        with reading:
            with self._lock:
                fresh = self._fresh(tenant)  # another thread read it while this one waited
            if fresh is not None:
                return fresh
            stored = self._shared.get(tenant, self.KIND) if self._shared is not None else None
            if stored is not None:
                capabilities = capabilities_from_statement(stored)
            else:
                capabilities = read_capabilities(client)
                if self._shared is not None:
                    payload = statement_of(capabilities)
                    self._shared.put(tenant, self.KIND, payload, ttl=timedelta(seconds=self._ttl))
            with self._lock:
                self._entries[tenant] = (self._clock(), capabilities)
            return capabilities

    def _fresh(self, tenant: str) -> Capabilities | None:
        entry = self._entries.get(tenant)
        if entry and self._clock() - entry[0] < self._local_ttl:
            return entry[1]
        return None


class Scopes(Protocol):
    """What the planner asks of the granted scopes (launch.tokens.GrantedScopes)."""

    def can_create(self, resource_type: str) -> bool: ...
    def can_update(self, resource_type: str) -> bool: ...


@runtime_checkable
class ScopeText(Protocol):
    """Scopes that can spell themselves as the granted scope string (launch GrantedScopes)."""

    def to_string(self) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WritePlan:
    """The strategy a save will use, why, and which optional writes it includes."""

    strategy: Strategy
    reasons: tuple[str, ...]
    observations: bool
    provenance: bool
    conditional_create: bool
    goal_update: bool
    versioned_update: bool
    # Observations' own conditional-create support (a review writes only Observations and
    # the Goal); False means search-before-create, which is always safe.
    observations_conditional: bool = False
    # The granted scope string (never the token), for the audit entry of a refused write
    # (smart.md 80: "log the scope and resource type").
    granted_scope: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API."""
        return {
            "strategy": self.strategy.value,
            "reasons": list(self.reasons),
            "observations": self.observations,
            "provenance": self.provenance,
            "conditionalCreate": self.conditional_create,
            "goalUpdate": self.goal_update,
            "observationsConditionalCreate": self.observations_conditional,
        }


def plan_writes(capabilities: Capabilities, scopes: Scopes, forced: str | None) -> WritePlan:
    """Choose the write strategy from what the EHR advertises and what the token grants."""

    def creatable(rt: str) -> bool:
        return capabilities.resource(rt).can("create") and scopes.can_create(rt)

    reasons: list[str] = []
    goal, careplan = creatable("Goal"), creatable("CarePlan")
    for rt, ok in (("Goal", goal), ("CarePlan", careplan)):
        if not ok:
            where = "the EHR does not accept" if not capabilities.resource(rt).can("create") else (
                "this sign-in does not allow"
            )
            reasons.append(f"{where} new {rt} records")
    if goal and careplan and capabilities.transaction:
        strategy = Strategy.TRANSACTION
        reasons.append("the EHR accepts a transaction: everything is saved at once, or nothing")
    elif goal and careplan:
        strategy = Strategy.SEQUENTIAL
        reasons.append("the EHR does not accept transactions: records are saved one by one")
    elif creatable("DocumentReference"):
        strategy = Strategy.NOTE
        reasons.append("the plan is saved as a clinical note instead")
    else:
        strategy = Strategy.EXPORT
        reasons.append("nothing can be written to this EHR: print or download the plan")
    if forced and forced != "auto":
        strategy = Strategy(forced)
        reasons.append(f"this site's configuration sets the strategy to {forced}")
    goal_support = capabilities.resource("Goal")
    # A note is one DocumentReference: its own conditional-create support is what counts.
    written_first = "DocumentReference" if strategy is Strategy.NOTE else "Goal"
    return WritePlan(
        strategy=strategy,
        reasons=tuple(reasons),
        observations=creatable("Observation"),
        provenance=creatable("Provenance"),
        conditional_create=capabilities.resource(written_first).conditional_create,
        goal_update=goal_support.can("update") and scopes.can_update("Goal"),
        versioned_update=goal_support.versioned_update,
        observations_conditional=capabilities.resource("Observation").conditional_create,
        granted_scope=scopes.to_string() if isinstance(scopes, ScopeText) else "",
    )
