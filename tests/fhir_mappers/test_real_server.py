"""Against real FHIR servers (sekmet-fhir, Medplum's router): what the mappers write is accepted
and reads back, and the context searches find what an EHR holds."""

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
    plan_to_resources,
    plan_to_transaction,
    resolve_references,
    search_specs,
)
from sandbox.backends import Backend, start_backend
from tests.fhir_mappers.factories import AUTHOR, TODAY, brenda, make_plan

pytestmark = pytest.mark.integration
BRENDA = "5c41cecf-cf81-434f-9da7-e24e5a99dbc2"


@pytest.fixture(scope="module", params=["sekmet", "medplum"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    data_dir: Path = tmp_path_factory.mktemp(request.param)
    with start_backend(request.param, port=0, data_dir=data_dir) as backend:
        yield backend


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def search(http: requests.Session, server: Backend, kind: str, params: Any) -> list[dict[str, Any]]:
    response = http.get(f"{server.base_url}/{kind}", params=params, timeout=30)
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    if body["resourceType"] != "Bundle":
        return [body]  # a read
    return [entry["resource"] for entry in body.get("entry", [])]


def put_patient(http: requests.Session, server: Backend, patient: str) -> None:
    put = http.put(
        f"{server.base_url}/Patient/{patient}",
        json={"resourceType": "Patient", "id": patient},
        timeout=30,
    )
    assert put.status_code in (200, 201)


def read_back(http: requests.Session, server: Backend, patient: str, key: str) -> Any:
    careplans = search(
        http, server, "CarePlan", {"identifier": f"{PLAN_ITEM_SYSTEM}|{key}/careplan/0"}
    )
    goals = search(http, server, "Goal", {"patient": patient})
    steps = search(http, server, "ServiceRequest", {"patient": patient})
    assert len(careplans) == 1
    assert careplans[0]["goal"][0]["reference"].startswith("Goal/")
    return careplans[0], goals, steps


def test_a_plan_saved_by_transaction_reads_back_equal_and_a_retry_adds_nothing(
    server: Backend, http: requests.Session
) -> None:
    put_patient(http, server, "pt-transaction")
    plan = make_plan()
    # Detail style: 6 entries, within Medplum's limit of 8 for transactions with conditional
    # creates ("strict isolation"); larger plans go through the sequential test below.
    bundle = plan_to_transaction(
        plan, patient_id="pt-transaction", author=AUTHOR, today=TODAY, plan_key="real-tx"
    )
    first = http.post(server.base_url, json=bundle, timeout=30)
    assert first.status_code == 200, first.text[:500]
    assert {e["response"]["status"][:3] for e in first.json()["entry"]} == {"201"}
    again = http.post(server.base_url, json=bundle, timeout=30)
    assert {e["response"]["status"][:3] for e in again.json()["entry"]} == {"200"}
    careplan, goals, steps = read_back(http, server, "pt-transaction", "real-tx")
    assert (len(goals), len(steps)) == (2, 0)
    assert careplan_from_fhir(careplan, goals, steps) == plan


def test_a_plan_saved_one_conditional_create_at_a_time_reads_back_equal(
    server: Backend, http: requests.Session
) -> None:
    put_patient(http, server, "pt-sequential")
    plan = make_plan()
    made = plan_to_resources(
        plan,
        patient_id="pt-sequential",
        author=AUTHOR,
        today=TODAY,
        plan_key="real-seq",
        activity_style="reference",
    )
    for attempt in range(2):  # the second pass is a retry: every create finds its resource
        written: dict[str, str] = {}
        for entry in made.entries():
            body = resolve_references(entry.resource, written)
            response = http.post(
                f"{server.base_url}/{entry.resource_type}",
                json=body,
                headers={"If-None-Exist": entry.if_none_exist},
                timeout=30,
            )
            assert response.status_code == (201 if attempt == 0 else 200), response.text[:300]
            written[entry.full_url] = f"{entry.resource_type}/{response.json()['id']}"
    careplan, goals, steps = read_back(http, server, "pt-sequential", "real-seq")
    assert (len(goals), len(steps)) == (2, 3)
    assert careplan_from_fhir(careplan, goals, steps) == plan


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
    # Her MME, recorded by the EHR under the AHRQ local code, comes with the same searches.
    assert [r.value for r in context.recorded_mme] == [160.0, 190.0, 220.0, 220.0, 220.0]
    assert [m.name for m in context.medications if m.is_opioid] == [
        "12 HR Oxycodone Hydrochloride 60 MG Extended Release Oral Tablet",
        "Oxycodone Hydrochloride 10 MG Oral Capsule",
    ]
    assert any(m.is_benzodiazepine for m in context.medications)
    assert context.skipped == ()
