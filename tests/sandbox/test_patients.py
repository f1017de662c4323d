"""The synthetic patients: deterministic, valid FHIR, and each kind shaped as its name says."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from importlib import resources as package_files
from typing import Any

import fhirkit
import pytest
import requests
from fhir.resources.R4B import get_fhir_model_class

from sandbox.patients import KINDS, SeedPatient, build_patients, build_practitioners
from sandbox.stack import Stack

# Late in the day, so every record ends on TODAY (a morning build moves some back a day).
NOW = datetime(2026, 11, 23, 23, 59, tzinfo=UTC)
TODAY = NOW.date()
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# CDC 2022 MME conversion factors for the opioids used (mg/day -> MME/day).
MME_FACTORS = {"7804": 1.5, "10689": 0.2, "5489": 1.0, "7052": 1.0}
BENZODIAZEPINES = {"596", "6470", "2356"}
PAIN_CODES = {
    "279039007",
    "82423001",
    "373621006",
    "203082005",
    "239873007",
    "81680005",
    "M54.50",
    "G89.29",
    "G89.4",
    "M79.7",
    "M17.11",
    "M54.2",
}
AHRQ_SHA256 = "5d3ed70a55c316275ea27e920e44ca568448f20d7dca772263a666c688323fe6"


@pytest.fixture(scope="module")
def patients() -> dict[str, SeedPatient]:
    return {p.kind: p for p in build_patients(7, NOW)}


def codes(concept: dict[str, Any] | None) -> list[str]:
    return [c.get("code", "") for c in (concept or {}).get("coding", [])]


def of_type(patient: SeedPatient, resource_type: str) -> list[dict[str, Any]]:
    return [r for r in patient.resources() if r["resourceType"] == resource_type]


def effective_day(resource: dict[str, Any]) -> date:
    return date.fromisoformat(resource["effectiveDateTime"][:10])


def test_every_kind_is_built_once(patients: dict[str, SeedPatient]) -> None:
    assert tuple(patients) == KINDS
    assert set(KINDS) >= {
        "typical",
        "opioid",
        "heavy",
        "sparse",
        "empty",
        "messy",
        "goal-history",
        "no-chronic-pain",
        "ahrq",
    }


def test_same_seed_gives_the_same_json() -> None:
    first = [json.dumps(p.bundle, sort_keys=True) for p in build_patients(3, NOW)]
    second = [json.dumps(p.bundle, sort_keys=True) for p in build_patients(3, NOW)]
    assert first == second


def test_another_seed_gives_other_data_with_the_same_ids() -> None:
    one = {p.kind: p for p in build_patients(3, NOW, kinds=("typical", "opioid"))}
    two = {p.kind: p for p in build_patients(4, NOW, kinds=("typical", "opioid"))}
    for kind in ("typical", "opioid"):
        assert one[kind].id == two[kind].id
        assert one[kind].bundle != two[kind].bundle


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown patient kind"):
        build_patients(1, NOW, kinds=("typical", "zombie"))


# Goal.target.dueDate is a plan for the future, not something that happened.
PLANNED = frozenset({"dueDate"})
# Year-month and longer (a bare year cannot be told from a code such as RxNorm 5640).
FHIR_DATE = re.compile(r"^\d{4}-\d{2}((-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?)?)$")
MORNING = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def dated_values(node: object, path: str) -> list[tuple[str, str]]:
    """Every date, dateTime and instant in a resource with its path, planned dates left out."""
    if isinstance(node, dict):
        return [
            found
            for key, value in node.items()
            if key not in PLANNED
            for found in dated_values(value, f"{path}.{key}")
        ]
    if isinstance(node, list):
        return [found for item in node for found in dated_values(item, path)]
    if isinstance(node, str) and FHIR_DATE.match(node):
        return [(path, node)]
    return []


def is_after(value: str, now: datetime) -> bool:
    """Whether a FHIR date/dateTime lies after `now`, at its own precision."""
    if "T" in value:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) > now
    return value > now.date().isoformat()[: len(value)]


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
        MORNING,
        datetime(2026, 11, 23, 9, 15, tzinfo=UTC),
        datetime(2026, 11, 23, 14, 5, tzinfo=UTC),
        datetime(2026, 11, 23, 20, 30, tzinfo=UTC),
        NOW,
    ],
    ids=lambda now: now.strftime("%H:%M"),
)
def test_nothing_is_dated_after_the_moment_of_building(now: datetime) -> None:
    future = [
        f"{r['resourceType']}/{r['id']}{path}={value}"
        for p in build_patients(7, now)
        for r in p.resources()
        for path, value in dated_values(r, "")
        if is_after(value, now)
    ]
    assert future == []


def test_a_record_that_would_reach_past_now_is_built_a_day_earlier_whole() -> None:
    morning = {p.kind: p for p in build_patients(7, MORNING)}
    evening = {p.kind: p for p in build_patients(7, NOW)}
    day_before = {p.kind: p for p in build_patients(7, NOW - timedelta(days=1))}
    moved = set()
    for kind, patient in morning.items():
        if patient.bundle != evening[kind].bundle:
            assert patient.bundle == day_before[kind].bundle, kind
            moved.add(kind)
    # The diary's 14:00 and 20:00 readings; carebundle's visit at 09:00 with its labs. Records
    # ending days ago (sparse, empty, ahrq) stay where they are.
    assert {"heavy", "no-chronic-pain"} <= moved
    assert not moved & {"sparse", "empty", "ahrq"}
    ids = [e["fullUrl"] for e in morning["heavy"].bundle["entry"]]
    assert ids == [e["fullUrl"] for e in evening["heavy"].bundle["entry"]]  # same ids, same count
    diary = [r for r in morning["heavy"].resources() if codes(r.get("code")) == ["72514-3"]]
    newest = max(datetime.fromisoformat(r["effectiveDateTime"]) for r in diary)
    assert newest.date() == TODAY - timedelta(days=1)
    assert newest.hour == 20


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_patients(1, datetime(2026, 11, 23, 9, 0))


def test_every_resource_parses_with_fhir_r4b(patients: dict[str, SeedPatient]) -> None:
    resources = [r for p in patients.values() for r in p.resources()]
    resources += [e["resource"] for pr in build_practitioners() for e in pr.entries]
    failures = []
    for resource in resources:
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except ValueError as exc:
            failures.append(f"{resource['resourceType']}/{resource['id']}: {exc}")
    assert failures == []
    assert len(resources) > 2500


def test_every_resource_is_valid_fhir_r4_401(patients: dict[str, SeedPatient]) -> None:
    """R4B models are close to R4 but not identical; fhirkit checks R4 4.0.1 exactly."""
    resources = [r for p in patients.values() for r in p.resources()]
    resources += [e["resource"] for pr in build_practitioners() for e in pr.entries]
    problems = {
        f"{r['resourceType']}/{r['id']}": [str(i) for i in issues]
        for r in resources
        if (issues := fhirkit.validate(json.dumps(r)))
    }
    assert problems == {}


def test_bundles_are_transactions_of_puts_with_fixed_unique_ids(
    patients: dict[str, SeedPatient],
) -> None:
    seen: set[str] = set()
    for patient in patients.values():
        assert patient.bundle["type"] == "transaction"
        for entry in patient.bundle["entry"]:
            resource = entry["resource"]
            ref = f"{resource['resourceType']}/{resource['id']}"
            assert entry["request"] == {"method": "PUT", "url": ref}
            assert FHIR_ID.match(resource["id"]), ref
            assert ref not in seen
            seen.add(ref)
        assert of_type(patient, "Patient")[0]["id"] == patient.id


def test_references_point_at_seeded_resources(patients: dict[str, SeedPatient]) -> None:
    staff = {e["fullUrl"] for pr in build_practitioners() for e in pr.entries}
    for patient in patients.values():
        local = {e["fullUrl"] for e in patient.bundle["entry"]}
        text = json.dumps(patient.bundle)
        for ref in re.findall(r'"reference": "([^"]+)"', text):
            assert ref in local or ref in staff, (patient.kind, ref)


def test_listing_is_json(patients: dict[str, SeedPatient]) -> None:
    listing = json.loads(json.dumps([p.listing() for p in patients.values()]))
    assert all(set(item) == {"id", "name", "kind", "description"} for item in listing)
    assert all(item["name"] and "\n" not in item["description"] for item in listing)
    roles = [p.listing() for p in build_practitioners()]
    assert {r["role"] for r in roles} >= {"Primary care physician", "Physiotherapist"}
    assert all(r["name"] for r in roles)


def test_typical_has_two_years_of_nrs_and_peg_and_a_prior_goal(
    patients: dict[str, SeedPatient],
) -> None:
    typical = patients["typical"]
    observations = of_type(typical, "Observation")
    nrs = [o for o in observations if codes(o["code"]) == ["72514-3"]]
    pegs = [o for o in observations if codes(o["code"]) == ["91148-7"]]
    assert len(nrs) >= 40
    assert (TODAY - min(map(effective_day, nrs))).days >= 700
    assert all(o["category"][0]["coding"][0]["code"] == "survey" for o in nrs + pegs)
    assert len(pegs) >= 15
    components = [codes(c["code"])[0] for c in pegs[0]["component"]]
    assert components == ["75893-8", "91145-3", "91146-1", "91147-9"]
    items = [c["valueQuantity"]["value"] for c in pegs[0]["component"]]
    assert items[3] == round(sum(items[:3]) / 3, 1)
    assert "279039007" in codes(of_type(typical, "Condition")[0]["code"])
    assert any(g["lifecycleStatus"] == "completed" for g in of_type(typical, "Goal"))


def ordered_codes(patient: SeedPatient, request: dict[str, Any]) -> list[str]:
    """The codes of what a request orders: inline, or in the Medication it references."""
    if "medicationCodeableConcept" in request:
        return codes(request["medicationCodeableConcept"])
    medication_id = request["medicationReference"]["reference"].removeprefix("Medication/")
    [medication] = [m for m in of_type(patient, "Medication") if m["id"] == medication_id]
    return codes(medication["code"])


def daily_mme(patient: SeedPatient, request: dict[str, Any]) -> float:
    dosage = request["dosageInstruction"][0]
    repeat = dosage["timing"]["repeat"]
    per_day = repeat["frequency"] * 24 / repeat["period"]
    mg = dosage["doseAndRate"][0]["doseQuantity"]["value"] * per_day
    factor = next(MME_FACTORS[c] for c in ordered_codes(patient, request) if c in MME_FACTORS)
    return float(mg * factor)


def test_opioid_patient_is_above_50_mme_with_a_benzodiazepine(
    patients: dict[str, SeedPatient],
) -> None:
    opioid = patients["opioid"]
    active = [m for m in of_type(opioid, "MedicationRequest") if m["status"] == "active"]
    opioids = [m for m in active if set(ordered_codes(opioid, m)) & set(MME_FACTORS)]
    assert sum(daily_mme(opioid, m) for m in opioids) == 100
    assert any(set(ordered_codes(opioid, m)) & BENZODIAZEPINES for m in active)
    oxycodone = [
        m for m in of_type(opioid, "MedicationRequest") if "7804" in ordered_codes(opioid, m)
    ]
    authored = sorted(date.fromisoformat(m["authoredOn"]) for m in oxycodone)
    assert (authored[-1] - authored[0]).days > 365  # long-term


def test_the_opioid_patients_tramadol_is_ordered_by_reference_as_epic_does(
    patients: dict[str, SeedPatient],
) -> None:
    opioid = patients["opioid"]
    [tramadol] = [
        m for m in of_type(opioid, "MedicationRequest") if m["id"].endswith("-med-tramadol")
    ]
    assert "medicationCodeableConcept" not in tramadol
    assert "10689" in ordered_codes(opioid, tramadol)


def test_heavy_sparse_and_empty_have_their_shapes(patients: dict[str, SeedPatient]) -> None:
    heavy = Counter(r["resourceType"] for r in patients["heavy"].resources())
    assert heavy["Observation"] > 2000
    assert heavy["MedicationRequest"] >= 10
    assert heavy["Goal"] >= 5
    assert patients["heavy"].opt_in
    sparse = Counter(r["resourceType"] for r in patients["sparse"].resources())
    assert sparse == Counter({"Patient": 1, "Condition": 1, "Observation": 1})
    assert [r["resourceType"] for r in patients["empty"].resources()] == ["Patient"]


def test_messy_patient_carries_the_mess(patients: dict[str, SeedPatient]) -> None:
    messy = patients["messy"]
    resources = messy.resources()
    assert any("extension" in r for r in resources)
    assert any(len(c := codes(r.get("code"))) != len(set(c)) for r in resources)
    assert any(
        r["resourceType"] == "Observation" and "effectiveDateTime" not in r for r in resources
    )
    systems = {c["system"] for r in resources for c in (r.get("code") or {}).get("coding", [])}
    assert any(s.startswith("urn:oid:") for s in systems)
    assert any("99999-9" in codes(r.get("code")) for r in resources)
    (bad_ref,) = messy.unreadable
    bad = next(r for r in resources if f"{r['resourceType']}/{r['id']}" == bad_ref)
    assert codes(bad["code"]) == ["72514-3"]
    assert "valueQuantity" not in bad
    assert isinstance(bad["valueString"], str)


def test_goal_history_has_reviews_and_one_overdue_goal(patients: dict[str, SeedPatient]) -> None:
    history = patients["goal-history"]
    goals = {g["id"]: g for g in of_type(history, "Goal")}
    assert len(goals) >= 3
    reviews = [o for o in of_type(history, "Observation") if codes(o["code"]) == ["107333-7"]]
    assert {r["focus"][0]["reference"].split("/")[1] for r in reviews} == set(goals)
    assert all(codes(r["valueCodeableConcept"])[0].startswith("LA344") for r in reviews)
    overdue = []
    for goal_id, goal in goals.items():
        last = max(
            effective_day(r) for r in reviews if r["focus"][0]["reference"] == f"Goal/{goal_id}"
        )
        due = date.fromisoformat(goal["target"][0]["dueDate"])
        if goal["lifecycleStatus"] == "active" and due < TODAY and (TODAY - last).days > 42:
            overdue.append(goal_id)
    assert overdue == ["ff-goal-history-goal-swim"]


def test_no_chronic_pain_patient_has_no_pain_data(patients: dict[str, SeedPatient]) -> None:
    patient = patients["no-chronic-pain"]
    condition_codes = {c for r in of_type(patient, "Condition") for c in codes(r["code"])}
    assert condition_codes
    assert not condition_codes & PAIN_CODES
    observation_codes = {c for r in of_type(patient, "Observation") for c in codes(r["code"])}
    assert not observation_codes & {"72514-3", "91148-7", "91147-9"}
    assert "4548-4" in observation_codes  # HbA1c: a diabetic patient


def test_ahrq_patient_is_shifted_to_recent_dates(patients: dict[str, SeedPatient]) -> None:
    ahrq = patients["ahrq"]
    assert ahrq.name == "Brenda Jackson"
    assert len(ahrq.resources()) == 64
    authored = [
        datetime.fromisoformat(m["authoredOn"].replace("Z", "+00:00")).date()
        for m in of_type(ahrq, "MedicationRequest")
    ]
    # Upstream's newest order is 2023-08-01 in a Bundle dated 2023-10-16: moved by the same days.
    assert max(authored) == date(2023, 8, 1) + (TODAY - date(2023, 10, 16))
    assert TODAY - timedelta(days=120) <= max(authored) <= TODAY
    issued = [o["issued"] for o in of_type(ahrq, "Observation")]
    assert all(len(i) == 24 and i.endswith("Z") for i in issued)  # precision kept
    assert of_type(ahrq, "Patient")[0]["birthDate"] != "1961-01-25"


def test_ahrq_source_is_copied_unmodified_with_its_license() -> None:
    data = package_files.files("sandbox.patients").joinpath("data")
    digest = hashlib.sha256(data.joinpath("brenda_jackson.json").read_bytes()).hexdigest()
    assert digest == AHRQ_SHA256
    assert "Apache License" in data.joinpath("LICENSE-Apache-2.0.txt").read_text("utf-8")


@pytest.mark.integration
def test_the_stack_seeds_nothing_after_its_start(sekmet_stack: Stack) -> None:
    # The heavy diary has readings every day at 08:00, 14:00 and 20:00, today's among them
    # unless its day is not over: the backend holds none after now.
    now = datetime.fromtimestamp(sekmet_stack.ehr_clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    url = f"{sekmet_stack.backend_url}/Observation"
    heavy = {"subject": "Patient/ff-heavy", "_summary": "count"}
    later = requests.get(url, params={**heavy, "date": f"gt{now}"}, timeout=30).json()
    earlier = requests.get(url, params={**heavy, "date": f"le{now}"}, timeout=30).json()
    assert later["total"] == 0
    assert earlier["total"] > 2000
