"""Standalone launch as a clinician or as the patient: the picker, the scopes, the callback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey

from launch.scopes import GrantedScopes
from launch.tenant_model import Tenant
from launch.tokens import TokenSet
from smartapp.errors import AppError
from smartapp.services import LaunchSession
from smartapp.store import Outcome
from smartapp.views import ehr as ehr_views

from .fake_ehr import APP, EHR_ORIGIN, ISS, ISS_B, FakeEhr

# "ehr" names its patient scopes; "clinic" has user/ scopes and leaves them to be derived.
TENANTS = f"""
[[tenant]]
name = "ehr"
iss = "{ISS}"
client_id = "functionfirst"
standalone = true
frame_ancestors = ["{EHR_ORIGIN}"]
scopes = "openid fhirUser offline_access user/Practitioner.r patient/Patient.r patient/Goal.crus"
patient_scopes = "patient/Patient.r patient/Goal.rs"

[[tenant]]
name = "clinic"
iss = "{ISS_B}"
client_id = "ff-other"
standalone = true
scopes = "openid fhirUser online_access user/Patient.rs patient/Patient.r patient/CarePlan.crus"
"""


@pytest.fixture
def app_settings(app_settings: dict[str, object], tmp_path: Path) -> dict[str, object]:
    """The shared settings with this file's two standalone tenants."""
    path = tmp_path / "roles.toml"
    path.write_text(TENANTS, encoding="utf-8")
    return {**app_settings, "FUNCTIONFIRST_TENANTS": str(path)}


@pytest.fixture
def clinic(ehr_key: RSAKey, wire: responses.RequestsMock) -> FakeEhr:
    """The second EHR on the wire."""
    fake = FakeEhr(key=ehr_key, iss=ISS_B, client_id="ff-other")
    fake.install(wire)
    return fake


def picker_token(client: FlaskClient) -> str:
    html = client.get("/standalone").get_data(as_text=True)
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def authorize_query(client: FlaskClient, tenant: str, role: str | None) -> dict[str, str]:
    data = {"tenant": tenant, "csrf_token": picker_token(client)}
    if role is not None:
        data["role"] = role
    response = client.post("/standalone", data=data, headers={"Origin": APP})
    assert response.status_code == 302, response.get_data(as_text=True)
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def test_the_picker_asks_who_you_are(client: FlaskClient) -> None:
    # smart.md 4
    html = client.get("/standalone").get_data(as_text=True)
    assert 'value="ehr"' in html
    assert 'value="clinic"' in html
    assert 'name="role" value="practitioner" checked' in html
    assert 'name="role" value="patient"' in html
    assert "I am the patient" in html


