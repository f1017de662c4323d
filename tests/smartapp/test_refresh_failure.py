"""A refresh refused for good ends the launch; a transient failure keeps it for the next try."""

from __future__ import annotations

import pytest
import requests
import responses
from flask import Flask
from flask.testing import FlaskClient

from launch.errors import LaunchError, OAuthHttpError, TokenEndpointError
from smartapp.store import AuditEntry, Outcome
from smartapp.tokens import refresh_failed_for_good

from .conftest import run_launch
from .fake_ehr import FakeEhr

TOKEN_URL = "https://ehr.example/auth/token"


@pytest.fixture
def app_settings(
    app_settings: dict[str, object], database_url: tuple[str, str | None]
) -> dict[str, object]:
    """On SQLite and on PostgreSQL: the refresh lock (and its release on failure) differs."""
    url, schema = database_url
    return {
        **app_settings,
        "FUNCTIONFIRST_DATABASE_URL": url,
        "FUNCTIONFIRST_DATABASE_SCHEMA": schema or "",
    }


def entries(app: Flask, action: str) -> list[AuditEntry]:
    log = app.extensions["functionfirst"].store.audit
    return [e for e in log.entries() if e.action == action]


def launch_row_exists(app: Flask, path: str) -> bool:
    launch_id = path.split("/")[2]
    return app.extensions["functionfirst"].store.sessions.get_launch(launch_id) is not None


def expire_access(ehr: FakeEhr) -> None:
    """The EHR forgets every access token it issued: the next FHIR read answers 401."""
    for body in ehr.issued:
        body["access_token"] = "revoked"


@pytest.mark.parametrize("error", ["invalid_grant", "unauthorized_client"])
def test_a_refresh_refused_for_good_deletes_the_launch_and_its_tokens(
    app: Flask, client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock, error: str
) -> None:
    # smart.md 51: the refresh token is dead; nothing keeps it until the session times out
    path = run_launch(client, ehr)
    expire_access(ehr)
    wire.replace(responses.POST, TOKEN_URL, json={"error": error}, status=400)
    page = client.get(path + "session")
    assert page.status_code == 401
    assert "start FunctionFirst again" in page.get_data(as_text=True)
    assert not launch_row_exists(app, path)
    [failure] = entries(app, "token-refresh")
    assert failure.outcome is Outcome.FAILURE
    [closed] = entries(app, "launch-end")
    assert closed.detail == f"refresh_failed:{error}"
    assert closed.launch_id == path.split("/")[2]
    calls = len(wire.calls)
    assert client.get(path + "session").status_code == 401  # closed: no second token call
    assert len(wire.calls) == calls


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.ConnectionError("connection reset")},
        {"json": {"error": "temporarily_unavailable"}, "status": 503},
        {"body": "<html>Bad gateway</html>", "status": 502},
    ],
    ids=["network-error", "503", "502-html"],
)
def test_a_transient_refresh_failure_keeps_the_launch_for_the_next_try(
    app: Flask,
    client: FlaskClient,
    ehr: FakeEhr,
    wire: responses.RequestsMock,
    answer: dict[str, object],
) -> None:
    # smart.md 51: only a definite refusal ends the launch; the EHR being briefly away does not
    path = run_launch(client, ehr)
    expire_access(ehr)
    wire.replace(responses.POST, TOKEN_URL, **answer)  # type: ignore[arg-type]
    failed = client.get(path + "session")
    assert failed.status_code == 503  # try again, not "start again": the launch is kept
    assert "Try again in a moment" in failed.get_data(as_text=True)
    assert "start FunctionFirst again" not in failed.get_data(as_text=True)
    assert launch_row_exists(app, path)
    assert entries(app, "launch-end") == []
    wire.remove(responses.POST, TOKEN_URL)  # the EHR is back
    wire.add_callback(responses.POST, TOKEN_URL, callback=ehr.token)
    page = client.get(path + "session")
    assert page.status_code == 200
    assert "Pat PAT-1" in page.get_data(as_text=True)


def test_only_a_definite_refusal_counts_as_final() -> None:
    # smart.md 51
    def refused(error: str, status: int = 400) -> TokenEndpointError:
        return TokenEndpointError("refresh_failed", "x", oauth_error=error, status=status)

    assert refresh_failed_for_good(refused("invalid_grant"))
    assert refresh_failed_for_good(refused("unsupported_grant_type"))
    assert not refresh_failed_for_good(refused("invalid_grant", 503))
    assert not refresh_failed_for_good(refused("invalid_request"))
    assert not refresh_failed_for_good(refused("invalid_client", 401))
    assert not refresh_failed_for_good(OAuthHttpError("timeout", "slow"))
    assert not refresh_failed_for_good(LaunchError("refresh_failed", "unreachable"))
