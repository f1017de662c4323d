"""The `transaction` strategy: Goals, CarePlan, Observations and Provenance in one Bundle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smartapp.gateway.capabilities import Strategy
from smartapp.gateway.client import FhirClient
from smartapp.gateway.errors import FhirError
from smartapp.writeback.placement import unplaced
from smartapp.writeback.result import (
    Failed,
    SaveResult,
    WriteEvent,
    WriteHook,
    Written,
    created_status,
    written_from_location,
    written_from_resource,
)


def save_transaction(
    client: FhirClient, bundle: Mapping[str, Any], *, hook: WriteHook
) -> SaveResult:
    """POST the Bundle to the base URL (never to /Bundle: smart.md 79) and read the answer."""
    entries = list(bundle.get("entry") or ())
    # Safe to repeat only when every entry is a conditional create (smart.md 82): a second
    # send then matches what the first one wrote. A Provenance has no identifier to match on,
    # so a Bundle with one is sent once; after a lost answer, `save_plan` checks what the EHR
    # holds record by record (the Bundle's Provenance landed with it, or nothing did).
    repeat_safe = all((e.get("request") or {}).get("ifNoneExist") for e in entries)
    try:
        answer = client.send("POST", "", json=bundle, retry_safe=repeat_safe)
    except FhirError as exc:
        hook(WriteEvent(action="save-plan:transaction", accepted=False, detail=_detail(exc)))
        sent = tuple((e.get("resource") or {}) for e in entries)
        failed = Failed(resource_type="Bundle", message=exc.message, status=exc.status,
                        issues=unplaced(exc), sent=sent)
        return SaveResult(strategy=Strategy.TRANSACTION, written=(), failed=(failed,),
                          round_trips=1)
    written = written_from_transaction_response(answer.json or {})
    hook(
        WriteEvent(
            action="save-plan:transaction",
            accepted=True,
            resources=tuple(w.reference for w in written),
        )
    )
    warnings: tuple[str, ...] = ()
    if written and not any(w.created for w in written if w.resource_type != "Provenance"):
        warnings = ("This plan was already in the EHR; nothing new was written.",)
    return SaveResult(
        strategy=Strategy.TRANSACTION, written=written, warnings=warnings, round_trips=1
    )


def written_from_transaction_response(response: Mapping[str, Any]) -> tuple[Written, ...]:
    """What a transaction-response Bundle says landed (accepts "201" and "201 Created")."""
    written = []
    for entry in response.get("entry") or ():
        answer = entry.get("response") or {}
        created = created_status(answer.get("status"))
        item = written_from_location(
            answer.get("location"), etag=answer.get("etag"), created=created is not False
        )
        if item is None and isinstance(entry.get("resource"), Mapping):
            item = written_from_resource(entry["resource"], created=created is not False)
        if item is not None:
            written.append(item)
    return tuple(written)


def _detail(exc: FhirError) -> str:
    codes = ",".join(issue.code for issue in exc.issues)
    return f"HTTP {exc.status} {type(exc).__name__}" + (f" issues={codes}" if codes else "")
