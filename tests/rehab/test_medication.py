"""Morphine milligram equivalents from the CDC 2022 table (information only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rehab.errors import RehabDataError
from rehab.medication import (
    daily_mme,
    default_mme_table,
    is_opioid_ingredient,
    load_mme_table,
)

CDC_2022 = "Morphine milligram equivalent doses for commonly prescribed opioids for pain management"


@pytest.mark.parametrize(
    ("name", "rxcui", "factor"),
    [
        ("codeine", "2670", 0.15),
        ("hydrocodone", "5489", 1.0),
        ("hydromorphone", "3423", 5.0),
        ("methadone", "6813", 4.7),
        ("morphine", "7052", 1.0),
        ("oxycodone", "7804", 1.5),
        ("oxymorphone", "7814", 3.0),
        ("tapentadol", "787390", 0.4),
        ("tramadol", "10689", 0.2),
    ],
)
def test_daily_mme_is_the_daily_dose_times_the_2022_factor(
    name: str, rxcui: str, factor: float
) -> None:
    result = daily_mme(rxcui, 40.0)

    assert result is not None, name
    assert result.factor == factor
    assert result.value == pytest.approx(40.0 * factor)
    assert CDC_2022 in result.table
    assert "2022" in result.table


def test_oxycodone_ten_mg_twice_a_day_is_thirty_mme() -> None:
    # The CDC 2022 table's own worked example.
    result = daily_mme("7804", 20.0)

    assert result is not None
    assert result.value == 30.0


def test_methadone_uses_one_factor_at_every_dose() -> None:
    low, high = daily_mme("6813", 10.0), daily_mme("6813", 100.0)

    assert low is not None
    assert high is not None
    assert (low.factor, high.factor) == (4.7, 4.7)
    assert high.value == 470.0


def test_transdermal_fentanyl_takes_the_patch_rate_in_mcg_per_hour() -> None:
    result = daily_mme("4337", 25.0, unit="mcg/h")

    assert result is not None
    assert (result.value, result.factor) == (60.0, 2.4)


def test_fentanyl_in_milligrams_per_day_is_not_converted() -> None:
    assert daily_mme("4337", 25.0) is None
    assert daily_mme("7804", 20.0, unit="mcg/h") is None


def test_buprenorphine_is_an_opioid_without_an_mme() -> None:
    row = default_mme_table().factor_for("1819")

    assert row is not None
    assert row.factor is None
    assert row.note is not None
    assert "Not in the 2022 table" in row.note
    assert daily_mme("1819", 8.0) is None
    assert is_opioid_ingredient("1819")


def test_an_unknown_ingredient_has_no_mme_and_is_not_an_opioid() -> None:
    assert daily_mme("161", 1000.0) is None  # acetaminophen
    assert not is_opioid_ingredient("161")


def test_a_negative_or_infinite_dose_gives_no_result() -> None:
    assert daily_mme("7052", -5.0) is None
    assert daily_mme("7052", float("inf")) is None
    assert daily_mme("7052", float("nan")) is None


def test_the_table_file_records_its_source() -> None:
    table = default_mme_table()

    assert table.source == "https://www.cdc.gov/mmwr/volumes/71/rr/rr7103a1.htm"
    assert len(table.factors) == 11


def test_a_site_can_supply_its_own_table(tmp_path: Path) -> None:
    path = tmp_path / "mme.json"
    path.write_text(
        json.dumps(
            {
                "table": "Site table",
                "source": "local",
                "ingredients": [{"rxcui": "7052", "name": "morphine", "factor": 1, "unit": "mg/d"}],
            }
        ),
        encoding="utf-8",
    )
    table = load_mme_table(path)

    result = daily_mme("7052", 15.0, table=table)

    assert result is not None
    assert (result.value, result.table) == (15.0, "Site table")
    assert daily_mme("7804", 10.0, table=table) is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{", "is not valid JSON (line 1)"),
        ("[]", "must hold a JSON object"),
        ('{"source": "x", "ingredients": []}', "table must be non-empty text"),
        (
            '{"table": "t", "source": "x", "ingredients": [{"rxcui": "1", "name": "a",'
            ' "factor": -1, "unit": "mg/d"}]}',
            "ingredients[0].factor must be a positive number or null",
        ),
        (
            '{"table": "t", "source": "x", "ingredients": [{"rxcui": "1", "name": "a",'
            ' "factor": 1, "unit": "mg"}]}',
            "ingredients[0].unit must be one of mg/d, mcg/h",
        ),
    ],
)
def test_a_broken_site_table_names_the_fault(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "mme.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(RehabDataError) as caught:
        load_mme_table(path)

    assert caught.value.reason == reason
    assert caught.value.source == str(path)


def test_a_missing_site_table_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(RehabDataError, match="cannot be read"):
        load_mme_table(tmp_path / "absent.json")
