"""Run a set of FHIR searches in parallel waves, each paged to a bound, failures kept as values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from smartapp.gateway.client import FhirClient, FhirResponse
from smartapp.gateway.errors import FhirAuthError, FhirError, error_for_status


class Search(Protocol):
    """What the gateway needs of a search spec (fhir_mappers.SearchSpec has these fields)."""

    @property
    def name(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def params(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def words(self) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchResult:
    """The resources one search found; `error` when it failed, `truncated` when pages were left."""

    name: str
    words: str
    resources: tuple[dict[str, Any], ...]
    pages: int
    truncated: bool
    error: FhirError | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """All searches of one round: results, and how many sequential waves of requests it took."""

    results: tuple[SearchResult, ...]
    rounds: int
    requests: int

    @property
    def resources(self) -> tuple[dict[str, Any], ...]:
        """Every resource found, de-duplicated by type and id (first wins)."""
        seen: set[tuple[str, str]] = set()
        found = []
        for result in self.results:
            for resource in result.resources:
                key = (str(resource.get("resourceType")), str(resource.get("id")))
                if resource.get("id") is not None and key in seen:
                    continue
                seen.add(key)
                found.append(resource)
        return tuple(found)

    @property
    def missing(self) -> tuple[str, ...]:
        """Human words for the searches that failed (shown to the clinician)."""
        return tuple(r.words for r in self.results if r.error is not None)


@dataclass(slots=True)
class _Progress:
    spec: Search
    resources: list[dict[str, Any]]
    pages: int = 0
    next_url: str | None = None
    error: FhirError | None = None


def fetch_all(
    client: FhirClient,
    specs: Sequence[Search],
    *,
    max_pages: int = 4,
    workers: int = 8,
    batch: bool = False,
) -> FetchResult:
    """Issue every search at once, then follow `next` links wave by wave (all in parallel).

    With `batch`, the first wave is one batch Bundle (FHIR R4 http.html#transaction: a batch
    of GETs, each answered on its own); if the EHR refuses the batch, the searches go out side
    by side instead."""
    progress = [_Progress(spec=spec, resources=[]) for spec in specs]
    before = client.requests_sent
    rounds = 0
    pending = list(progress)
    if batch and pending:
        rounds = 1  # answered or refused, the batch was one round trip
        if _batch_round(client, pending):
            pending = [p for p in progress if p.next_url and p.pages < max_pages]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(progress) or 1))) as pool:
        while pending:
            rounds += 1
            answers = list(pool.map(lambda p: _page(client, p), pending))
            for item, answer in zip(pending, answers, strict=True):
                _absorb(item, answer)
            pending = [p for p in progress if p.next_url and p.pages < max_pages]
    results = tuple(
        SearchResult(
            name=p.spec.name,
            words=p.spec.words,
            resources=tuple(p.resources),
            pages=p.pages,
            truncated=bool(p.next_url),
            error=p.error,
        )
        for p in progress
    )
    return FetchResult(results=results, rounds=rounds, requests=client.requests_sent - before)


def _batch_round(client: FhirClient, items: Sequence[_Progress]) -> bool:
    """The first page of every search in one batch Bundle; False when the EHR refused it."""
    entries = [
        {"request": {"method": "GET", "url": _relative_url(item.spec)}} for item in items
    ]
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": entries}
    try:
        # A batch of reads changes nothing: safe to repeat.
        answer = client.send("POST", "", json=bundle, retry_safe=True)
    except FhirAuthError:
        raise
    except FhirError:
        return False
    body = answer.json or {}
    answered = body.get("entry") or ()
    if body.get("type") != "batch-response" or len(answered) != len(items):
        return False
    for item, entry in zip(items, answered, strict=True):
        response = entry.get("response") or {}
        status = str(response.get("status") or "").split(" ", 1)[0]
        if status.startswith("2") and isinstance(entry.get("resource"), dict):
            _absorb(item, FhirResponse(status=int(status), json=entry["resource"], etag=None,
                                       location=None))
        else:
            code = int(status) if status.isdigit() else 0
            _absorb(item, error_for_status(code, outcome=response.get("outcome"),
                                           method="GET", path=item.spec.resource_type))
    return True


def _relative_url(spec: Search) -> str:
    query = urlencode(spec.params)
    return f"{spec.resource_type}?{query}" if query else spec.resource_type


def _page(client: FhirClient, item: _Progress) -> FhirResponse | FhirError:
    try:
        if item.next_url:
            return client.send("GET", item.next_url, retry_safe=True)
        return client.send(
            "GET", item.spec.resource_type, params=item.spec.params, retry_safe=True
        )
    except FhirAuthError:
        raise  # the launch has ended: nothing partial to show
    except FhirError as exc:
        return exc


def _absorb(item: _Progress, answer: FhirResponse | FhirError) -> None:
    item.next_url = None
    if isinstance(answer, FhirError):
        item.error = answer
        return
    item.pages += 1
    body = answer.json or {}
    if body.get("resourceType") != "Bundle":
        if body.get("resourceType") == item.spec.resource_type.split("/")[0]:
            item.resources.append(body)  # a plain read (e.g. Patient/{id})
        return
    for entry in body.get("entry") or ():
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        mode = ((entry.get("search") or {}).get("mode")) if isinstance(entry, Mapping) else None
        # Matches and what the search asked to include (`_include`: the Medication an order
        # names); an OperationOutcome in a searchset is a warning about the search, not data.
        if isinstance(resource, dict) and mode in (None, "match", "include"):
            if resource.get("resourceType") == "OperationOutcome":
                continue
            item.resources.append(resource)
    item.next_url = next_link(body)


def next_link(bundle: Mapping[str, Any]) -> str | None:
    """The `next` link of a searchset Bundle (FHIR R4 http.html#paging), if any."""
    for link in bundle.get("link") or ():
        if isinstance(link, Mapping) and link.get("relation") == "next" and link.get("url"):
            return str(link["url"])
    return None
