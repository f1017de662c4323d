"""MedicationRequest -> Medication: opioids and benzodiazepines flagged, MME when computable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

from fhir_mappers.codes import RXNORM, code_lists
from fhir_mappers.reading import (
    BadResourceError,
    codings,
    concept_text,
    day,
    items,
    mapping,
    number,
    reference_id,
)
from rehab import Medication, daily_mme, is_opioid_ingredient

ACTIVE = frozenset({"active", "on-hold"})
IGNORED = frozenset({"completed", "stopped", "cancelled", "entered-in-error", "draft", "revoked"})
# UCUM units of time -> days, for Timing.repeat (FHIR units-of-time).
DAYS = {"s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.0, "a": 365.0}


@cache
def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(name) for name in names) + r")\b", re.I)


def _flags(rxcuis: set[str], name: str) -> tuple[bool, bool, str | None]:
    """(is_opioid, is_benzodiazepine, opioid ingredient rxcui) from codes, else RxNorm names."""
    lists = code_lists()
    opioids = {rxcui for rxcui, _ in lists.opioids}
    benzos = {rxcui for rxcui, _ in lists.benzodiazepines}
    ingredients = set(rxcuis)
    for rxcui in rxcuis:
        product = lists.product(rxcui)
        if product is not None:
            ingredients.add(product.ingredient)
    opioid = next((i for i in sorted(ingredients) if i in opioids or is_opioid_ingredient(i)), None)
    is_benzo = bool(ingredients & benzos)
    # A safety flag errs toward showing: an uncoded or unlisted product is still flagged when
    # its RxNorm-style name names an opioid or benzodiazepine ingredient.
    is_opioid = opioid is not None or bool(
        _name_pattern(tuple(n for _, n in lists.opioids)).search(name)
    )
    if not is_benzo:
        is_benzo = bool(_name_pattern(tuple(n for _, n in lists.benzodiazepines)).search(name))
    return is_opioid, is_benzo, opioid


def _per_day(dosage: Mapping[str, Any]) -> float | None:
    repeat = mapping(mapping(dosage.get("timing")).get("repeat"))
    frequency = number(repeat.get("frequency", 1))
    period = number(repeat.get("period", 1))
    unit = repeat.get("periodUnit")
    if frequency is None or period is None or period <= 0 or unit not in DAYS:
        return None
    return frequency / (period * DAYS[str(unit)])


def _mme(
    rxcuis: set[str], opioid: str | None, request: Mapping[str, Any]
) -> tuple[float | None, str | None]:
    if opioid is None:
        return None, None
    product = next((p for r in sorted(rxcuis) if (p := code_lists().product(r))), None)
    dosages = [d for d in items(request.get("dosageInstruction")) if isinstance(d, dict)]
    if product is None or product.ingredient != opioid or len(dosages) != 1:
        return None, None
    dose_and_rate = [d for d in items(dosages[0].get("doseAndRate")) if isinstance(d, dict)]
    quantity = mapping(dose_and_rate[0].get("doseQuantity")) if dose_and_rate else {}
    dose = number(quantity.get("value"))
    per_day = _per_day(dosages[0])
    if dose is None or dose <= 0:
        return None, None
    if product.unit == "mcg/h":
        result = daily_mme(opioid, product.strength * dose, unit="mcg/h")
    else:
        if per_day is None:
            return None, None
        # A dose in mg is taken as mg; any other unit (tablet, capsule) counts units.
        per_dose = (
            dose if str(quantity.get("unit", "")).lower() == "mg" else dose * product.strength
        )
        result = daily_mme(opioid, per_dose * per_day)
    if result is None:
        return None, None
    return result.value, result.table


def medication_from_request(
    request: Mapping[str, Any], medications: Mapping[str, Mapping[str, Any]]
) -> Medication | None:
    """The Medication of an active request; None when not active; BadResourceError if unusable."""
    status = request.get("status")
    if status in IGNORED:
        return None
    if status not in ACTIVE:
        raise BadResourceError("status")
    concept = request.get("medicationCodeableConcept")
    referenced = medications.get(
        reference_id(request.get("medicationReference"), "Medication") or ""
    )
    if concept is None and referenced is not None:
        concept = referenced.get("code")
    rxcuis = {code for system, code, _ in codings(concept) if system == RXNORM}
    if referenced is not None:
        for ingredient in items(referenced.get("ingredient")):
            concept_item = mapping(ingredient).get("itemCodeableConcept")
            rxcuis |= {code for system, code, _ in codings(concept_item) if system == RXNORM}
    name = concept_text(concept) or mapping(request.get("medicationReference")).get("display")
    if not isinstance(name, str) or not name.strip():
        raise BadResourceError("no medication name")
    rid = request.get("id")
    if not isinstance(rid, str):
        raise BadResourceError("no id")
    is_opioid, is_benzo, opioid = _flags(rxcuis, name)
    value, table = _mme(rxcuis, opioid, request)
    return Medication(
        id=rid,
        name=name.strip(),
        rxnorm=tuple(sorted(rxcuis)),
        is_opioid=is_opioid,
        is_benzodiazepine=is_benzo,
        daily_mme=value,
        mme_source=table,
        status=str(status),
    )


def one_per_product(found: list[tuple[Medication, date | None]]) -> tuple[Medication, ...]:
    """One entry per product (repeat orders collapse to the latest), sorted by name."""
    best: dict[tuple[str, ...], tuple[Medication, date | None]] = {}
    for medication, authored in found:
        key = medication.rxnorm or (medication.name.lower(),)
        current = best.get(key)
        if current is None or (authored or date.min) > (current[1] or date.min):
            best[key] = (medication, authored)
    return tuple(sorted((m for m, _ in best.values()), key=lambda m: (m.name.lower(), m.id)))


def authored_on(request: Mapping[str, Any]) -> date | None:
    """When the request was written."""
    return day(request.get("authoredOn"))
