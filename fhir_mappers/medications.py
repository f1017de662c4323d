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
from rehab import Medication, daily_mme, default_mme_table, is_opioid_ingredient

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


def _unit(quantity: Mapping[str, Any]) -> str:
    """The quantity's unit, UCUM code first ("ug/h" is the UCUM spelling of mcg/h)."""
    unit = str(quantity.get("code") or quantity.get("unit") or "").strip().lower()
    return "mcg/h" if unit in {"ug/h", "ug/hr", "mcg/hr"} else unit


_Mme = tuple[float | None, str | None, str | None]


def _from_ingredient(
    opioid: str, unit_of_table: str, dose: Mapping[str, Any], per_day: float | None
) -> _Mme:
    """MME from the ingredient's table row and a dose in the row's own unit (mg, or mcg/h)."""
    value, unit = number(dose.get("value")), _unit(dose)
    if value is None:
        return None, None, "no structured dose in the order"
    if unit_of_table == "mcg/h":
        # CDC 2022: the fentanyl factor applies to the transdermal patch rate in mcg/hr only.
        if unit != "mcg/h" or value <= 0:
            return None, None, "no patch rate in mcg/h in the order"
        result = daily_mme(opioid, value, unit="mcg/h")
    else:
        if unit != "mg" or value <= 0:
            return None, None, "the dose is not in mg and the product strength is unknown"
        if per_day is None:
            return None, None, "no structured timing (frequency and period) in the order"
        result = daily_mme(opioid, value * per_day)
    if result is None:
        return None, None, "the dose could not be converted"
    return result.value, result.table, None


def _mme(rxcuis: set[str], opioid: str | None, request: Mapping[str, Any]) -> _Mme:
    """(daily MME, table, None) or (None, None, why not); a product's strength is used first."""
    if opioid is None:
        return None, None, "no RxNorm opioid code in the order"
    row = default_mme_table().factor_for(opioid)
    if row is None or row.factor is None:
        return None, None, f"{row.name if row else 'this opioid'} has no factor in the MME table"
    dosages = [d for d in items(request.get("dosageInstruction")) if isinstance(d, dict)]
    if len(dosages) != 1:
        return (
            None,
            None,
            ("no dosage in the order" if not dosages else "more than one dosage line in the order"),
        )
    dose_and_rate = [d for d in items(dosages[0].get("doseAndRate")) if isinstance(d, dict)]
    quantity = mapping(dose_and_rate[0].get("doseQuantity")) if dose_and_rate else {}
    rate = mapping(dose_and_rate[0].get("rateQuantity")) if dose_and_rate else {}
    dose = number(quantity.get("value"))
    per_day = _per_day(dosages[0])
    product = next((p for r in sorted(rxcuis) if (p := code_lists().product(r))), None)
    if product is None or product.ingredient != opioid:
        # Only the ingredient is coded: the structured dose must carry the amount itself.
        return _from_ingredient(
            opioid, row.unit, rate if _unit(rate) == "mcg/h" else quantity, per_day
        )
    if dose is None or dose <= 0:
        return None, None, "no structured dose in the order"
    if product.unit == "mcg/h":
        result = daily_mme(opioid, product.strength * dose, unit="mcg/h")
    else:
        if per_day is None:
            return None, None, "no structured timing (frequency and period) in the order"
        # A dose in mg is taken as mg; any other unit (tablet, capsule) counts units.
        per_dose = dose if _unit(quantity) == "mg" else dose * product.strength
        result = daily_mme(opioid, per_dose * per_day)
    if result is None:
        return None, None, "the dose could not be converted"
    return result.value, result.table, None


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
    value, table, note = _mme(rxcuis, opioid, request) if is_opioid else (None, None, None)
    return Medication(
        id=rid,
        name=name.strip(),
        rxnorm=tuple(sorted(rxcuis)),
        is_opioid=is_opioid,
        is_benzodiazepine=is_benzo,
        daily_mme=value,
        mme_source=table,
        status=str(status),
        mme_note=note,
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
