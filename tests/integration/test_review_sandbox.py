"""Goal reviews at the sandbox's vendor sites, on both real FHIR backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fhir_mappers import PLAN_ITEM_SYSTEM
from sandbox.stack import Stack
from smartapp.gateway.capabilities import WritePlan
from smartapp.writeback import Conflict, ReviewResult, save_review

from .sites import Site, a_plan, new_plan_key, open_site
from .test_writeback import review

pytestmark = pytest.mark.integration

SWIM = "ff-goal-history-goal-swim"  # a seeded goal with a history of reviews


def record(site: Site, goal_id: str, key: str, *, base_version: str | None,
           write_plan: WritePlan | None, **answers: object) -> ReviewResult | Conflict:
    """Save a review as the page does, with the site's write plan (or none)."""
    return save_review(site.client, goal_id, review(**answers), patient_id=site.patient_id,
                       author=site.author, today=date.today(), recorded=datetime.now(UTC),
                       base_version=base_version, review_key=key, write_plan=write_plan)


def scores_of(site: Site, key: str) -> dict[str, int]:
    """How many GAS and PEG Observations of this review the EHR holds (by app identifier)."""
    return {kind: len(site.search("Observation", identifier=f"{PLAN_ITEM_SYSTEM}|{key}/{kind}/0"))
            for kind in ("gas", "peg")}


def test_a_review_at_a_read_only_goal_saves_the_scores_once_and_says_so(
    sandbox_stack: Stack,
) -> None:
    site = open_site(sandbox_stack, "oracle", kind="goal-history")
    assert site.write_plan.goal_update is False  # planned from the CapabilityStatement
    before = site.client.send("GET", f"Goal/{SWIM}", retry_safe=True).json or {}
    version = before["meta"]["versionId"]
    key = new_plan_key()
    answers = {"gas_score": -1, "peg": {"pain": 3, "enjoyment": 3, "activity": 4},
               "decision": "continue", "achievement_status": "improving"}
    first = record(site, SWIM, key, base_version=version, write_plan=site.write_plan, **answers)
    # pressed again; the second time as a caller that passes no plan (the EHR refuses the PUT)
    again = record(site, SWIM, key, base_version=version, write_plan=None, **answers)
    for result in (first, again):
        assert isinstance(result, ReviewResult)
        assert result.goal_updated is False
        assert result.scores_saved is True
        assert result.goal.version_id == version
        assert result.warnings[0].startswith(
            "Scores saved to the chart; the goal's status could not be updated by the app — "
            "record the status change by hand")
    assert isinstance(first, ReviewResult)
    assert isinstance(again, ReviewResult)
    assert [w.resource_type for w in first.written] == ["Observation", "Observation",
                                                        "Provenance"]
    assert all(w.created for w in first.written)
    # the retry found both scores and wrote nothing new, not even a Provenance
    assert [(w.id, w.created) for w in again.written] == [(w.id, False) for w in first.written[:2]]
    assert scores_of(site, key) == {"gas": 1, "peg": 1}
    after = site.client.send("GET", f"Goal/{SWIM}", retry_safe=True).json or {}
    assert after["meta"]["versionId"] == version
    assert after["lifecycleStatus"] == before["lifecycleStatus"]
    assert after.get("achievementStatus") == before.get("achievementStatus")


def test_the_open_site_updates_the_goal_with_if_match_and_a_stale_review_conflicts(
    sandbox_stack: Stack,
) -> None:
    # smart.md 77
    site = open_site(sandbox_stack, "open")
    assert site.write_plan.goal_update
    saved = site.save(a_plan(), new_plan_key())
    goal = next(w for w in saved.written if w.resource_type == "Goal")
    version = (site.client.send("GET", f"Goal/{goal.id}", retry_safe=True).json or {})[
        "meta"]["versionId"]
    key = new_plan_key()
    done = record(site, goal.id, key, base_version=version, write_plan=site.write_plan,
                  decision="complete", achievement_status="achieved", gas_score=1)
    assert isinstance(done, ReviewResult)
    assert done.complete
    assert done.warnings == ()
    assert done.goal.version_id != version
    now = site.client.send("GET", f"Goal/{goal.id}", retry_safe=True).json or {}
    assert now["lifecycleStatus"] == "completed"
    gas = next(w for w in done.written if w.resource_type == "Observation")
    assert {"reference": f"Observation/{gas.id}"} in now["outcomeReference"]
    # the same review pressed again on the version it was opened at: the conflict, no new scores
    stale = record(site, goal.id, key, base_version=version, write_plan=site.write_plan,
                   decision="complete", achievement_status="achieved", gas_score=1)
    assert isinstance(stale, Conflict)
    assert stale.current_version == done.goal.version_id
    assert scores_of(site, key) == {"gas": 1, "peg": 1}
