"""One Observation -> an NRS, PEG or PROMIS reading, a goal review (GAS) or an EHR-recorded MME."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

from fhir_mappers.codes import LOINC, PERTAINS_TO_GOAL, code_lists
from fhir_mappers.reading import (
    BadResourceError,
    codings,
    effective_day,
    items,
    mapping,
    number,
    reference_id,
    text,
    value_number,
)
from rehab import (
    MmeReading,
    NrsReading,
    PegItems,
    PegReading,
    PromisKind,
    PromisReading,
    ReviewRecord,
    gas_score,
)

Reading = NrsReading | PegReading | PromisReading | ReviewRecord | MmeReading
UNUSABLE = frozenset({"entered-in-error", "cancelled"})


@cache
def _kinds() -> dict[tuple[str, str], str]:
    # Keyed by (system, code): a code means something only within its system.
    lists = code_lists()
    kinds = {(LOINC, code): "nrs" for code in lists.nrs}
    kinds[(LOINC, lists.peg_score)] = "peg"
    kinds[(LOINC, lists.peg_panel)] = "peg"
    kinds.update({(LOINC, code): f"promis:{kind}" for code, kind in lists.promis})
    kinds.update({(LOINC, code): "gas" for code in lists.gas_codes})
    kinds.update({(item.system, item.code): "mme" for item in lists.recorded_mme})
    return kinds


def _kind(concept: object) -> str | None:
    # The hot path of a large context (thousands of Observations): plain loops, no generators.
    kinds = _kinds()
    found = concept.get("coding") if isinstance(concept, dict) else None
    for coding in found if isinstance(found, list) else ():
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str):
                kind = kinds.get((system, code.strip()))
                if kind is not None:
                    return kind
    return None


def _in_range(value: float | None, low: float, high: float) -> float:
    if value is None or not low <= value <= high:
        raise BadResourceError("value missing or out of range")
    return value


def _peg(resource: Mapping[str, Any], when: date) -> PegReading:
    lists = code_lists()
    item_codes = {code: name for name, code in lists.peg_items}
    values: dict[str, int] = {}
    score = None
    for component in items(resource.get("component")):
        component = mapping(component)
        for system, code, _ in codings(component.get("code")):
            if system != LOINC:
                continue
            if code in item_codes:
                value = _in_range(value_number(component), 0, 10)
                values[item_codes[code]] = round(value)
            elif code == lists.peg_score:
                score = _in_range(value_number(component), 0, 10)
    peg_items = None
    if len(values) == 3:
        peg_items = PegItems(
            pain=values["pain"], enjoyment=values["enjoyment"], activity=values["activity"]
        )
    own = value_number(resource)
    if own is not None:
        score = _in_range(own, 0, 10)
    if score is None and peg_items is not None:
        score = peg_items.score
    if score is None:
        raise BadResourceError("PEG without a score")
    return PegReading(when=when, score=score, items=peg_items)


def _gas(resource: Mapping[str, Any], when: date) -> ReviewRecord:
    score = None
    for system, code, _ in codings(resource.get("valueCodeableConcept")):
        found = gas_score(code) if system == LOINC else None
        if found is not None:
            score = found
    if score is None and "valueInteger" in resource:
        whole = number(resource["valueInteger"])
        score = int(_in_range(whole, -2, 2)) if whole is not None else None
    goal_id = None
    for focus in items(resource.get("focus")):
        goal_id = goal_id or reference_id(focus, "Goal")
    for extension in items(resource.get("extension")):
        extension = mapping(extension)
        if goal_id is None and extension.get("url") == PERTAINS_TO_GOAL:
            goal_id = reference_id(extension.get("valueReference"), "Goal")
    return ReviewRecord(goal_id=goal_id, when=when, gas_score=score)


def _recorded_mme(resource: Mapping[str, Any], when: date) -> MmeReading:
    # The EHR's own figure, shown as recorded (with its source), never recomputed or merged.
    lists = code_lists()
    entry = None
    for system, code, _ in codings(resource.get("code")):
        entry = entry or lists.recorded_mme_code(system, code)
    quantity = mapping(resource.get("valueQuantity"))
    unit = text(quantity.get("code")) or text(quantity.get("unit"))
    if unit is not None and unit not in lists.recorded_mme_units:
        raise BadResourceError("MME in a unit other than MME per day")
    value = value_number(resource)
    if entry is None or value is None or value < 0:
        raise BadResourceError("MME value missing or negative")
    return MmeReading(when=when, value=value, source=entry.source)


def read_observation(resource: Mapping[str, Any], *, latest: date) -> Reading | None:
    """The reading of a known code; None for other codes; BadResourceError when unusable."""
    kind = _kind(resource.get("code"))
    if kind is None or resource.get("status") in UNUSABLE:
        return None
    if "dataAbsentReason" in resource and value_number(resource) is None and kind != "peg":
        return None  # asked but not answered (declined, unknown): nothing to show, nothing broken
    when = effective_day(resource)
    if when is None or when > latest:
        raise BadResourceError("no usable date")
    if kind == "nrs":
        return NrsReading(when=when, value=_in_range(value_number(resource), 0, 10))
    if kind == "peg":
        return _peg(resource, when)
    if kind == "gas":
        return _gas(resource, when)
    if kind == "mme":
        return _recorded_mme(resource, when)
    t_score = _in_range(value_number(resource), 0, 100)
    return PromisReading(when=when, kind=PromisKind(kind.split(":", 1)[1]), t_score=t_score)
