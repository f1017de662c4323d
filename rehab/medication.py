"""Medications on the list, opioids flagged, morphine milligram equivalents (information only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from rehab.datafile import load_json, object_list, optional_text, text_field
from rehab.errors import RehabDataError

MME_UNITS = ("mg/d", "mcg/h")


@dataclass(frozen=True, slots=True, kw_only=True)
class Medication:
    """An active medication; `daily_mme` only when it could be computed, with the table named.

    `mme_note` says why an opioid's daily MME could not be computed (shown with "not computed").
    """

    id: str
    name: str
    rxnorm: tuple[str, ...]
    is_opioid: bool
    is_benzodiazepine: bool
    daily_mme: float | None
    mme_source: str | None
    status: str
    mme_note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MmeReading:
    """A daily MME the EHR itself recorded (not computed here); `source` says where it came from."""

    when: date
    value: float
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MmeFactor:
    """One row of the conversion table; `factor` None means the ingredient has no MME (noted)."""

    rxcui: str
    name: str
    factor: float | None
    unit: str
    note: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MmeTable:
    """A conversion table with the name and source it must be shown with."""

    table: str
    source: str
    factors: tuple[MmeFactor, ...]

    def factor_for(self, rxcui: str) -> MmeFactor | None:
        """The row of an RxNorm ingredient code, or None when the ingredient is not listed."""
        for row in self.factors:
            if row.rxcui == rxcui:
                return row
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class MmeResult:
    """Daily MME = dose x factor; `table` names the table used. Information only, never advice."""

    value: float
    factor: float
    table: str


def load_mme_table(path: Path | None = None) -> MmeTable:
    """The MME table from a site's file or the packaged CDC 2022 one; raises RehabDataError."""
    source, data = load_json("mme_factors.json", path)
    table = text_field(data, "table", source)
    url = text_field(data, "source", source)
    factors: list[MmeFactor] = []
    for index, row in enumerate(object_list(data, "ingredients", source)):
        where = f"ingredients[{index}]."
        rxcui = text_field(row, "rxcui", source, where)
        name = text_field(row, "name", source, where)
        unit = text_field(row, "unit", source, where)
        factor = row.get("factor")
        if unit not in MME_UNITS:
            raise RehabDataError(source, f"{where}unit must be one of {', '.join(MME_UNITS)}")
        if factor is not None and (
            isinstance(factor, bool) or not isinstance(factor, int | float) or factor <= 0
        ):
            raise RehabDataError(source, f"{where}factor must be a positive number or null")
        factors.append(
            MmeFactor(
                rxcui=rxcui.strip(),
                name=name,
                factor=None if factor is None else float(factor),
                unit=unit,
                note=optional_text(row, "note", source, where),
            )
        )
    return MmeTable(table=table, source=url, factors=tuple(factors))


@lru_cache(maxsize=1)
def default_mme_table() -> MmeTable:
    """The packaged CDC 2022 table, loaded once."""
    return load_mme_table()


def daily_mme(
    ingredient_rxcui: str,
    mg_per_day: float,
    *,
    unit: str = "mg/d",
    table: MmeTable | None = None,
) -> MmeResult | None:
    """Daily MME of one ingredient, or None when it has no factor or the dose unit differs.

    The dose is mg/day, except transdermal fentanyl, which the table doses in mcg/hr
    (pass `unit="mcg/h"`). Information only (CDC 2022 table footnote: not for conversions).
    """
    table = table or default_mme_table()
    row = table.factor_for(ingredient_rxcui)
    if row is None or row.factor is None or row.unit != unit:
        return None
    if not mg_per_day >= 0 or mg_per_day == float("inf"):
        return None
    return MmeResult(
        value=round(mg_per_day * row.factor, 2),
        factor=row.factor,
        table=table.table,
    )


def is_opioid_ingredient(rxcui: str, *, table: MmeTable | None = None) -> bool:
    """True for an opioid ingredient of the table, with or without an MME factor."""
    return (table or default_mme_table()).factor_for(rxcui) is not None
