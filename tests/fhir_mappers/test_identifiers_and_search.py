"""Identifiers from the plan key, and the context searches as data."""

from __future__ import annotations

from datetime import date

import pytest

from fhir_mappers import (
    PLAN_ITEM_SYSTEM,
    InvalidKeyError,
    if_none_exist,
    parse_plan_item,
    plan_identifier,
    plan_uuid,
    search_specs,
)


def test_plan_identifier_is_readable_and_parses_back() -> None:
    identifier = plan_identifier("abc-1", "goal", "walk")
    assert identifier == {"system": PLAN_ITEM_SYSTEM, "value": "abc-1/goal/walk"}
    assert parse_plan_item({"identifier": [identifier]}) == ("abc-1", "goal", "walk")


def test_plan_uuid_is_stable_and_distinct_per_item() -> None:
    assert plan_uuid("abc", "goal", 0) == plan_uuid("abc", "goal", 0)
    assert plan_uuid("abc", "goal", 0) != plan_uuid("abc", "goal", 1)
    assert plan_uuid("abc", "goal", 0).startswith("urn:uuid:")
    # uuid5 of a fixed namespace: the value never changes between releases.
    assert plan_uuid("abc", "goal", 0) == "urn:uuid:7c2b6c8b-ced6-52dd-aeae-2d4fd68af8c5"


@pytest.mark.parametrize("key", ["", "a|b", "a,b", "a/b", "-lead", "x" * 65, "space here"])
def test_unsafe_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidKeyError):
        plan_identifier(key, "goal", 0)


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        plan_identifier("abc", "widget", 0)


def test_if_none_exist_searches_the_app_identifier() -> None:
    assert if_none_exist("k", "careplan", 0) == f"identifier={PLAN_ITEM_SYSTEM}|k/careplan/0"


def test_resources_of_others_are_not_the_apps() -> None:
    assert parse_plan_item({"identifier": [{"system": "urn:ietf:rfc:3986", "value": "x"}]}) is None
    assert parse_plan_item({"identifier": "junk"}) is None
    assert parse_plan_item({}) is None
    assert parse_plan_item({"identifier": [{"system": PLAN_ITEM_SYSTEM, "value": "a/b"}]}) is None


def specs(**quirks: bool) -> dict[str, dict[str, list[str]]]:
    found: dict[str, dict[str, list[str]]] = {}
    for spec in search_specs("p1", lookback_start=date(2024, 11, 23), quirks=quirks):
        params: dict[str, list[str]] = {}
        for key, value in spec.params:
            params.setdefault(key, []).append(value)
        found[spec.name] = {"type": [spec.resource_type], **params}
        assert spec.words
    return found


def test_the_default_searches() -> None:
    found = specs()
    assert list(found) == [
        "patient",
        "conditions",
        "observations",
        "observations_undated",
        "medications",
        "goals",
        "care_plans",
        "reviews",
    ]
    assert found["patient"] == {"type": ["Patient/p1"]}
    assert found["conditions"]["clinical-status"] == ["active"]
    observations = found["observations"]
    assert observations["date"] == ["ge2024-11-23"]
    assert observations["_sort"] == ["-date"]
    assert "http://loinc.org|72514-3" in observations["code"][0].split(",")
    assert "http://loinc.org|91147-9" in observations["code"][0].split(",")
    assert "category" not in observations
    undated = found["observations_undated"]
    assert undated["date:missing"] == ["true"]
    assert undated["code"] == observations["code"]
    assert "date" not in undated
    assert found["care_plans"]["category"] == [
        "http://hl7.org/fhir/us/core/CodeSystem/careplan-category|assess-plan"
    ]
    assert found["medications"]["status"] == ["active"]
    assert found["medications"]["_include"] == ["MedicationRequest:medication"]
    assert set(found["reviews"]["code"][0].split(",")) == {
        "http://loinc.org|107331-1",
        "http://loinc.org|107333-7",
        "http://loinc.org|107334-5",
    }
    assert found["goals"]["patient"] == ["p1"]
    # Every search names a page size, so the gateway can ask for big pages: a patient with
    # many active conditions takes one page, not several sequential rounds.
    searches = [name for name in found if name != "patient"]
    assert [name for name in searches if "_count" not in found[name]] == []


def test_quirks_add_categories_and_drop_includes() -> None:
    found = specs(
        observation_requires_category=True,
        condition_requires_category=True,
        no_include=True,
        medication_requires_intent=True,
    )
    assert found["observations"]["category"] == ["survey"]
    assert found["reviews"]["category"] == ["survey"]
    assert found["observations_undated"]["category"] == ["survey"]
    assert found["conditions"]["category"] == ["problem-list-item,health-concern"]
    assert "_include" not in found["medications"]
    assert found["medications"]["intent"] == ["order"]


@pytest.mark.parametrize("patient_id", ["", "1/2", "a,b", "x?y"])
def test_a_patient_id_that_is_not_an_id_is_refused(patient_id: str) -> None:
    with pytest.raises(ValueError, match="patient_id"):
        search_specs(patient_id, lookback_start=date(2024, 1, 1), quirks={})
