"""FHIR R4 (4.0.1) required-binding value sets the outgoing resources are checked against."""

from __future__ import annotations

# Required bindings (FHIR R4 4.0.1 value sets); fhir.resources accepts any string here.
GOAL_STATUS = frozenset(
    [
        "proposed",
        "planned",
        "accepted",
        "active",
        "on-hold",
        "completed",
        "cancelled",
        "entered-in-error",
        "rejected",
    ]
)
REQUEST_STATUS = frozenset(
    ["draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"]
)
CAREPLAN_INTENT = frozenset(["proposal", "plan", "order", "option"])
ACTIVITY_STATUS = frozenset(
    [
        "not-started",
        "scheduled",
        "in-progress",
        "on-hold",
        "completed",
        "cancelled",
        "stopped",
        "unknown",
        "entered-in-error",
    ]
)
ACTIVITY_KIND = frozenset(
    [
        "Appointment",
        "CommunicationRequest",
        "DeviceRequest",
        "MedicationRequest",
        "NutritionOrder",
        "Task",
        "ServiceRequest",
        "VisionPrescription",
    ]
)
OBSERVATION_STATUS = frozenset(
    [
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    ]
)
REQUEST_INTENT = frozenset(
    [
        "proposal",
        "plan",
        "directive",
        "order",
        "original-order",
        "reflex-order",
        "filler-order",
        "instance-order",
        "option",
    ]
)
DOCUMENT_STATUS = frozenset(["current", "superseded", "entered-in-error"])
PERIOD_UNITS = frozenset(["s", "min", "h", "d", "wk", "mo", "a"])
NARRATIVE_STATUS = frozenset(["generated", "extensions", "additional", "empty"])
# US Core 3.1.1 CarePlan narrative: US Core Narrative Status (generated | additional).
US_CORE_NARRATIVE_STATUS = frozenset({"generated", "additional"})
BUNDLE_TYPES = frozenset(
    [
        "document",
        "message",
        "transaction",
        "transaction-response",
        "batch",
        "batch-response",
        "history",
        "searchset",
        "collection",
    ]
)
HTTP_VERBS = frozenset(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