def test_a_clinician_asks_for_the_tenant_scopes(client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 4, 17
    query = authorize_query(client, "ehr", "practitioner")
    assert query["scope"].split() == [
        "launch/patient", "openid", "fhirUser", "offline_access", "user/Practitioner.r",
        "patient/Patient.r", "patient/Goal.crus",
    ]  # fmt: skip
    assert authorize_query(client, "ehr", None)["scope"] == query["scope"]  # no role: clinician


def test_a_patient_asks_for_the_configured_patient_scopes(
    client: FlaskClient, ehr: FakeEhr
) -> None:
    # smart.md 4, 17
    query = authorize_query(client, "ehr", "patient")
    assert query["scope"].split() == [
        "launch/patient", "openid", "fhirUser", "patient/Patient.r", "patient/Goal.rs",
    ]  # fmt: skip
    assert "launch" not in query


def test_a_patient_scope_set_is_derived_without_user_scopes(
    client: FlaskClient, clinic: FakeEhr
) -> None:
    # smart.md 4, 17
    query = authorize_query(client, "clinic", "patient")
    assert query["scope"].split() == [
        "launch/patient", "openid", "fhirUser", "online_access", "patient/Patient.r",
        "patient/CarePlan.crus",
    ]  # fmt: skip


def test_an_unknown_role_is_refused_before_any_request(
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock
) -> None:
    # smart.md 4, 60
    data = {"tenant": "ehr", "role": "admin", "csrf_token": picker_token(client)}
    response = client.post("/standalone", data=data, headers={"Origin": APP})
    assert response.status_code == 400
    assert "clinician or the patient" in response.get_data(as_text=True)
    assert len(wire.calls) == 0


def patient_callback(client: FlaskClient, ehr: FakeEhr) -> str:
    query = authorize_query(client, "ehr", "patient")
    return ehr.authorize(f"{ehr.host}/auth/authorize?" + "&".join(
        f"{k}={v}" for k, v in (("aud", query["aud"]), ("code_challenge_method", "S256"),
                                ("nonce", query["nonce"]), ("state", query["state"]))
    ))  # fmt: skip


def test_a_patient_lands_on_their_own_record(app: Flask, client: FlaskClient, ehr: FakeEhr) -> None:
    # smart.md 4, 36, 45, 72
    ehr.fhir_user = "Patient/pat-1"
    done = client.get(patient_callback(client, ehr))
    assert done.status_code == 303, done.get_data(as_text=True)
    launch_id = done.headers["Location"].split("/")[2]
    entries = app.extensions["functionfirst"].store.audit.entries(launch_id=launch_id)
    assert [(e.action, e.outcome, e.fhir_user, e.patient_id) for e in entries] == [
        ("launch", Outcome.SUCCESS, "Patient/pat-1", "pat-1")
    ]


@pytest.mark.parametrize(
    ("user", "said"),
    [
        ("Patient/pat-2", "gave access to another record"),
        ("Practitioner/prac-1", "start again and sign in as the patient"),
    ],
)
def test_a_patient_launch_for_someone_else_is_refused(
    app: Flask, client: FlaskClient, ehr: FakeEhr, user: str, said: str
) -> None:
    # smart.md 36, 45
    ehr.fhir_user = user  # the token's patient stays pat-1
    refused = client.get(patient_callback(client, ehr))
    assert refused.status_code == 403
    assert said in refused.get_data(as_text=True)
    entries = app.extensions["functionfirst"].store.audit.entries()
    assert ("launch", Outcome.FAILURE, "patient_mismatch") in [
        (e.action, e.outcome, e.detail) for e in entries
    ]
    assert all(e.outcome is not Outcome.SUCCESS for e in entries)


def test_a_clinician_launch_with_a_patient_user_of_another_record_is_refused(
    client: FlaskClient, ehr: FakeEhr
) -> None:
    # smart.md 36, 45: a Patient user never gets another patient's record, whatever was asked
    ehr.fhir_user = "Patient/pat-9"
    query = authorize_query(client, "ehr", "practitioner")
    callback = ehr.authorize(
        f"{ehr.host}/auth/authorize?aud={query['aud']}&code_challenge_method=S256"
        f"&nonce={query['nonce']}&state={query['state']}"
    )
    assert client.get(callback).status_code == 403


def launch_of(user: str, patient: str = "pat-1") -> LaunchSession:
    tenant = Tenant(name="ehr", iss=ISS, client_id="ff", organization="Organization/org-1")
    tokens = TokenSet(
        tenant="ehr",
        access_token="at",
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        scopes=GrantedScopes.parse("patient/CarePlan.c patient/Provenance.c"),
        patient=patient,
        fhir_user=user,
    )
    return LaunchSession(
        launch_id="l1", tenant=tenant, tokens=tokens, token_version=1, patient_id=patient,
        fhir_user=user, csrf_token="c",
    )  # fmt: skip


def test_a_patient_authors_their_writes_for_themself() -> None:
    # smart.md 73: the author is the fhirUser; onBehalfOf names the organisation of a clinician
    patient = launch_of("Patient/pat-1")
    assert ehr_views.author_of(patient) == "Patient/pat-1"
    assert ehr_views.on_behalf_of(patient) is None
    clinician = launch_of("Practitioner/prac-1")
    assert ehr_views.author_of(clinician) == "Practitioner/prac-1"
    assert ehr_views.on_behalf_of(clinician) == "Organization/org-1"


def test_a_patient_user_of_another_record_writes_nothing() -> None:
    # smart.md 36, 45: checked again where every write takes its author
    with pytest.raises(AppError) as caught:
        ehr_views.author_of(launch_of("Patient/pat-2"))
    assert caught.value.status == 403
