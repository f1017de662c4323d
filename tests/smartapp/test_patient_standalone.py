"""A patient's own standalone launch against the sandbox EHR, on both real FHIR backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from sandbox.stack import Stack
from smartapp.store import Outcome
from tests.rehab.factories import make_plan_dict

from .live import LAUNCHED, LiveApp, serve_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def live(sandbox_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app on the stack's app port, for this module."""
    with serve_app(sandbox_stack, tmp_path_factory.mktemp("app")) as running:
        yield running


def seeded(stack: Stack, kind: str) -> tuple[str, str]:
    """(id, name) of a seeded patient of one kind."""
    patient = next(p for p in stack.patients if p.kind == kind)
    return patient.id, patient.name


def consent_page(live: LiveApp, browser: requests.Session, role: str) -> requests.Response:
    """Pick the open site and a role on /standalone; the EHR's sign-in page comes back."""
    picker = browser.get(f"{live.url}/standalone", timeout=30)
    assert "I am the patient" in picker.text
    token = picker.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    consent = browser.post(
        f"{live.url}/standalone",
        data={"tenant": "sandbox-open", "role": role, "csrf_token": token},
        headers={"Origin": live.url},
        timeout=30,
    )
    assert consent.status_code == 200
    assert consent.url.startswith(f"{live.stack.ehr_url}/open/auth/authorize")
    return consent


def patient_signs_in(live: LiveApp, browser: requests.Session, patient: str) -> str:
    """The whole patient launch; returns the launched path /l/<launch_id>/."""
    consent = consent_page(live, browser, "patient")
    assert 'name="signin_as" value="patient"' in consent.text  # the sandbox offers it
    landed = browser.post(
        consent.url,
        data={"decision": "approve", "signin_as": "patient", "patient": patient},
        timeout=60,
    )
    match = LAUNCHED.search(landed.url)
    assert match, (landed.status_code, landed.url, landed.text[:500])
    assert landed.status_code == 200  # the overview of that patient
    return match.group(0)


def test_a_patient_signs_in_and_sees_only_their_own_record(live: LiveApp) -> None:
    # smart.md 4, 17, 18, 36, 45, 72
    browser = requests.Session()
    patient, name = seeded(live.stack, "typical")
    other, _ = seeded(live.stack, "sparse")
    path = patient_signs_in(live, browser, patient)
    overview = browser.get(f"{live.url}{path}", timeout=60)
    assert overview.status_code == 200
    assert name.split()[0] in overview.text  # read from the real FHIR server
    launch = live.launch_session(browser, path)
    assert launch.fhir_user == f"Patient/{patient}"
    assert launch.patient_id == patient
    granted = launch.tokens.scopes.to_string().split()
    assert "fhirUser" in granted
    assert not [s for s in granted if s.startswith(("user/", "system/"))]
    # Another patient's record is out of reach with this token, at the EHR itself.
    iss = live.stack.iss("open")
    bearer = {"Authorization": f"Bearer {launch.tokens.access_token}"}
    assert requests.get(f"{iss}/Patient/{patient}", headers=bearer, timeout=30).status_code == 200
    refused = requests.get(f"{iss}/Patient/{other}", headers=bearer, timeout=30)
    assert refused.status_code in (403, 404)
    # The app takes its patient from the token only: a patient id in the query changes nothing.
    context = browser.get(f"{live.url}{path}api/context", params={"patient": other}, timeout=60)
    assert context.json()["context"]["patient"]["id"] == patient
    entries = live.app.extensions["functionfirst"].store.audit.entries(launch_id=launch.launch_id)
    assert [(e.action, e.outcome, e.fhir_user, e.patient_id) for e in entries] == [
        ("launch", Outcome.SUCCESS, f"Patient/{patient}", patient)
    ]


def test_the_sandbox_never_grants_a_patient_user_scopes(live: LiveApp) -> None:
    # smart.md 17, 36: a patient's sign-in is limited to their own compartment
    browser = requests.Session()
    patient, _ = seeded(live.stack, "typical")
    consent = consent_page(live, browser, "practitioner")
    widened = consent.url.replace("scope=launch%2Fpatient", "scope=launch%2Fpatient+user%2F%2A.rs")
    assert widened != consent.url
    answer = browser.post(
        widened,
        data={"decision": "approve", "signin_as": "patient", "patient": patient},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 302
    assert "error=invalid_scope" in answer.headers["Location"]


def test_a_plan_saved_by_the_patient_is_authored_by_the_patient(live: LiveApp) -> None:
    # smart.md 72, 73
    browser = requests.Session()
    patient, _ = seeded(live.stack, "typical")
    path = patient_signs_in(live, browser, patient)
    api = f"{live.url}{path}api"
    token = browser.get(f"{api}/context", timeout=60).json()["csrf_token"]
    plan = make_plan_dict(what_matters=f"Walk to the shop {path[3:11]}")
    saved = browser.post(
        f"{api}/plans",
        json=plan,
        headers={"X-CSRF-Token": token, "Origin": live.url},
        timeout=120,
    )
    assert saved.status_code == 201, saved.text
    written = {w["resourceType"]: w["id"] for w in saved.json()["written"]}
    base = live.stack.backend_url
    care_plan = requests.get(f"{base}/CarePlan/{written['CarePlan']}", timeout=30).json()
    assert care_plan["author"] == {"reference": f"Patient/{patient}"}
    assert care_plan["subject"]["reference"] == f"Patient/{patient}"
    provenance = requests.get(f"{base}/Provenance/{written['Provenance']}", timeout=30).json()
    author = next(a for a in provenance["agent"] if a["type"]["coding"][0]["code"] == "author")
    assert author["who"] == {"reference": f"Patient/{patient}"}
    assert "onBehalfOf" not in author  # a patient acts for themself, not the organisation
    launch_id = path.split("/")[2]
    entries = live.app.extensions["functionfirst"].store.audit.entries(launch_id=launch_id)
    writes = [e for e in entries if e.action != "launch"]
    assert writes
    assert {e.fhir_user for e in writes} == {f"Patient/{patient}"}
