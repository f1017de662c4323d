"""Write-back against the sandbox EHR on both real FHIR backends, at its three vendor sites."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests

from fhir_mappers import PLAN_ITEM_SYSTEM, goal_from_fhir
from rehab.review import GoalReview
from sandbox.stack import Stack
from smartapp.gateway.capabilities import Strategy
from smartapp.gateway.client import FhirClient
from smartapp.writeback import Conflict, ReviewResult, save_review
from tests.rehab.factories import make_review_dict

from .sites import CommitThenDrop, Site, a_plan, new_plan_key, open_site, problems_of

pytestmark = pytest.mark.integration

EXPECTED = {"open": Strategy.TRANSACTION, "epic": Strategy.SEQUENTIAL, "oracle": Strategy.NOTE}
# What one saved plan leaves in the EHR, per strategy (the walking plan with one barrier).
KINDS = {"open": ("goal", "careplan"), "epic": ("goal", "careplan"), "oracle": ("note",)}
TYPE_OF = {"goal": "Goal", "careplan": "CarePlan", "note": "DocumentReference"}


@pytest.fixture(params=tuple(EXPECTED))
def site(sandbox_stack: Stack, request: pytest.FixtureRequest) -> Site:
    return open_site(sandbox_stack, request.param)


@pytest.fixture
def faults(sandbox_stack: Stack) -> Iterator[str]:
    """The EHR's fault admin endpoint, cleared after the test."""
    url = f"{sandbox_stack.ehr_url}/sandbox/faults"
    yield url
    requests.delete(url, timeout=10)


def count_of(site: Site, plan_key: str, kind: str) -> int:
    """How many resources of the plan's `kind` the EHR holds (by the app's identifier)."""
    index = {"goal": "walk", "careplan": "0", "note": "0"}[kind]
    found = site.search(TYPE_OF[kind], identifier=f"{PLAN_ITEM_SYSTEM}|{plan_key}/{kind}/{index}")
    return len(found)


def assert_one_set(site: Site, plan_key: str) -> None:
    for kind in KINDS[site.profile]:
        assert count_of(site, plan_key, kind) == 1, kind


def test_each_site_uses_its_strategy_and_what_landed_reads_back_valid(site: Site) -> None:
    key = new_plan_key()
    result = site.save(a_plan(), key)
    assert result.strategy is EXPECTED[site.profile]
    assert result.complete, result.failed
    assert result.written
    for written in result.written:
        answer = site.client.send("GET", f"{written.resource_type}/{written.id}",
                                  retry_safe=True)
        resource = answer.json or {}
        assert problems_of(resource) == [], written
        if written.resource_type == "Goal":
            # round trip: the EHR's copy reads back as the goal the clinician set
            assert goal_from_fhir(resource).description == a_plan().goals[0].description
    types = {w.resource_type for w in result.written}
    assert {TYPE_OF[k] for k in KINDS[site.profile]} <= types
    assert "Provenance" in types  # smart.md 73
    assert_one_set(site, key)


def test_saving_the_same_plan_again_adds_nothing(site: Site) -> None:
    # smart.md 75: a retry after a timeout, or a double submit, leaves exactly one set
    key = new_plan_key()
    first = site.save(a_plan(), key)
    again = site.save(a_plan(), key)
    assert again.complete
    firsts = {(w.resource_type, w.id) for w in first.written if w.resource_type != "Provenance"}
    agains = {(w.resource_type, w.id) for w in again.written if w.resource_type != "Provenance"}
    assert agains == firsts
    assert_one_set(site, key)


def test_export_writes_nothing(sandbox_stack: Stack) -> None:
    site = open_site(sandbox_stack, "open")
    key = new_plan_key()
    forced = dataclasses.replace(site.write_plan, strategy=Strategy.EXPORT)
    result = site.save(a_plan(), key, write_plan=forced)
    assert result.strategy is Strategy.EXPORT
    assert result.written == ()
    assert result.export_bundle is not None
    assert count_of(site, key, "goal") == 0


