"""Medications in the context: opioid and benzodiazepine flags, MME when the dose is structured."""

from __future__ import annotations

from typing import Any

from fhir_mappers import patient_context
from tests.fhir_mappers.factories import TODAY

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def make_request(rid: str, code: str | None, name: str, **extra: Any) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": name}
    if code is not None:
        concept["coding"] = [{"system": RXNORM, "code": code, "display": name}]
    request: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": concept,
    }
    request.update(extra)
    return request


def dosage(dose: float, unit: str, frequency: int, period: float, period_unit: str) -> list[Any]:
    return [
        {
            "timing": {
                "repeat": {"frequency": frequency, "period": period, "periodUnit": period_unit}
            },
            "doseAndRate": [{"doseQuantity": {"value": dose, "unit": unit}}],
        }
    ]


def test_an_opioid_product_with_a_structured_dose_gets_its_daily_mme_and_table() -> None:
    request = make_request(
        "m1",
        "1049717",
        "Oxycodone Hydrochloride 10 MG Oral Capsule",
        dosageInstruction=dosage(1, "capsule", 1, 6, "h"),
    )
    medication = patient_context([request], today=TODAY).medications[0]
    assert medication.is_opioid
    assert medication.daily_mme == 60.0  # 4 x 10 mg x 1.5 (CDC 2022)
    assert medication.mme_source is not None
    assert "2022" in medication.mme_source


def test_a_dose_in_mg_is_taken_as_mg() -> None:
    request = make_request(
        "m1",
        "835603",
        "tramadol hydrochloride 50 MG Oral Tablet",
        dosageInstruction=dosage(100, "mg", 2, 1, "d"),
    )
    assert patient_context([request], today=TODAY).medications[0].daily_mme == 40.0  # 200 x 0.2


def test_without_a_structured_dose_the_mme_is_not_guessed() -> None:
    request = make_request("m1", "1049593", "12 HR Oxycodone Hydrochloride 60 MG ER Oral Tablet")
    medication = patient_context([request], today=TODAY).medications[0]
    assert medication.is_opioid
    assert (medication.daily_mme, medication.mme_source) == (None, None)
    assert medication.mme_note == "no dosage in the order"


def test_an_ingredient_code_flags_without_a_product_entry() -> None:
    request = make_request("m1", "7052", "morphine")
    medication = patient_context([request], today=TODAY).medications[0]
    assert medication.is_opioid
    assert medication.rxnorm == ("7052",)


def test_an_uncoded_opioid_or_benzodiazepine_is_flagged_by_its_name() -> None:
    requests = [
        make_request("m1", None, "HYDROcodone 5 mg / APAP 325 mg tab"),
        make_request("m2", "999999", "Lorazepam 1 MG Oral Tablet"),
        make_request("m3", None, "Ibuprofen 600 MG"),
    ]
    flags = [
        (m.id, m.is_opioid, m.is_benzodiazepine)
        for m in patient_context(requests, today=TODAY).medications
    ]
    assert flags == [("m1", True, False), ("m3", False, False), ("m2", False, True)]


def test_a_referenced_medication_supplies_the_code() -> None:
    medication = {
        "resourceType": "Medication",
        "id": "med-1",
        "code": {"coding": [{"system": RXNORM, "code": "905505"}], "text": "Librium 25"},
    }
    request = make_request("m1", None, "x")
    del request["medicationCodeableConcept"]
    request["medicationReference"] = {"reference": "Medication/med-1"}
    found = patient_context([request, medication], today=TODAY).medications[0]
    assert (found.name, found.rxnorm, found.is_benzodiazepine) == ("Librium 25", ("905505",), True)


def test_repeat_orders_collapse_to_the_latest_and_stopped_ones_are_left_out() -> None:
    requests = [
        make_request("old", "1049717", "Oxycodone 10", authoredOn="2026-05-01"),
        make_request("new", "1049717", "Oxycodone 10", authoredOn="2026-08-01"),
        make_request("stopped", "197806", "Ibuprofen", status="stopped"),
    ]
    assert [m.id for m in patient_context(requests, today=TODAY).medications] == ["new"]


def test_a_request_without_a_status_or_a_name_is_skipped() -> None:
    no_status = make_request("m1", "7052", "morphine")
    del no_status["status"]
    no_name = make_request("m2", None, "")
    context = patient_context([no_status, no_name], today=TODAY)
    assert context.medications == ()
    assert context.skipped == ("MedicationRequest/m1", "MedicationRequest/m2")


