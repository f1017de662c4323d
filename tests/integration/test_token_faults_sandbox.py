"""The app against a sandbox token endpoint that fails (5xx, or hangs and drops the connection).

The unit tests (tests/smartapp/test_refresh_failure.py) answer the token endpoint with `responses`;
here the failures come from the real sandbox EHR's fault injection (`target: token`), during the
launch's code exchange and during a refresh.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from flask import Flask

from sandbox.stack import Stack
from smartapp.store import Outcome
from tests.integration.inprocess import app_at, browser, ehr_launch
from tests.sandbox.smart import patient_of_kind

pytestmark = pytest.mark.integration

# The token endpoint's failures a clinician could meet: an error, unavailable, a hang then a drop.
FAILURES = {
    "500": {"error_rate": 1, "error_status": 500},
    "503": {"error_rate": 1, "error_status": 503},
    "hang-then-drop": {"timeout_rate": 1, "timeout_seconds": 1},
}


@pytest.fixture(scope="module")
def app(sekmet_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app in this process, registered at the sandbox's three sites."""
    with app_at(sekmet_stack, tmp_path_factory.mktemp("token-faults-app")) as built:
        yield built


@pytest.fixture
def faults_url(sekmet_stack: Stack) -> Iterator[str]:
    """The sandbox's fault admin endpoint; no faults are left after the test."""
    url = f"{sekmet_stack.ehr_url}/sandbox/faults"
    yield url
    requests.delete(url, timeout=10).raise_for_status()


def audited(app: Flask, launch_id: str) -> list[tuple[str, Outcome]]:
    entries = app.extensions["functionfirst"].store.audit.entries(launch_id=launch_id)
    return [(e.action, e.outcome) for e in entries]


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failing_token_endpoint_during_launch_ends_on_an_error_page(
    app: Flask, sekmet_stack: Stack, failure: str
) -> None:
    # smart.md 85: the code exchange fails at the EHR; the clinician gets a page, not a trace
    client = browser(app, sekmet_stack)
    faults = {"target": "token", **{k: str(v) for k, v in FAILURES[failure].items()}}
    landed = ehr_launch(client, sekmet_stack, **faults)
    text = landed.get_data(as_text=True)
    assert landed.status_code == 502
    assert "Location" not in landed.headers  # no launch was opened
    assert "start FunctionFirst again" in text
    assert "Reference:" in text
    assert "Traceback" not in text


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failing_token_endpoint_during_refresh_keeps_the_launch(
    app: Flask, sekmet_stack: Stack, faults_url: str, failure: str
) -> None:
    # smart.md 51, 85: the refresh fails for a while; an error page now, the launch afterwards
    client = browser(app, sekmet_stack)
    landed = ehr_launch(client, sekmet_stack)
    assert landed.status_code == 303, landed.get_data(as_text=True)
    page = landed.headers["Location"]
    launch_id = page.split("/")[2]
    assert client.get(page + "session").status_code == 200
    answer = requests.post(faults_url, json={"target": "token", **FAILURES[failure]}, timeout=10)
    assert answer.status_code == 200, answer.text
    sekmet_stack.ehr_clock.advance(3601)  # the access token expires at the EHR: FHIR answers 401
    failed = client.get(page + "session")
    assert failed.status_code == 503
    assert "Try again in a moment" in failed.get_data(as_text=True)
    assert "Reference:" in failed.get_data(as_text=True)
    assert ("token-refresh", Outcome.FAILURE) in audited(app, launch_id)
    assert all(action != "launch-end" for action, _ in audited(app, launch_id))
    requests.delete(faults_url, timeout=10).raise_for_status()  # the EHR is back
    again = client.get(page + "session")
    assert again.status_code == 200
    assert patient_of_kind(sekmet_stack, "typical") in again.get_data(as_text=True)
    assert ("token-refresh", Outcome.SUCCESS) in audited(app, launch_id)
