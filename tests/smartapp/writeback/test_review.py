"""Recording a review: If-Match on the Goal update, and the conflict instead of an overwrite."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import responses
from responses import matchers

from rehab.review import GoalReview
from smartapp.writeback import Conflict, ReviewResult, save_review
from tests.rehab.factories import make_review_dict
from tests.smartapp.gateway.fakes import BASE, make_client

TODAY = date(2027, 1, 4)
NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def make_goal(version: str, **changes: Any) -> dict[str, Any]:
    goal: dict[str, Any] = {
        "resourceType": "Goal",
        "id": "g1",
        "meta": {"versionId": version},
        "lifecycleStatus": "active",
        "achievementStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                    "code": "in-progress",
                }
            ]
        },
        "description": {"text": "Walk around the block 3 times a week"},
        "subject": {"reference": "Patient/p1"},
        "startDate": "2026-11-23",
        "target": [{"dueDate": "2027-01-18"}],
    }
    goal.update(changes)
    return goal


def review(**changes: Any) -> GoalReview:
    parsed, errors = GoalReview.from_dict(make_review_dict(**changes))
    assert errors == []
    assert parsed is not None
    return parsed


def run(base_version: str | None) -> ReviewResult | Conflict:
    return save_review(
        make_client(),
        "g1",
        review(),
        patient_id="p1",
        author="Practitioner/9",
        today=TODAY,
        recorded=NOW,
        base_version=base_version,
        review_key="rev-1",
    )


@responses.activate
def test_a_review_writes_observations_then_updates_the_goal_with_if_match() -> None:
    # smart.md 77
    responses.get(f"{BASE}/Goal/g1", json=make_goal("3"), headers={"ETag": 'W/"3"'})
    responses.post(
        f"{BASE}/Observation",
        json={"resourceType": "Observation", "id": "o1", "meta": {"versionId": "1"}},
        status=201,
    )
    responses.put(
        f"{BASE}/Goal/g1",
        json=make_goal("4", lifecycleStatus="completed"),
        match=[matchers.header_matcher({"If-Match": 'W/"3"'})],
    )
    responses.post(
        f"{BASE}/Provenance",
        json={"resourceType": "Provenance", "id": "pv", "meta": {"versionId": "1"}},
        status=201,
    )
    result = run("3")
    assert isinstance(result, ReviewResult)
    assert result.goal.version_id == "4"
    posts = [c for c in responses.calls if c.request.path_url == "/fhir/Observation"]
    codes = {json.loads(c.request.body)["code"]["coding"][0]["code"] for c in posts}
    assert "107333-7" in codes  # GAS
    assert all(c.request.headers["If-None-Exist"].startswith("identifier=") for c in posts)
    put = next(c for c in responses.calls if c.request.method == "PUT")
    sent = json.loads(put.request.body)
    assert sent["lifecycleStatus"] == "completed"
    assert sent["outcomeReference"] == [{"reference": "Observation/o1"}]
    assert "Provenance" in [w.resource_type for w in result.written]


@responses.activate
def test_a_goal_changed_since_the_reviewer_read_it_is_a_conflict_and_nothing_is_written() -> None:
    responses.get(
        f"{BASE}/Goal/g1",
        json=make_goal("4", lifecycleStatus="on-hold"),
        headers={"ETag": 'W/"4"'},
    )
    responses.get(f"{BASE}/Goal/g1/_history/3", json=make_goal("3"))
    result = run("3")
    assert isinstance(result, Conflict)
    assert result.base_version == "3"
    assert result.current_version == "4"
    assert [c.to_dict() for c in result.changes] == [
        {"field": "lifecycleStatus", "before": "active", "after": "on-hold"}
    ]
    assert all(c.request.method == "GET" for c in responses.calls)


@responses.activate
def test_a_412_on_the_update_rereads_and_returns_what_changed() -> None:
    # FHIR R4 http.html#concurrency: 412 Precondition Failed instead of updating
    responses.get(f"{BASE}/Goal/g1", json=make_goal("3"), headers={"ETag": 'W/"3"'})
    responses.post(
        f"{BASE}/Observation",
        json={"resourceType": "Observation", "id": "o1", "meta": {"versionId": "1"}},
        status=201,
    )
    responses.put(
        f"{BASE}/Goal/g1",
        status=412,
        json={
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "conflict"}],
        },
    )
    responses.get(
        f"{BASE}/Goal/g1",
        json=make_goal("4", description={"text": "Walk 20 minutes"}),
        headers={"ETag": 'W/"4"'},
    )
    result = run(None)
    assert isinstance(result, Conflict)
    assert result.current_version == "4"
    assert result.changes[0].field == "description"
    assert result.changes[0].after == "Walk 20 minutes"
    # the GAS and PEG scores were recorded; the Goal was not overwritten
    assert [w.resource_type for w in result.written] == ["Observation", "Observation"]
    assert len([c for c in responses.calls if c.request.method == "PUT"]) == 1
