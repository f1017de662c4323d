"""A goal review as FHIR: GAS and PEG Observations and the Goal's new state (PUT with If-Match)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir_mappers.codes import GOAL_ACHIEVEMENT
from fhir_mappers.identifiers import check_key, identifiers_for, plan_uuid
from fhir_mappers.observations import gas_observation, peg_observation
from fhir_mappers.validate import validated
from rehab import Decision, GoalReview

# The decision at review -> Goal.lifecycleStatus (goal-status, required binding).
LIFECYCLE = {Decision.CONTINUE: "active", Decision.REVISE: "active", Decision.COMPLETE: "completed"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewResources:
    """The review's Observations (with urn:uuid fullUrls) and the updated Goal to PUT."""

    observations: tuple[dict[str, Any], ...]
    full_urls: tuple[str, ...]
    goal: dict[str, Any]


def _note_text(review: GoalReview) -> str | None:
    parts = []
    if review.note:
        parts.append(review.note)
    if review.what_helped:
        parts.append(f"What helped: {review.what_helped}")
    if review.what_got_in_the_way:
        parts.append(f"What got in the way: {review.what_got_in_the_way}")
    return "\n".join(parts) or None


def review_to_resources(
    review: GoalReview,
    *,
    goal: Mapping[str, Any],
    patient_id: str,
    author: str,
    today: date,
    review_key: str | None = None,
) -> ReviewResources:
    """GAS (107333-7) and PEG Observations about the goal, and the Goal's updated JSON."""
    goal_id = goal.get("id")
    if not isinstance(goal_id, str) or not goal_id:
        raise ValueError("the current Goal must have an id")
    if review_key is not None:
        check_key(review_key)
    goal_ref = f"Goal/{goal_id}"
    patient_ref = f"Patient/{patient_id}"

    # Without a review key the fullUrls still need one: the goal id, made key-shaped.
    url_key = review_key or goal_id.replace("/", "-")[:64]

    def ids(kind: str) -> list[dict[str, str]] | None:
        return None if review_key is None else identifiers_for(review_key, kind, 0)

    observations: list[dict[str, Any]] = []
    urls: list[str] = []
    gas_url = None
    if review.gas_score is not None:
        observations.append(
            validated(
                gas_observation(
                    review.gas_score,
                    patient_ref=patient_ref,
                    goal_ref=goal_ref,
                    author=author,
                    today=today,
                    identifier=ids("gas"),
                )
            )
        )
        gas_url = plan_uuid(url_key, "gas", 0)
        urls.append(gas_url)
    if review.peg is not None:
        observations.append(
            validated(
                peg_observation(
                    review.peg,
                    patient_ref=patient_ref,
                    goal_ref=goal_ref,
                    today=today,
                    identifier=ids("peg"),
                )
            )
        )
        urls.append(plan_uuid(url_key, "peg", 0))
    updated = copy.deepcopy(dict(goal))
    meta = updated.get("meta")
    if isinstance(meta, dict):
        # The server assigns these; If-Match carries the version the clinician saw.
        meta.pop("versionId", None)
        meta.pop("lastUpdated", None)
    if isinstance(updated.get("text"), dict) and updated["text"].get("status") == "generated":
        # A generated narrative describes the old state; the server may generate a new one.
        del updated["text"]
    updated["lifecycleStatus"] = LIFECYCLE[review.decision]
    updated["achievementStatus"] = {
        "coding": [{"system": GOAL_ACHIEVEMENT, "code": review.achievement_status.value}]
    }
    updated["statusDate"] = today.isoformat()
    text = _note_text(review)
    if text:
        updated["note"] = [*updated.get("note", []), {"text": text, "time": today.isoformat()}]
    if review.decision is Decision.COMPLETE and gas_url is not None:
        # The final GAS score is the evidence of the outcome (MCC: Goal.outcomeReference).
        updated["outcomeReference"] = [*updated.get("outcomeReference", []), {"reference": gas_url}]
    return ReviewResources(
        observations=tuple(observations), full_urls=tuple(urls), goal=validated(updated)
    )
