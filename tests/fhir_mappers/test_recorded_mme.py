"""An MME the EHR recorded itself: matched by system and code only, read leniently, searched."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_mappers import patient_context, search_specs
from fhir_mappers.codes import LOINC, code_lists
from tests.fhir_mappers.factories import TODAY

AHRQ = "http://cds.ahrq.gov/cdsconnect/pms"
DISPLAY = "Morphine Milligram Equivalent (MME)"


def mme(rid: str, *codings: dict[str, str], value: Any = 90, **more: Any) -> dict[str, Any]:
    """A recorded-MME Observation in the shape of the AHRQ test patient's."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": list(codings or [{"system": AHRQ, "code": "MME"}]), "text": DISPLAY},
        "valueQuantity": {"value": value, "unit": "{MME}/d", "code": "{MME}/d"},
        "issued": "2026-10-01T11:06:11.683Z",
    }
    resource.update(more)
    return resource


def test_the_listed_code_is_the_ahrq_local_one() -> None:
    assert [(c.system, c.code) for c in code_lists().recorded_mme] == [(AHRQ, "MME")]


def test_a_matching_coding_anywhere_in_the_code_is_read() -> None:
    other = {"system": "urn:oid:1.2.840.114350", "code": "4711", "display": "MME/day"}
    context = patient_context([mme("o1", other, {"system": AHRQ, "code": " MME"})], today=TODAY)
    assert [(r.when, r.value) for r in context.recorded_mme] == [(date(2026, 10, 1), 90.0)]
    assert context.skipped == ()


@pytest.mark.parametrize(
    "coding",
    [
        {"system": "http://example.org/local", "code": "MME", "display": DISPLAY},  # other system
        {"system": AHRQ, "code": "mme", "display": DISPLAY},  # codes are case-sensitive
        {"system": AHRQ, "code": "PEGPAIN", "display": DISPLAY},  # another AHRQ local code
        {"system": LOINC, "code": "MME", "display": DISPLAY},
        {"display": DISPLAY},  # display alone is never trusted
    ],
)
def test_display_text_or_a_code_of_another_system_is_not_an_mme(coding: dict[str, str]) -> None:
    context = patient_context([mme("o1", coding)], today=TODAY)
    assert context.recorded_mme == ()
    assert context.skipped == ()


def test_readings_are_sorted_by_date_and_effective_wins_over_issued() -> None:
    resources = [
        mme("late", value=120, effectiveDateTime="2026-09-01"),
        mme("early", value=60, effectivePeriod={"start": "2025-02-03"}),
        mme("issued-only", value=80.5),
    ]
    context = patient_context(resources, today=TODAY)
    assert [(r.when, r.value) for r in context.recorded_mme] == [
        (date(2025, 2, 3), 60.0),
        (date(2026, 9, 1), 120.0),
        (date(2026, 10, 1), 80.5),
    ]


def test_unusable_readings_are_skipped_by_id_and_unanswered_ones_ignored() -> None:
    resources = [
        mme("neg", value=-5),
        mme("text", value="a lot"),
        mme("mg", valueQuantity={"value": 30, "unit": "mg", "code": "mg"}),
        mme("future", effectiveDateTime="2099-01-01"),
        mme("error", status="entered-in-error"),
        mme("absent", valueQuantity=None, dataAbsentReason={"text": "not calculated"}),
        mme("unitless", valueQuantity={"value": 45}),
    ]
    context = patient_context(resources, today=TODAY)
    assert [r.value for r in context.recorded_mme] == [45.0]
    assert context.skipped == (
        "Observation/neg",
        "Observation/text",
        "Observation/mg",
        "Observation/future",
    )


def test_the_observation_searches_ask_for_the_recorded_mme_codes() -> None:
    specs = {s.name: dict(s.params) for s in search_specs("p1", lookback_start=TODAY, quirks={})}
    for name in ("observations", "observations_undated"):
        tokens = specs[name]["code"].split(",")
        assert f"{AHRQ}|MME" in tokens
        assert "http://loinc.org|72514-3" in tokens
    assert f"{AHRQ}|MME" not in specs["reviews"]["code"]
    # Still one search each: no new request for the MME.
    assert len(specs) == 8
