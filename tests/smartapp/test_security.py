"""Security behaviour of the shell: CSRF and Origin, JWKS, standalone picker, error pages."""

from __future__ import annotations

import importlib.metadata
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from launch.keys import generate
from smartapp import create_app
from smartapp.store.schema import launch_sessions
from smartapp.web import current_launch, launched_view

from .conftest import https_client, run_launch, start_launch
from .fake_ehr import APP, FakeEhr


@pytest.fixture
def echo_app(app: Flask) -> Flask:
    """The app with one state-changing launched route, as the goal pages have."""

    @launched_view
    def echo(launch_id: str) -> str:
        return f"saved for {current_launch().patient_id}"

    app.add_url_rule("/l/<launch_id>/echo", "echo", echo, methods=["POST"])
    return app


def csrf_of(app: Flask, client: FlaskClient, path: str) -> str:
    cookie = client.get_cookie("__Host-ff_session")
    assert cookie is not None
    with app.test_request_context(
        path, base_url=APP, headers={"Cookie": f"__Host-ff_session={cookie.value}"}
    ):
        return current_launch().csrf_token


def test_a_post_needs_the_csrf_token_and_our_origin(echo_app: Flask, ehr: FakeEhr) -> None:
    # smart.md 60
    client = https_client(echo_app)
    base = run_launch(client, ehr)
    token = csrf_of(echo_app, client, base)
    echo = base + "echo"
    assert client.post(echo, headers={"Origin": APP}).status_code == 400
    assert client.post(echo, headers={"Origin": APP, "X-CSRF-Token": "forged"}).status_code == 400
    evil = client.post(echo, headers={"Origin": "https://evil.example", "X-CSRF-Token": token})
    assert evil.status_code == 403
    assert client.post(echo, headers={"X-CSRF-Token": token}).status_code == 403  # no Origin
    good = client.post(echo, headers={"Origin": APP, "X-CSRF-Token": token})
    assert good.status_code == 200
    assert good.get_data(as_text=True) == "saved for pat-1"
    form = client.post(echo, data={"csrf_token": token}, headers={"Referer": f"{APP}/l/x/"})
    assert form.status_code == 200


def test_a_csrf_token_of_one_launch_does_not_work_for_another(
    echo_app: Flask, ehr: FakeEhr
) -> None:
    # smart.md 7, 60
    client = https_client(echo_app)
    first = run_launch(client, ehr, launch="a")
    second = run_launch(client, ehr, launch="b")
    token_first = csrf_of(echo_app, client, first)
    response = client.post(second + "echo", headers={"Origin": APP, "X-CSRF-Token": token_first})
    assert response.status_code == 400


def test_the_jwks_holds_public_keys_only(app_settings: dict[str, object], tmp_path: Path) -> None:
    # smart.md 30
    generate(tmp_path / "keys.json")
    app = create_app({**app_settings, "FUNCTIONFIRST_KEYS": str(tmp_path / "keys.json")})
    try:
        response = https_client(app).get("/.well-known/jwks.json")
    finally:
        app.extensions["functionfirst"].store.close()
    keys = response.get_json()["keys"]
    assert {k["kty"] for k in keys} == {"RSA", "EC"}
    for key in keys:
        assert key["kid"]
        assert not {"d", "p", "q", "dp", "dq", "qi", "oth", "k"} & set(key)
    assert "max-age" in response.headers["Cache-Control"]


