"""The pages' door to the EHR: the context goes as one batch where the tenant allows it.

The EHR is faked at the wire (responses); the batch itself against real servers is tested in
tests/integration/test_context_sandbox.py.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from smartapp import create_app

from .conftest import https_client, run_launch
from .fake_ehr import ISS, FakeEhr, tenants_toml

SEARCHED = ("Condition", "Observation", "MedicationRequest", "Goal", "CarePlan")


def statement(*, batch: bool) -> dict[str, object]:
    return {
        "resourceType": "CapabilityStatement",
        "fhirVersion": "4.0.1",
        "rest": [{"mode": "server", "interaction": [{"code": "batch"}] if batch else []}],
    }


def batch_answer(request: Any) -> tuple[int, dict[str, str], str]:
    bundle = json.loads(request.body)
    assert bundle["type"] == "batch"
    entries = []
    for entry in bundle["entry"]:
        url = entry["request"]["url"]
        if url.startswith("Patient/"):
            resource: dict[str, object] = {"resourceType": "Patient", "id": url.split("/")[1]}
        else:
            resource = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        entries.append({"resource": resource, "response": {"status": "200 OK"}})
    body = {"resourceType": "Bundle", "type": "batch-response", "entry": entries}
    return 200, {}, json.dumps(body)


def install(wire: responses.RequestsMock, *, metadata: dict[str, object] | None) -> None:
    if metadata is None:
        wire.add(responses.GET, f"{ISS}/metadata", status=404)
    else:
        wire.add(responses.GET, f"{ISS}/metadata", json=metadata)
    wire.add_callback(responses.POST, f"{ISS}/", callback=batch_answer)
    for rtype in SEARCHED:
        empty = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        wire.add(responses.GET, f"{ISS}/{rtype}", json=empty)


def fhir_calls(wire: responses.RequestsMock) -> list[tuple[str, str]]:
    """(method, path below the FHIR base) of every FHIR request, metadata excluded."""
    found = []
    for call in wire.calls:
        url = str(call.request.url)
        if url.startswith(ISS) and "/metadata" not in url and "smart-configuration" not in url:
            path = re.sub(r"\?.*$", "", url.removeprefix(ISS))
            found.append((str(call.request.method), path))
    return found


def context_of(client: FlaskClient, path: str) -> dict[str, Any]:
    answer = client.get(path + "api/context")
    assert answer.status_code == 200
    data: dict[str, Any] = answer.get_json()
    return data


def test_the_context_is_one_batch_where_the_ehr_takes_batches(
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    install(wire, metadata=statement(batch=True))
    path = run_launch(client, ehr)
    assert client.get(path).status_code == 200  # the overview
    assert fhir_calls(wire) == [("POST", "/")]
    assert context_of(client, path)["round_trips"] == 1


@pytest.mark.parametrize(
    "metadata", [statement(batch=False), None], ids=["no-batch-capability", "no-statement"]
)
def test_no_batch_without_the_capability_or_without_a_statement(
    client: FlaskClient,
    ehr: FakeEhr,
    wire: responses.RequestsMock,
    metadata: dict[str, object] | None,
) -> None:
    install(wire, metadata=metadata)
    path = run_launch(client, ehr)
    assert client.get(path).status_code == 200
    calls = fhir_calls(wire)
    assert ("POST", "/") not in calls
    assert {p for m, p in calls if m == "GET"} >= {f"/{t}" for t in SEARCHED}


def app_with_quirk(app_settings: dict[str, object], tmp_path: Path, quirk: str) -> Iterator[Flask]:
    """The app with `quirk = true` in the first tenant's [tenant.quirks]."""
    text = tenants_toml().replace(
        '\n[[tenant]]\nname = "other"',
        f'\n[tenant.quirks]\n{quirk} = true\n\n[[tenant]]\nname = "other"',
        1,
    )
    tenants = tmp_path / "quirky-tenants.toml"
    tenants.write_text(text, encoding="utf-8")
    built = create_app({**app_settings, "FUNCTIONFIRST_TENANTS": str(tenants)})
    yield built
    built.extensions["functionfirst"].store.close()


