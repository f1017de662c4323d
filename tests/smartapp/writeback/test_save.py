"""Saving a plan with each strategy, faked at the wire (the real EHRs: tests/integration)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from typing import Any

import requests
import responses
from responses import matchers

from smartapp.gateway.capabilities import Strategy, WritePlan
from smartapp.writeback import WriteEvent, save_plan
from smartapp.writeback.bundle import unresolved_urns
from tests.rehab.factories import make_plan
from tests.smartapp.gateway.fakes import BASE, make_client

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def make_write_plan(strategy: Strategy, **changes: Any) -> WritePlan:
    values: dict[str, Any] = {
        "strategy": strategy,
        "reasons": (),
        "observations": True,
        "provenance": True,
        "conditional_create": True,
        "goal_update": True,
        "versioned_update": True,
    }
    values.update(changes)
    return WritePlan(**values)


def run_save(strategy: Strategy, events: list[WriteEvent] | None = None, **changes: Any):  # type: ignore[no-untyped-def]
    return save_plan(
        make_client(),
        make_plan(barriers=("Fear of a flare",)),
        write_plan=make_write_plan(strategy, **changes),
        patient_id="p1",
        author="Practitioner/9",
        today=TODAY,
        plan_key="plan-1",
        recorded=NOW,
        hook=(events.append if events is not None else lambda _e: None),
    )


def transaction_response(*locations: tuple[str, str]) -> dict[str, object]:
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [{"response": {"status": status, "location": loc}} for loc, status in locations],
    }


def created(resource_type: str, rid: str) -> dict[str, object]:
    return {"resourceType": resource_type, "id": rid, "meta": {"versionId": "1"}}


def body_of(call: Any) -> dict[str, Any]:
    return json.loads(call.request.body)


@responses.activate
def test_a_transaction_is_one_post_to_the_base_with_conditional_entries_and_provenance() -> None:
    # smart.md 79: POST to the base URL, never /Bundle; ifNoneExist on each entry
    responses.post(
        f"{BASE}/",
        json=transaction_response(
            ("Goal/g1/_history/1", "201 Created"),
            ("CarePlan/c1/_history/1", "201"),
            ("Observation/o1/_history/1", "201 Created"),
            ("Observation/o2/_history/1", "201 Created"),
            ("Provenance/pv1/_history/1", "201 Created"),
        ),
    )
    events: list[WriteEvent] = []
    result = run_save(Strategy.TRANSACTION, events)
    assert len(responses.calls) == 1
    sent = body_of(responses.calls[0])
    assert sent["type"] == "transaction"
    kinds = [e["resource"]["resourceType"] for e in sent["entry"]]
    assert kinds[0] == "Goal"
    assert kinds[-1] == "Provenance"
    assert all(e["request"].get("ifNoneExist") for e in sent["entry"][:-1])
    assert [(w.resource_type, w.id, w.version_id) for w in result.written][:2] == [
        ("Goal", "g1", "1"),
        ("CarePlan", "c1", "1"),
    ]
    assert result.complete
    assert result.round_trips == 1
    assert events[0].accepted
    assert "Goal/g1/_history/1" in events[0].resources


@responses.activate
def test_a_transaction_replayed_by_the_ehr_says_nothing_new_was_written() -> None:
    responses.post(
        f"{BASE}/",
        json=transaction_response(("Goal/g1/_history/1", "200 OK"), ("CarePlan/c1", "200")),
    )
    result = run_save(Strategy.TRANSACTION, provenance=False)
    assert result.warnings == ("This plan was already in the EHR; nothing new was written.",)
    assert not any(w.created for w in result.written)


def lose_the_transaction_answer_after_it_committed() -> None:
    """The Bundle's answer times out; each conditional create then matches (200) what it wrote."""
    responses.post(f"{BASE}/", body=requests.ReadTimeout("lost"))
    responses.post(f"{BASE}/Goal", json=created("Goal", "g1"), status=200)
    responses.post(f"{BASE}/CarePlan", json=created("CarePlan", "c1"), status=200)
    responses.post(f"{BASE}/Observation", json=created("Observation", "o1"), status=200)


