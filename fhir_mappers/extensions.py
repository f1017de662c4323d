"""The app's own extensions (FunctionFirst namespace) and small readers for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fhir_mappers.codes import EXT_PREFIX

GOAL_EXPRESSED_BY = f"{EXT_PREFIX}goal-expressed-by"
PLAN_EXPRESSED_BY = f"{EXT_PREFIX}plan-expressed-by"
STEP_AMOUNT = f"{EXT_PREFIX}action-step-amount"
STEP_WHEN = f"{EXT_PREFIX}action-step-when"
CONFIDENCE = f"{EXT_PREFIX}plan-confidence"
IMPORTANCE = f"{EXT_PREFIX}plan-importance"
BARRIER = f"{EXT_PREFIX}plan-barrier"
SUPPORT = f"{EXT_PREFIX}plan-support"
CHECK_IN = f"{EXT_PREFIX}plan-check-in"
REVIEW_DATE = f"{EXT_PREFIX}plan-review-date"
OVERRIDE_REASON = f"{EXT_PREFIX}plan-confidence-override-reason"


def ext(url: str, kind: str, value: object) -> dict[str, Any]:
    """One extension with a value[x] of the given type name, e.g. ext(U, "String", "x")."""
    return {"url": url, f"value{kind}": value}


def ext_values(element: Mapping[str, Any], url: str, kind: str) -> list[Any]:
    """Every value[x] of the given type among an element's extensions with this url."""
    found = []
    items = element.get("extension")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and item.get("url") == url and f"value{kind}" in item:
            found.append(item[f"value{kind}"])
    return found


def ext_value(element: Mapping[str, Any], url: str, kind: str) -> Any:
    """The first value[x] of this url and type, or None."""
    values = ext_values(element, url, kind)
    return values[0] if values else None