def provenances_naming(stack: Stack, reference: str) -> list[dict[str, Any]]:
    """The Provenance resources with `reference` (any version of it) among their targets, read
    at the FHIR backend itself (the test's stack holds few, so one big page has them all)."""
    answer = requests.get(f"{stack.backend_url}/Provenance", params={"_count": "1000"},
                          headers={"Accept": "application/fhir+json"}, timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    found = [e["resource"] for e in answer.json().get("entry") or ()]
    assert not any(link.get("relation") == "next" for link in answer.json().get("link") or ())
    return [p for p in found
            if any(t.get("reference", "").split("/_history/")[0] == reference
                   for t in p.get("target") or ())]


def test_an_answer_lost_after_the_ehr_committed_ends_in_one_set(
    site: Site, sandbox_stack: Stack
) -> None:
    key = new_plan_key()
    proxy = CommitThenDrop(site.client.base_url)
    try:
        lossy = FhirClient(proxy.url, site.tokens, correlation_id="lossy-save")
        result = site.save(a_plan(), key, client=lossy)
    finally:
        proxy.close()
    assert proxy.dropped == 1
    assert result.complete, result.failed
    assert_one_set(site, key)
    # One Provenance too: a re-sent transaction would attest the same write a second time.
    kind = KINDS[site.profile][0]
    index = {"goal": "walk", "note": "0"}[kind]
    (written,) = site.search(TYPE_OF[kind], identifier=f"{PLAN_ITEM_SYSTEM}|{key}/{kind}/{index}")
    assert len(provenances_naming(sandbox_stack, f"{TYPE_OF[kind]}/{written['id']}")) == 1


def test_a_conditional_create_whose_answer_was_lost_still_gets_its_provenance(
    sandbox_stack: Stack,
) -> None:
    # smart.md 73, 76: record by record with conditional create; the Goal's answer is lost, the
    # gateway sends the conditional create again and the EHR answers 200 (matched). The Goal is
    # still this save's write, so the Provenance names it.
    site = open_site(sandbox_stack, "open")
    by_record = dataclasses.replace(site.write_plan, strategy=Strategy.SEQUENTIAL)
    assert by_record.conditional_create
    key = new_plan_key()
    proxy = CommitThenDrop(site.client.base_url)
    try:
        lossy = FhirClient(proxy.url, site.tokens, correlation_id="lossy-conditional")
        result = site.save(a_plan(), key, client=lossy, write_plan=by_record)
    finally:
        proxy.close()
    assert proxy.dropped == 1
    assert result.complete, result.failed
    assert_one_set(site, key)
    goal = next(w for w in result.written if w.resource_type == "Goal")
    assert goal.created
    assert len(provenances_naming(sandbox_stack, f"Goal/{goal.id}")) == 1


@pytest.mark.parametrize("fault", [{"error_rate": 1, "error_status": 503}, {"drop_rate": 1}],
                         ids=["5xx", "dropped"])
def test_a_failing_ehr_gets_an_honest_answer_and_a_retry_completes_once(
    site: Site, faults: str, fault: dict[str, object]
) -> None:
    key = new_plan_key()
    assert requests.post(faults, json=fault, timeout=10).status_code == 200
    failed = site.save(a_plan(), key)
    requests.delete(faults, timeout=10)
    assert not failed.complete
    assert failed.written == ()  # the very first write failed: nothing landed, and it says so
    assert failed.failed[0].status == fault.get("error_status", 0)
    for kind in KINDS[site.profile]:
        assert count_of(site, key, kind) == 0
    retried = site.save(a_plan(), key)
    assert retried.complete
    assert_one_set(site, key)


def review(**changes: object) -> GoalReview:
    parsed, errors = GoalReview.from_dict(make_review_dict(**changes))
    assert errors == []
    assert parsed is not None
    return parsed


@pytest.mark.parametrize("profile", ["open", "epic"])
def test_the_second_of_two_reviewers_gets_the_conflict(sandbox_stack: Stack, profile: str) -> None:
    # smart.md 77: two editors; the second gets the conflict and nothing is lost
    site = open_site(sandbox_stack, profile)
    saved = site.save(a_plan(), new_plan_key())
    goal = next(w for w in saved.written if w.resource_type == "Goal")
    seen = site.client.send("GET", f"Goal/{goal.id}", retry_safe=True)
    version = (seen.json or {})["meta"]["versionId"]

    def record(answer: GoalReview) -> ReviewResult | Conflict:
        return save_review(site.client, goal.id, answer, patient_id=site.patient_id,
                           author=site.author, today=date.today(), recorded=datetime.now(UTC),
                           base_version=version, review_key=new_plan_key())

    first = record(review(decision="continue", achievement_status="improving"))
    assert isinstance(first, ReviewResult)
    second = record(review(decision="complete", achievement_status="achieved"))
    assert isinstance(second, Conflict)
    assert second.base_version == version
    assert second.current_version == first.goal.version_id
    changed = {c.field: c.after for c in second.changes}
    assert changed["achievementStatus"] == "improving"
    now = site.client.send("GET", f"Goal/{goal.id}", retry_safe=True).json or {}
    assert now["lifecycleStatus"] == "active"  # the first reviewer's "continue" stands
    assert problems_of(now) == []


def test_an_expired_token_mid_save_is_refreshed_without_the_clinician_noticing(
    sandbox_stack: Stack,
) -> None:
    site = open_site(sandbox_stack, "open")
    key = new_plan_key()
    sandbox_stack.ehr_clock.advance(2 * 3600)  # past the access token's lifetime
    result = site.save(a_plan(), key)
    assert result.complete
    assert site.tokens.refreshes == 1
    assert_one_set(site, key)


def test_a_large_plan_lands_whole_on_either_backend(sandbox_stack: Stack) -> None:
    # Medplum refuses transactions of more than 8 conditional entries: record by record there
    site = open_site(sandbox_stack, "open")
    base = a_plan()
    goals = tuple(
        dataclasses.replace(base.goals[0], key=f"walk{i}", description=f"Walk {i + 1} blocks")
        for i in range(7)  # 7 Goals, a CarePlan, 2 Observations: 10 conditional entries
    )
    key = new_plan_key()
    result = site.save(dataclasses.replace(base, goals=goals), key)
    assert result.complete, result.failed
    if sandbox_stack.backend.kind == "medplum":
        assert result.strategy is Strategy.SEQUENTIAL
        assert any("record by record" in w for w in result.warnings)
    else:
        assert result.strategy is Strategy.TRANSACTION
    assert [w.resource_type for w in result.written].count("Goal") == 7
    for i in range(7):
        found = site.search("Goal", identifier=f"{PLAN_ITEM_SYSTEM}|{key}/goal/walk{i}")
        assert len(found) == 1