@responses.activate
def test_a_lost_transaction_answer_is_reconciled_by_conditional_creates() -> None:
    # The server committed, the answer timed out: the conditional creates find the set.
    lose_the_transaction_answer_after_it_committed()
    result = run_save(Strategy.TRANSACTION, provenance=False)
    assert result.complete
    assert result.strategy is Strategy.TRANSACTION
    assert {w.resource_type for w in result.written} == {"Goal", "CarePlan", "Observation"}
    assert not any(w.created for w in result.written)
    assert any("did not confirm" in w for w in result.warnings)
    # the transaction (all conditional) was safe to resend; every later write was conditional
    resent = [c for c in responses.calls if c.request.path_url == "/fhir/"]
    assert len(resent) == 3
    for call in responses.calls[3:]:
        assert call.request.headers["If-None-Exist"].startswith("identifier=")


@responses.activate
def test_a_rejected_transaction_is_reported_and_not_retried() -> None:
    # smart.md 81
    responses.post(
        f"{BASE}/",
        status=422,
        json={
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "invariant"}],
        },
    )
    result = run_save(Strategy.TRANSACTION)
    assert not result.complete
    assert result.failed[0].status == 422
    assert len(responses.calls) == 1


@responses.activate
def test_sequential_writes_in_dependency_order_and_links_the_real_ids() -> None:
    responses.post(f"{BASE}/Goal", json=created("Goal", "g1"), status=201)
    responses.post(f"{BASE}/CarePlan", json=created("CarePlan", "c1"), status=201)
    responses.post(f"{BASE}/Observation", json=created("Observation", "o1"), status=201)
    responses.post(f"{BASE}/Provenance", json=created("Provenance", "pv1"), status=201)
    result = run_save(Strategy.SEQUENTIAL)
    paths = [c.request.path_url for c in responses.calls]
    assert paths[0] == "/fhir/Goal"
    assert paths[1] == "/fhir/CarePlan"
    assert paths[-1] == "/fhir/Provenance"
    careplan = body_of(responses.calls[1])
    assert careplan["goal"] == [{"reference": "Goal/g1"}]
    assert unresolved_urns(careplan) == set()
    provenance = body_of(responses.calls[-1])
    targets = [t["reference"] for t in provenance["target"]]
    assert "Goal/g1/_history/1" in targets
    assert "CarePlan/c1/_history/1" in targets
    assert result.complete
    assert result.written[-1].resource_type == "Provenance"


@responses.activate
def test_without_conditional_create_it_searches_before_creating() -> None:
    # smart.md 76
    responses.get(
        f"{BASE}/Goal",
        json={
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": created("Goal", "g-old")}],
        },
    )
    responses.get(f"{BASE}/CarePlan", json={"resourceType": "Bundle", "type": "searchset"})
    responses.get(f"{BASE}/Observation", json={"resourceType": "Bundle", "type": "searchset"})
    responses.post(f"{BASE}/CarePlan", json=created("CarePlan", "c1"), status=201)
    responses.post(f"{BASE}/Observation", json=created("Observation", "o1"), status=201)
    result = run_save(Strategy.SEQUENTIAL, conditional_create=False, provenance=False)
    posted = [c.request.path_url for c in responses.calls if c.request.method == "POST"]
    assert "/fhir/Goal" not in posted  # it was already there
    assert body_of(next(c for c in responses.calls if c.request.path_url == "/fhir/CarePlan"))[
        "goal"
    ] == [{"reference": "Goal/g-old"}]
    assert result.written[0].id == "g-old"
    assert result.written[0].created is False


@responses.activate
def test_a_transaction_carrying_provenance_is_sent_once_then_reconciled() -> None:
    # smart.md 73, 76: a re-sent Bundle would attest the same write twice (a Provenance has no
    # identifier to match). Sent once; the conditional creates find the set; nothing was
    # created by them, so no second Provenance is written either.
    lose_the_transaction_answer_after_it_committed()
    result = run_save(Strategy.TRANSACTION)
    assert result.complete
    assert [c.request.path_url for c in responses.calls].count("/fhir/") == 1
    assert not [c for c in responses.calls if c.request.path_url == "/fhir/Provenance"]
    assert {w.resource_type for w in result.written} == {"Goal", "CarePlan", "Observation"}


