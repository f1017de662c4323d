"""The AHRQ Pain Management Summary test patient (Brenda Jackson) is shown correctly."""

from __future__ import annotations

from datetime import date

from fhir_mappers import patient_context
from tests.fhir_mappers.factories import brenda

AS_OF = date(2023, 10, 16)  # the bundle's meta.lastUpdated; its dates are relative to it


def test_brenda_has_fibromyalgia_low_back_pain_and_post_laminectomy_pain() -> None:
    context = patient_context([brenda()], today=AS_OF)
    assert context.patient is not None
    assert context.patient.name == "Brenda Jackson"
    assert [(c.system, c.code) for c in context.conditions] == [
        ("http://snomed.info/sct", "203082005"),
        ("http://hl7.org/fhir/sid/icd-10-cm", "M54.5"),
        ("http://snomed.info/sct", "202725007"),
    ]
    assert context.conditions[0].text == "Fibromyalgia (disorder)"
    # Moderate major depression is on her list but is not a pain condition.
    assert "832007" not in {c.code for c in context.conditions}
    assert context.skipped == ()


def test_brenda_has_her_peg_trend_and_pain_scores() -> None:
    context = patient_context([brenda()], today=AS_OF)
    assert [(r.when, r.score) for r in context.peg] == [
        (date(2021, 3, 20), 8.0),
        (date(2022, 3, 3), 7.0),
        (date(2023, 1, 25), 5.0),
    ]
    assert context.peg[-1].items is not None
    assert [r.value for r in context.nrs] == [6.0, 6.0, 6.0, 10.0]


def test_brenda_takes_high_dose_oxycodone_and_a_benzodiazepine() -> None:
    medications = patient_context([brenda()], today=AS_OF).medications
    opioids = [m for m in medications if m.is_opioid]
    assert [m.name for m in opioids] == [
        "12 HR Oxycodone Hydrochloride 60 MG Extended Release Oral Tablet",
        "Oxycodone Hydrochloride 10 MG Oral Capsule",
    ]
    assert [m.name for m in medications if m.is_benzodiazepine] == [
        "Chlordiazepoxide Hydrochloride 25 MG Oral Tablet"
    ]
    # 33 repeat orders collapse to one entry per product.
    assert len(medications) == 7
    # Her orders carry no structured dose, so no MME is invented.
    assert all(m.daily_mme is None for m in opioids)


def test_brenda_has_the_mme_her_ehr_recorded() -> None:
    context = patient_context([brenda()], today=AS_OF)
    # Five Observations in the AHRQ local code system (issued only, no effective date).
    assert [(r.when, r.value) for r in context.recorded_mme] == [
        (date(2021, 3, 20), 160.0),
        (date(2022, 3, 3), 190.0),
        (date(2023, 1, 25), 220.0),
        (date(2023, 5, 3), 220.0),
        (date(2023, 8, 1), 220.0),
    ]
    assert all("AHRQ" in r.source and "MME" in r.source for r in context.recorded_mme)
    # The recorded figure stays beside the orders: nothing is computed into the medications.
    assert all(m.daily_mme is None for m in context.medications)
