"""A patient's own standalone launch: the `patient_scopes` key and the scopes derived without it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from launch.errors import LaunchError, TenantConfigError
from launch.flow import check_patient_user, requested_scope
from launch.scopes import GrantedScopes
from launch.tenant_model import Tenant, patient_facing_scopes
from launch.tokens import TokenSet

from .tenant_files import load, load_example

TENANT = """
[[tenant]]
name = "clinic"
iss = "https://fhir.clinic.example/r4"
client_id = "ff"
scopes = "openid fhirUser offline_access user/Patient.rs patient/Patient.r patient/Goal.crus"
"""


def load_one(tmp_path: Path, extra: str) -> Tenant:
    (tenant,) = load(tmp_path, TENANT + extra).all()
    return tenant


def test_without_the_key_patient_scopes_are_derived_from_scopes(tmp_path: Path) -> None:
    # smart.md 17: a patient is never asked user/ scopes for
    tenant = load_one(tmp_path, "")
    assert tenant.patient_scopes is None
    assert patient_facing_scopes(tenant) == (
        "openid", "fhirUser", "offline_access", "patient/Patient.r", "patient/Goal.crus",
    )  # fmt: skip


def test_the_key_sets_them_and_openid_fhiruser_are_always_asked(tmp_path: Path) -> None:
    # smart.md 17
    tenant = load_one(tmp_path, 'patient_scopes = ["patient/Patient.r", "patient/Goal.rs"]\n')
    assert tenant.patient_scopes == ("patient/Patient.r", "patient/Goal.rs")
    assert requested_scope(tenant, launch=None, as_patient=True) == (
        "launch/patient openid fhirUser patient/Patient.r patient/Goal.rs"
    )
    with pytest.raises(LaunchError):  # a patient's launch is always standalone
        requested_scope(tenant, launch="abc", as_patient=True)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('"patient/Patient.r user/Patient.rs"', "a patient is granted no user/ scope"),
        ('"patient/Patient.r system/Patient.rs"', "a patient is granted no system/ scope"),
        ('"openid fhirUser"', "'patient_scopes' names no patient/ scope"),
        ('"patient/Patient.r bogus"', "not a SMART scope: 'bogus'"),
    ],
)
def test_a_bad_patient_scope_list_stops_start_up_with_its_line(
    tmp_path: Path, value: str, reason: str
) -> None:
    # smart.md 17: a bad file stops start-up, naming the line and the reason
    with pytest.raises(TenantConfigError) as caught:
        load(tmp_path, TENANT + f"patient_scopes = {value}\n")
    assert caught.value.line == 7
    assert caught.value.reason == reason


def tokens(patient: str | None, user: str | None) -> TokenSet:
    return TokenSet(
        tenant="clinic",
        access_token="at",
        expires_at=datetime(2026, 1, 1, tzinfo=UTC),
        scopes=GrantedScopes.parse("patient/Patient.r"),
        patient=patient,
        fhir_user=user,
    )


def test_a_patient_user_must_be_the_context_patient() -> None:
    # smart.md 36, 45
    same = tokens("p1", "Patient/p1")
    assert check_patient_user(same, as_patient=True) is same
    clinician = tokens("p1", "Practitioner/d1")
    assert check_patient_user(clinician, as_patient=False) is clinician
    for wrong, as_patient in (
        (tokens("p2", "Patient/p1"), True),
        (tokens(None, "Patient/p1"), False),
        (tokens("p1", "Practitioner/d1"), True),
        (tokens("p1", None), True),
    ):
        with pytest.raises(LaunchError) as caught:
            check_patient_user(wrong, as_patient=as_patient)
        assert caught.value.code == "patient_mismatch"


def test_the_packaged_example_sets_patient_scopes_for_its_standalone_tenant() -> None:
    # smart.md 4, 17
    registry = load_example()
    (clinic,) = registry.standalone()
    assert patient_facing_scopes(clinic) == (
        "openid", "fhirUser", "offline_access", "patient/Patient.read", "patient/Goal.read",
    )  # fmt: skip
