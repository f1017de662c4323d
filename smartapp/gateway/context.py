"""The patient context in one round of parallel searches, cached briefly per launch."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from fhir_mappers import patient_context
from fhir_mappers.search import SearchSpec, search_specs
from rehab.context import PatientContext
from smartapp.gateway.client import FhirClient
from smartapp.gateway.fetch import fetch_all


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextResult:
    """The context, how many sequential rounds of requests it took, and what is missing."""

    context: PatientContext
    round_trips: int
    requests: int
    missing: tuple[str, ...]
    truncated: tuple[str, ...]


def load_context(
    client: FhirClient,
    patient_id: str,
    *,
    today: date,
    quirks: Mapping[str, bool],
    lookback_days: int = 730,
    max_pages: int = 4,
) -> ContextResult:
    """Run the context searches together, page each to a bound, map to a PatientContext."""
    specs = search_specs(
        patient_id, lookback_start=today - timedelta(days=lookback_days), quirks=quirks
    )
    fetched = fetch_all(client, tuple(as_read(spec) for spec in specs), max_pages=max_pages)
    context = patient_context(fetched.resources, today=today)
    missing = tuple(dict.fromkeys((*context.missing, *fetched.missing)))
    truncated = tuple(r.words for r in fetched.results if r.truncated)
    return ContextResult(
        context=dataclasses.replace(context, missing=missing),
        round_trips=fetched.rounds,
        requests=fetched.requests,
        missing=missing,
        truncated=truncated,
    )


def as_read(spec: SearchSpec) -> SearchSpec:
    """An `_id`-only search as a plain read (`Patient/{id}`): the `.r` scope suffices for it,
    where a search needs `.s` (SMART 2.2 scopes: read and search are separate permissions)."""
    if len(spec.params) == 1 and spec.params[0][0] == "_id":
        return dataclasses.replace(
            spec, resource_type=f"{spec.resource_type}/{spec.params[0][1]}", params=()
        )
    return spec


class ContextCache:
    """Per-launch contexts kept for a short TTL, so moving between pages does not refetch."""

    def __init__(self, *, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, ContextResult]] = {}

    def get(self, launch_id: str, load: Callable[[], ContextResult]) -> ContextResult:
        """The cached context of a launch, loaded with `load` when absent or stale."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(launch_id)
            if entry and now - entry[0] < self._ttl:
                return entry[1]
            # Drop stale entries of other launches so the cache stays small.
            for key in [k for k, (at, _) in self._entries.items() if now - at >= self._ttl]:
                del self._entries[key]
        result = load()
        if not result.missing:  # a partial context is fetched again next time
            with self._lock:
                self._entries[launch_id] = (self._clock(), result)
        return result

    def invalidate(self, launch_id: str) -> None:
        """Forget a launch's context (after a save changed the record)."""
        with self._lock:
            self._entries.pop(launch_id, None)
