"""Granted scopes: v1 and v2 syntax, wildcards, constraints; the granted set decides."""

from __future__ import annotations

import pytest

from launch.scopes import (
    GrantedScopes,
    ScopeContext,
    is_known_scope,
    parse_resource_scope,
    v1_equivalents,
)


@pytest.mark.parametrize(
    ("scope", "resource", "letters"),
    [
        ("patient/Goal.crus", "Goal", "crus"),
        ("user/Goal.cruds", "Goal", "cruds"),
        ("patient/*.rs", "*", "rs"),
        ("patient/Goal.read", "Goal", "rs"),  # v1 -> v2
        ("patient/Goal.write", "Goal", "cud"),
        ("user/*.*", "*", "cruds"),
        ("system/Observation.rs?category=vital-signs", "Observation", "rs"),
    ],
)
def test_v1_and_v2_scopes_parse_to_v2_letters(scope: str, resource: str, letters: str) -> None:
    # smart.md 35: map v1 to v2 equivalents.
    grant = parse_resource_scope(scope)
    assert grant is not None
    assert grant.resource_type == resource
    assert grant.permissions == frozenset(letters)


@pytest.mark.parametrize(
    "scope",
    [
        "patient/Goal.ucr",
        "patient/Goal.",
        "patient/goal.r",
        "admin/Goal.r",
        "*.*",
        "patient/Goal.rw",
        "Goal.read",
    ],
)
def test_malformed_scopes_are_not_resource_scopes(scope: str) -> None:
    assert parse_resource_scope(scope) is None
    assert not is_known_scope(scope)


def test_wildcards_expand_to_every_type() -> None:
    # smart.md 35: "Wildcard scopes"
    scopes = GrantedScopes.parse("launch openid patient/*.rs user/Goal.cruds")
    assert scopes.can_read("Condition")
    assert scopes.can_search("MedicationRequest")
    assert not scopes.can_create("CarePlan")
    assert scopes.can_create("Goal")
    assert scopes.can_update("Goal")
    assert scopes.can_delete("Goal")
    assert scopes.allows("Goal", "c", context=ScopeContext.USER)
    assert not scopes.allows("Goal", "c", context=ScopeContext.PATIENT)


def test_v1_read_and_write_and_star_star() -> None:
    # smart.md 17, 35
    v1 = GrantedScopes.parse("patient/Goal.read patient/CarePlan.write")
    assert v1.can_read("Goal")
    assert not v1.can_create("Goal")
    assert v1.can_create("CarePlan")
    assert v1.can_update("CarePlan")
    assert not v1.can_read("CarePlan")
    everything = GrantedScopes.parse("user/*.*")
    assert all(everything.allows("Anything", letter) for letter in "cruds")


def test_a_write_not_granted_is_not_offered() -> None:
    # smart.md 35, 80: requested crus, granted only rs (the server dropped the write).
    granted = GrantedScopes.parse("openid fhirUser patient/Goal.rs patient/CarePlan.rs")
    assert granted.can_read("Goal")
    assert not granted.can_create("Goal")
    assert not granted.can_update("CarePlan")


def test_a_constrained_scope_grants_reads_only() -> None:
    scopes = GrantedScopes.parse("patient/Observation.crs?category=survey")
    assert scopes.can_search("Observation")
    assert not scopes.can_create("Observation")


def test_patient_scopes_and_plain_words() -> None:
    # smart.md 37, 47
    scopes = GrantedScopes.parse("openid offline_access patient/Patient.r")
    assert scopes.has_patient_scopes
    assert scopes.has("offline_access")
    assert not scopes.has("online_access")
    assert not GrantedScopes.parse("openid user/Goal.rs").has_patient_scopes
    assert GrantedScopes.parse(None).raw == ()


def test_the_granted_string_round_trips_without_duplicates() -> None:
    scopes = GrantedScopes.parse("a  b a patient/Goal.r")
    assert scopes.to_string() == "a b patient/Goal.r"
    assert GrantedScopes.parse(scopes.to_string()) == scopes


@pytest.mark.parametrize(
    ("scope", "v1"),
    [
        ("patient/Goal.rs", ("patient/Goal.read",)),
        ("patient/Goal.r", ("patient/Goal.read",)),
        ("patient/Goal.c", ("patient/Goal.write",)),
        ("user/*.cruds", ("user/*.read", "user/*.write")),
        ("patient/Goal.read", ("patient/Goal.read",)),
        ("openid", ("openid",)),
        ("patient/Observation.rs?category=survey", ()),
    ],
)
def test_v2_scopes_have_v1_equivalents(scope: str, v1: tuple[str, ...]) -> None:
    # smart.md 17
    assert v1_equivalents(scope) == v1
