"""What a review may write at one EHR, and the words for what the clinician must do by hand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fhir_mappers.review import ReviewResources
from rehab.review import GoalReview
from smartapp.gateway.capabilities import WritePlan
from smartapp.writeback.result import if_match
from smartapp.writeback.save import if_none_exist_for


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewWrites:
    """What a review may write at this EHR with this token, decided before writing."""

    observations: bool = True
    goal_update: bool = True
    provenance: bool = True
    conditional_create: bool = True

    @classmethod
    def from_plan(cls, plan: WritePlan | None) -> ReviewWrites:
        """The review's writes from the save's write plan (all of them when there is none)."""
        if plan is None:
            return cls()
        return cls(observations=plan.observations, goal_update=plan.goal_update,
                   provenance=plan.provenance, conditional_create=plan.observations_conditional)


def review_bundle(made: ReviewResources, goal_id: str, version: str | None) -> dict[str, Any]:
    """The review as a transaction Bundle (conditional creates, the Goal PUT with If-Match)."""
    entries: list[dict[str, Any]] = [
        {"fullUrl": url, "resource": dict(obs),
         "request": {"method": "POST", "url": "Observation", "ifNoneExist": if_none_exist_for(obs)}}
        for obs, url in zip(made.observations, made.full_urls, strict=True)
    ]
    request: dict[str, str] = {"method": "PUT", "url": f"Goal/{goal_id}"}
    if version:
        request["ifMatch"] = if_match(version)
    entries.append({"resource": {**made.goal, "id": goal_id}, "request": request})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def without_urns(goal: dict[str, Any]) -> dict[str, Any]:
    """The Goal without references to scores that were not written (no urn:uuid may leave)."""
    kept = [r for r in goal.get("outcomeReference") or ()
            if not str(r.get("reference", "")).startswith("urn:")]
    out = {k: v for k, v in goal.items() if k != "outcomeReference"}
    return {**out, "outcomeReference": kept} if kept else out


def by_hand(review: GoalReview, goal: Mapping[str, Any], *, scores_saved: bool,
            goal_updated: bool) -> str:
    """What the clinician must record by hand, in clinician words (something did not land)."""
    names = [n for n, v in (("GAS", review.gas_score), ("PEG", review.peg)) if v is not None]
    status = _status_words(goal)
    if goal_updated:
        return (f"The goal's status was updated; the {' and '.join(names)} scores could not be "
                "saved to the chart by the app — record them by hand.")
    if scores_saved and names:
        return (f"Scores saved to the chart; the goal's status could not be updated by the app "
                f"— record the status change by hand ({status}).")
    return ("Nothing was saved to the chart: this EHR does not let the app record this review. "
            f"Record it in the chart by hand ({status}), or download it as a FHIR Bundle.")


def _status_words(goal: Mapping[str, Any]) -> str:
    achievement = ",".join(str(c.get("code", "")) for c in
                           (goal.get("achievementStatus") or {}).get("coding") or ())
    return (f"goal {goal.get('lifecycleStatus')}, "
            f"achievement {achievement.replace('-', ' ') or 'not set'}")
