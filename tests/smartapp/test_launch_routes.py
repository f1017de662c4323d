"""The launch routes against a fake EHR on the wire: allow-list, state, session, errors."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import responses
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from smartapp import create_app
from smartapp.store import Outcome

from .conftest import https_client, run_launch, start_launch
from .fake_ehr import GRANULAR_SCOPES, ISS, FakeEhr


def test_an_unknown_or_look_alike_iss_gets_400_and_no_request_leaves(
    client: FlaskClient, wire: responses.RequestsMock
) -> None:
    # smart.md 1, 2
    for iss in (
        "https://evil.example/fhir",
        "https://ehr.example/fhir.evil.com",
        "https://ehr.example@evil.com/fhir",
        "http://ehr.example/fhir",
        "https://ehr.example/FHIR",
        "",
    ):
        response = client.get("/launch", query_string={"iss": iss, "launch": "x"})
        assert response.status_code == 400, iss
        assert "not registered" in response.get_data(as_text=True)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert len(wire.calls) == 0


def test_an_ehr_launch_lands_on_the_launched_page(
    app: Flask, client: FlaskClient, ehr: FakeEhr
) -> None:
    # smart.md 3, 14, 16, 28, 35, 40
    authorize = start_launch(client)
    query = parse_qs(urlsplit(authorize).query)
    assert query["launch"] == ["launch-123"]
    assert query["aud"] == [ISS]
    assert "launch" in query["scope"][0].split()
    landing = run_launch(client, ehr)
    page = client.get(landing + "session")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "pat-1" in html
    assert "Pat PAT-1" in html  # the one FHIR read, with the launch's token
    assert "patient/Goal.crus" in html
    for issued in ehr.issued:  # tokens never reach the browser
        assert str(issued["access_token"]) not in html
    cookie = client.get_cookie("__Host-ff_session")
    assert cookie is not None
    assert len(cookie.value) == 43  # the opaque session id only
    for issued in ehr.issued:
        assert str(issued["access_token"]) not in cookie.value
        assert str(issued["refresh_token"]) not in cookie.value
    actions = [(e.action, e.outcome) for e in app.extensions["functionfirst"].store.audit.entries()]
    assert ("launch", Outcome.SUCCESS) in actions


def test_the_launch_redirect_ignores_any_next_parameter(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 5, 65
    response = client.get(
        "/launch", query_string={"iss": ISS, "launch": "l", "next": "https://evil"}
    )
    while response.status_code == 303:
        response = client.get(response.headers["Location"])
    assert response.headers["Location"].startswith("https://ehr.example/auth/authorize?")
    assert "evil" not in response.headers["Location"]


def test_the_session_id_is_rotated_at_the_callback(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 26
    authorize = start_launch(client)
    before = client.get_cookie("__Host-ff_session")
    assert before is not None
    response = client.get(ehr.authorize(authorize))
    after = client.get_cookie("__Host-ff_session")
    assert response.status_code == 303
    assert after is not None
    assert after.value != before.value


def test_the_session_cookie_has_the_embedding_flags(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 59
    response = client.get("/launch", query_string={"iss": ISS, "launch": "l"})
    header = response.headers["Set-Cookie"]
    assert header.startswith("__Host-ff_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=None", "Partitioned", "Path=/"):
        assert flag in header


def test_state_is_checked_first_and_used_once(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 15, 21, 25
    callback = ehr.authorize(start_launch(client))
    forged = client.get(
        "/callback?code=x&state=forged&error=access_denied&error_description=QQ-ehr-words"
    )
    assert forged.status_code == 400
    assert "QQ-ehr-words" not in forged.get_data(as_text=True)
    assert ehr.token_calls == 0
    assert client.get(callback).status_code == 303
    replay = client.get(callback)
    assert replay.status_code == 400
    assert ehr.token_calls == 1


def test_a_callback_without_state_never_exchanges_a_code(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 21
    start_launch(client)
    assert client.get("/callback?code=abc").status_code == 400
    assert ehr.token_calls == 0


def test_a_state_from_another_browser_is_refused(app: Flask, ehr: FakeEhr) -> None:
    # smart.md 15, 27
    victim, attacker = https_client(app), https_client(app)
    callback = ehr.authorize(start_launch(attacker))
    start_launch(victim)
    assert victim.get(callback).status_code == 400
    assert ehr.token_calls == 0


def test_error_description_renders_as_text(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 22, 23
    state = parse_qs(urlsplit(start_launch(client)).query)["state"][0]
    response = client.get(
        "/callback",
        query_string={
            "state": state,
            "error": "access_denied",
            "error_description": "<script>alert(1)</script>",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Access was not granted" in html
    assert ehr.token_calls == 0


def test_a_callback_without_the_cookie_fails_closed(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 27, 63
    callback = ehr.authorize(start_launch(client))
    client.delete_cookie("__Host-ff_session")
    response = client.get(callback)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "new window" in html
    assert "frame-ancestors https://ehr.example" in response.headers["Content-Security-Policy"]
    assert ehr.token_calls == 0


def test_a_blocked_cookie_at_launch_offers_a_new_window(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 63
    response = client.get("/launch", query_string={"iss": ISS, "launch": "l-9"})
    client.delete_cookie("__Host-ff_session")  # the browser dropped it in the frame
    blocked = client.get(response.headers["Location"])
    html = blocked.get_data(as_text=True)
    assert blocked.status_code == 400
    assert 'target="_blank"' in html
    assert "/launch?iss=https%3A%2F%2Fehr.example%2Ffhir&amp;launch=l-9" in html


def test_two_tabs_with_two_patients_never_cross(app: Flask, ehr: FakeEhr) -> None:
    # smart.md 6, 7
    client = https_client(app)
    first_authorize = start_launch(client, launch="tab-a")
    second_authorize = start_launch(client, launch="tab-b")
    ehr.patient = "patient-a"
    first = client.get(ehr.authorize(first_authorize)).headers["Location"]
    ehr.patient = "patient-b"
    second = client.get(ehr.authorize(second_authorize)).headers["Location"]
    assert first != second
    assert "patient-a" in client.get(first + "session").get_data(as_text=True)
    assert "patient-b" in client.get(second + "session").get_data(as_text=True)
    assert "patient-a" not in client.get(second + "session").get_data(as_text=True)
    stranger = https_client(app)
    assert stranger.get(first + "session").status_code == 404
    assert stranger.get(first).status_code == 404


def test_the_launched_page_frames_only_for_its_tenant(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 61, 62
    page = client.get(run_launch(client, ehr) + "session")
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors https://ehr.example" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert "'unsafe-inline'" not in csp
    assert "object-src 'none'" in csp
    assert "base-uri 'none'" in csp
    assert page.headers["Cache-Control"] == "no-store"


def test_an_ehr_whose_discovery_fails_ends_on_a_clean_page_and_is_audited(
    app: Flask, client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # smart.md 8, 9, 72
    wire.replace(responses.GET, f"{ISS}/.well-known/smart-configuration", status=503)
    wire.add(responses.GET, f"{ISS}/metadata", status=503)
    response = client.get("/launch", query_string={"iss": ISS, "launch": "l"})
    while response.status_code == 303:
        response = client.get(response.headers["Location"])
    html = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "Reference:" in html
    assert "frame-ancestors https://ehr.example" in response.headers["Content-Security-Policy"]
    (entry,) = app.extensions["functionfirst"].store.audit.entries()
    assert (entry.action, entry.outcome, entry.detail) == (
        "launch",
        Outcome.FAILURE,
        "discovery_failed",
    )


LONG_SCOPES = " ".join(GRANULAR_SCOPES)


def long_scope_app(app_settings: dict[str, object], tmp_path: Path) -> Flask:
    tenants = Path(str(app_settings["FUNCTIONFIRST_TENANTS"]))
    text = tenants.read_text(encoding="utf-8")
    tenants.write_text(
        text.replace('patient/CarePlan.rs offline_access"',
                     f'patient/CarePlan.rs offline_access {LONG_SCOPES}"', 1),
        encoding="utf-8",
    )
    return create_app({**app_settings, "FUNCTIONFIRST_DATABASE_URL":
                       f"sqlite:///{tmp_path / 'long.db'}"})


def authorize_answer(client: FlaskClient) -> TestResponse:
    response = client.get("/launch", query_string={"iss": ISS, "launch": "launch-123"})
    if response.status_code == 303:
        response = client.get(response.headers["Location"])
    return response


def test_a_long_scope_string_goes_in_a_form_post_where_the_ehr_allows_it(
    app_settings: dict[str, object], tmp_path: Path, ehr: FakeEhr
) -> None:
    # smart.md 19: POST the authorize request (authorize-post) when the URL would be too long.
    ehr.authorize_post = True
    app = long_scope_app(app_settings, tmp_path)
    try:
        client = https_client(app)
        answer = authorize_answer(client)
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
        form = re.search(r'<form id="ff-authorize" method="post" action="([^"]+)">', html)
        assert form is not None
        assert unescape(form.group(1)) == f"{ehr.host}/auth/authorize"  # no query: all in the body
        fields = dict(
            (unescape(name), unescape(value))
            for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                                          html)
        )
        assert fields["response_type"] == "code"
        assert fields["aud"] == ISS
        assert fields["launch"] == "launch-123"
        assert fields["code_challenge_method"] == "S256"
        assert LONG_SCOPES in fields["scope"]
        assert "code_verifier" not in fields  # the verifier stays on the server
        # The page sends itself on by a script the CSP allows (by nonce), with a button besides.
        nonce = re.search(r"'nonce-([^']+)'", answer.headers["Content-Security-Policy"])
        assert nonce is not None
        assert f'<script nonce="{nonce.group(1)}">document.getElementById("ff-authorize")' in html
        assert "Continue to the EHR's sign-in</button>" in html
        assert answer.headers["Cache-Control"] == "no-store"
        # The EHR answers the POST as it would the GET: the launch completes.
        callback = ehr.authorize(f"{form.group(1)}?{urlencode(fields)}")
        landed = client.get(callback)
        assert landed.status_code == 303, landed.get_data(as_text=True)
    finally:
        app.extensions["functionfirst"].store.close()


def test_without_authorize_post_even_a_long_scope_string_is_a_redirect(
    app_settings: dict[str, object], tmp_path: Path, ehr: FakeEhr
) -> None:
    app = long_scope_app(app_settings, tmp_path)
    try:
        answer = authorize_answer(https_client(app))
        assert answer.status_code == 302
        assert LONG_SCOPES.split()[-1] in unquote_plus(answer.headers["Location"])
    finally:
        app.extensions["functionfirst"].store.close()


def test_a_short_scope_string_is_a_redirect_even_where_post_is_allowed(
    client: FlaskClient, ehr: FakeEhr
) -> None:
    ehr.authorize_post = True
    assert authorize_answer(client).status_code == 302
