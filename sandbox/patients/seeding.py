"""Load the synthetic patients into a FHIR server with transaction Bundles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from sandbox.patients.build import build_patients
from sandbox.patients.model import Json, SeedPatient, SeedPractitioner
from sandbox.patients.practitioners import build_practitioners

# Medplum's router refuses a transaction with more than 50 updates (PUTs count as updates).
MAX_ENTRIES_PER_TRANSACTION = 50
FHIR_JSON = "application/fhir+json"


class SeedError(RuntimeError):
    """The server refused part of the seed; the message names the bundle and the server's words."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedResult:
    """What was loaded."""

    patients: tuple[str, ...]
    resources: int
    transactions: int
    skipped: tuple[str, ...] = ()  # patients already present (if_absent=True)


def _chunks(entries: Sequence[Json], size: int) -> list[list[Json]]:
    return [list(entries[i : i + size]) for i in range(0, len(entries), size)]


def _outcome_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    issues = body.get("issue", []) if isinstance(body, dict) else []
    words = [
        str(i.get("diagnostics") or i.get("details", {}).get("text") or i.get("code"))
        for i in issues
    ]
    return "; ".join(words)[:300] or response.text[:300]


def _exists(session: requests.Session, base_url: str, ref: str) -> bool:
    response = session.get(
        f"{base_url.rstrip('/')}/{ref}", headers={"Accept": FHIR_JSON}, timeout=30
    )
    return response.status_code == 200


def post_transaction(
    session: requests.Session, base_url: str, entries: list[Json], *, label: str, timeout: float
) -> None:
    """POST one transaction Bundle; raise SeedError unless every entry succeeded."""
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    response = session.post(
        base_url.rstrip("/"),
        json=bundle,
        headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON},
        timeout=timeout,
    )
    if response.status_code != 200:
        raise SeedError(f"{label}: HTTP {response.status_code}: {_outcome_text(response)}")
    for entry in response.json().get("entry", []):
        status = str(entry.get("response", {}).get("status", ""))
        if not status.startswith(("200", "201")):  # "201" (Medplum) or "201 Created" (sekmet)
            raise SeedError(f"{label}: an entry answered {status}")


def seed(
    base_url: str,
    patients: Sequence[SeedPatient] | None = None,
    practitioners: Sequence[SeedPractitioner] | None = None,
    *,
    seed: int = 0,
    now: datetime | None = None,
    include_opt_in: bool = True,
    if_absent: bool = False,
    chunk_size: int = MAX_ENTRIES_PER_TRANSACTION,
    timeout: float = 120.0,
    session: requests.Session | None = None,
) -> SeedResult:
    """PUT the practitioners and patients into the FHIR server at base_url (idempotent).

    With `if_absent`, a patient (or practitioner) whose Patient (Practitioner) already exists is
    left as it is, so a persistent server keeps what the app wrote to it across restarts.
    Without `patients`, they are built for `seed` with nothing dated after `now` (default: now).
    """
    if patients is None:
        patients = build_patients(seed, now or datetime.now(UTC))
    if practitioners is None:
        practitioners = build_practitioners()
    chosen = [p for p in patients if include_opt_in or not p.opt_in]
    http = session or requests.Session()
    resources = transactions = 0
    skipped: list[str] = []
    try:
        if if_absent:
            practitioners = [
                p for p in practitioners if not _exists(http, base_url, f"Practitioner/{p.id}")
            ]
            skipped = [p.id for p in chosen if _exists(http, base_url, f"Patient/{p.id}")]
            chosen = [p for p in chosen if p.id not in skipped]
        staff = [entry for p in practitioners for entry in p.entries]
        for chunk in _chunks(staff, chunk_size):
            post_transaction(http, base_url, chunk, label="practitioners", timeout=timeout)
            resources += len(chunk)
            transactions += 1
        for patient in chosen:
            for chunk in _chunks(patient.bundle["entry"], chunk_size):
                post_transaction(
                    http, base_url, chunk, label=f"patient {patient.id}", timeout=timeout
                )
                resources += len(chunk)
                transactions += 1
    finally:
        if session is None:
            http.close()
    return SeedResult(
        patients=tuple(p.id for p in chosen),
        resources=resources,
        transactions=transactions,
        skipped=tuple(skipped),
    )
