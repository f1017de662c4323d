"""Pure mapping between the rehab domain and FHIR R4 (fhir.resources R4B models)."""

from __future__ import annotations

from fhir_mappers.careplan import careplan_from_fhir
from fhir_mappers.context import patient_context
from fhir_mappers.errors import (
    InvalidKeyError,
    InvalidResourceError,
    MappingError,
    UnreadableResourceError,
)
from fhir_mappers.goal import goal_from_fhir
from fhir_mappers.identifiers import (
    PLAN_ITEM_SYSTEM,
    URI_SYSTEM,
    if_none_exist,
    is_valid_key,
    parse_plan_item,
    plan_identifier,
    plan_uuid,
)
from fhir_mappers.narrative import plan_text
from fhir_mappers.note import plan_to_note
from fhir_mappers.plan import (
    PlanEntry,
    PlanResources,
    plan_to_resources,
    plan_to_transaction,
    resolve_references,
)
from fhir_mappers.provenance import provenance_for
from fhir_mappers.review import ReviewResources, review_to_resources
from fhir_mappers.rules import check_resource
from fhir_mappers.search import SearchSpec, search_specs
from fhir_mappers.validate import validated

__all__ = [
    "PLAN_ITEM_SYSTEM",
    "URI_SYSTEM",
    "InvalidKeyError",
    "InvalidResourceError",
    "MappingError",
    "PlanEntry",
    "PlanResources",
    "ReviewResources",
    "SearchSpec",
    "UnreadableResourceError",
    "careplan_from_fhir",
    "check_resource",
    "goal_from_fhir",
    "if_none_exist",
    "is_valid_key",
    "parse_plan_item",
    "patient_context",
    "plan_identifier",
    "plan_text",
    "plan_to_note",
    "plan_to_resources",
    "plan_to_transaction",
    "plan_uuid",
    "provenance_for",
    "resolve_references",
    "review_to_resources",
    "search_specs",
    "validated",
]
