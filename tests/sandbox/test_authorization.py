"""The sandbox's SMART authorization server: PKCE, state, client authentication, refresh, codes."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Flask, jsonify
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from sandbox.serve import ThreadedServer
from sandbox.stack import Stack
from tests.sandbox.smart import (
    ASSERTION_TYPE,
    Attempt,
    authorize,
    client_assertion,
    discover,
    exchange,
    launch,
    refresh_grant,
    token_request,
    tokens,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app_keys(sekmet_stack: Stack) -> Iterator[RSAKey]:
    """The app's key pair, its JWKS served at the app origin the clients registered."""
    key = RSAKey.generate_key(2048, parameters={"kid": "app-key-1"})
    web = Flask("jwks")

    @web.get("/.well-known/jwks.json")
    def jwks() -> object:
        return jsonify({"keys": [key.as_dict(private=False)]})

    port = int(sekmet_stack.app_url.rsplit(":", 1)[1])
    with ThreadedServer(port) as server:
        server.start(web)
        yield key


def _launch(stack: Stack, profile: str = "open") -> tuple[str, str]:
    return launch(
        stack, profile=profile, patient=stack.patients[0].id, practitioner=stack.practitioners[0].id
    )


def _authorize(stack: Stack, **params: str) -> tuple[str, Attempt]:
    """A launch at the open site and its authorize request (`params` override its parameters)."""
    iss, launch_id = _launch(stack)
    return iss, authorize(stack, iss, launch_id=launch_id, **params)


def test_pkce_s256_round_trip_gives_tokens_with_launch_context(sekmet_stack: Stack) -> None:
    # smart.md 14, 34, 36
    token = tokens(sekmet_stack)
    assert token["token_type"] == "Bearer"
    assert token["patient"] == sekmet_stack.patients[0].id
    assert token["need_patient_banner"] is True
    assert token["smart_style_url"] == f"{sekmet_stack.ehr_url}/smart-style.json"
    assert token["fhirContext"] == []
    assert "patient/Goal.cruds" in token["scope"].split()
    assert token["refresh_token"]
    assert requests.get(token["smart_style_url"], timeout=10).json()["color_highlight"]


def test_authorize_without_a_code_challenge_is_refused(sekmet_stack: Stack) -> None:
    # smart.md 14: SMART 2.2 servers require PKCE
    _, attempt = _authorize(sekmet_stack, code_challenge="")
    assert attempt.response.status_code == 302
    assert attempt.params["error"] == "invalid_request"
    assert attempt.params["state"] == "state-1"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        # smart.md 14: S256 only, never plain
        pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="plain-pkce"),
        # smart.md 16
        pytest.param({"aud": "https://evil.example/fhir"}, "invalid_request", id="foreign-aud"),
        pytest.param({"scope": "launch patient/Goal.xyz"}, "invalid_scope", id="unknown-scope"),
    ],
)
def test_an_authorize_request_the_server_cannot_honour_is_refused(
    sekmet_stack: Stack, params: dict[str, str], error: str
) -> None:
    _, attempt = _authorize(sekmet_stack, **params)
    assert attempt.params["error"] == error


def test_a_wrong_verifier_fails_the_exchange(sekmet_stack: Stack) -> None:
    # smart.md 14
    iss, attempt = _authorize(sekmet_stack)
    response = exchange(iss, attempt, verifier="x" * 64)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_state_is_echoed_unchanged(sekmet_stack: Stack) -> None:
    # smart.md 15
    odd_state = "a b/c?d=é&f"
    _, attempt = _authorize(sekmet_stack, state=odd_state)
    assert attempt.params["state"] == odd_state
    assert attempt.params["code"]


def test_a_code_is_redeemed_once(sekmet_stack: Stack) -> None:
    # smart.md 25
    iss, attempt = _authorize(sekmet_stack)
    assert exchange(iss, attempt).status_code == 200
    again = exchange(iss, attempt)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(sekmet_stack: Stack) -> None:
    # smart.md 25: codes live about a minute
    iss, attempt = _authorize(sekmet_stack)
    sekmet_stack.ehr_clock.advance(61)
    try:
        response = exchange(iss, attempt)
    finally:
        sekmet_stack.ehr_clock.advance(-61)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_an_unregistered_redirect_uri_is_not_followed(sekmet_stack: Stack) -> None:
    _, attempt = _authorize(sekmet_stack, redirect_uri="https://evil.example/cb")
    assert attempt.response.status_code == 400
    assert "Location" not in attempt.response.headers


