"""Whole launches against the sandbox EHR on both real FHIR backends (sekmet-fhir, Medplum)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from launch.errors import LaunchError
from sandbox.stack import Stack
from smartapp.store import Outcome
from smartapp.web import token_source

from .live import LAUNCHED, LiveApp, serve_app

pytestmark = pytest.mark.integration
# The three sandbox sites, each with its own client authentication.
SITES = {"open": "public", "epic": "private_key_jwt", "oracle": "client_secret_basic"}


@pytest.fixture(scope="module")
def live(sandbox_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app on the stack's app port, for this module."""
    with serve_app(sandbox_stack, tmp_path_factory.mktemp("app")) as running:
        yield running


def typical_patient(stack: Stack) -> tuple[str, str]:
    """(id, name) of the seeded typical chronic-pain patient."""
    patient = next(p for p in stack.patients if p.kind == "typical")
    return patient.id, patient.name


def launcher_params(live: LiveApp, profile: str, **extra: str) -> dict[str, str]:
    """The launcher's query: typical patient, first practitioner, auto-approve."""
    patient, _ = typical_patient(live.stack)
    return {
        "patient": patient,
        "practitioner": live.stack.practitioners[0].id,
        "launch_uri": f"{live.url}/launch",
        "profile": profile,
        "auto": "1",
        **extra,
    }


def ehr_launch(
    live: LiveApp, profile: str, **extra: str
) -> tuple[requests.Session, requests.Response]:
    """Open the launcher as the EHR would and follow every redirect, as a browser does."""
    browser = requests.Session()
    params = launcher_params(live, profile, **extra)
    return browser, browser.get(f"{live.stack.ehr_url}/launcher", params=params, timeout=60)


@pytest.mark.parametrize("profile", sorted(SITES))
def test_an_ehr_launch_with_each_client_authentication(live: LiveApp, profile: str) -> None:
    # smart.md 3, 14, 16, 28, 29, 31, 34, 35, 42
    patient, name = typical_patient(live.stack)
    browser, landed = ehr_launch(live, profile)
    match = LAUNCHED.search(landed.url)
    assert match, (landed.status_code, landed.url, landed.text[:500])
    page = browser.get(f"{live.url}{match.group(0)}session", timeout=60)
    assert page.status_code == 200
    assert patient in page.text
    assert name.split()[0] in page.text  # the patient's name, read from the real FHIR server
    entries = live.app.extensions["functionfirst"].store.audit.entries(launch_id=match.group(1))
    assert [(e.action, e.outcome) for e in entries] == [("launch", Outcome.SUCCESS)]
    assert entries[0].fhir_user is not None


@pytest.mark.parametrize("profile", sorted(SITES))
def test_a_standalone_launch_with_each_client_authentication(live: LiveApp, profile: str) -> None:
    # smart.md 4, 28, 29, 31
    browser = requests.Session()
    patient, _ = typical_patient(live.stack)
    picker = browser.get(f"{live.url}/standalone", timeout=30)
    assert f'value="sandbox-{profile}"' in picker.text
    token = picker.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    consent = browser.post(
        f"{live.url}/standalone",
        data={"tenant": f"sandbox-{profile}", "csrf_token": token},
        headers={"Origin": live.url},
        timeout=30,
    )
    assert consent.status_code == 200  # the EHR's sign-in and approval page
    assert consent.url.startswith(f"{live.stack.ehr_url}/{profile}/auth/authorize")
    practitioner = live.stack.practitioners[0].id
    landed = browser.post(
        consent.url,
        data={"decision": "approve", "patient": patient, "practitioner": practitioner},
        timeout=60,
    )
    match = LAUNCHED.search(landed.url)
    assert match, (landed.status_code, landed.url, landed.text[:500])
    page = browser.get(f"{live.url}{match.group(0)}session", timeout=60)
    assert patient in page.text


@pytest.mark.parametrize("profile", sorted(SITES))
def test_a_refresh_at_the_real_token_endpoint(live: LiveApp, profile: str) -> None:
    # smart.md 47, 48, 49
    patient, _ = typical_patient(live.stack)
    browser, landed = ehr_launch(live, profile)
    match = LAUNCHED.search(landed.url)
    assert match
    launch = live.launch_session(browser, match.group(0))
    with live.app.test_request_context(match.group(0), base_url=live.url):
        fresh = token_source(launch).refresh()
    assert fresh != launch.tokens.access_token
    iss = live.stack.iss(profile)
    read = requests.get(
        f"{iss}/Patient/{patient}", headers={"Authorization": f"Bearer {fresh}"}, timeout=30
    )
    assert read.status_code == 200
    entries = live.app.extensions["functionfirst"].store.audit.entries(launch_id=match.group(1))
    assert ("token-refresh", Outcome.SUCCESS) in [(e.action, e.outcome) for e in entries]


def test_an_invalid_scope_from_the_ehr_ends_on_a_clean_page(live: LiveApp) -> None:
    # smart.md 23, 85
    _, landed = ehr_launch(live, "open", sim_error="auth_invalid_scope")
    assert landed.url.startswith(f"{live.url}/callback")
    assert landed.status_code == 502
    assert "refused the access" in landed.text
    assert "Reference:" in landed.text


@pytest.mark.parametrize("sim_error", ["request_invalid_token", "request_expired_token"])
def test_an_ehr_that_refuses_the_token_ends_on_a_relaunch_page(
    live: LiveApp, sim_error: str
) -> None:
    # smart.md 51, 85
    browser, landed = ehr_launch(live, "open", sim_error=sim_error)
    match = LAUNCHED.search(landed.url)
    assert match
    page = browser.get(f"{live.url}{match.group(0)}session", timeout=60)
    assert page.status_code == 401
    assert "start FunctionFirst again" in page.text
    assert "Reference:" in page.text


def test_an_expired_refresh_token_ends_the_launch_cleanly(live: LiveApp) -> None:
    # smart.md 51, 85
    browser, landed = ehr_launch(live, "open", sim_error="token_expired_refresh_token")
    match = LAUNCHED.search(landed.url)
    assert match
    launch = live.launch_session(browser, match.group(0))
    with (
        live.app.test_request_context(match.group(0), base_url=live.url),
        pytest.raises(LaunchError) as caught,
    ):
        token_source(launch).refresh()
    assert caught.value.code == "refresh_failed"
    entries = live.app.extensions["functionfirst"].store.audit.entries(launch_id=match.group(1))
    assert ("token-refresh", Outcome.FAILURE) in [(e.action, e.outcome) for e in entries]


def test_a_client_the_ehr_does_not_know_never_reaches_the_app(live: LiveApp) -> None:
    # smart.md 85
    _, landed = ehr_launch(live, "open", sim_error="auth_invalid_client_id")
    assert landed.status_code == 400
    assert landed.url.startswith(live.stack.ehr_url)
