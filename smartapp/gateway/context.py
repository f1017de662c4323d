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
    page_size: int = 1000,
    date_slices: int = 4,
    batch: bool = False,
) -> ContextResult:
    """Run the context searches together, page each to a bound, map to a PatientContext."""
    specs = search_specs(
        patient_id, lookback_start=today - timedelta(days=lookback_days), quirks=quirks
    )
    planned = tuple(
        sliced
        for spec in specs
        for sliced in slice_by_date(with_page_size(as_read(spec), page_size), today, date_slices)
    )
    fetched = fetch_all(client, planned, max_pages=max_pages, batch=batch)
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


def with_page_size(spec: SearchSpec, page_size: int) -> SearchSpec:
    """The spec asking for `page_size` per page: fewer pages, fewer sequential rounds (a
    server may still page sooner; FHIR R4 search.html#count: _count is a hint)."""
    if not any(key == "_count" for key, _ in spec.params):
        return spec
    params = tuple((k, str(page_size) if k == "_count" else v) for k, v in spec.params)
    return dataclasses.replace(spec, params=params)


def slice_by_date(spec: SearchSpec, today: date, slices: int) -> tuple[SearchSpec, ...]:
    """A `date=ge<start>` search split into `slices` windows searched side by side, so a long
    history (a heavy patient's thousands of scores) comes in one round instead of many pages."""
    since = next((v for k, v in spec.params if k == "date" and v.startswith("ge")), None)
    if since is None or slices < 2:
        return (spec,)
    try:
        start = date.fromisoformat(since[2:12])
    except ValueError:
        return (spec,)
    step = max(1, (today - start).days // slices)
    bounds = [start + timedelta(days=step * i) for i in range(slices)]
    rest = tuple((k, v) for k, v in spec.params if not (k == "date" and v == since))
    windows = []
    for i, lower in enumerate(bounds):
        window: tuple[tuple[str, str], ...] = (("date", f"ge{lower.isoformat()}"),)
        if i + 1 < len(bounds):
            window += (("date", f"lt{bounds[i + 1].isoformat()}"),)
        windows.append(dataclasses.replace(spec, name=f"{spec.name}#{i}", params=rest + window))
    return tuple(windows)


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
