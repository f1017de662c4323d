"""The launcher page, its scriptable form, the EHR frame, the seeded lists and standalone launch."""

from __future__ import annotations

import html
import re

import pytest
import requests

from sandbox.stack import Stack
from tests.sandbox.smart import authorize, exchange, launch, patient_of_kind, query, tokens

pytestmark = pytest.mark.integration


def test_the_lists_name_the_seeded_patients_and_practitioners(sekmet_stack: Stack) -> None:
    patients = requests.get(f"{sekmet_stack.ehr_url}/sandbox/patients", timeout=10).json()
    kinds = {p["kind"] for p in patients}
    assert {"typical", "opioid", "heavy", "sparse", "empty", "messy", "goal-history"} <= kinds
    assert all(set(p) == {"id", "name", "kind", "description"} for p in patients)
    staff = requests.get(f"{sekmet_stack.ehr_url}/sandbox/practitioners", timeout=10).json()
    assert staff
    assert all(p["name"] and p["role"] for p in staff)


def test_the_launcher_page_offers_patients_profiles_and_the_frame(sekmet_stack: Stack) -> None:
    page = requests.get(f"{sekmet_stack.launcher_url}?profile=epic", timeout=10).text
    assert sekmet_stack.patients[0].name in page
    assert 'value="epic" selected' in page
    assert "Open inside an EHR frame" in page
    assert f"{sekmet_stack.app_url}/launch" in page


def test_the_browser_favicon_request_is_answered_without_an_error(sekmet_stack: Stack) -> None:
    response = requests.get(f"{sekmet_stack.ehr_url}/favicon.ico", timeout=10)
    assert response.status_code == 204
    assert response.content == b""


def test_a_scripted_launch_redirects_to_the_app_with_iss_and_launch(sekmet_stack: Stack) -> None:
    response = requests.get(
        sekmet_stack.launcher_url,
        params={"launch_uri": f"{sekmet_stack.app_url}/launch?x=1", "profile": "oracle"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{sekmet_stack.app_url}/launch?x=1&")
    params = query(location)
    assert params["iss"] == sekmet_stack.iss("oracle")
    assert len(params["launch"]) >= 32


@pytest.mark.parametrize(
    "params",
    [
        {"launch_uri": "javascript:alert(1)"},
        {"launch_uri": "http://127.0.0.1:1/launch", "profile": "cerner"},
        {"launch_uri": "http://127.0.0.1:1/launch", "latency_ms": "-5"},
    ],
)
def test_bad_launches_are_refused(sekmet_stack: Stack, params: dict[str, str]) -> None:
    response = requests.get(
        sekmet_stack.launcher_url, params=params, allow_redirects=False, timeout=10
    )
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_the_ehr_frame_embeds_the_app_and_the_ehr_shows_the_banner(sekmet_stack: Stack) -> None:
    # smart.md 38, 86
    patient = patient_of_kind(sekmet_stack, "typical")
    page = requests.get(
        sekmet_stack.launcher_url,
        params={
            "launch_uri": f"{sekmet_stack.app_url}/launch",
            "patient": patient,
            "frame": "1",
            "auto": "1",
        },
        timeout=10,
    ).text
    found = re.search(r'<iframe title="SMART app" src="([^"]+)"', page)
    assert found is not None
    src = html.unescape(found.group(1))
    assert src.startswith(f"{sekmet_stack.app_url}/launch?iss=")
    iss, launch_id = query(src)["iss"], query(src)["launch"]
    attempt = authorize(sekmet_stack, iss, launch_id=launch_id)
    framed = exchange(iss, attempt).json()
    assert framed["patient"] == patient
    assert framed["need_patient_banner"] is False


def test_fhir_context_and_encounter_reach_the_token(sekmet_stack: Stack) -> None:
    token = tokens(sekmet_stack, fhir_context="Goal/g1,CarePlan/c1", encounter="e1")
    assert token["fhirContext"] == [{"reference": "Goal/g1"}, {"reference": "CarePlan/c1"}]
    assert token["encounter"] == "e1"


def test_a_launch_of_another_site_is_unknown(sekmet_stack: Stack) -> None:
    _iss, launch_id = launch(sekmet_stack, profile="epic", patient=sekmet_stack.patients[0].id)
    attempt = authorize(sekmet_stack, sekmet_stack.iss("open"), launch_id=launch_id)
    assert attempt.params["error"] == "invalid_request"


def test_standalone_launch_picks_the_patient_on_the_login_page(sekmet_stack: Stack) -> None:
    # smart.md 4
    iss = sekmet_stack.iss("open")
    attempt = authorize(
        sekmet_stack, iss, launch_id=None, scope="launch/patient openid fhirUser patient/*.rs"
    )
    assert attempt.response.status_code == 200
    patient = patient_of_kind(sekmet_stack, "sparse")
    assert f'value="{patient}"' in attempt.response.text
    approved = requests.post(
        attempt.response.url,
        data={
            "decision": "approve",
            "patient": patient,
            "practitioner": sekmet_stack.practitioners[0].id,
        },
        allow_redirects=False,
        timeout=10,
    )
    code = query(approved.headers["Location"])["code"]
    redeemed = exchange(
        iss,
        type(attempt)(
            response=approved, verifier=attempt.verifier, redirect_uri=attempt.redirect_uri
        ),
    )
    assert code
    assert redeemed.status_code == 200, redeemed.text
    assert redeemed.json()["patient"] == patient