def test_client_secret_basic_authenticates_and_a_wrong_secret_does_not(sekmet_stack: Stack) -> None:
    # smart.md 31
    iss, attempt = _authorize(sekmet_stack, client_id="functionfirst-secret")
    wrong = exchange(iss, attempt, auth=("functionfirst-secret", "not-the-secret"))
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    right = exchange(iss, attempt, auth=("functionfirst-secret", sekmet_stack.client_secret))
    assert right.status_code == 200, right.text


def test_a_confidential_client_cannot_pass_as_public(sekmet_stack: Stack) -> None:
    # smart.md 28: confidential clients authenticate
    iss, attempt = _authorize(sekmet_stack, client_id="functionfirst-secret")
    response = exchange(iss, attempt, client_id="functionfirst-secret")
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"


def test_private_key_jwt_is_verified_against_the_jwks_url(
    sekmet_stack: Stack, app_keys: RSAKey
) -> None:
    # smart.md 29
    iss, launch_id = _launch(sekmet_stack)
    token_url = discover(iss)["token_endpoint"]
    attempt = authorize(sekmet_stack, iss, launch_id=launch_id, client_id="functionfirst-jwt")
    stranger = RSAKey.generate_key(2048, parameters={"kid": "app-key-1"})
    forged = client_assertion(stranger, client_id="functionfirst-jwt", audience=token_url)
    refused = exchange(iss, attempt, assertion=forged)
    assert refused.status_code in (400, 401)
    assert refused.json()["error"] == "invalid_client"
    good = client_assertion(app_keys, client_id="functionfirst-jwt", audience=token_url)
    accepted = exchange(iss, attempt, assertion=good)
    assert accepted.status_code == 200, accepted.text
    replay = exchange(
        iss,
        authorize(sekmet_stack, iss, launch_id=launch_id, client_id="functionfirst-jwt"),
        assertion=good,
    )
    assert replay.json()["error"] == "invalid_client"  # smart.md 84: unique jti


def test_an_assertion_living_longer_than_five_minutes_is_refused(
    sekmet_stack: Stack, app_keys: RSAKey
) -> None:
    # smart.md 29: exp no more than five minutes ahead
    iss, attempt = _authorize(sekmet_stack, client_id="functionfirst-jwt")
    token_url = discover(iss)["token_endpoint"]
    long_lived = client_assertion(
        app_keys, client_id="functionfirst-jwt", audience=token_url, lifetime=3600
    )
    assert exchange(iss, attempt, assertion=long_lived).json()["error"] == "invalid_client"