@responses.activate
def test_a_plain_post_that_timed_out_is_looked_up_not_repeated() -> None:
    # smart.md 76, 82: the POST landed, the answer was lost; the search finds it.
    empty = {"resourceType": "Bundle", "type": "searchset"}
    found = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": created("Goal", "g1")}],
    }
    responses.get(f"{BASE}/Goal", json=empty)
    responses.post(f"{BASE}/Goal", body=requests.ReadTimeout("lost"))
    responses.get(f"{BASE}/Goal", json=found)
    responses.get(f"{BASE}/CarePlan", json=empty)
    responses.post(f"{BASE}/CarePlan", json=created("CarePlan", "c1"), status=201)
    responses.get(f"{BASE}/Observation", json=empty)
    responses.post(f"{BASE}/Observation", json=created("Observation", "o1"), status=201)
    responses.post(f"{BASE}/Provenance", json=created("Provenance", "pv1"), status=201)
    result = run_save(Strategy.SEQUENTIAL, conditional_create=False)
    goal_posts = [
        c
        for c in responses.calls
        if c.request.method == "POST" and c.request.path_url == "/fhir/Goal"
    ]
    assert len(goal_posts) == 1
    assert result.complete
    assert result.written[0].id == "g1"
    # Absent before the POST, there after it: this save made it, and its Provenance says so.
    assert result.written[0].created
    (provenance,) = [body_of(c) for c in responses.calls
                     if c.request.path_url == "/fhir/Provenance"]
    assert provenance["target"][0]["reference"].startswith("Goal/g1")


@responses.activate
def test_a_later_step_refused_for_good_withdraws_the_goals_this_save_created() -> None:
    # smart.md 79: compensate (entered-in-error) and report exactly what happened
    responses.post(f"{BASE}/Goal", json=created("Goal", "g1"), status=201)
    responses.post(
        f"{BASE}/CarePlan",
        status=422,
        json={
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "invalid"}],
        },
    )
    responses.get(f"{BASE}/Goal/g1", json=created("Goal", "g1"), headers={"ETag": 'W/"1"'})
    responses.put(
        f"{BASE}/Goal/g1",
        json={**created("Goal", "g1"), "meta": {"versionId": "2"}},
        match=[matchers.header_matcher({"If-Match": 'W/"1"'})],
    )
    responses.post(f"{BASE}/Provenance", json=created("Provenance", "pv1"), status=201)
    events: list[WriteEvent] = []
    result = run_save(Strategy.SEQUENTIAL, events)
    assert not result.complete
    assert result.failed[0].resource_type == "CarePlan"
    assert result.failed[0].status == 422
    assert [(w.id, w.version_id) for w in result.compensated] == [("g1", "2")]
    assert [w.resource_type for w in result.written] == ["Provenance"]
    put = next(c for c in responses.calls if c.request.method == "PUT")
    assert body_of(put)["lifecycleStatus"] == "entered-in-error"
    assert [e.action for e in events] == [
        "create:Goal", "create:CarePlan", "compensate:Goal", "create:Provenance"
    ]
    assert [e.accepted for e in events] == [True, False, True, True]
    # smart.md 73: the withdrawal is an accepted write too, with its Provenance (UPDATE)
    provenance = body_of(responses.calls[-1])
    assert provenance["activity"]["coding"][0]["code"] == "UPDATE"
    assert provenance["target"] == [{"reference": "Goal/g1/_history/2"}]


@responses.activate
def test_a_later_step_that_is_only_unavailable_keeps_what_landed_for_a_resume() -> None:
    responses.post(f"{BASE}/Goal", json=created("Goal", "g1"), status=201)
    responses.post(f"{BASE}/CarePlan", status=503, headers={"Retry-After": "60"})
    result = run_save(Strategy.SEQUENTIAL, provenance=False)
    assert [w.id for w in result.written] == ["g1"]
    assert result.compensated == ()
    assert any("saving again completes it" in w for w in result.warnings)


@responses.activate
def test_note_writes_a_document_reference_with_text_and_pdf() -> None:
    responses.post(f"{BASE}/DocumentReference", json=created("DocumentReference", "d1"), status=201)
    responses.post(f"{BASE}/Provenance", json=created("Provenance", "pv1"), status=201)
    result = run_save(Strategy.NOTE)
    doc = body_of(responses.calls[0])
    assert doc["resourceType"] == "DocumentReference"
    types = {
        c["attachment"]["contentType"].split(";")[0]: c["attachment"]["data"]
        for c in doc["content"]
    }
    assert base64.b64decode(types["application/pdf"]).startswith(b"%PDF")
    assert "Walking my dog again" in base64.b64decode(types["text/plain"]).decode()
    assert responses.calls[0].request.headers["If-None-Exist"].startswith("identifier=")
    assert result.strategy is Strategy.NOTE
    assert [w.resource_type for w in result.written] == ["DocumentReference", "Provenance"]


