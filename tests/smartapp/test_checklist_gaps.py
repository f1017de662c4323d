"""Checklist items the app meets that no other test of the app named, through its pages and
store: partial results, foreign next links, features from the granted scopes, an
`online_access` refresh the EHR refuses, the absolute session lifetime
(docs/smart-checklist.md; write-back items: tests/smartapp/writeback/test_checklist_gaps.py)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask.testing import FlaskClient
from requests import PreparedRequest

from smartapp import create_app
from smartapp.store import Store

from .conftest import SECRET, https_client, run_launch, start_launch
from .fake_ehr import GRANTED, ISS, FakeEhr, tenants_toml


def searchset(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": list(entries)}


WITHHELD = {
    "resourceType": "OperationOutcome",
    "issue": [
        {
            "severity": "warning",
            "code": "suppressed",
            "diagnostics": "Some results were withheld by policy",
        }
    ],
}
GOAL = {
    "resourceType": "Goal",
    "id": "g1",
    "lifecycleStatus": "active",
    "description": {"text": "Walk to the mailbox every day"},
    "subject": {"reference": "Patient/pat-1"},
}


WRITTEN_TYPES = (
    "Goal", "CarePlan", "Observation", "ServiceRequest", "Provenance", "DocumentReference",
)  # fmt: skip
ACCEPTS_ALL = {
    "resourceType": "CapabilityStatement",
    "fhirVersion": "4.0.1",
    "rest": [
        {
            "mode": "server",
            "interaction": [{"code": "transaction"}, {"code": "batch"}],
            "resource": [
                {
                    "type": kind,
                    "interaction": [{"code": c} for c in ("read", "create", "update")],
                    "conditionalCreate": True,
                    "versioning": "versioned-update",
                }
                for kind in WRITTEN_TYPES
            ],
        }
    ],
}


def answer_searches(
    wire: responses.RequestsMock, ehr: FakeEhr, *, goal_links: tuple[dict[str, str], ...] = ()
) -> None:
    """The EHR's searches: observations refused, goals partly withheld, the rest empty."""

    def search(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        kind = urlsplit(str(request.url)).path.rsplit("/", 1)[1]
        if kind == "metadata":
            return 200, {"Content-Type": "application/fhir+json"}, json.dumps(ACCEPTS_ALL)
        if kind == "Observation":
            return 403, {}, json.dumps(WITHHELD)
        if kind == "Goal":
            body = searchset(
                {"resource": GOAL, "search": {"mode": "match"}},
                {"resource": WITHHELD, "search": {"mode": "outcome"}},
            )
            body["link"] = list(goal_links)
            return 200, {"Content-Type": "application/fhir+json"}, json.dumps(body)
        return 200, {"Content-Type": "application/fhir+json"}, json.dumps(searchset())

    wire.add_callback(
        responses.GET, re.compile(re.escape(ehr.iss) + r"/[A-Za-z]+(\?.*)?$"), callback=search
    )


def test_withheld_results_leave_a_partial_overview_that_says_what_is_missing(
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # smart.md 58: the server withholds some results (a refused search, an outcome entry in a
    # searchset); the app shows what it got, says what is missing, and takes no outcome as data
    path = run_launch(client, ehr)
    answer_searches(wire, ehr)
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Walk to the mailbox every day" in html
    assert "The EHR did not return everything." in html
    assert "pain and function scores" in html.split("Missing:", 1)[1].split("</p>", 1)[0]
    assert "withheld by policy" not in html  # an OperationOutcome is not a goal or a score


def test_a_next_link_to_another_host_never_gets_the_token(
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # smart.md 67: a reference (here a searchset's next page) on another host is not followed
    # with the access token; the page says the goals may be incomplete
    path = run_launch(client, ehr)
    elsewhere = "https://records.evil.example/fhir/Goal?page=2"
    answer_searches(wire, ehr, goal_links=({"relation": "next", "url": elsewhere},))
    wire.get(elsewhere, json=searchset())
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Walk to the mailbox every day" in html
    missing = html.split("Missing: ", 1)[1].split(". What is shown", 1)[0].split("; ")
    assert "goals" in missing
    assert not [c for c in wire.calls if "evil.example" in str(c.request.url)]


@pytest.mark.parametrize(
    ("granted", "words"),
    [
        (
            "patient/Goal.crus patient/CarePlan.crus",
            "Saving writes the goals and care plan to the chart in one step.",
        ),
        ("patient/Goal.rs patient/CarePlan.rs", "you can print the plan and download it."),
    ],
)
def test_the_plan_page_offers_only_the_writes_the_granted_scopes_allow(
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock, granted: str, words: str
) -> None:
    # smart.md 35: features follow the granted scopes, whatever the EHR itself accepts
    scope = f"launch openid fhirUser patient/Patient.r {granted} offline_access"
    ehr.answer_tokens_with(wire, scope=scope)
    path = run_launch(client, ehr)
    answer_searches(wire, ehr)
    page = client.get(path + "plan")
    assert page.status_code == 200
    assert words in page.get_data(as_text=True)


@pytest.fixture
def online_settings(app_settings: dict[str, object], tmp_path: Path) -> dict[str, object]:
    """The same EHR registered for `online_access` (a tenant whose policy forbids offline)."""
    text = tenants_toml().replace(
        "patient/CarePlan.rs offline_access", "patient/CarePlan.rs online_access", 1
    )
    path = tmp_path / "online.toml"
    path.write_text(text, encoding="utf-8")
    return {**app_settings, "FUNCTIONFIRST_TENANTS": str(path)}


def test_the_app_asks_for_offline_access_by_default(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 53: offline_access is preferred where the tenant allows it
    query = parse_qs(urlsplit(start_launch(client, iss=ISS)).query)
    scopes = query["scope"][0].split()
    assert "offline_access" in scopes
    assert "online_access" not in scopes


def test_a_refused_online_access_refresh_asks_for_a_relaunch(
    online_settings: dict[str, object],
    ehr: FakeEhr,
    wire: responses.RequestsMock,
) -> None:
    # smart.md 53: an online_access refresh tied to the EHR's browser session fails from the
    # server; the clinician is asked to relaunch, nothing breaks
    app = create_app(online_settings)
    try:
        client = https_client(app)
        ehr.answer_tokens_with(wire, scope=GRANTED.replace("offline_access", "online_access"))
        authorize = start_launch(client)
        assert "online_access" in parse_qs(urlsplit(authorize).query)["scope"][0].split()
        response = client.get(ehr.authorize(authorize))
        assert response.status_code == 303
        path = str(response.headers["Location"])
        for body in ehr.issued:
            body["access_token"] = "expired"  # the access token has run out
        wire.replace(
            responses.POST,
            f"{ehr.host}/auth/token",
            json={"error": "invalid_grant", "error_description": "no EHR session"},
            status=400,
        )
        calls = len(wire.calls)
        page = client.get(path + "session")
        html = page.get_data(as_text=True)
        assert page.status_code == 401
        assert "start FunctionFirst again" in html
        assert "no EHR session" not in html
        refreshes = [c for c in wire.calls[calls:] if c.request.url == f"{ehr.host}/auth/token"]
        assert len(refreshes) == 1  # the app did try the refresh its refresh_token allows
        assert "grant_type=refresh_token" in str(refreshes[0].request.body)
    finally:
        app.extensions["functionfirst"].store.close()


def test_a_busy_session_still_ends_at_the_absolute_limit(sqlite_url: str) -> None:
    # smart.md 64: the absolute lifetime (8 h by default) holds however active the session is
    clock = [datetime(2026, 1, 1, 8, 0, tzinfo=UTC)]
    store = Store.open(sqlite_url, secret_key=SECRET, now=lambda: clock[0])
    try:
        sid = store.sessions.new_browser_session()
        launch_id = store.sessions.create_launch(
            sid,
            tenant="ehr",
            patient_id="p1",
            fhir_user="Practitioner/1",
            tokens={"access_token": "AT-1", "refresh_token": "RT-1"},
            expires_at=clock[0] + timedelta(minutes=10),
        )
        for _ in range(int(timedelta(hours=8) / timedelta(minutes=20)) - 1):
            clock[0] += timedelta(minutes=20)  # used every 20 minutes: never idle for long
            assert store.sessions.launch_for_session(launch_id, sid) is not None
        clock[0] = datetime(2026, 1, 1, 16, 0, 1, tzinfo=UTC)
        assert store.sessions.launch_for_session(launch_id, sid) is None
        assert not store.sessions.browser_session_alive(sid)
    finally:
        store.close()
