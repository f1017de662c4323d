"""The sandbox login page of a standalone authorize: a patient signs in for their own record."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from sandbox.stack import Stack
from tests.sandbox.smart import authorize, exchange, patient_of_kind, refresh_grant, token_request

pytestmark = pytest.mark.integration
SCOPE = "launch/patient openid fhirUser offline_access patient/*.rs"


def claims_of(id_token: str) -> dict[str, object]:
    """The id_token's payload (its signature is checked by the app's own tests)."""
    payload = id_token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def approve(stack: Stack, profile: str, scope: str, patient: str) -> tuple[str, requests.Response]:
    iss = stack.iss(profile)
    attempt = authorize(stack, iss, launch_id=None, scope=scope)
    assert attempt.response.status_code == 200
    assert 'name="signin_as" value="patient"' in attempt.response.text
    approved = requests.post(
        attempt.response.url,
        data={"decision": "approve", "signin_as": "patient", "patient": patient},
        allow_redirects=False,
        timeout=10,
    )
    if "code=" not in approved.headers.get("Location", ""):
        return iss, approved
    redeemed = exchange(
        iss,
        type(attempt)(
            response=approved, verifier=attempt.verifier, redirect_uri=attempt.redirect_uri
        ),
    )
    assert redeemed.status_code == 200, redeemed.text
    return iss, redeemed


@pytest.mark.parametrize("profile", ["open", "epic"])
def test_a_patient_signs_in_as_themself(sekmet_stack: Stack, profile: str) -> None:
    # smart.md 4, 45 (server side)
    patient = patient_of_kind(sekmet_stack, "sparse")
    iss, redeemed = approve(sekmet_stack, profile, SCOPE, patient)
    body = redeemed.json()
    assert body["patient"] == patient
    user = claims_of(body["id_token"])["fhirUser"]
    assert user in (f"Patient/{patient}", f"{iss}/Patient/{patient}")
    # A refresh keeps the same patient user and context.
    refreshed = token_request(iss, refresh_grant(body["refresh_token"]))
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["patient"] == patient


def test_a_patient_is_never_granted_user_scopes(sekmet_stack: Stack) -> None:
    # smart.md 17 (server side)
    patient = patient_of_kind(sekmet_stack, "sparse")
    _iss, answer = approve(sekmet_stack, "open", SCOPE + " user/*.rs", patient)
    assert answer.status_code == 302
    assert "error=invalid_scope" in answer.headers["Location"]
