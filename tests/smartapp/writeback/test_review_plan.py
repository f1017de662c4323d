"""A review writes what the EHR allows, planned before writing, and says what landed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import responses
from responses import matchers

from smartapp.gateway.capabilities import Strategy, WritePlan
from smartapp.writeback import Conflict, ReviewResult, WriteEvent, save_review
from smartapp.writeback.bundle import unresolved_urns
from tests.smartapp.gateway.fakes import BASE, make_client
from tests.smartapp.writeback.test_review import make_goal, review

TODAY = date(2027, 1, 4)
NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
GAS_ID = "identifier=https://fhir.functionfirst.app/sid/plan-item|rev-1/gas/0"
PEG_ID = "identifier=https://fhir.functionfirst.app/sid/plan-item|rev-1/peg/0"


def oracle_plan(**changes: Any) -> WritePlan:
    """What plan_writes gives at an Oracle-like site: Goal read-only, Observations writable."""
    values: dict[str, Any] = {
        "strategy": Strategy.NOTE, "reasons": (), "observations": True, "provenance": True,
        "conditional_create": True, "goal_update": False, "versioned_update": False,
        "observations_conditional": True,
    }
    values.update(changes)
    return WritePlan(**values)


def run(plan: WritePlan | None, events: list[WriteEvent] | None = None,
        **changes: Any) -> ReviewResult | Conflict:
    return save_review(
        make_client(), "g1", review(**changes), patient_id="p1", author="Practitioner/9",
        today=TODAY, recorded=NOW, base_version="3", review_key="rev-1", write_plan=plan,
        hook=(events.append if events is not None else lambda _e: None),
    )


def observation(rid: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": rid, "meta": {"versionId": "1"}}


def provenance() -> dict[str, Any]:
    return {"resourceType": "Provenance", "id": "pv", "meta": {"versionId": "1"}}


def conditional_posts(status: int) -> None:
    for query, rid in ((GAS_ID, "o-gas"), (PEG_ID, "o-peg")):
        responses.post(f"{BASE}/Observation", json=observation(rid), status=status,
                       match=[matchers.header_matcher({"If-None-Exist": query})])


@responses.activate
def test_a_read_only_goal_is_never_sent_and_the_result_says_the_scores_landed() -> None:
    responses.get(f"{BASE}/Goal/g1", json=make_goal("3"), headers={"ETag": 'W/"3"'})
    conditional_posts(201)
    responses.post(f"{BASE}/Provenance", json=provenance(), status=201)
    result = run(oracle_plan(), gas_score=-1, decision="continue",
                 achievement_status="improving")
    assert isinstance(result, ReviewResult)
    assert not any(c.request.method == "PUT" for c in responses.calls)
    assert result.goal_updated is False
    assert result.scores_saved is True
    assert result.complete is False
    assert result.goal.version_id == "3"  # the Goal as read: unchanged
    assert [w.resource_type for w in result.written] == ["Observation", "Observation",
                                                         "Provenance"]
    assert result.warnings == (
        "Scores saved to the chart; the goal's status could not be updated by the app — record "
        "the status change by hand (goal active, achievement improving).",
    )
    sent = json.loads(next(c for c in responses.calls
                           if c.request.path_url == "/fhir/Provenance").request.body or "")
    assert sent["activity"]["coding"][0]["code"] == "CREATE"
    assert {t["reference"] for t in sent["target"]} == {"Observation/o-gas/_history/1",
                                                      "Observation/o-peg/_history/1"}
    data = result.to_dict()
    assert data["goalUpdated"] is False
    assert data["scoresSaved"] is True
    assert data["complete"] is False


@responses.activate
def test_the_same_review_saved_again_finds_its_scores_and_writes_no_second_provenance() -> None:
    # smart.md 75: a retry or a double submit leaves one set
    responses.get(f"{BASE}/Goal/g1", json=make_goal("3"), headers={"ETag": 'W/"3"'})
    conditional_posts(200)  # the EHR matched the identifier: nothing new
    result = run(oracle_plan())
    assert isinstance(result, ReviewResult)
    assert [w.id for w in result.written] == ["o-gas", "o-peg"]
    assert not any(w.created for w in result.written)
    assert not any(c.request.path_url == "/fhir/Provenance" for c in responses.calls)
    assert result.scores_saved
    assert not result.goal_updated


@responses.activate
def test_without_conditional_create_the_scores_are_searched_before_they_are_created() -> None:
    # smart.md 76: search-before-create where If-None-Exist is unsupported
    responses.get(f"{BASE}/Goal/g1", json=make_goal("3"), headers={"ETag": 'W/"3"'})
    gas = {"resourceType": "Bundle", "type": "searchset",
           "entry": [{"resource": observation("o-gas")}]}
    for query, found in ((GAS_ID, gas), (PEG_ID, {"resourceType": "Bundle", "type": "searchset"})):
        by_identifier = {"identifier": query.removeprefix("identifier=")}
        responses.get(f"{BASE}/Observation", json=found,
                      match=[matchers.query_param_matcher(by_identifier, strict_match=False)])
    responses.post(f"{BASE}/Observation", json=observation("o-peg"), status=201)
    responses.post(f"{BASE}/Provenance", json=provenance(), status=201)
    result = run(oracle_plan(observations_conditional=False))
    assert isinstance(result, ReviewResult)
    posts = [c for c in responses.calls
             if c.request.method == "POST" and c.request.path_url == "/fhir/Observation"]
    assert len(posts) == 1  # the GAS score was there already: only the PEG is created
    assert "If-None-Exist" not in posts[0].request.headers
    assert [(w.id, w.created) for w in result.written[:2]] == [("o-gas", False), ("o-peg", True)]


@responses.activate
def test_an_update_the_ehr_refuses_is_reported_not_raised_after_the_scores_landed() -> None:
    # No plan given (or a CapabilityStatement that promised the update): a 405 on the PUT
    responses.get(f"{BASE}/Goal/g1", json=make_goal("3"), headers={"ETag": 'W/"3"'})
    conditional_posts(201)
    responses.put(f"{BASE}/Goal/g1", status=405, json={
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-supported"}]})
    responses.post(f"{BASE}/Provenance", json=provenance(), status=201)
    events: list[WriteEvent] = []
    result = run(None, events)
    assert isinstance(result, ReviewResult)
    assert result.goal_updated is False
    assert result.scores_saved is True
    assert result.warnings[0].startswith("Scores saved to the chart;")
    assert ("update:Goal", False) in [(e.action, e.accepted) for e in events]


@responses.activate
def test_when_nothing_can_be_written_nothing_is_sent_and_the_review_is_a_bundle() -> None:
    responses.get(f"{BASE}/Goal/g1", json=make_goal("3"), headers={"ETag": 'W/"3"'})
    result = run(oracle_plan(observations=False, provenance=False))
    assert isinstance(result, ReviewResult)
    assert [c.request.method for c in responses.calls] == ["GET"]
    assert result.written == ()
    assert not result.goal_updated
    assert not result.scores_saved
    assert result.warnings[0].startswith("Nothing was saved to the chart")
    bundle = result.export_bundle
    assert bundle is not None
    assert bundle["type"] == "transaction"
    requests_ = [e["request"] for e in bundle["entry"]]
    assert requests_[0]["ifNoneExist"] == GAS_ID
    assert requests_[-1] == {"method": "PUT", "url": "Goal/g1", "ifMatch": 'W/"3"'}
    assert "bundle" in result.to_dict()


@responses.activate
def test_scores_that_cannot_be_written_leave_the_goal_update_without_dangling_references() -> None:
    responses.get(f"{BASE}/Goal/g1", json=make_goal("3"), headers={"ETag": 'W/"3"'})
    responses.put(f"{BASE}/Goal/g1", json=make_goal("4", lifecycleStatus="completed"),
                  match=[matchers.header_matcher({"If-Match": 'W/"3"'})])
    responses.post(f"{BASE}/Provenance", json=provenance(), status=201)
    result = run(oracle_plan(observations=False, goal_update=True), decision="complete")
    assert isinstance(result, ReviewResult)
    assert not any(c.request.path_url == "/fhir/Observation" for c in responses.calls)
    put = next(c for c in responses.calls if c.request.method == "PUT")
    sent = json.loads(put.request.body or "")
    assert unresolved_urns(sent) == set()
    assert "outcomeReference" not in sent
    assert result.goal_updated
    assert not result.scores_saved
    assert result.goal.version_id == "4"
    assert result.warnings == ("The goal's status was updated; the GAS and PEG scores could not "
                               "be saved to the chart by the app — record them by hand.",)


@responses.activate
def test_a_goal_update_allowed_by_the_plan_still_sends_if_match_and_a_412_is_a_conflict() -> None:
    # smart.md 77
    responses.get(f"{BASE}/Goal/g1", json=make_goal("3"), headers={"ETag": 'W/"3"'})
    conditional_posts(201)
    responses.put(f"{BASE}/Goal/g1", status=412,
                  match=[matchers.header_matcher({"If-Match": 'W/"3"'})],
                  json={"resourceType": "OperationOutcome",
                        "issue": [{"severity": "error", "code": "conflict"}]})
    responses.get(f"{BASE}/Goal/g1", json=make_goal("4", lifecycleStatus="on-hold"))
    result = run(oracle_plan(goal_update=True))
    assert isinstance(result, Conflict)
    assert result.current_version == "4"
    assert [w.id for w in result.written] == ["o-gas", "o-peg"]
