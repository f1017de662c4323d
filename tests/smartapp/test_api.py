"""The JSON API: a launched session, the EHR faked at the wire (real EHRs: tests/integration)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from smartapp import create_app
from smartapp.store.drafts import idempotency
from tests.rehab.factories import make_goal_dict, make_plan_dict, make_review_dict

from .conftest import https_client, run_launch
from .fake_ehr import APP, ISS, FakeEhr, tenants_toml

WRITE_SCOPES = (
    "launch openid fhirUser patient/Patient.r patient/Goal.crus patient/CarePlan.crs "
    "patient/Observation.crs patient/Provenance.c patient/Condition.rs "
    "patient/MedicationRequest.rs offline_access"
)


class WritingEhr(FakeEhr):
    """The fake EHR granting write scopes for Goal, CarePlan, Observation and Provenance."""

    def token(self, request: responses.PreparedRequest) -> tuple[int, dict[str, str], str]:
        status, headers, body = super().token(request)
        data = json.loads(body)
        data["scope"] = WRITE_SCOPES
        return status, headers, json.dumps(data)


def statement(*, transaction: bool = True) -> dict[str, object]:
    writable = ("Goal", "CarePlan", "Observation", "Provenance")
    resources = [
        {"type": rt, "interaction": [{"code": c} for c in ("read", "search-type", "create",
                                                           "update")],
         "conditionalCreate": True, "versioning": "versioned-update"}
        for rt in writable
    ] + [{"type": rt, "interaction": [{"code": "read"}, {"code": "search-type"}]}
         for rt in ("Patient", "Condition", "MedicationRequest")]
    return {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1",
            "rest": [{"mode": "server",
                      "interaction": [{"code": "transaction"}] if transaction else [],
                      "resource": resources}]}


def searchset(*resources: dict[str, object]) -> dict[str, object]:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r} for r in resources]}


PATIENT = {"resourceType": "Patient", "id": "pat-1", "name": [{"text": "Brenda Jackson"}]}


def install_fhir(wire: responses.RequestsMock, *, transaction: bool = True) -> None:
    wire.add(responses.GET, f"{ISS}/metadata", json=statement(transaction=transaction))
    for rtype in ("Condition", "Observation", "MedicationRequest", "Goal", "CarePlan"):
        wire.add(responses.GET, f"{ISS}/{rtype}", json=searchset())
    wire.add(responses.GET, f"{ISS}/Patient", json=searchset(PATIENT))


def transaction_answer(request: Any) -> tuple[int, dict[str, str], str]:
    bundle = json.loads(request.body)
    entries = []
    for i, entry in enumerate(bundle["entry"]):
        rtype = entry["resource"]["resourceType"]
        entries.append({"response": {"status": "201 Created",
                                     "location": f"{rtype}/{rtype.lower()}-{i}/_history/1"}})
    return 200, {}, json.dumps({"resourceType": "Bundle", "type": "transaction-response",
                                "entry": entries})


@pytest.fixture
def writing_ehr(ehr_key: Any, wire: responses.RequestsMock) -> FakeEhr:
    fake = WritingEhr(key=ehr_key)
    fake.install(wire)
    return fake


@pytest.fixture
def launched(client: FlaskClient, writing_ehr: FakeEhr, wire: responses.RequestsMock) -> str:
    """The API base of a launched session: /l/<launch_id>/api."""
    install_fhir(wire)
    return api_of(run_launch(client, writing_ehr))


def api_of(page: str) -> str:
    """/l/<launch_id>/api from the launched page's path."""
    return f"/l/{page.split('/')[2]}/api"


def csrf(client: FlaskClient, api: str) -> dict[str, str]:
    token = client.get(f"{api}/context").get_json()["csrf_token"]
    return {"X-CSRF-Token": token, "Origin": APP}


