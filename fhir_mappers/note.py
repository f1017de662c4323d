"""The note strategy: the plan as a plan-of-care DocumentReference (text and PDF)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from fhir_mappers.codes import LOINC, PLAN_OF_CARE_NOTE
from fhir_mappers.identifiers import identifiers_for
from fhir_mappers.validate import validated
from rehab import ActionPlan

US_CORE_DOC_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
TITLE = "Pain rehabilitation plan"


def plan_to_note(
    plan: ActionPlan,
    *,
    patient_id: str,
    author: str,
    today: date,
    plan_key: str,
    text: str,
    pdf: bytes,
) -> dict[str, Any]:
    """A DocumentReference (LOINC 18776-5 plan of care note) holding the plan as text and PDF."""
    if not text.strip() or not pdf:
        raise ValueError("a plan note needs its text and its PDF")
    return validated(
        {
            "resourceType": "DocumentReference",
            "identifier": identifiers_for(plan_key, "note", 0),
            "status": "current",
            "docStatus": "final",
            "type": {
                "coding": [
                    {"system": LOINC, "code": PLAN_OF_CARE_NOTE, "display": "Plan of care note"}
                ],
                "text": TITLE,
            },
            "category": [
                {
                    "coding": [
                        {
                            "system": US_CORE_DOC_CATEGORY,
                            "code": "clinical-note",
                            "display": "Clinical Note",
                        }
                    ]
                }
            ],
            "subject": {"reference": f"Patient/{patient_id}"},
            "author": [{"reference": author}],
            "description": f"{TITLE}: {len(plan.goals)} goal(s), review "
            f"{plan.follow_up.review.isoformat()}",
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain; charset=utf-8",
                        "language": "en",
                        "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                        "title": f"{TITLE} (text)",
                    }
                },
                {
                    "attachment": {
                        "contentType": "application/pdf",
                        "data": base64.b64encode(pdf).decode("ascii"),
                        "title": f"{TITLE} (PDF)",
                    }
                },
            ],
            "context": {"period": {"start": today.isoformat()}},
        }
    )
