"""Plan and review keys: the seeds of identifiers that make a repeated save write nothing new."""

from __future__ import annotations

import json
import secrets
import uuid

from fhir_mappers import is_valid_key
from rehab import GoalReview


def new_key() -> str:
    """A fresh key, created when a form is first shown so every retry of it matches."""
    # Hex, so it always starts with a letter or digit, as identifier keys must.
    return secrets.token_hex(12)


def usable_key(sent: object) -> str | None:
    """The key a form or draft sent back, when it is one the app could have made; else None."""
    if isinstance(sent, str) and 8 <= len(sent) <= 64 and is_valid_key(sent):
        return sent
    return None


def review_key(
    goal_id: str,
    base_version: str | None,
    review: GoalReview,
    *,
    idempotency_key: str | None = None,
) -> str:
    """The same review of the same goal version always gets the same key (a resubmit is a no-op)."""
    seed = idempotency_key or json.dumps([goal_id, base_version, review.to_dict()], sort_keys=True)
    return uuid.uuid5(uuid.NAMESPACE_URL, seed).hex