def test_the_openapi_document_describes_every_api_route(app: Flask) -> None:
    doc = https_client(app).get("/api/openapi.json").get_json()
    documented = {
        (path, method.upper()) for path, ops in doc["paths"].items() for method in ops
    }
    routes = {
        (rule.rule.replace("<launch_id>", "{launch_id}").replace("<goal_id>", "{goal_id}"),
         method)
        for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes
    assert routes == documented


def test_context_gives_the_patient_the_write_plan_and_the_csrf_token(
    client: FlaskClient, launched: str
) -> None:
    answer = client.get(f"{launched}/context")
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["context"]["patient"]["id"] == "pat-1"
    assert data["capabilities"]["strategy"] == "transaction"
    assert data["round_trips"] == 1
    assert data["missing"] == []
    assert data["csrf_token"]


def test_the_api_refuses_another_browser(app: Flask, launched: str) -> None:
    # smart.md 7: the launch id alone opens nothing
    stranger = https_client(app)
    assert stranger.get(f"{launched}/context").status_code == 404


def test_a_plan_post_without_csrf_is_refused_and_writes_nothing(
    client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    # smart.md 60
    answer = client.post(f"{launched}/plans", json=make_plan_dict(), headers={"Origin": APP})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "csrf_failed"
    cross = client.post(f"{launched}/plans", json=make_plan_dict(),
                        headers={**csrf(client, launched), "Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert not [c for c in wire.calls if c.request.method == "POST" and ISS in c.request.url]


def test_a_bad_plan_gets_422_with_field_errors_and_nothing_is_written(
    client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    bad = make_plan_dict(confidence=14, goals=[])
    answer = client.post(f"{launched}/plans", json=bad, headers=csrf(client, launched))
    assert answer.status_code == 422
    paths = {f["path"] for f in answer.get_json()["fields"]}
    assert "confidence" in paths
    assert not [c for c in wire.calls if c.request.method == "POST" and ISS in c.request.url]


def test_low_confidence_without_a_reason_is_a_field_error(
    client: FlaskClient, launched: str
) -> None:
    answer = client.post(f"{launched}/plans", json=make_plan_dict(confidence=4),
                         headers=csrf(client, launched))
    assert answer.status_code == 422
    assert answer.get_json()["fields"][0]["path"] == "override_reason"


def test_a_plan_is_saved_in_one_transaction_and_the_answer_lists_what_landed(
    app: Flask, client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    wire.add_callback(responses.POST, f"{ISS}/", callback=transaction_answer)
    answer = client.post(f"{launched}/plans", json=make_plan_dict(),
                         headers={**csrf(client, launched), "Idempotency-Key": "key-0001"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    data = answer.get_json()
    assert data["strategy"] == "transaction"
    assert data["written"][0] == {"resourceType": "Goal", "id": "goal-0", "versionId": "1"}
    assert data["complete"] is True
    posts = [c for c in wire.calls if c.request.method == "POST" and c.request.url == f"{ISS}/"]
    assert len(posts) == 1
    entries = app.extensions["functionfirst"].store.audit.entries()
    assert any(e.action == "save-plan:transaction" and e.outcome.value == "success"
               for e in entries)


def test_the_same_key_twice_writes_once_and_replays_the_answer(
    client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    wire.add_callback(responses.POST, f"{ISS}/", callback=transaction_answer)
    headers = {**csrf(client, launched), "Idempotency-Key": "double-click-1"}
    first = client.post(f"{launched}/plans", json=make_plan_dict(), headers=headers)
    second = client.post(f"{launched}/plans", json=make_plan_dict(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    posts = [c for c in wire.calls if c.request.method == "POST" and c.request.url == f"{ISS}/"]
    assert len(posts) == 1


def test_without_a_key_the_same_plan_is_still_saved_once(
    client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    wire.add_callback(responses.POST, f"{ISS}/", callback=transaction_answer)
    headers = csrf(client, launched)
    client.post(f"{launched}/plans", json=make_plan_dict(), headers=headers)
    again = client.post(f"{launched}/plans", json=make_plan_dict(), headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    posts = [c for c in wire.calls if c.request.method == "POST" and c.request.url == f"{ISS}/"]
    assert len(posts) == 1


def test_a_key_reused_for_another_plan_is_refused(
    client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    wire.add_callback(responses.POST, f"{ISS}/", callback=transaction_answer)
    headers = {**csrf(client, launched), "Idempotency-Key": "reused-key-1"}
    client.post(f"{launched}/plans", json=make_plan_dict(), headers=headers)
    other = client.post(f"{launched}/plans", json=make_plan_dict(what_matters="Gardening"),
                        headers=headers)
    assert other.status_code == 422
    assert other.get_json()["error"] == "idempotency_key_reused"


def test_concurrent_posts_of_one_plan_write_once(
    app: Flask, client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    gate = threading.Event()

    def slow_answer(request: Any) -> tuple[int, dict[str, str], str]:
        gate.wait(5)
        return transaction_answer(request)

    wire.add_callback(responses.POST, f"{ISS}/", callback=slow_answer)
    headers = {**csrf(client, launched), "Idempotency-Key": "concurrent-1"}
    cookies = {c.key: c for c in client._cookies.values()}
    answers: list[Any] = []

    def post() -> None:
        other = https_client(app)
        for name, cookie in cookies.items():
            other.set_cookie(name, cookie.value, domain=cookie.domain, path=cookie.path)
        answers.append(other.post(f"{launched}/plans", json=make_plan_dict(), headers=headers))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    threading.Timer(0.5, gate.set).start()
    for t in threads:
        t.join(15)
    assert sorted(a.status_code for a in answers) == [201, 201]
    posts = [c for c in wire.calls if c.request.method == "POST" and c.request.url == f"{ISS}/"]
    assert len(posts) == 1
    with app.extensions["functionfirst"].store.engine.connect() as conn:
        assert len(conn.execute(idempotency.select()).all()) == 1


def test_a_failed_save_releases_the_key_so_a_retry_runs(
    client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    wire.add(responses.POST, f"{ISS}/", status=422,
             json={"resourceType": "OperationOutcome",
                   "issue": [{"severity": "error", "code": "invalid"}]})
    headers = {**csrf(client, launched), "Idempotency-Key": "retry-me-1"}
    first = client.post(f"{launched}/plans", json=make_plan_dict(), headers=headers)
    assert first.status_code == 502
    assert first.get_json()["error"] == "save_incomplete"
    assert first.get_json()["complete"] is False
    wire.remove(responses.POST, f"{ISS}/")
    wire.add_callback(responses.POST, f"{ISS}/", callback=transaction_answer)
    second = client.post(f"{launched}/plans", json=make_plan_dict(), headers=headers)
    assert second.status_code == 201


def test_a_refused_save_says_where_in_the_plan_each_issue_belongs(
    client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    # smart.md 81: the EHR's issues, each placed by its expression on the goal and field
    plan = make_plan_dict(goals=[make_goal_dict(), make_goal_dict(key="lunch", gas=None)])
    wire.add(responses.POST, f"{ISS}/", status=422,
             json={"resourceType": "OperationOutcome", "issue": [
                 {"severity": "error", "code": "invalid", "diagnostics": "due too far",
                  "expression": ["Bundle.entry[1].resource.target[0].dueDate"]},
                 {"severity": "error", "code": "invalid", "diagnostics": "no idea"}]})
    answer = client.post(f"{launched}/plans", json=plan, headers=csrf(client, launched))
    assert answer.status_code == 502
    failed = answer.get_json()["failed"]
    assert [(i["text"], i["where"]) for i in failed[0]["issues"]] == [
        ("due too far", {"path": "goals[1].due", "goal": 1, "step": None, "field": "due"}),
        ("no idea", None),
    ]


def test_a_draft_comes_back_on_the_next_launch(
    app: Flask, client: FlaskClient, launched: str, writing_ehr: FakeEhr
) -> None:
    headers = csrf(client, launched)
    empty = client.get(f"{launched}/drafts/current").get_json()
    assert empty["draft"] is None
    assert empty["plan_key"]
    put = client.put(f"{launched}/drafts/current",
                     json={"plan_key": empty["plan_key"], "what_matters": "Walking"},
                     headers=headers)
    assert put.status_code == 200
    assert put.get_json()["version"] == 1
    # a new launch for the same patient and clinician (another window, the next day)
    again = https_client(app)
    api2 = api_of(run_launch(again, writing_ehr, launch="launch-456"))
    assert api2 != launched
    draft = again.get(f"{api2}/drafts/current").get_json()
    assert draft["draft"] == {"plan_key": empty["plan_key"], "what_matters": "Walking"}


def test_a_stale_draft_put_is_a_conflict_and_keeps_the_newer(
    client: FlaskClient, launched: str
) -> None:
    headers = csrf(client, launched)
    client.put(f"{launched}/drafts/current", json={"v": 1}, headers=headers)
    client.put(f"{launched}/drafts/current", json={"v": 2},
               headers={**headers, "If-Match": 'W/"1"'})
    stale = client.put(f"{launched}/drafts/current", json={"v": 3},
                       headers={**headers, "If-Match": 'W/"1"'})
    assert stale.status_code == 409
    assert stale.get_json()["draft"] == {"v": 2}


def goal_json(version: str, **changes: Any) -> dict[str, Any]:
    goal: dict[str, Any] = {
        "resourceType": "Goal", "id": "g1", "meta": {"versionId": version},
        "lifecycleStatus": "active", "description": {"text": "Walk to the mailbox"},
        "subject": {"reference": "Patient/pat-1"},
    }
    goal.update(changes)
    return goal


def test_get_goal_gives_the_version_and_the_etag(
    client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    wire.add(responses.GET, f"{ISS}/Goal/g1", json=goal_json("3"), headers={"ETag": 'W/"3"'})
    answer = client.get(f"{launched}/goals/g1")
    assert answer.get_json()["versionId"] == "3"
    assert answer.headers["ETag"] == 'W/"3"'
    assert client.get(f"{launched}/goals/..%2Fetc").status_code == 404


def test_a_second_reviewer_gets_the_conflict(
    client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    wire.add(responses.GET, f"{ISS}/Goal/g1", json=goal_json("4", lifecycleStatus="completed"),
             headers={"ETag": 'W/"4"'})
    wire.add(responses.GET, f"{ISS}/Goal/g1/_history/3", json=goal_json("3"))
    answer = client.post(f"{launched}/goals/g1/reviews",
                         json={**make_review_dict(), "base_version": "3"},
                         headers=csrf(client, launched))
    assert answer.status_code == 409
    conflict = answer.get_json()["conflict"]
    assert conflict["currentVersion"] == "4"
    assert {"field": "lifecycleStatus", "before": "active", "after": "completed"} in conflict[
        "changes"
    ]
    assert not [c for c in wire.calls if c.request.method in ("POST", "PUT")
                and ISS in c.request.url]


def test_a_bad_review_gets_field_errors(client: FlaskClient, launched: str) -> None:
    answer = client.post(f"{launched}/goals/g1/reviews",
                         json=make_review_dict(gas_score=7), headers=csrf(client, launched))
    assert answer.status_code == 422
    assert answer.get_json()["error"] == "invalid_review"


def test_a_save_names_the_organisation_the_app_acts_for_in_its_provenance(
    app_settings: dict[str, object], tmp_path: Any, writing_ehr: FakeEhr,
    wire: responses.RequestsMock,
) -> None:
    # smart.md 73: the tenant's organisation reaches the Provenance of a save from the app
    tenants = tmp_path / "tenants-org.toml"
    tenants.write_text(tenants_toml().replace(
        'name = "ehr"\n', 'name = "ehr"\norganization = "Organization/clinic-9"\n', 1
    ), encoding="utf-8")
    built = create_app({**app_settings, "FUNCTIONFIRST_TENANTS": str(tenants)})
    try:
        client = https_client(built)
        install_fhir(wire)
        api = api_of(run_launch(client, writing_ehr))
        wire.add_callback(responses.POST, f"{ISS}/", callback=transaction_answer)
        answer = client.post(f"{api}/plans", json=make_plan_dict(), headers=csrf(client, api))
        assert answer.status_code == 201, answer.get_data(as_text=True)
        (post,) = [c for c in wire.calls
                   if c.request.method == "POST" and c.request.url == f"{ISS}/"]
        bundle = json.loads(post.request.body)
        (provenance,) = [e["resource"] for e in bundle["entry"]
                         if e["resource"]["resourceType"] == "Provenance"]
        (author,) = [a for a in provenance["agent"]
                     if a["type"]["coding"][0]["code"] == "author"]
        assert author["onBehalfOf"] == {"reference": "Organization/clinic-9"}
    finally:
        built.extensions["functionfirst"].store.close()


def test_a_save_reads_a_partial_context_once(
    client: FlaskClient, launched: str, wire: responses.RequestsMock
) -> None:
    # A failed search leaves the context partial, and the cache keeps only complete ones: the
    # save's request still reads it once, not once for the handout's name and once to save.
    wire.replace(responses.GET, f"{ISS}/Goal", status=500, json={})
    headers = {**csrf(client, launched), "Idempotency-Key": "key-partial-1"}
    wire.add_callback(responses.POST, f"{ISS}/", callback=transaction_answer)
    before = len([c for c in wire.calls if "/Condition" in c.request.url])
    answer = client.post(f"{launched}/plans", json=make_plan_dict(), headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    after = len([c for c in wire.calls if "/Condition" in c.request.url])
    assert after - before == 1