def test_id_token_is_rs256_with_fhir_user(sekmet_stack: Stack) -> None:
    # smart.md 42, 45
    token = tokens(sekmet_stack)
    jwks = requests.get(discover(token["iss"])["jwks_uri"], timeout=10).json()
    decoded = jwt.decode(token["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert decoded.header["alg"] == "RS256"
    assert decoded.claims["fhirUser"] == f"Practitioner/{sekmet_stack.practitioners[0].id}"
    assert decoded.claims["aud"] == "functionfirst"
    assert decoded.claims["iss"] == token["iss"]
    assert decoded.claims["nonce"] == "nonce-1"


def test_refresh_rotates_and_the_old_refresh_token_dies(sekmet_stack: Stack) -> None:
    # smart.md 48, 49
    token = tokens(sekmet_stack)
    data = refresh_grant(token["refresh_token"])
    first = token_request(token["iss"], data)
    assert first.status_code == 200, first.text
    renewed = first.json()
    assert renewed["refresh_token"] != token["refresh_token"]
    assert renewed["access_token"] != token["access_token"]
    assert renewed["scope"] == token["scope"]
    assert renewed["patient"] == token["patient"]
    replay = token_request(token["iss"], data)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_refresh_with_a_wider_scope_is_refused(sekmet_stack: Stack) -> None:
    # smart.md 48: a refresh scope must be a subset of the grant
    token = tokens(sekmet_stack)
    data = refresh_grant(token["refresh_token"], scope="user/*.cruds")
    assert token_request(token["iss"], data).json()["error"] == "invalid_scope"


def test_backend_services_issue_a_short_system_token(sekmet_stack: Stack, app_keys: RSAKey) -> None:
    # smart.md 55, 56
    iss = sekmet_stack.iss("open")
    token_url = discover(iss)["token_endpoint"]
    assertion = client_assertion(app_keys, client_id="functionfirst-backend", audience=token_url)
    data = {
        "grant_type": "client_credentials",
        "scope": "system/Patient.rs system/Goal.rs",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    response = token_request(iss, data)
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["expires_in"] <= 300
    assert "refresh_token" not in token
    patient_id = sekmet_stack.patients[0].id
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    read = requests.get(f"{iss}/Patient/{patient_id}", headers=headers, timeout=10)
    assert read.status_code == 200
    write = requests.post(f"{iss}/Goal", json={"resourceType": "Goal"}, headers=headers, timeout=10)
    assert write.status_code == 403


def test_backend_services_refuse_a_user_client_and_a_missing_system_scope(
    sekmet_stack: Stack, app_keys: RSAKey
) -> None:
    # smart.md 54, 55
    iss = sekmet_stack.iss("open")
    token_url = discover(iss)["token_endpoint"]
    as_user_app = client_assertion(app_keys, client_id="functionfirst-jwt", audience=token_url)
    data = {
        "grant_type": "client_credentials",
        "scope": "system/Patient.rs",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": as_user_app,
    }
    assert token_request(iss, data).json()["error"] == "unauthorized_client"
    backend = client_assertion(app_keys, client_id="functionfirst-backend", audience=token_url)
    data.update(client_assertion=backend, scope="patient/Patient.rs")
    assert token_request(iss, data).json()["error"] == "invalid_scope"


def test_introspection_reports_an_active_token_with_its_context(sekmet_stack: Stack) -> None:
    token = tokens(sekmet_stack)
    url = discover(token["iss"])["introspection_endpoint"]
    auth = ("functionfirst-secret", sekmet_stack.client_secret)
    active = requests.post(url, data={"token": token["access_token"]}, auth=auth, timeout=10).json()
    assert active["active"] is True
    assert active["patient"] == token["patient"]
    assert active["scope"] == token["scope"]
    unknown = requests.post(url, data={"token": "nope"}, auth=auth, timeout=10).json()
    assert unknown == {"active": False}


def test_a_token_of_one_site_is_unknown_at_another(sekmet_stack: Stack) -> None:
    token = tokens(sekmet_stack, "open")
    epic = sekmet_stack.iss("epic")
    patient_id = sekmet_stack.patients[0].id
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    response = requests.get(f"{epic}/Patient/{patient_id}", headers=headers, timeout=10)
    assert response.status_code == 401


def test_the_login_page_asks_then_approves(sekmet_stack: Stack) -> None:
    iss, launch_id = launch(sekmet_stack, patient=sekmet_stack.patients[0].id, auto="")
    attempt = authorize(sekmet_stack, iss, launch_id=launch_id)
    assert attempt.response.status_code == 200
    assert "Approve" in attempt.response.text
    url = attempt.response.url
    denied = requests.post(url, data={"decision": "deny"}, allow_redirects=False, timeout=10)
    assert "error=access_denied" in denied.headers["Location"]
    approved = requests.post(
        url,
        data={"decision": "approve", "practitioner": sekmet_stack.practitioners[1].id},
        allow_redirects=False,
        timeout=10,
    )
    assert "code=" in approved.headers["Location"]


def test_authorize_by_post_shows_the_login_page_which_carries_the_request(
    sekmet_stack: Stack,
) -> None:
    # smart.md 19: authorize-post
    iss, launch_id = launch(sekmet_stack, patient=sekmet_stack.patients[0].id, auto="")
    first = authorize(sekmet_stack, iss, launch_id=launch_id)  # builds a valid request
    params = dict(parse_qsl(urlsplit(first.response.url).query))
    url = discover(iss)["authorization_endpoint"]
    page = requests.post(url, data=params, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    assert hidden == {k: html.escape(v) for k, v in params.items()}
    form = {k: html.unescape(v) for k, v in hidden.items()}
    form.update(decision="approve", practitioner=sekmet_stack.practitioners[0].id)
    approved = requests.post(url, data=form, allow_redirects=False, timeout=10)
    assert approved.status_code == 302
    assert "code=" in approved.headers["Location"]
    assert "state=state-1" in approved.headers["Location"]


def test_no_code_verifier_or_token_reaches_the_logs(
    sekmet_stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    # smart.md 70: the EHR runs in the same process as apps under test; its logs stay clean
    caplog.set_level(logging.DEBUG)
    iss, attempt = _authorize(sekmet_stack)
    code = attempt.params["code"]
    token = exchange(iss, attempt).json()
    data = refresh_grant(token["refresh_token"])
    renewed = token_request(iss, data).json()
    headers = {"Authorization": f"Bearer {renewed['access_token']}"}
    assert requests.get(f"{iss}/Patient/{token['patient']}", headers=headers, timeout=10).ok
    # urllib3 records are this test's own HTTP client; everything else is the EHR's.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("urllib3"))
    secrets = (
        code,
        attempt.verifier,
        token["access_token"],
        token["refresh_token"],
        token["id_token"],
        renewed["access_token"],
        renewed["refresh_token"],
    )
    assert [s[:8] for s in secrets if s in logged] == []
