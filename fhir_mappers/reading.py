"""Lenient readers for EHR JSON: wrong shapes give None or BadResource, never a crash."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

# FHIR R4 id: [A-Za-z0-9\-\.]{1,64}
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


class BadResourceError(ValueError):
    """A resource the context cannot use; it is skipped and reported by id."""


def mapping(value: object) -> Mapping[str, Any]:
    """The value when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def items(value: object) -> list[Any]:
    """The value when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: object) -> str | None:
    """A non-blank string, stripped, or None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def codings(concept: object) -> Iterator[tuple[str, str, str | None]]:
    """(system, code, display) of every well-formed coding of a CodeableConcept."""
    for coding in items(mapping(concept).get("coding")):
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str):
                display = coding.get("display")
                yield system, code.strip(), display if isinstance(display, str) else None


def concept_text(concept: object) -> str | None:
    """The concept's text, else the first coding display."""
    found = text(mapping(concept).get("text"))
    if found:
        return found
    for _system, _code, display in codings(concept):
        if text(display):
            return text(display)
    return None


def day(value: object) -> date | None:
    """The calendar day of a FHIR date/dateTime/instant; partial dates give None."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def effective_day(resource: Mapping[str, Any]) -> date | None:
    """When an Observation applies: effective[x], else issued (some EHRs send only issued)."""
    found = day(resource.get("effectiveDateTime")) or day(resource.get("effectiveInstant"))
    if found is None:
        found = day(mapping(resource.get("effectivePeriod")).get("start"))
    return found or day(resource.get("issued"))


def number(value: object) -> float | None:
    """A finite number (bool excluded), numeric strings included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def value_number(element: Mapping[str, Any]) -> float | None:
    """The numeric value[x] of an Observation or component (Quantity, integer, decimal, string)."""
    quantity = element.get("valueQuantity")
    if isinstance(quantity, dict):
        return number(quantity.get("value"))
    for key in ("valueInteger", "valueDecimal", "valueString"):
        if key in element:
            return number(element[key])
    return None


def reference_id(reference: object, resource_type: str) -> str | None:
    """The id in a reference to `resource_type` (relative, absolute or versioned)."""
    ref = mapping(reference).get("reference")
    if not isinstance(ref, str):
        return None
    parts = ref.split("/_history/")[0].split("/")
    if len(parts) >= 2 and parts[-2] == resource_type and FHIR_ID.fullmatch(parts[-1]):
        return parts[-1]
    return None


def label(resource: object, index: int) -> str:
    """How a skipped resource is reported: "Type/id", never its content."""
    if isinstance(resource, dict):
        kind = resource.get("resourceType")
        kind = kind if isinstance(kind, str) and kind.isalnum() else "resource"
        rid = resource.get("id")
        # Only a well-formed FHIR id is echoed, so no free text (or PHI) reaches a report.
        if isinstance(rid, str) and FHIR_ID.fullmatch(rid):
            return f"{kind}/{rid}"
        return f"{kind} #{index + 1} (no id)"
    return f"entry #{index + 1} (not a resource)"
