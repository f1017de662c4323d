"""Provenance for what the app wrote: targets with versions, author and assembler."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from fhir_mappers.codes import DATA_OPERATION, PROVENANCE_AGENT_TYPE
from fhir_mappers.validate import validated

APP_NAME = "FunctionFirst"


def provenance_for(
    targets: Sequence[str],
    *,
    author: str,
    today_instant: datetime,
    activity: Literal["CREATE", "UPDATE"] = "CREATE",
    on_behalf_of: str | None = None,
) -> dict[str, Any]:
    """A Provenance whose targets are e.g. "Goal/1/_history/1"; the instant must be aware.

    `on_behalf_of` ("Organization/<id>") is the organisation the author acts for: FHIR R4
    Provenance.agent.onBehalfOf; US Core provenance-1 wants it when `who` is a Practitioner.
    """
    if today_instant.tzinfo is None:
        raise ValueError("today_instant must carry a time zone (FHIR instant)")
    if not targets:
        raise ValueError("a Provenance needs at least one target")
    return validated(
        {
            "resourceType": "Provenance",
            "target": [{"reference": target} for target in targets],
            "recorded": today_instant.isoformat(timespec="seconds"),
            "activity": {"coding": [{"system": DATA_OPERATION, "code": activity}]},
            "agent": [
                {
                    "type": {
                        "coding": [
                            {"system": PROVENANCE_AGENT_TYPE, "code": "author", "display": "Author"}
                        ]
                    },
                    "who": {"reference": author},
                    **({"onBehalfOf": {"reference": on_behalf_of}} if on_behalf_of else {}),
                },
                {
                    # The software that assembled the resources (US Core Provenance).
                    "type": {
                        "coding": [
                            {
                                "system": PROVENANCE_AGENT_TYPE,
                                "code": "assembler",
                                "display": "Assembler",
                            }
                        ]
                    },
                    "who": {"display": APP_NAME},
                },
            ],
        }
    )
