"""Simulated errors chosen per launch, as the SMART reference launcher offers them."""

from __future__ import annotations

import pytest
import requests

from sandbox.stack import Stack
from tests.sandbox.smart import (
    authorize,
    bearer,
    exchange,
    launch,
    refresh_grant,
    token_request,
    tokens,
)

pytestmark = pytest.mark.integration


def _launch(stack: Stack, sim_error: str) -> tuple[str, str]:
    return launch(stack, patient=stack.patients[0].id, sim_error=sim_error)


def test_invalid_client_id_stops_at_the_ehr(sekmet_stack: Stack) -> None:
    # smart.md 85
    iss, launch_id = _launch(sekmet_stack, "auth_invalid_client_id")
    attempt = authorize(sekmet_stack, iss, launch_id=launch_id)
    assert attempt.response.status_code == 400
    assert "Location" not in attempt.response.headers
    assert "Invalid client" in attempt.response.text


def test_invalid_redirect_uri_stops_at_the_ehr(sekmet_stack: Stack) -> None:
    # smart.md 85
    iss, launch_id = _launch(sekmet_stack, "auth_invalid_redirect_uri")
    attempt = authorize(sekmet_stack, iss, launch_id=launch_id)
    assert attempt.response.status_code == 400
    assert "Location" not in attempt.response.headers


def test_invalid_scope_comes_back_to_the_app_with_state(sekmet_stack: Stack) -> None:
    # smart.md 23, 85
    iss, launch_id = _launch(sekmet_stack, "auth_invalid_scope")
    attempt = authorize(sekmet_stack, iss, launch_id=launch_id, state="s-42")
    assert attempt.response.status_code == 302
    assert attempt.params["error"] == "invalid_scope"
    assert attempt.params["state"] == "s-42"


def test_invalid_client_secret_fails_the_code_exchange(sekmet_stack: Stack) -> None:
    # smart.md 33, 85: invalid_client at the token endpoint
    iss, launch_id = _launch(sekmet_stack, "auth_invalid_client_secret")
    attempt = authorize(sekmet_stack, iss, launch_id=launch_id, client_id="functionfirst-secret")
    response = exchange(iss, attempt, auth=("functionfirst-secret", sekmet_stack.client_secret))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_expired_refresh_token_fails_the_refresh(sekmet_stack: Stack) -> None:
    # smart.md 51, 85
    token = tokens(sekmet_stack, sim_error="token_expired_refresh_token")
    response = token_request(token["iss"], refresh_grant(token["refresh_token"]))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("sim_error", "code"),
    [("request_invalid_token", "login"), ("request_expired_token", "expired")],
)
def test_fhir_requests_answer_401(sekmet_stack: Stack, sim_error: str, code: str) -> None:
    # smart.md 85
    token = tokens(sekmet_stack, sim_error=sim_error)
    response = requests.get(
        f"{token['iss']}/Patient/{token['patient']}", headers=bearer(token), timeout=10
    )
    assert response.status_code == 401
    assert response.json()["issue"][0]["code"] == code


def test_an_unknown_simulated_error_is_refused_by_the_launcher(sekmet_stack: Stack) -> None:
    response = requests.get(
        f"{sekmet_stack.ehr_url}/launcher",
        params={"launch_uri": f"{sekmet_stack.app_url}/launch", "sim_error": "<b>nope</b>"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 400
    assert "<b>nope</b>" not in response.text
    assert "&lt;b&gt;nope&lt;/b&gt;" in response.text
