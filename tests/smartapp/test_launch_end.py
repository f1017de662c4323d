"""Ending a launch: local tokens deleted, then the grant revoked at the EHR (RFC 7009)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import parse_qs

import requests
import responses
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey

from smartapp.store import AuditEntry, Outcome
from smartapp.web import current_launch

from .conftest import run_launch
from .fake_ehr import APP, ISS_B, FakeEhr

OTHER_SECRET = "other-client-secret-value"  # app_settings' OTHER_SECRET


@dataclass
class RevokingEhr(FakeEhr):
    """A fake EHR whose discovery advertises a revocation endpoint."""

    @property
    def revocation_endpoint(self) -> str:
        return f"{self.host}/auth/revoke"

    def smart_configuration(self) -> dict[str, object]:
        return {**super().smart_configuration(), "revocation_endpoint": self.revocation_endpoint}


def end_launch(app: Flask, client: FlaskClient, path: str) -> tuple[int, str, str]:
    """POST /l/<id>/end with the CSRF token; returns (status, launch id, refresh token)."""
    cookie = client.get_cookie("__Host-ff_session")
    assert cookie is not None
    with app.test_request_context(
        path, base_url=APP, headers={"Cookie": f"__Host-ff_session={cookie.value}"}
    ):
        launch = current_launch()
    assert launch.tokens.refresh_token is not None
    response = client.post(
        path + "end", data={"csrf_token": launch.csrf_token}, headers={"Origin": APP}
    )
    return response.status_code, launch.launch_id, launch.tokens.refresh_token


def revocations(app: Flask) -> list[AuditEntry]:
    return [
        e for e in app.extensions["functionfirst"].store.audit.entries()
        if e.action == "token-revoke"
    ]  # fmt: skip


def test_ending_a_launch_revokes_the_refresh_token_with_the_client_credentials(
    app: Flask, client: FlaskClient, ehr_key: RSAKey, wire: responses.RequestsMock
) -> None:
    # smart.md 64: client_secret_basic, the refresh token (it ends the whole grant) with its hint
    ehr = RevokingEhr(key=ehr_key, iss=ISS_B, client_id="ff-other")
    ehr.install(wire)
    wire.add(responses.POST, ehr.revocation_endpoint, status=200)
    path = run_launch(client, ehr)
    status, launch_id, refresh_token = end_launch(app, client, path)
    assert status == 200
    assert app.extensions["functionfirst"].store.sessions.get_launch(launch_id) is None
    sent = [c.request for c in wire.calls if c.request.url == ehr.revocation_endpoint]
    assert len(sent) == 1
    form = parse_qs(str(sent[0].body))
    assert form == {"token": [refresh_token], "token_type_hint": ["refresh_token"]}
    basic = base64.b64encode(f"ff-other:{OTHER_SECRET}".encode()).decode()
    assert sent[0].headers["Authorization"] == f"Basic {basic}"
    [entry] = revocations(app)
    assert (entry.outcome, entry.launch_id, entry.detail) == (Outcome.SUCCESS, launch_id, None)
    assert refresh_token not in repr(entry)


def test_a_public_client_names_itself_in_the_revocation_form(
    app: Flask, client: FlaskClient, ehr_key: RSAKey, wire: responses.RequestsMock
) -> None:
    # smart.md 64: a public client has no secret; RFC 7009 2.1 then wants client_id in the form
    ehr = RevokingEhr(key=ehr_key)
    ehr.install(wire)
    wire.add(responses.POST, ehr.revocation_endpoint, status=200)
    path = run_launch(client, ehr)
    assert end_launch(app, client, path)[0] == 200
    [call] = [c for c in wire.calls if c.request.url == ehr.revocation_endpoint]
    assert parse_qs(str(call.request.body))["client_id"] == ["functionfirst"]
    assert "Authorization" not in call.request.headers


def test_a_failing_revocation_still_ends_the_launch_and_is_audited(
    app: Flask, client: FlaskClient, ehr_key: RSAKey, wire: responses.RequestsMock
) -> None:
    # smart.md 64: best effort; the EHR being down does not keep the launch or its tokens alive
    ehr = RevokingEhr(key=ehr_key)
    ehr.install(wire)
    wire.add(responses.POST, ehr.revocation_endpoint, body=requests.ConnectionError("down"))
    path = run_launch(client, ehr)
    status, launch_id, _ = end_launch(app, client, path)
    assert status == 200
    assert app.extensions["functionfirst"].store.sessions.get_launch(launch_id) is None
    assert client.get(path + "session").status_code == 401
    [entry] = revocations(app)
    assert entry.outcome is Outcome.FAILURE
    assert entry.detail is not None


def test_a_refused_revocation_is_audited_as_a_failure(
    app: Flask, client: FlaskClient, ehr_key: RSAKey, wire: responses.RequestsMock
) -> None:
    # smart.md 64
    ehr = RevokingEhr(key=ehr_key)
    ehr.install(wire)
    wire.add(responses.POST, ehr.revocation_endpoint, json={"error": "invalid_client"}, status=401)
    path = run_launch(client, ehr)
    status, launch_id, _ = end_launch(app, client, path)
    assert status == 200
    assert app.extensions["functionfirst"].store.sessions.get_launch(launch_id) is None
    [entry] = revocations(app)
    assert (entry.outcome, entry.detail) == (Outcome.FAILURE, "not_confirmed")


def test_without_a_revocation_endpoint_nothing_is_sent(
    app: Flask, client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # smart.md 64: revocation_endpoint is optional; no guessing of a URL
    path = run_launch(client, ehr)
    before = len(wire.calls)
    assert end_launch(app, client, path)[0] == 200
    assert len(wire.calls) == before
    assert revocations(app) == []
