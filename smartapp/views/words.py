"""Clinician words for how a plan was saved and why a request to the EHR failed."""

from __future__ import annotations

from collections.abc import Iterable

from smartapp.gateway.errors import (
    FhirAuthError,
    FhirConflict,
    FhirError,
    FhirForbidden,
    FhirInvalid,
    FhirUnavailable,
)

STRATEGY_WORDS = {
    "transaction": "Saved to the chart: the goals and the care plan were written to the EHR "
    "in one step.",
    "sequential": "Saved to the chart: the goals and the care plan were written to the EHR "
    "record by record.",
    "note": "Saved as a note because this EHR does not accept goals or care plans from apps: "
    "the plan is in the chart as a clinical note (text and PDF).",
    "export": "Not saved in the EHR: this EHR accepts nothing from FunctionFirst. Print the "
    "handout and download the plan for the record.",
}
PLANNED_WORDS = {
    "transaction": "Saving writes the goals and care plan to the chart in one step.",
    "sequential": "Saving writes the goals and care plan to the chart record by record.",
    "note": "This EHR does not accept goals from apps: saving adds the plan to the chart "
    "as a clinical note.",
    "export": "This EHR accepts nothing from FunctionFirst: you can print the plan and "
    "download it.",
}

RECORD_WORDS = {
    "Goal": "Goal",
    "CarePlan": "Care plan (the action steps)",
    "ServiceRequest": "Action step",
    "Observation": "Score",
    "DocumentReference": "Clinical note (text and PDF)",
    "Provenance": "Record of who wrote it (Provenance)",
}

GOAL_FIELD_WORDS = {
    "lifecycleStatus": "Status",
    "achievementStatus": "Progress",
    "statusDate": "Status date",
    "description": "Goal",
    "target": "Target and due date",
    "note": "Notes",
    "outcomeReference": "Recorded scores",
}


def goal_field_words(name: str) -> str:
    """A Goal element's name in clinic words."""
    return GOAL_FIELD_WORDS.get(name, name)


def record_words(resource_type: str) -> str:
    """A kind of FHIR record in clinic words."""
    return RECORD_WORDS.get(resource_type, resource_type)


def strategy_words(strategy: str) -> str:
    """What saving will do, in plain words (the saved page says what it did: STRATEGY_WORDS)."""
    return PLANNED_WORDS.get(strategy, f"Saved with the {strategy} strategy.")


MOST_SAID = 3  # issue texts shown in one place
SAID_LENGTH = 200  # characters of one issue text


def said(texts: Iterable[str], *, most: int = MOST_SAID, length: int = SAID_LENGTH) -> str:
    """Issue texts of the EHR, shortened: ` It said: a; b.` ('' without any).

    Shown to the clinician only (templates escape them; smart.md 81); never logged.
    """
    kept = [text[:length] for text in texts if text][:most]
    return f" It said: {'; '.join(kept)}." if kept else ""


def ehr_said(exc: FhirError, *, most: int = MOST_SAID, length: int = SAID_LENGTH) -> str:
    """The EHR's own words for a refusal (OperationOutcome issue texts), shortened."""
    return said((issue.text for issue in exc.issues), most=most, length=length)


def error_words(exc: FhirError) -> str:
    """What went wrong with the EHR and what to do, without detail that may hold PHI."""
    if isinstance(exc, FhirUnavailable):
        return "the EHR did not answer in time. Wait a moment, then press Save again."
    if isinstance(exc, FhirAuthError):
        return "the EHR no longer accepts this session. Relaunch FunctionFirst from the chart."
    if isinstance(exc, FhirForbidden):
        return "the EHR did not allow this for your account. Ask your EHR team about access."
    if isinstance(exc, FhirConflict):
        return "someone changed the record in the EHR meanwhile. Reload and try again."
    if exc.status in (405, 501):
        return (
            "this EHR does not accept this change from apps. Record it in the chart by hand; "
            "what you entered is kept here."
        )
    if isinstance(exc, FhirInvalid):
        said = ehr_said(exc)
        return f"the EHR did not accept the data.{said} Check the plan, then press Save again."
    return f"the EHR answered with an error (HTTP {exc.status or 'none'}). Press Save again."
