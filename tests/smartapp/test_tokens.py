"""The launch's token source: proactive refresh, refresh on 401, one token call for many workers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from smartapp.services import LaunchSession
from smartapp.store import Outcome
from smartapp.tokens import LaunchTokenSource
from smartapp.web import current_launch, token_source

from .conftest import run_launch
from .fake_ehr import FakeEhr


@pytest.fixture
def app_settings(
    app_settings: dict[str, object], database_url: tuple[str, str | None]
) -> dict[str, object]:
    """These tests run on SQLite and on PostgreSQL (the refresh lock differs)."""
    url, schema = database_url
    return {
        **app_settings,
        "FUNCTIONFIRST_DATABASE_URL": url,
        "FUNCTIONFIRST_DATABASE_SCHEMA": schema or "",
    }


def launch_session(app: Flask, client: FlaskClient, path: str) -> LaunchSession:
    """The LaunchSession a request to `path` would see (same cookie)."""
    cookie = client.get_cookie("__Host-ff_session")
    assert cookie is not None
    with app.test_request_context(
        path,
        base_url="https://app.example",
        headers={"Cookie": f"__Host-ff_session={cookie.value}"},
    ):
        app.preprocess_request()
        return current_launch()


def token_posts(wire: responses.RequestsMock) -> list[dict[str, list[str]]]:
    return [
        parse_qs(str(call.request.body))
        for call in wire.calls
        if call.request.url == "https://ehr.example/auth/token"
    ]


def test_ten_concurrent_requests_with_an_expired_token_make_one_token_call(
    app: Flask, client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # smart.md 50, 51
    ehr.expires_in = 30  # inside the one-minute margin: every request wants a refresh
    path = run_launch(client, ehr)
    launch = launch_session(app, client, path)
    before = ehr.token_calls
    start = threading.Barrier(10)

    with app.test_request_context(path, base_url="https://app.example"):
        sources = [token_source(launch) for _ in range(10)]

    def request_token(source: LaunchTokenSource) -> str:
        # A bare thread, as the gateway's parallel searches use: no Flask context here.
        start.wait()
        return source.access_token()

    with ThreadPoolExecutor(max_workers=10) as pool:
        tokens = list(pool.map(request_token, sources))
    assert ehr.token_calls == before + 1
    assert len(set(tokens)) == 1
    assert tokens[0] == ehr.issued[-1]["access_token"]
    refreshes = [
        e
        for e in app.extensions["functionfirst"].store.audit.entries()
        if e.action == "token-refresh"
    ]
    assert [e.outcome for e in refreshes] == [Outcome.SUCCESS]


def test_the_refresh_request_has_no_scope_and_keeps_the_refresh_token(
    app: Flask, client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # smart.md 48, 49
    path = run_launch(client, ehr)
    launch = launch_session(app, client, path)
    first_refresh_token = launch.tokens.refresh_token
    with app.test_request_context(path, base_url="https://app.example"):
        new_access = token_source(launch).refresh()
    body = token_posts(wire)[-1]
    assert body["grant_type"] == ["refresh_token"]
    assert body["refresh_token"] == [first_refresh_token]
    assert "scope" not in body
    assert new_access == ehr.issued[-1]["access_token"]


def test_a_401_from_the_ehr_refreshes_once_and_retries(
    app: Flask, client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # smart.md 51
    path = run_launch(client, ehr)
    ehr.issued[0]["access_token"] = "revoked"  # the EHR forgets the first token
    calls = ehr.token_calls
    page = client.get(path + "session")
    assert page.status_code == 200
    assert "Pat PAT-1" in page.get_data(as_text=True)
    assert ehr.token_calls == calls + 1


def test_a_failed_refresh_ends_on_a_clean_page(
    app: Flask, client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # smart.md 47, 51
    path = run_launch(client, ehr)
    for body in ehr.issued:
        body["access_token"] = "revoked"
    wire.replace(
        responses.POST,
        "https://ehr.example/auth/token",
        json={"error": "invalid_grant"},
        status=400,
    )
    page = client.get(path + "session")
    html = page.get_data(as_text=True)
    assert page.status_code == 401
    assert "start FunctionFirst again" in html
    assert "Reference:" in html
    failures = [
        e
        for e in app.extensions["functionfirst"].store.audit.entries()
        if e.action == "token-refresh" and e.outcome is Outcome.FAILURE
    ]
    assert len(failures) == 1


def test_a_token_about_to_expire_is_refreshed_before_use(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 51, 52: short tokens (Oracle Health: about ten minutes) renew a minute early
    ehr.expires_in = 30
    path = run_launch(client, ehr)
    calls = ehr.token_calls
    assert client.get(path + "session").status_code == 200
    assert ehr.token_calls == calls + 1