@pytest.fixture
def no_batch_app(app_settings: dict[str, object], tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_quirk(app_settings, tmp_path, "no_batch")


def test_the_no_batch_quirk_wins_over_the_capability_statement(
    no_batch_app: Flask, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    install(wire, metadata=statement(batch=True))
    client = https_client(no_batch_app)
    path = run_launch(client, ehr)
    assert client.get(path).status_code == 200
    calls = fhir_calls(wire)
    assert ("POST", "/") not in calls
    assert {p for m, p in calls if m == "GET"} >= {f"/{t}" for t in SEARCHED}


GOAL = {
    "resourceType": "Goal",
    "id": "g-1",
    "meta": {"versionId": "2"},
    "lifecycleStatus": "active",
    "description": {"text": "Walk to the shop"},
    "startDate": "2026-01-05",
    "target": [{"dueDate": "2026-03-01"}],
}


def care_plan_searches(wire: responses.RequestsMock) -> list[dict[str, list[str]]]:
    """The query of every CarePlan search, in order."""
    return [
        parse_qs(urlsplit(str(call.request.url)).query)
        for call in wire.calls
        if urlsplit(str(call.request.url)).path.endswith("/CarePlan")
    ]


def test_the_review_reads_the_care_plans_once_more_as_the_context_searches_them(
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    install(wire, metadata=statement(batch=False))
    wire.add(responses.GET, f"{ISS}/Goal/g-1", json=GOAL)
    path = run_launch(client, ehr)
    page = client.get(path + "goals/g-1/review")
    assert page.status_code == 200
    context_search, review_search = care_plan_searches(wire)  # one more request, no more
    assert {**review_search, "_count": []} == {**context_search, "_count": []}
    assert review_search["category"] == [
        "http://hl7.org/fhir/us/core/CodeSystem/careplan-category|assess-plan"
    ]
    assert "_include" not in review_search
    html = page.get_data(as_text=True)
    assert "No care plan in the EHR names this goal, so no action steps are on file." in html


def test_the_review_follows_the_care_plan_search_to_its_next_page(
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # A patient with many care plans: the one naming this goal may be on a later page.
    install(wire, metadata=statement(batch=False))
    wire.add(responses.GET, f"{ISS}/Goal/g-1", json=GOAL)
    later = {
        "resourceType": "CarePlan",
        "id": "cp-2",
        "status": "active",
        "intent": "plan",
        "subject": {"reference": "Patient/p-1"},
        "goal": [{"reference": "Goal/g-1"}],
        "activity": [{"detail": {"status": "in-progress", "description": "Walk after lunch"}}],
    }

    def pages(request: Any) -> tuple[int, dict[str, str], str]:
        if parse_qs(urlsplit(str(request.url)).query).get("_page") == ["2"]:
            body = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": later}]}
        else:
            body = {
                "resourceType": "Bundle",
                "type": "searchset",
                "link": [{"relation": "next", "url": f"{ISS}/CarePlan?_page=2"}],
                "entry": [],
            }
        return 200, {}, json.dumps(body)

    wire.remove(responses.GET, f"{ISS}/CarePlan")
    wire.add_callback(responses.GET, f"{ISS}/CarePlan", callback=pages)
    path = run_launch(client, ehr)
    page = client.get(path + "goals/g-1/review")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Walk after lunch" in html
    assert "No care plan in the EHR names this goal" not in html


def test_a_care_plan_search_that_fails_leaves_the_review_saying_so(
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    install(wire, metadata=statement(batch=False))
    wire.replace(responses.GET, f"{ISS}/CarePlan", status=500, json={})
    wire.add(responses.GET, f"{ISS}/Goal/g-1", json=GOAL)
    path = run_launch(client, ehr)
    page = client.get(path + "goals/g-1/review")
    assert page.status_code == 200
    assert (
        "The care plans could not be read: the EHR is not available just now (HTTP 500); "
        "reload in a moment. The action steps are not shown." in page.get_data(as_text=True)
    )


@pytest.fixture
def reference_steps_app(app_settings: dict[str, object], tmp_path: Path) -> Iterator[Flask]:
    yield from app_with_quirk(app_settings, tmp_path, "activity_style_reference")


def test_where_steps_are_service_requests_the_review_asks_for_them_in_the_same_search(
    reference_steps_app: Flask, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    install(wire, metadata=statement(batch=False))
    wire.add(responses.GET, f"{ISS}/Goal/g-1", json=GOAL)
    client = https_client(reference_steps_app)
    path = run_launch(client, ehr)
    assert client.get(path + "goals/g-1/review").status_code == 200
    # The context's search and the review's go side by side: which comes first is not fixed.
    included = [q["_include"] for q in care_plan_searches(wire) if "_include" in q]
    assert included == [["CarePlan:activity-reference"]]


def meeting(both: threading.Barrier, body: dict[str, Any]) -> Any:
    """A wire callback that answers `body` once the other request has arrived too."""

    def answer(_request: Any) -> tuple[int, dict[str, str], str]:
        both.wait()
        return 200, {}, json.dumps(body)

    return answer


def test_the_review_reads_the_goal_and_the_care_plans_side_by_side(
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # Round trips are what clinicians feel: the Goal read and the plans search go together.
    install(wire, metadata=statement(batch=False))
    path = run_launch(client, ehr)
    assert client.get(path).status_code == 200  # the overview: the context (and its search)
    both = threading.Barrier(2, timeout=10)  # each waits for the other: sequential reads fail
    empty = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    wire.add_callback(responses.GET, f"{ISS}/Goal/g-1", callback=meeting(both, GOAL))
    wire.remove(responses.GET, f"{ISS}/CarePlan")
    wire.add_callback(responses.GET, f"{ISS}/CarePlan", callback=meeting(both, empty))
    page = client.get(path + "goals/g-1/review")
    assert page.status_code == 200, page.get_data(as_text=True)
    assert not both.broken


def test_right_after_a_save_the_review_reads_the_context_beside_the_goal(
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # No context is cached (a save invalidates it): its searches go with the Goal read.
    install(wire, metadata=statement(batch=False))
    path = run_launch(client, ehr)
    both = threading.Barrier(2, timeout=10)
    empty = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    wire.add_callback(responses.GET, f"{ISS}/Goal/g-1", callback=meeting(both, GOAL))
    wire.remove(responses.GET, f"{ISS}/Condition")
    # only the context searches Conditions
    wire.add_callback(responses.GET, f"{ISS}/Condition", callback=meeting(both, empty))
    page = client.get(path + "goals/g-1/review")
    assert page.status_code == 200, page.get_data(as_text=True)
    assert not both.broken