def test_the_standalone_picker_lists_only_standalone_organisations(
    client: FlaskClient, ehr: FakeEhr
) -> None:
    # smart.md 4, 60
    page = client.get("/standalone")
    html = page.get_data(as_text=True)
    assert 'value="ehr"' in html
    assert 'value="other"' not in html
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert (
        client.post("/standalone", data={"tenant": "ehr"}, headers={"Origin": APP}).status_code
        == 400
    )
    refused = client.post(
        "/standalone", data={"tenant": "other", "csrf_token": token}, headers={"Origin": APP}
    )
    assert refused.status_code == 400
    response = client.post(
        "/standalone", data={"tenant": "ehr", "csrf_token": token}, headers={"Origin": APP}
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert "launch" not in query
    assert "launch/patient" in query["scope"][0].split()
    assert query["code_challenge_method"] == ["S256"]


def test_a_standalone_launch_completes(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 4
    html = client.get("/standalone").get_data(as_text=True)
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    authorize = client.post(
        "/standalone", data={"tenant": "ehr", "csrf_token": token}, headers={"Origin": APP}
    )
    done = client.get(ehr.authorize(authorize.headers["Location"]))
    assert done.status_code == 303
    assert "pat-1" in client.get(done.headers["Location"] + "session").get_data(as_text=True)


def test_api_errors_are_json_with_a_reference(client: FlaskClient) -> None:
    response = client.get("/api/no-such-thing", headers={"X-Request-ID": "req-12345678"})
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "not_found"
    assert body["reference"] == "req-12345678"
    assert response.headers["X-Request-ID"] == "req-12345678"


def test_page_errors_are_html_with_a_reference(client: FlaskClient) -> None:
    response = client.get("/l/unknown-launch/session")
    html = response.get_data(as_text=True)
    assert response.status_code == 401  # no such launch here: the way back is a new launch
    assert response.mimetype == "text/html"
    assert f"<code>{response.headers['X-Request-ID']}</code>" in html


def test_plain_http_cookies_only_on_loopback_in_development(
    app_settings: dict[str, object],
) -> None:
    # smart.md 59
    settings = {
        **app_settings,
        "FUNCTIONFIRST_BASE_URL": "http://127.0.0.1:8000",
        "FUNCTIONFIRST_DEV": "1",
    }
    app = create_app(settings)
    try:
        response = app.test_client().get("/standalone")
    finally:
        app.extensions["functionfirst"].store.close()
    header = response.headers["Set-Cookie"]
    assert header.startswith("ff_session=")
    assert "Secure" not in header
    assert "HttpOnly" in header


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_closing_a_launch_deletes_its_tokens(app: Flask, client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 64
    path = run_launch(client, ehr)
    token = csrf_of(app, client, path)
    launch_id = path.split("/")[2]
    assert client.post(path + "end", headers={"Origin": APP}).status_code == 400
    closed = client.post(path + "end", data={"csrf_token": token}, headers={"Origin": APP})
    assert closed.status_code == 200
    assert app.extensions["functionfirst"].store.sessions.get_launch(launch_id) is None
    assert client.get(path + "session").status_code == 401  # session expired: relaunch


def test_a_callback_from_another_issuer_is_refused(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 24 (RFC 9207 mix-up defence)
    callback = ehr.authorize(start_launch(client))
    response = client.get(callback + "&iss=https%3A%2F%2Fevil.example%2Ffhir")
    assert response.status_code == 400
    assert ehr.token_calls == 0
    assert client.get(callback + "&iss=https%3A%2F%2Fehr.example%2Ffhir").status_code == 400  # used


def test_text_from_the_ehr_is_escaped_on_the_page(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 66
    path = run_launch(client, ehr)
    ehr.patient_name = "<img src=x onerror=alert(1)>"
    html = client.get(path + "session").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_patient_comes_from_the_token_never_from_the_browser(
    client: FlaskClient, ehr: FakeEhr
) -> None:
    # smart.md 36
    path = run_launch(client, ehr)
    html = client.get(path + "session", query_string={"patient": "someone-else"}).get_data(
        as_text=True
    )
    assert "pat-1" in html
    assert "someone-else" not in html


def test_authlib_is_a_release_with_the_known_fixes() -> None:
    # smart.md 69: alg=none removed, session-bound state, no JWK-header trust (>= 1.6.11)
    version = tuple(int(part) for part in importlib.metadata.version("authlib").split(".")[:3])
    assert version >= (1, 6, 11)


def test_same_origin_referrer_policy_and_a_strict_origin_check(
    echo_app: Flask, ehr: FakeEhr
) -> None:
    # smart.md 60: under "no-referrer" Chromium sends "Origin: null" on our own form posts; the
    # header says same-origin (no URL ever leaves for another site) and "null" stays refused.
    client = https_client(echo_app)
    base = run_launch(client, ehr)
    page = client.get(base + "session")
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert client.get("/standalone").headers["Referrer-Policy"] == "same-origin"
    token = csrf_of(echo_app, client, base)
    same_site_referer = {"Referer": f"{APP}/l/x/", "X-CSRF-Token": token}
    opaque = client.post(base + "echo", headers={"Origin": "null", **same_site_referer})
    assert opaque.status_code == 403
    ours = client.post(base + "echo", headers={"Origin": APP, "X-CSRF-Token": token})
    assert ours.status_code == 200


def test_no_page_overrides_the_referrer_policy_with_a_meta_tag() -> None:
    # smart.md 60: one policy, set in the header; a per-page <meta name="referrer"> would hide it
    templates = Path(__file__).parents[2] / "smartapp" / "templates"
    overriding = [
        p.name for p in templates.rglob("*.html") if 'name="referrer"' in p.read_text("utf-8")
    ]
    assert overriding == []


def expire_idle(app: Flask, path: str) -> None:
    """Put the launch's last use past the idle limit (30 minutes by default)."""
    store = app.extensions["functionfirst"].store
    launch_id = path.split("/")[2]
    idle_since = store.now() - timedelta(minutes=31)
    with store.engine.begin() as conn:
        conn.execute(
            update(launch_sessions)
            .where(launch_sessions.c.launch_id == launch_id)
            .values(last_seen_at=idle_since)
        )


def test_an_idle_launch_gets_the_session_expired_page_once(app: Flask, ehr: FakeEhr) -> None:
    # smart.md 64: an idle launch ends; the page says so, says what to do once, keeps the draft
    client = https_client(app)
    path = run_launch(client, ehr)
    assert client.get(path + "session").status_code == 200
    expire_idle(app, path)
    response = client.get(path + "session")
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "<h1>Session expired</h1>" in html
    assert "Not found" not in html
    assert html.lower().count("start functionfirst again") == 1
    assert "kept as a draft for this patient" in html
    api = client.get(path + "api/context")
    assert api.status_code == 401
    assert api.get_json()["error"] == "session_expired"


def test_a_closed_launch_gets_the_session_expired_page(
    app: Flask, client: FlaskClient, ehr: FakeEhr
) -> None:
    # smart.md 64
    path = run_launch(client, ehr)
    token = csrf_of(app, client, path)
    client.post(path + "end", data={"csrf_token": token}, headers={"Origin": APP})
    html = client.get(path).get_data(as_text=True)
    assert "<h1>Session expired</h1>" in html
    assert "kept as a draft" in html


def test_a_live_launch_of_another_browser_is_not_found_here(app: Flask, ehr: FakeEhr) -> None:
    # smart.md 7: the launch id alone opens nothing, and says nothing of the other browser
    path = run_launch(https_client(app), ehr)
    response = https_client(app).get(path + "session")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "pat-1" not in html.lower()
    assert html.lower().count("start functionfirst again") == 1
