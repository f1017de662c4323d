"""The FHIR proxy enforces what a real EHR enforces, in front of both real backends."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sandbox.stack import Stack
from tests.sandbox.smart import bearer, patient_of_kind, tokens

pytestmark = pytest.mark.integration

FHIR_JSON = "application/fhir+json"


def _goal(patient_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Goal",
        "lifecycleStatus": "active",
        "description": {"text": "Walk to the shop and back"},
        "subject": {"reference": f"Patient/{patient_id}"},
    }


def _issue_codes(response: requests.Response) -> list[str]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return [issue["code"] for issue in body["issue"]]


def test_no_token_is_401_with_a_bearer_challenge(sandbox_stack: Stack) -> None:
    # smart.md 80 (the server side of it): no token, no data
    iss = sandbox_stack.iss("open")
    response = requests.get(
        f"{iss}/Patient/{patient_of_kind(sandbox_stack, 'typical')}", timeout=10
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _issue_codes(response) == ["login"]


def test_an_unknown_token_is_401(sandbox_stack: Stack) -> None:
    iss = sandbox_stack.iss("open")
    headers = {"Authorization": "Bearer not-a-token"}
    response = requests.get(f"{iss}/Patient", headers=headers, timeout=10)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_expired_token_is_401(sandbox_stack: Stack) -> None:
    # smart.md 51: the app must refresh on a 401
    patient = patient_of_kind(sandbox_stack, "typical")
    token = tokens(sandbox_stack, patient=patient)
    sandbox_stack.ehr_clock.advance(token["expires_in"] + 1)
    try:
        response = requests.get(
            f"{token['iss']}/Patient/{patient}", headers=bearer(token), timeout=10
        )
    finally:
        sandbox_stack.ehr_clock.advance(-(token["expires_in"] + 1))
    assert response.status_code == 401
    assert _issue_codes(response) == ["expired"]


def test_a_scope_not_granted_is_403_with_an_operation_outcome(sandbox_stack: Stack) -> None:
    # smart.md 80
    patient = patient_of_kind(sandbox_stack, "typical")
    token = tokens(sandbox_stack, patient=patient, scope="launch patient/Patient.r")
    iss = token["iss"]
    read = requests.get(f"{iss}/Patient/{patient}", headers=bearer(token), timeout=10)
    assert read.status_code == 200
    search = requests.get(
        f"{iss}/Observation", params={"patient": patient}, headers=bearer(token), timeout=10
    )
    assert search.status_code == 403
    assert _issue_codes(search) == ["forbidden"]
    create = requests.post(f"{iss}/Goal", json=_goal(patient), headers=bearer(token), timeout=10)
    assert create.status_code == 403


def test_patient_scopes_reach_the_launch_patient_only(sandbox_stack: Stack) -> None:
    # smart.md 36: patient context comes from the token, other patients are out of reach
    patient = patient_of_kind(sandbox_stack, "typical")
    other = patient_of_kind(sandbox_stack, "opioid")
    token = tokens(sandbox_stack, patient=patient)
    iss, headers = token["iss"], bearer(token)
    assert requests.get(f"{iss}/Patient/{other}", headers=headers, timeout=10).status_code == 403
    theirs = requests.get(
        f"{iss}/Observation",
        params={"patient": other, "category": "survey"},
        headers=headers,
        timeout=10,
    )
    assert theirs.status_code == 403
    unnamed = requests.get(
        f"{iss}/Condition", params={"clinical-status": "active"}, headers=headers, timeout=10
    )
    assert unnamed.status_code == 403
    mine = requests.get(
        f"{iss}/Condition", params={"patient": patient}, headers=headers, timeout=10
    )
    assert mine.status_code == 200
    conditions = [
        e["resource"] for e in mine.json()["entry"] if e["resource"]["resourceType"] == "Condition"
    ]
    assert conditions
    other_condition = requests.get(
        f"{sandbox_stack.backend_url}/Condition", params={"patient": other}, timeout=10
    ).json()["entry"][0]["resource"]["id"]
    read_other = requests.get(f"{iss}/Condition/{other_condition}", headers=headers, timeout=10)
    assert read_other.status_code == 403


def test_writes_for_another_patient_are_refused_and_own_writes_pass(sandbox_stack: Stack) -> None:
    patient = patient_of_kind(sandbox_stack, "typical")
    other = patient_of_kind(sandbox_stack, "opioid")
    token = tokens(sandbox_stack, patient=patient)
    iss, headers = token["iss"], {**bearer(token), "Content-Type": FHIR_JSON}
    refused = requests.post(f"{iss}/Goal", json=_goal(other), headers=headers, timeout=10)
    assert refused.status_code == 403
    created = requests.post(f"{iss}/Goal", json=_goal(patient), headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    # Location carries the EHR's base, never the backend's (the reference launcher leaks it).
    assert created.headers["Location"].startswith(f"{iss}/Goal/")
    goal_id = created.headers["Location"].split("/Goal/")[1].split("/")[0]
    stolen = {**_goal(patient), "id": goal_id}
    stolen["subject"] = {"reference": f"Patient/{other}"}
    moved = requests.put(f"{iss}/Goal/{goal_id}", json=stolen, headers=headers, timeout=10)
    assert moved.status_code == 403


def test_base_urls_in_bodies_are_the_ehrs(sandbox_stack: Stack) -> None:
    patient = patient_of_kind(sandbox_stack, "typical")
    token = tokens(sandbox_stack, patient=patient)
    response = requests.get(
        f"{token['iss']}/Condition", params={"patient": patient}, headers=bearer(token), timeout=10
    )
    assert sandbox_stack.backend_url not in response.text
    bundle = response.json()
    assert all(e["fullUrl"].startswith(token["iss"]) for e in bundle["entry"] if "fullUrl" in e)


def test_metadata_advertises_smart_security(sandbox_stack: Stack) -> None:
    # smart.md 9: the CapabilityStatement fallback of discovery
    iss = sandbox_stack.iss("open")
    statement = requests.get(f"{iss}/metadata", timeout=10).json()
    security = statement["rest"][0]["security"]
    uris = {e["url"]: e["valueUri"] for e in security["extension"][0]["extension"]}
    assert uris["authorize"] == f"{sandbox_stack.ehr_url}/open/auth/authorize"
    assert uris["token"] == f"{sandbox_stack.ehr_url}/open/auth/token"
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    assert sandbox_stack.backend_url not in str(statement)
