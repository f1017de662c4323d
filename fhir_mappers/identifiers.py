"""Identifiers the app assigns: deterministic from the plan key, so a retry finds what it wrote."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence

from fhir_mappers.codes import APP_BASE
from fhir_mappers.errors import InvalidKeyError

# FunctionFirst's own resources are recognised by this identifier system; the value is
# "{plan_key}/{kind}/{index}", so the plan key can be read back from any resource.
PLAN_ITEM_SYSTEM = f"{APP_BASE}/sid/plan-item"
# RFC 3986 URI identifiers (urn:uuid), as in the US Core examples; the same uuid is the
# resource's fullUrl inside a transaction Bundle.
URI_SYSTEM = "urn:ietf:rfc:3986"
# Fixed namespace for uuid5 (RFC 4122 section 4.3): same name, same uuid, on every machine.
NAMESPACE = uuid.UUID("5b0f0a8e-8d1c-4c1e-9a59-6b7f3e1f2d4a")

KINDS = ("goal", "careplan", "step", "confidence", "importance", "barrier", "gas", "peg", "note")
# The same shape as rehab goal keys; no "|", "," or "/", which FHIR search tokens reserve.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def is_valid_key(key: str) -> bool:
    """True when the key is safe inside identifiers and search tokens."""
    return _KEY.fullmatch(key) is not None


def check_key(key: str) -> str:
    """The key unchanged when it is safe inside identifiers and search tokens, else raise."""
    if not _KEY.fullmatch(key):
        raise InvalidKeyError(key)
    return key


def plan_item_value(plan_key: str, kind: str, index: int | str) -> str:
    """The identifier value for one resource of a plan."""
    if kind not in KINDS:
        raise ValueError(f"unknown identifier kind {kind!r}")
    check_key(plan_key)
    check_key(str(index))
    return f"{plan_key}/{kind}/{index}"


def plan_identifier(plan_key: str, kind: str, index: int | str) -> dict[str, str]:
    """The app identifier {"system","value"} for one resource of a plan."""
    return {"system": PLAN_ITEM_SYSTEM, "value": plan_item_value(plan_key, kind, index)}


def plan_uuid(plan_key: str, kind: str, index: int | str) -> str:
    """The urn:uuid of one resource of a plan (its fullUrl and its RFC 3986 identifier)."""
    name = plan_item_value(plan_key, kind, index)
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, name)}"


def identifiers_for(plan_key: str, kind: str, index: int | str) -> list[dict[str, str]]:
    """Both identifiers a written resource carries: the app's and the RFC 3986 uuid."""
    return [
        plan_identifier(plan_key, kind, index),
        {"system": URI_SYSTEM, "value": plan_uuid(plan_key, kind, index)},
    ]


def if_none_exist(plan_key: str, kind: str, index: int | str) -> str:
    """The conditional-create query (FHIR R4 3.1.0.8.1) matching the app identifier."""
    return f"identifier={PLAN_ITEM_SYSTEM}|{plan_item_value(plan_key, kind, index)}"


def parse_plan_item(resource: Mapping[str, object]) -> tuple[str, str, str] | None:
    """(plan_key, kind, index) from a resource's app identifier, or None when not the app's."""
    items = resource.get("identifier")
    if not isinstance(items, Sequence) or isinstance(items, str):
        return None
    for item in items:
        if not isinstance(item, Mapping) or item.get("system") != PLAN_ITEM_SYSTEM:
            continue
        value = item.get("value")
        if isinstance(value, str):
            parts = value.split("/")
            if len(parts) == 3 and all(_KEY.fullmatch(part) for part in parts):
                return parts[0], parts[1], parts[2]
    return None


def uri_identifier(resource: Mapping[str, object]) -> str | None:
    """The urn:uuid RFC 3986 identifier of a resource, if any."""
    items = resource.get("identifier")
    if not isinstance(items, Sequence) or isinstance(items, str):
        return None
    for item in items:
        if isinstance(item, Mapping) and item.get("system") == URI_SYSTEM:
            value = item.get("value")
            if isinstance(value, str):
                return value
    return None
