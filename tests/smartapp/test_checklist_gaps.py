"""Checklist items the app meets that no other test of the app named, through its public surface:
partial results, foreign next links, an `online_access` refresh the EHR refuses, the Goal and
Provenance it writes, a forbidden write, the absolute session lifetime (docs/smart-checklist.md)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask.testing import FlaskClient
from requests import PreparedRequest

from fhir_mappers import InvalidResourceError, check_resource, validated
from smartapp import create_app
from smartapp.gateway.capabilities import Strategy, WritePlan
from smartapp.store import Store
from smartapp.writeback import SaveResult, WriteEvent, save_plan
from tests.rehab.factories import make_plan
from tests.smartapp.gateway.fakes import BASE, make_client

from .conftest import SECRET, https_client, run_launch, start_launch
from .fake_ehr import GRANTED, ISS, FakeEhr, tenants_toml

TODAY = date(2026, 11, 23)


def every_write(strategy: Strategy) -> WritePlan:
    """A write plan for an EHR that accepts every write the app makes."""
    return WritePlan(
        strategy=strategy,
        reasons=(),
        observations=True,
        provenance=True,
        conditional_create=True,
        goal_update=True,
        versioned_update=True,
    )


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


def answer_searches(
    wire: responses.RequestsMock, ehr: FakeEhr, *, goal_links: tuple[dict[str, str], ...] = ()
) -> None:
    """The EHR's searches: observations refused, goals partly withheld, the rest empty."""

    def search(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        kind = urlsplit(str(request.url)).path.rsplit("/", 1)[1]
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
        issue = ehr.token

        def online(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
            status, headers, body = issue(request)
            granted = json.loads(body)
            granted["scope"] = GRANTED.replace("offline_access", "online_access")
            return status, headers, json.dumps(granted)

        wire.remove(responses.POST, f"{ehr.host}/auth/token")
        wire.add_callback(responses.POST, f"{ehr.host}/auth/token", callback=online)
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


def test_the_goal_sent_has_the_required_elements_and_nothing_extra() -> None:
    # smart.md 83: US Core Goal lifecycleStatus, description and subject; validated before it
    # leaves; no free-text copies (the plan's barriers stay out of the Goal)
    with responses.RequestsMock() as wire:
        wire.post(
            f"{BASE}/",
            json={
                "resourceType": "Bundle",
                "type": "transaction-response",
                "entry": [
                    {"response": {"status": "201 Created", "location": loc}}
                    for loc in (
                        "Goal/g1/_history/1",
                        "CarePlan/c1/_history/1",
                        "Observation/o1/_history/1",
                        "Observation/o2/_history/1",
                        "Provenance/pv1/_history/1",
                    )
                ],
            },
        )
        save_plan(
            make_client(),
            make_plan(barriers=("Fear of a flare after the divorce",)),
            write_plan=every_write(Strategy.TRANSACTION),
            patient_id="p1",
            author="Practitioner/9",
            today=TODAY,
            plan_key="plan-1",
            recorded=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        )
        sent = json.loads(wire.calls[0].request.body or "{}")
    goals = [e["resource"] for e in sent["entry"] if e["resource"]["resourceType"] == "Goal"]
    assert goals
    for goal in goals:
        assert goal["lifecycleStatus"] == "active"
        assert goal["description"]["text"]
        assert goal["subject"] == {"reference": "Patient/p1"}
        assert "note" not in goal
        assert "divorce" not in json.dumps(goal)
        assert check_resource(goal) == []
    assert validated(goals[0])["subject"] == {"reference": "Patient/p1"}
    bare = {k: v for k, v in goals[0].items() if k != "subject"}
    with pytest.raises(InvalidResourceError):
        validated(bare)  # the gate every outgoing resource passes refuses a Goal without subject


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


def test_a_write_the_ehr_forbids_is_reported_once_and_not_retried() -> None:
    # smart.md 80: a 403 on a write the granted scopes seemed to allow: say so, record the
    # resource type and status, never retry
    events: list[WriteEvent] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        wire.post(f"{BASE}/Goal", status=403, json=WITHHELD)
        result = save_plan(
            make_client(),
            make_plan(),
            write_plan=every_write(Strategy.SEQUENTIAL),
            patient_id="p1",
            author="Practitioner/9",
            today=TODAY,
            plan_key="plan-1",
            recorded=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
            hook=events.append,
        )
        assert [(c.request.method, c.request.url) for c in wire.calls] == [("POST", f"{BASE}/Goal")]
    assert result.written == ()
    assert [(f.resource_type, f.status) for f in result.failed] == [("Goal", 403)]
    assert "does not allow" in result.failed[0].message
    assert [(e.action, e.accepted, e.detail) for e in events] == [
        ("create:Goal", False, "HTTP 403 FhirForbidden")
    ]


def ehr_that_creates(wire: responses.RequestsMock, *, provenance_status: int = 201) -> None:
    """Every create gets the next id, version 1; a Provenance gets `provenance_status`."""
    made: list[str] = []

    def create(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        kind = urlsplit(str(request.url)).path.rsplit("/", 1)[1]
        if kind == "Provenance" and provenance_status != 201:
            return provenance_status, {}, json.dumps(WITHHELD)
        made.append(kind)
        body = {**json.loads(request.body or "{}"), "id": f"{kind.lower()}-{len(made)}"}
        body["meta"] = {"versionId": "1"}
        return 201, {"Content-Type": "application/fhir+json"}, json.dumps(body)

    wire.add_callback(responses.POST, re.compile(re.escape(BASE) + r"/[A-Za-z]+$"), callback=create)


def save_sequentially(events: list[WriteEvent]) -> SaveResult:
    return save_plan(
        make_client(),
        make_plan(),
        write_plan=every_write(Strategy.SEQUENTIAL),
        patient_id="p1",
        author="Practitioner/9",
        today=TODAY,
        plan_key="plan-1",
        recorded=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        hook=events.append,
    )


def test_every_write_is_followed_by_a_provenance_naming_the_versions_and_the_author() -> None:
    # smart.md 73
    events: list[WriteEvent] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        ehr_that_creates(wire)
        result = save_sequentially(events)
        sent = [json.loads(c.request.body or "{}") for c in wire.calls]
    provenance = sent[-1]
    assert provenance["resourceType"] == "Provenance"
    written = [w.reference for w in result.written if w.resource_type != "Provenance"]
    assert written
    assert all(ref.endswith("/_history/1") for ref in written)
    assert [t["reference"] for t in provenance["target"]] == written
    assert provenance["recorded"] == "2026-11-23T10:00:00Z"
    assert provenance["activity"]["coding"][0]["code"] == "CREATE"
    agents = {a["type"]["coding"][0]["code"]: a["who"] for a in provenance["agent"]}
    assert agents["author"] == {"reference": "Practitioner/9"}
    assert agents["assembler"] == {"display": "FunctionFirst"}
    assert events[-1].action == "create:Provenance"
    assert events[-1].accepted


def test_a_refused_provenance_is_kept_in_the_audit_trail_instead() -> None:
    # smart.md 73: the EHR rejects the Provenance; the app's audit log keeps the equivalent record
    events: list[WriteEvent] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        ehr_that_creates(wire, provenance_status=403)
        result = save_sequentially(events)
    written = tuple(w.reference for w in result.written)
    assert written
    assert not any(ref.startswith("Provenance/") for ref in written)
    assert result.warnings == (
        "The EHR did not accept the provenance record; the app's audit log holds it.",
    )
    refused = events[-1]
    assert (refused.action, refused.accepted, refused.detail) == (
        "create:Provenance",
        False,
        "HTTP 403",
    )
    assert refused.resources == written