@responses.activate
def test_export_writes_nothing_and_hands_back_the_bundle() -> None:
    result = run_save(Strategy.EXPORT)
    assert len(responses.calls) == 0
    assert result.written == ()
    assert result.export_bundle is not None
    assert result.export_bundle["type"] == "transaction"
    assert "Nothing was written" in result.warnings[0]


@responses.activate
def test_observations_the_ehr_refuses_are_left_out_with_a_warning() -> None:
    responses.post(f"{BASE}/", json=transaction_response(("Goal/g1/_history/1", "201")))
    result = run_save(Strategy.TRANSACTION, observations=False)
    kinds = [e["resource"]["resourceType"] for e in body_of(responses.calls[0])["entry"]]
    assert "Observation" not in kinds
    assert any("observations" in w for w in result.warnings)


@responses.activate
def test_an_ehr_refusing_if_none_exist_with_400_gets_search_before_create() -> None:
    # smart.md 76: the CapabilityStatement said conditional create; the server says otherwise
    empty = {"resourceType": "Bundle", "type": "searchset"}
    for rtype in ("Goal", "CarePlan", "Observation"):
        # registered in order: the conditional create's answer first, then the plain POST's
        responses.post(f"{BASE}/{rtype}", status=400,
                       json={"resourceType": "OperationOutcome",
                             "issue": [{"severity": "error", "code": "not-supported"}]})
        responses.get(f"{BASE}/{rtype}", json=empty)
        responses.post(f"{BASE}/{rtype}", json=created(rtype, f"{rtype.lower()}-1"), status=201)
    result = run_save(Strategy.SEQUENTIAL, provenance=False)
    assert result.complete
    posts = [c for c in responses.calls if c.request.method == "POST"]
    assert "If-None-Exist" in posts[0].request.headers
    assert "If-None-Exist" not in posts[1].request.headers
    searches = [c for c in responses.calls if c.request.method == "GET"]
    assert "patient=p1" in searches[0].request.url
    observation_search = next(c for c in searches if "/Observation" in c.request.url)
    assert "code=" in observation_search.request.url


@responses.activate
def test_saving_again_after_a_withdrawal_puts_the_plan_back_on_the_same_goal() -> None:
    # A save compensated earlier left Goal g1 entered-in-error; the retry reuses and revives it.
    withdrawn = {**created("Goal", "g1"), "meta": {"versionId": "2"},
                 "lifecycleStatus": "entered-in-error"}
    responses.post(f"{BASE}/Goal", json=withdrawn, status=200)
    responses.put(
        f"{BASE}/Goal/g1",
        json={**created("Goal", "g1"), "meta": {"versionId": "3"}, "lifecycleStatus": "active"},
        match=[matchers.header_matcher({"If-Match": 'W/"2"'})],
    )
    responses.post(f"{BASE}/CarePlan", json=created("CarePlan", "c1"), status=201)
    responses.post(f"{BASE}/Observation", json=created("Observation", "o1"), status=201)
    result = run_save(Strategy.SEQUENTIAL, provenance=False)
    put = next(c for c in responses.calls if c.request.method == "PUT")
    assert body_of(put)["lifecycleStatus"] == "active"
    assert body_of(put)["id"] == "g1"
    assert result.written[0].version_id == "3"
    assert result.written[0].created is True
    assert result.complete


@responses.activate
def test_a_transaction_refused_as_a_whole_is_saved_record_by_record() -> None:
    # all or nothing: a 400 to the transaction means nothing was written
    responses.post(f"{BASE}/", status=400,
                   json={"resourceType": "OperationOutcome", "issue": [
                       {"severity": "error", "code": "too-costly",
                        "diagnostics": "Transaction has too many entries"}]})
    for rtype in ("Goal", "CarePlan", "Observation", "Provenance"):
        responses.post(f"{BASE}/{rtype}", json=created(rtype, f"{rtype.lower()}-1"), status=201)
    result = run_save(Strategy.TRANSACTION)
    assert result.complete
    assert result.strategy is Strategy.SEQUENTIAL
    assert any("record by record" in w for w in result.warnings)
    assert [w.resource_type for w in result.written][-1] == "Provenance"