def sandbox_hydrocodone() -> dict[str, Any]:
    """The sandbox `heavy` patient's order: ingredient code only, 10 mg every 6 hours."""
    request = make_request(
        "heavy-med-5", "5489", "hydrocodone bitartrate 10 MG / acetaminophen 325 MG oral tablet"
    )
    request["medicationCodeableConcept"]["coding"][0]["display"] = "hydrocodone"
    request["dosageInstruction"] = [
        {
            "text": "Take 1 by mouth every 6 hours",
            "timing": {"repeat": {"frequency": 1, "period": 6, "periodUnit": "h"}},
            "asNeededBoolean": False,
            "doseAndRate": [
                {
                    "doseQuantity": {
                        "value": 10.0,
                        "unit": "mg",
                        "system": "http://unitsofmeasure.org",
                        "code": "mg",
                    }
                }
            ],
        }
    ]
    return request


def test_an_ingredient_coded_opioid_gets_its_mme_from_the_dose_in_mg() -> None:
    medication = patient_context([sandbox_hydrocodone()], today=TODAY).medications[0]
    # 10 mg x 4 a day x 1.0 (CDC 2022, hydrocodone) = 40 MME/day
    assert (medication.daily_mme, medication.mme_note) == (40.0, None)
    assert medication.mme_source is not None
    assert "2022" in medication.mme_source


def test_an_ingredient_coded_opioid_dosed_in_tablets_says_why_no_mme() -> None:
    request = make_request(
        "m1", "5489", "hydrocodone 10 / APAP 325", dosageInstruction=dosage(1, "tablet", 1, 6, "h")
    )
    medication = patient_context([request], today=TODAY).medications[0]
    assert medication.daily_mme is None
    assert medication.mme_note == "the dose is not in mg and the product strength is unknown"


def mme_of(request: dict[str, Any]) -> tuple[float | None, str | None]:
    """(daily MME, note) of one order on its own (repeat orders of a code collapse)."""
    medication = patient_context([request], today=TODAY).medications[0]
    return medication.daily_mme, medication.mme_note


def test_an_ingredient_coded_opioid_without_a_dose_or_timing_says_which_is_missing() -> None:
    no_dose = sandbox_hydrocodone()
    del no_dose["dosageInstruction"][0]["doseAndRate"]
    no_timing = sandbox_hydrocodone()
    del no_timing["dosageInstruction"][0]["timing"]
    assert mme_of(no_dose) == (None, "no structured dose in the order")
    assert mme_of(no_timing) == (None, "no structured timing (frequency and period) in the order")


def test_fentanyl_by_ingredient_needs_the_patch_rate_in_mcg_per_hour() -> None:
    patch = make_request("m1", "4337", "fentanyl 25 mcg/hr patch")
    patch["dosageInstruction"] = [
        {
            "timing": {"repeat": {"frequency": 1, "period": 72, "periodUnit": "h"}},
            "doseAndRate": [
                {
                    "doseQuantity": {"value": 1, "unit": "patch"},
                    "rateQuantity": {"value": 25, "unit": "mcg/hr", "code": "ug/h"},
                }
            ],
        }
    ]
    in_mg = make_request(
        "m2", "4337", "fentanyl lozenge", dosageInstruction=dosage(0.2, "mg", 4, 1, "d")
    )
    # CDC 2022: transdermal fentanyl 25 mcg/hr x 2.4 = 60 MME/day; other forms have no factor.
    assert mme_of(patch) == (60.0, None)
    assert mme_of(in_mg) == (None, "no patch rate in mcg/h in the order")


def test_buprenorphine_and_name_only_opioids_carry_the_reason_for_no_mme() -> None:
    requests = [
        make_request("m1", "1819", "buprenorphine", dosageInstruction=dosage(8, "mg", 1, 1, "d")),
        make_request("m2", None, "HYDROcodone 5 mg / APAP 325 mg tab"),
        make_request("m3", "5640", "ibuprofen", dosageInstruction=dosage(400, "mg", 3, 1, "d")),
    ]
    found = {
        m.id: (m.daily_mme, m.mme_note) for m in patient_context(requests, today=TODAY).medications
    }
    assert found == {
        "m1": (None, "buprenorphine has no factor in the MME table"),
        "m2": (None, "no RxNorm opioid code in the order"),
        "m3": (None, None),
    }
