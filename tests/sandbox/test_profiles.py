"""Each vendor profile reproduces its documented differences."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from sandbox.stack import Stack
from tests.sandbox.smart import (
    bearer,
    discover,
    patient_of_kind,
    refresh_grant,
    token_request,
    tokens,
)

pytestmark = pytest.mark.integration

FHIR_JSON = "application/fhir+json"
GOAL_KEY = "urn:uuid:6f1b7c56-0e39-4c4b-8d2a-1c1f4c3f9a10"
SCOPE = (
    "launch openid fhirUser offline_access patient/*.rs patient/Goal.cruds "
    "patient/CarePlan.cruds patient/DocumentReference.c"
)


def _launch(stack: Stack, profile: str, kind: str = "typical") -> dict[str, Any]:
    return tokens(stack, profile, scope=SCOPE, patient=patient_of_kind(stack, kind))


def _goal(patient_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Goal",
        "lifecycleStatus": "active",
        "description": {"text": "Carry the shopping from the car"},
        "subject": {"reference": f"Patient/{patient_id}"},
        "identifier": [
            {
                "system": "urn:ietf:rfc:3986",
                "value": GOAL_KEY,
            }
        ],
    }


def _write_headers(token: dict[str, Any], **extra: str) -> dict[str, str]:
    return {**bearer(token), "Content-Type": FHIR_JSON, **extra}


def _interactions(statement: dict[str, Any], rtype: str) -> set[str]:
    resource = next(r for r in statement["rest"][0]["resource"] if r["type"] == rtype)
    return {i["code"] for i in resource.get("interaction", [])}


def test_open_allows_transactions_conditional_create_and_versioned_update(
    sekmet_stack: Stack,
) -> None:
    token = _launch(sekmet_stack, "open")
    iss, patient = token["iss"], token["patient"]
    goal = _goal(patient)
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": GOAL_KEY,
                "resource": goal,
                "request": {
                    "method": "POST",
                    "url": "Goal",
                    "ifNoneExist": f"identifier=urn:ietf:rfc:3986|{GOAL_KEY}",
                },
            }
        ],
    }
    response = requests.post(iss, json=bundle, headers=_write_headers(token), timeout=30)
    assert response.status_code == 200, response.text
    location = response.json()["entry"][0]["response"]["location"]
    goal_id = location.split("Goal/")[1].split("/")[0]
    current = requests.get(f"{iss}/Goal/{goal_id}", headers=bearer(token), timeout=10)
    stale = requests.put(
        f"{iss}/Goal/{goal_id}",
        json={**current.json(), "lifecycleStatus": "on-hold"},
        headers=_write_headers(token, **{"If-Match": 'W/"999"'}),
        timeout=10,
    )
    assert stale.status_code in (409, 412)
    statement = requests.get(f"{iss}/metadata", timeout=10).json()
    assert "transaction" in {i["code"] for i in statement["rest"][0]["interaction"]}
    goal_caps = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Goal")
    assert goal_caps["versioning"] == "versioned-update"


def test_epic_refuses_observation_search_without_category_or_code(sekmet_stack: Stack) -> None:
    token = _launch(sekmet_stack, "epic")
    iss, patient = token["iss"], token["patient"]
    bare = requests.get(
        f"{iss}/Observation", params={"patient": patient}, headers=bearer(token), timeout=10
    )
    assert bare.status_code == 400
    assert bare.json()["issue"][0]["code"] == "required"
    with_category = requests.get(
        f"{iss}/Observation",
        params={"patient": patient, "category": "survey"},
        headers=bearer(token),
        timeout=10,
    )
    assert with_category.status_code == 200


def test_epic_has_no_transactions_and_no_conditional_create(sekmet_stack: Stack) -> None:
    token = _launch(sekmet_stack, "epic")
    iss, patient = token["iss"], token["patient"]
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": []}
    assert (
        requests.post(iss, json=bundle, headers=_write_headers(token), timeout=10).status_code
        == 400
    )
    conditional = requests.post(
        f"{iss}/Goal",
        json=_goal(patient),
        timeout=10,
        headers=_write_headers(token, **{"If-None-Exist": "identifier=urn:ietf:rfc:3986|x"}),
    )
    assert conditional.status_code == 400
    assert conditional.json()["issue"][0]["code"] == "not-supported"
    plain = requests.post(
        f"{iss}/Goal", json=_goal(patient), headers=_write_headers(token), timeout=10
    )
    assert plain.status_code == 201
    statement = requests.get(f"{iss}/metadata", timeout=10).json()
    assert not {"transaction", "batch"} & {
        i["code"] for i in statement["rest"][0].get("interaction", [])
    }
    assert all(r.get("conditionalCreate") is False for r in statement["rest"][0]["resource"])


def test_epic_tokens_are_opaque_and_fhir_user_is_absolute(sekmet_stack: Stack) -> None:
    # smart.md 41, 45
    token = _launch(sekmet_stack, "epic")
    assert token["access_token"].count(".") == 0
    keys = KeySet.import_key_set(
        requests.get(discover(token["iss"])["jwks_uri"], timeout=10).json()
    )
    claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["fhirUser"] == f"{token['iss']}/Practitioner/{sekmet_stack.practitioners[0].id}"
    open_token = _launch(sekmet_stack, "open")
    assert open_token["access_token"].count(".") == 2


def test_oracle_goal_and_careplan_are_read_only(sekmet_stack: Stack) -> None:
    token = _launch(sekmet_stack, "oracle", "goal-history")
    iss, patient = token["iss"], token["patient"]
    create = requests.post(
        f"{iss}/Goal", json=_goal(patient), headers=_write_headers(token), timeout=10
    )
    assert create.status_code == 405
    plans = requests.get(
        f"{iss}/CarePlan",
        params={"patient": patient, "category": "assess-plan"},
        headers=bearer(token),
        timeout=10,
    ).json()
    plan = next(
        e["resource"] for e in plans["entry"] if e["resource"]["resourceType"] == "CarePlan"
    )
    update = requests.put(
        f"{iss}/CarePlan/{plan['id']}", json=plan, headers=_write_headers(token), timeout=10
    )
    assert update.status_code == 405
    statement = requests.get(f"{iss}/metadata", timeout=10).json()
    assert _interactions(statement, "Goal") <= {
        "read",
        "vread",
        "search-type",
        "history-instance",
        "history-type",
    }
    assert "create" in _interactions(statement, "DocumentReference")


def test_oracle_careplan_search_needs_assess_plan_and_hides_activities(sekmet_stack: Stack) -> None:
    token = _launch(sekmet_stack, "oracle", "goal-history")
    iss, patient = token["iss"], token["patient"]
    bare = requests.get(
        f"{iss}/CarePlan", params={"patient": patient}, headers=bearer(token), timeout=10
    )
    assert bare.status_code == 400
    found = requests.get(
        f"{iss}/CarePlan",
        params={"patient": patient, "category": "assess-plan"},
        headers=bearer(token),
        timeout=10,
    ).json()
    plans = [e["resource"] for e in found["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    assert plans
    assert all("activity" not in p for p in plans)
    upstream = requests.get(
        f"{sekmet_stack.backend_url}/CarePlan/{plans[0]['id']}", timeout=10
    ).json()
    assert upstream["activity"]  # the backend has them; the vendor does not return them


def test_oracle_allows_document_reference_create(sekmet_stack: Stack) -> None:
    token = _launch(sekmet_stack, "oracle")
    note = {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]},
        "subject": {"reference": f"Patient/{token['patient']}"},
        "content": [{"attachment": {"contentType": "text/plain", "data": "UGxhbg=="}}],
    }
    response = requests.post(
        f"{token['iss']}/DocumentReference", json=note, headers=_write_headers(token), timeout=10
    )
    assert response.status_code == 201, response.text


def test_oracle_tokens_last_ten_minutes_and_refresh_keeps_the_refresh_token(
    sekmet_stack: Stack,
) -> None:
    # smart.md 49, 52
    token = _launch(sekmet_stack, "oracle")
    assert token["expires_in"] == 600
    data = refresh_grant(token["refresh_token"])
    first = token_request(token["iss"], data)
    assert first.status_code == 200, first.text
    assert "refresh_token" not in first.json()
    second = token_request(token["iss"], data)
    assert second.status_code == 200
    assert second.json()["access_token"] != first.json()["access_token"]
