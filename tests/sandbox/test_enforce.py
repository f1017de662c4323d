"""Scope parsing and the proxy's rules, as plain functions."""

from __future__ import annotations

import pytest

from sandbox.ehr.enforce import (
    FhirCall,
    check_profile,
    check_scope,
    patient_of,
    without_foreign,
    without_ungranted,
)
from sandbox.ehr.profiles import EPIC, OPEN, ORACLE
from sandbox.ehr.scopes import Grant, Interaction, is_known_scope, parse_resource_scope


@pytest.mark.parametrize(
    ("scope", "letters"),
    [
        ("patient/Goal.read", "rs"),
        ("patient/Goal.write", "cud"),
        ("user/*.*", "cruds"),
        ("patient/Goal.crus", "crus"),
        ("system/Patient.rs?_tag=x", "rs"),
    ],
)
def test_v1_and_v2_scopes_map_to_letters(scope: str, letters: str) -> None:
    parsed = parse_resource_scope(scope)
    assert parsed is not None
    assert parsed.letters == letters


@pytest.mark.parametrize("scope", ["patient/Goal.rc", "patient/Goal.x", "goal.read", "patient/.r"])
def test_malformed_scopes_are_not_resource_scopes(scope: str) -> None:
    # SMART 2.2: v2 letters keep the order c, r, u, d, s
    assert parse_resource_scope(scope) is None
    assert not is_known_scope(scope)


def test_user_scope_wins_over_patient_scope() -> None:
    grant = Grant.parse("patient/Goal.rs user/Goal.rs")
    found = grant.allows("Goal", Interaction.READ)
    assert found is not None
    assert found.context == "user"


def _search(rtype: str, **params: str) -> FhirCall:
    return FhirCall(
        method="GET", resource_type=rtype, resource_id=None, params=tuple(params.items())
    )


def test_patient_scope_search_must_name_the_launch_patient() -> None:
    grant = Grant.parse("patient/*.rs")
    assert check_scope(_search("Observation", patient="p1"), grant, "p1") is None
    assert check_scope(_search("Observation", subject="Patient/p1"), grant, "p1") is None
    refused = check_scope(_search("Observation", patient="p1,p2"), grant, "p1")
    assert refused is not None
    assert refused.status == 403
    assert check_scope(_search("Observation", code="x"), grant, "p1") is not None
    assert check_scope(_search("Patient", _id="p2"), grant, "p1") is not None
    assert check_scope(_search("Practitioner", name="x"), grant, "p1") is None


def test_user_scope_reaches_any_patient() -> None:
    assert check_scope(_search("Observation", patient="p9"), Grant.parse("user/*.rs"), "p1") is None


def test_patient_of_reads_subject_patient_and_history_references() -> None:
    assert patient_of({"resourceType": "Goal", "subject": {"reference": "Patient/p1"}}) == "p1"
    assert (
        patient_of({"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p2"}})
        == "p2"
    )
    assert patient_of({"resourceType": "Patient", "id": "p3"}) == "p3"
    assert patient_of({"resourceType": "Goal", "subject": {"reference": "Group/g"}}) is None
    history = {
        "resourceType": "Goal",
        "subject": {"reference": "http://x/fhir/Patient/p4/_history/2"},
    }
    assert patient_of(history) == "p4"


def test_foreign_entries_are_removed_from_bundles() -> None:
    bundle: dict[str, object] = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Goal", "subject": {"reference": "Patient/p1"}}},
            {"resource": {"resourceType": "Goal", "subject": {"reference": "Patient/p2"}}},
            {"resource": {"resourceType": "Practitioner", "id": "d1"}},
        ],
    }
    kept = without_foreign(bundle, "p1")["entry"]
    assert isinstance(kept, list)
    assert len(kept) == 2


def _searchset(*entries: tuple[str, str]) -> dict[str, object]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": {"resourceType": kind, "id": kind.lower()}, "search": {"mode": mode}}
            for kind, mode in entries
        ],
    }


def _kinds(bundle: dict[str, object]) -> list[str]:
    entries = bundle["entry"]
    assert isinstance(entries, list)
    return [e["resource"]["resourceType"] for e in entries]


def test_included_resources_the_token_may_not_read_are_removed() -> None:
    found = _searchset(("MedicationRequest", "match"), ("Medication", "include"))
    narrow = Grant.parse("patient/MedicationRequest.rs")
    assert _kinds(without_ungranted(found, narrow)) == ["MedicationRequest"]
    found = _searchset(("MedicationRequest", "match"), ("Medication", "include"))
    wide = Grant.parse("patient/MedicationRequest.rs patient/Medication.rs")
    assert _kinds(without_ungranted(found, wide)) == ["MedicationRequest", "Medication"]


def test_a_batch_responses_searchsets_are_filtered_too() -> None:
    inner = _searchset(("MedicationRequest", "match"), ("Medication", "include"))
    batch: dict[str, object] = {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [{"resource": inner, "response": {"status": "200 OK"}}],
    }
    without_ungranted(batch, Grant.parse("patient/MedicationRequest.rs"))
    assert _kinds(inner) == ["MedicationRequest"]


def test_profile_rules() -> None:
    assert check_profile(_search("Observation", patient="p"), OPEN) is None
    assert check_profile(_search("Observation", patient="p"), EPIC) is not None
    assert check_profile(_search("Observation", patient="p", **{"code:in": "x"}), EPIC) is None
    assert check_profile(_search("CarePlan", patient="p", category="x|assess-plan"), ORACLE) is None
    assert (
        check_profile(_search("CarePlan", patient="p", category="longitudinal"), ORACLE) is not None
    )
    create = FhirCall(method="POST", resource_type="Goal", resource_id=None)
    refused = check_profile(create, ORACLE)
    assert refused is not None
    assert refused.status == 405
    conditional = FhirCall(
        method="POST",
        resource_type="Goal",
        resource_id=None,
        headers={"If-None-Exist": "identifier=a|b"},
    )
    assert check_profile(conditional, EPIC) is not None
    assert check_profile(conditional, OPEN) is None
