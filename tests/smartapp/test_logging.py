"""Logs: JSON lines, and no secret or PHI even with every logger at DEBUG (smart.md 70-71)."""

from __future__ import annotations

import base64
import json
import logging
import sys
from pathlib import Path

import pytest
import responses
from flask import Flask
from joserfc.jwk import RSAKey

from launch.keys import generate
from smartapp import create_app
from smartapp.logs import JsonFormatter, ScrubFilter, scrub
from smartapp.web import current_launch, token_source

from .conftest import SECRET, https_client, run_launch
from .fake_ehr import APP, ISS, ISS_B, FakeEhr, write_tenants

ISS_JWT = "https://jwt-ehr.example/fhir"
JWT_TENANT = f"""
[[tenant]]
name = "jwt"
iss = "{ISS_JWT}"
client_id = "ff-jwt"
client_auth = "private_key_jwt"
"""
CLIENT_SECRET = "other-client-secret-value"


@pytest.fixture
def everything_at_debug(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Every logger that exists (app, authlib, urllib3, werkzeug, ...) at DEBUG, captured."""
    for name in (
        "smartapp",
        "launch",
        "functionfirst",
        "authlib",
        "urllib3",
        "werkzeug",
        "requests",
    ):
        logging.getLogger(name)
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            monkeypatch.setattr(logger, "level", logging.DEBUG)
            monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.DEBUG)


def test_a_whole_launch_at_debug_logs_no_secret_and_no_phi(
    tmp_path: Path,
    ehr_key: RSAKey,
    wire: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
    everything_at_debug: None,
) -> None:
    # smart.md 70, 71, 72
    generate(tmp_path / "keys.json")
    app = create_app(
        {
            "TESTING": "1",
            "FUNCTIONFIRST_TENANTS": str(write_tenants(tmp_path, JWT_TENANT)),
            "FUNCTIONFIRST_BASE_URL": APP,
            "FUNCTIONFIRST_SECRET_KEY": SECRET,
            "FUNCTIONFIRST_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
            "FUNCTIONFIRST_KEYS": str(tmp_path / "keys.json"),
            "OTHER_SECRET": CLIENT_SECRET,
        }
    )
    ehrs = (
        FakeEhr(key=ehr_key, iss=ISS, client_id="functionfirst"),
        FakeEhr(key=ehr_key, iss=ISS_B, client_id="ff-other", patient="pat-2"),
        FakeEhr(key=ehr_key, iss=ISS_JWT, client_id="ff-jwt", patient="pat-3"),
    )
    cookies: list[str] = []
    try:
        for ehr in ehrs:
            ehr.install(wire)
            client = https_client(app)
            path = run_launch(client, ehr, launch=f"launch-value-{ehr.patient}")
            assert client.get(path + "session").status_code == 200
            cookie = client.get_cookie("__Host-ff_session")
            assert cookie is not None
            cookies.append(cookie.value)
            with app.test_request_context(
                path, base_url=APP, headers={"Cookie": f"__Host-ff_session={cookie.value}"}
            ):
                token_source(current_launch()).refresh()
    finally:
        app.extensions["functionfirst"].store.close()
    assertions = [s for ehr in ehrs for s in ehr.secrets_seen if s.count(".") == 2]
    assert len(assertions) >= 4  # id_tokens and the private_key_jwt client assertions
    basic = base64.b64encode(f"ff-other:{CLIENT_SECRET}".encode()).decode()
    secrets = [s for ehr in ehrs for s in ehr.secrets_seen]
    secrets += [*cookies, CLIENT_SECRET, basic, SECRET]
    secrets += [f"launch-value-{ehr.patient}" for ehr in ehrs]
    phi = [f"PAT-{n}" for n in (1, 2, 3)]  # the patients' family names
    assert len(caplog.records) > 10
    captured = "\n".join(
        f"{r.getMessage()} {r.__dict__} {r.exc_text or ''}" for r in caplog.records
    )
    assert "launch complete" in captured
    leaked = [s[:12] for s in (*secrets, *phi) if s and s in captured]
    assert leaked == []


def test_the_json_formatter_writes_one_object_per_line_without_exception_text() -> None:
    # smart.md 70
    record = logging.LogRecord(
        "functionfirst.x", logging.ERROR, __file__, 1, "failed %s", ("x",), None
    )
    record.launch_id = "L1"
    try:
        raise ValueError("Bearer abc.def secret in a message")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed x"
    assert line["launch_id"] == "L1"
    assert line["exception"] == "ValueError"
    assert "secret" not in json.dumps(line)


def test_the_scrub_filter_removes_codes_states_and_bearer_tokens() -> None:
    # smart.md 70
    text = scrub('"GET /callback?code=C0DE&state=ST4TE HTTP/1.1" Authorization: Bearer AT.x.y')
    assert "C0DE" not in text
    assert "ST4TE" not in text
    assert "AT.x.y" not in text
    assert "/callback?code=[redacted]&state=[redacted]" in text
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, "%s", ("/x?launch=L4&a=1",), None
    )
    assert ScrubFilter().filter(record)
    assert record.getMessage() == "/x?launch=[redacted]&a=1"


def test_a_failed_launch_is_audited_without_the_ehr_words(app: Flask) -> None:
    # smart.md 72
    client = https_client(app)
    client.get("/launch", query_string={"iss": "https://evil.example/fhir", "launch": "x"})
    (entry,) = app.extensions["functionfirst"].store.audit.entries()
    assert entry.action == "launch"
    assert entry.outcome.value == "denied"
    assert entry.detail == "unknown_iss"
    assert entry.correlation_id
