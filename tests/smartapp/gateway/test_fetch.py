"""Parallel, paged searches: one wave per page depth, failures kept as missing words."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import responses
from responses import matchers

from smartapp.gateway.errors import FhirAuthError, FhirForbidden
from smartapp.gateway.fetch import fetch_all, next_link
from tests.smartapp.gateway.fakes import BASE, FakeTokens, make_client


@dataclass(frozen=True)
class Spec:
    name: str
    resource_type: str
    params: tuple[tuple[str, str], ...]
    words: str


GOALS = Spec("goals", "Goal", (("patient", "p1"),), "goals")
CONDITIONS = Spec("conditions", "Condition", (("patient", "p1"),), "conditions")
OBS = Spec("observations", "Observation", (("patient", "p1"),), "pain scores")


def bundle(*resources: dict[str, object], next_url: str | None = None) -> dict[str, object]:
    links = [{"relation": "self", "url": f"{BASE}/x"}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }


@responses.activate
def test_all_searches_of_one_page_take_one_round() -> None:
    responses.get(f"{BASE}/Goal", json=bundle({"resourceType": "Goal", "id": "g1"}))
    responses.get(f"{BASE}/Condition", json=bundle({"resourceType": "Condition", "id": "c1"}))
    result = fetch_all(make_client(), (GOALS, CONDITIONS))
    assert result.rounds == 1
    assert result.requests == 2
    assert [r["id"] for r in result.resources] == ["g1", "c1"]
    assert result.missing == ()


@responses.activate
def test_next_links_are_followed_in_a_second_wave() -> None:
    page2 = f"{BASE}/Observation?_page=2"
    responses.get(
        page2,
        json=bundle({"resourceType": "Observation", "id": "o2"}),
        match=[matchers.query_param_matcher({"_page": "2"})],
    )
    responses.get(
        f"{BASE}/Observation",
        json=bundle({"resourceType": "Observation", "id": "o1"}, next_url=page2),
        match=[matchers.query_param_matcher({"patient": "p1"})],
    )
    responses.get(f"{BASE}/Goal", json=bundle())
    result = fetch_all(make_client(), (OBS, GOALS))
    assert result.rounds == 2
    assert [r["id"] for r in result.resources] == ["o1", "o2"]
    assert result.results[0].pages == 2


@responses.activate
def test_paging_stops_at_the_bound_and_says_so() -> None:
    url = f"{BASE}/Observation?_page=n"
    responses.get(url, json=bundle({"resourceType": "Observation", "id": "o"}, next_url=url))
    result = fetch_all(
        make_client(), (Spec("o", "Observation", (("_page", "n"),), "o"),), max_pages=3
    )
    assert result.rounds == 3
    assert result.results[0].truncated is True
    assert len(result.resources) == 1  # the same id on every page is kept once


@responses.activate
def test_a_failing_search_becomes_missing_words_and_the_rest_is_kept() -> None:
    responses.get(f"{BASE}/Goal", json=bundle({"resourceType": "Goal", "id": "g1"}))
    responses.get(f"{BASE}/Observation", status=403, json={"resourceType": "OperationOutcome"})
    result = fetch_all(make_client(), (GOALS, OBS))
    assert result.missing == ("pain scores",)
    assert isinstance(result.results[1].error, FhirForbidden)
    assert [r["id"] for r in result.resources] == ["g1"]


@responses.activate
def test_an_ended_launch_is_not_a_partial_context() -> None:
    responses.get(f"{BASE}/Goal", status=401)
    with pytest.raises(FhirAuthError):
        fetch_all(make_client(FakeTokens()), (GOALS,))


@responses.activate
def test_included_resources_are_kept_and_outcomes_are_not() -> None:
    # `_include=MedicationRequest:medication`: an order's code may sit only in the Medication.
    order = {"resourceType": "MedicationRequest", "id": "r1"}
    body = bundle(order)
    body["entry"] += [  # type: ignore[operator]
        {"resource": {"resourceType": "Medication", "id": "m1"}, "search": {"mode": "include"}},
        {"resource": {"resourceType": "OperationOutcome"}, "search": {"mode": "outcome"}},
    ]
    responses.get(f"{BASE}/MedicationRequest", json=body)
    spec = Spec("medications", "MedicationRequest", (("patient", "p1"),), "medications")
    result = fetch_all(make_client(), (spec,))
    assert [(r["resourceType"], r["id"]) for r in result.resources] == [
        ("MedicationRequest", "r1"),
        ("Medication", "m1"),
    ]


@responses.activate
def test_a_plain_read_spec_keeps_the_resource() -> None:
    responses.get(f"{BASE}/Patient/p1", json={"resourceType": "Patient", "id": "p1"})
    result = fetch_all(make_client(), (Spec("patient", "Patient/p1", (), "patient details"),))
    assert [r["id"] for r in result.resources] == ["p1"]


def test_next_link_is_none_without_one() -> None:
    assert next_link({"resourceType": "Bundle", "link": [{"relation": "self", "url": "x"}]}) is None


def batch_response(*entries: dict[str, object]) -> dict[str, object]:
    return {"resourceType": "Bundle", "type": "batch-response", "entry": list(entries)}


@responses.activate
def test_a_batch_sends_every_first_page_in_one_request() -> None:
    responses.post(f"{BASE}/", json=batch_response(
        {"resource": bundle({"resourceType": "Goal", "id": "g1"}),
         "response": {"status": "200 OK"}},
        {"resource": bundle({"resourceType": "Condition", "id": "c1"}),
         "response": {"status": "200"}},
    ))
    result = fetch_all(make_client(), (GOALS, CONDITIONS), batch=True)
    assert result.rounds == 1
    assert result.requests == 1
    sent = json.loads(responses.calls[0].request.body)
    assert sent["type"] == "batch"
    assert [e["request"] for e in sent["entry"]] == [
        {"method": "GET", "url": "Goal?patient=p1"},
        {"method": "GET", "url": "Condition?patient=p1"},
    ]
    assert [r["id"] for r in result.resources] == ["g1", "c1"]


@responses.activate
def test_a_failed_entry_of_a_batch_is_missing_and_next_pages_follow_outside_it() -> None:
    page2 = f"{BASE}/Goal?_page=2"
    responses.post(f"{BASE}/", json=batch_response(
        {"resource": bundle({"resourceType": "Goal", "id": "g1"}, next_url=page2),
         "response": {"status": "200 OK"}},
        {"response": {"status": "403 Forbidden",
                      "outcome": {"resourceType": "OperationOutcome", "issue": []}}},
    ))
    responses.get(page2, json=bundle({"resourceType": "Goal", "id": "g2"}))
    result = fetch_all(make_client(), (GOALS, OBS), batch=True)
    assert result.rounds == 2
    assert result.missing == ("pain scores",)
    assert isinstance(result.results[1].error, FhirForbidden)
    assert [r["id"] for r in result.resources] == ["g1", "g2"]


@responses.activate
def test_a_refused_batch_falls_back_to_parallel_searches() -> None:
    responses.post(f"{BASE}/", status=405, json={"resourceType": "OperationOutcome"})
    responses.get(f"{BASE}/Goal", json=bundle({"resourceType": "Goal", "id": "g1"}))
    result = fetch_all(make_client(), (GOALS,), batch=True)
    assert result.rounds == 2  # the refused batch cost one round trip
    assert [r["id"] for r in result.resources] == ["g1"]
