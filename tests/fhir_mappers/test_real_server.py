"""Against a real FHIR server (sekmet-fhir): what the mappers write is accepted and reads back,
and the context searches find what an EHR holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from fhir_mappers import (
    PLAN_ITEM_SYSTEM,
    careplan_from_fhir,
    patient_context,
    plan_to_transaction,
    search_specs,
)
from sandbox.backends import Backend, start_backend
from tests.fhir_mappers.factories import AUTHOR, TODAY, brenda, make_plan

pytestmark = pytest.mark.integration
BRENDA = "5c41cecf-cf81-434f-9da7-e24e5a99dbc2"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    data_dir: Path = tmp_path_factory.mktemp("sekmet")
    with start_backend("sekmet", port=0, data_dir=data_dir) as backend:
        yield backend


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def search(http: requests.Session, server: Backend, kind: str, params: Any) -> list[dict[str, Any]]:
    response = http.get(f"{server.base_url}/{kind}", params=params, timeout=30)
    assert response.status_code == 200, response.text[:300]
    return [entry["resource"] for entry in response.json().get("entry", [])]


@pytest.mark.parametrize("style", ["detail", "reference"])
def test_a_plan_saved_by_transaction_reads_back_equal_and_a_retry_adds_nothing(
    server: Backend, http: requests.Session, style: str
) -> None:
    patient = f"pt-{style}"
    put = http.put(
        f"{server.base_url}/Patient/{patient}",
        json={"resourceType": "Patient", "id": patient},
        timeout=30,
    )
    assert put.status_code in (200, 201)
    plan = make_plan()
    bundle = plan_to_transaction(
        plan,
        patient_id=patient,
        author=AUTHOR,
        today=TODAY,
        plan_key=f"real-{style}",
        activity_style=style,
    )
    first = http.post(server.base_url, json=bundle, timeout=30)
    assert first.status_code == 200, first.text[:500]
    assert {e["response"]["status"] for e in first.json()["entry"]} == {"201 Created"}
    again = http.post(server.base_url, json=bundle, timeout=30)
    assert {e["response"]["status"] for e in again.json()["entry"]} == {"200 OK"}

    careplans = search(
        http, server, "CarePlan", {"identifier": f"{PLAN_ITEM_SYSTEM}|real-{style}/careplan/0"}
    )
    goals = search(http, server, "Goal", {"patient": patient})
    requests_ = search(http, server, "ServiceRequest", {"patient": patient})
    assert len(careplans) == 1
    assert len(goals) == 2
    assert len(requests_) == (3 if style == "reference" else 0)
    assert careplans[0]["goal"][0]["reference"].startswith("Goal/")
    assert careplan_from_fhir(careplans[0], goals, requests_) == plan


def test_the_context_searches_find_the_ahrq_patient_on_a_real_server(
    server: Backend, http: requests.Session
) -> None:
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {
                "resource": entry["resource"],
                "request": {
                    "method": "PUT",
                    "url": f"{entry['resource']['resourceType']}/{entry['resource']['id']}",
                },
            }
            for entry in brenda()["entry"]
        ],
    }
    loaded = http.post(server.base_url, json=batch, timeout=60)
    assert loaded.status_code == 200
    found: list[dict[str, Any]] = []
    for spec in search_specs(BRENDA, lookback_start=date(2021, 1, 1), quirks={}):
        found += search(http, server, spec.resource_type, list(spec.params))
    context = patient_context(found, today=date(2023, 10, 16))
    assert context.patient is not None
    assert context.patient.name == "Brenda Jackson"
    assert {c.code for c in context.conditions} == {"203082005", "M54.5", "202725007"}
    # Her scores carry only `issued`: found by the undated search, not by the date range.
    assert [r.score for r in context.peg] == [8.0, 7.0, 5.0]
    assert [m.name for m in context.medications if m.is_opioid] == [
        "12 HR Oxycodone Hydrochloride 60 MG Extended Release Oral Tablet",
        "Oxycodone Hydrochloride 10 MG Oral Capsule",
    ]
    assert any(m.is_benzodiazepine for m in context.medications)
    assert context.skipped == ()
