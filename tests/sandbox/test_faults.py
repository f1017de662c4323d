"""Fault injection: latency, 5xx, 429 with Retry-After, timeouts and dropped connections, on FHIR
requests or on the token endpoint."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox.ehr import EhrConfig, create_ehr_app
from sandbox.ehr.faults import FaultError, Faults, Outcome, parse_faults
from sandbox.stack import Stack
from tests.sandbox.smart import authorize, bearer, discover, exchange, launch, refresh_grant, tokens


def test_parse_faults_reads_numbers_and_keeps_defaults() -> None:
    faults = parse_faults({"latency_ms": "250", "error_rate": 0.5})
    assert faults.latency_ms == 250
    assert faults.error_rate == 0.5
    assert faults.retry_after == Faults().retry_after


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"eror_rate": 1}, "unknown fault setting"),
        ({"error_rate": 2}, "probability"),
        ({"latency_ms": -1}, "negative"),
        ({"error_status": 404}, "5xx"),
        ({"drop_rate": "often"}, "number"),
        ({"target": "auth"}, "target must be one of fhir, token"),
        ({"target": ["token"]}, "target must be one of fhir, token"),
    ],
)
def test_bad_fault_settings_are_named(data: dict[str, object], words: str) -> None:
    with pytest.raises(FaultError, match=words):
        parse_faults(data)


def test_faults_hit_the_fhir_api_unless_they_target_the_token_endpoint() -> None:
    assert parse_faults({"error_rate": 1}).target == "fhir"
    token = parse_faults({"target": "token", "error_rate": "1"})
    assert token.to_dict()["target"] == "token"
    assert token.applies_to("token")
    assert not token.applies_to("fhir")
    assert Faults(error_rate=1).applies_to("fhir")
    assert not Faults(error_rate=1).applies_to("token")
    assert Faults(target="token").active is False  # a target alone switches nothing on
    assert parse_faults({"latency_ms": 5}, base=token).target == "token"


def test_a_launch_with_an_unknown_fault_target_is_refused() -> None:
    config = EhrConfig(
        public_url="http://127.0.0.1:9", backend_url="http://127.0.0.1:9/fhir", clients=()
    )
    client = create_ehr_app(config).test_client()
    query = {"launch_uri": "http://127.0.0.1:9/launch", "target": "authorize", "error_rate": "1"}
    refused = client.get("/launcher", query_string=query)
    assert refused.status_code == 400
    assert "target must be one of fhir, token" in refused.get_data(as_text=True)
    accepted = client.get("/launcher", query_string={**query, "target": "token"})
    assert accepted.status_code == 302


def test_decide_draws_in_order_and_passes_when_nothing_fires() -> None:
    rolls = iter([0.9, 0.1])
    faults = Faults(timeout_rate=0.5, error_rate=0.5)
    assert faults.decide(lambda: next(rolls)) is Outcome.SERVER_ERROR
    assert Faults().decide(lambda: 0.0) is Outcome.FORWARD
    assert Faults().active is False


def test_the_admin_endpoint_is_loopback_only() -> None:
    config = EhrConfig(
        public_url="http://127.0.0.1:9", backend_url="http://127.0.0.1:9/fhir", clients=()
    )
    client = create_ehr_app(config).test_client()
    remote = client.get("/sandbox/faults", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert remote.status_code == 403
    local = client.get("/sandbox/faults", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert local.json == Faults().to_dict()


def test_a_dropped_request_is_one_info_line_not_an_error_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A fault asked for is not a failure of the sandbox: its log says so quietly. (The token
    # endpoint: no token is needed to reach it; FHIR drops go through the same handler.)
    config = EhrConfig(
        public_url="http://127.0.0.1:9", backend_url="http://127.0.0.1:9/fhir", clients=()
    )
    client = create_ehr_app(config).test_client()
    local = {"REMOTE_ADDR": "127.0.0.1"}
    settings = {"target": "token", "drop_rate": 1}
    assert client.post("/sandbox/faults", json=settings, environ_base=local).status_code == 200
    with caplog.at_level(logging.DEBUG):
        answer = client.post("/open/auth/token", data={"grant_type": "refresh_token"})
    assert answer.status_code == 500  # in a real server the socket is already closed
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    (line,) = [r.getMessage() for r in caplog.records if r.name == "sandbox.ehr.faults"]
    assert line.startswith("fault injected: POST /open/auth/token")


@pytest.fixture
def faults_url(sekmet_stack: Stack) -> Iterator[str]:
    """The admin endpoint; faults are cleared after each test."""
    url = f"{sekmet_stack.ehr_url}/sandbox/faults"
    yield url
    assert requests.delete(url, timeout=10).json() == Faults().to_dict()


def _read(token: dict[str, Any], timeout: float = 10) -> requests.Response:
    return requests.get(
        f"{token['iss']}/Patient/{token['patient']}", headers=bearer(token), timeout=timeout
    )


@pytest.mark.integration
def test_server_errors_and_throttling_through_the_admin_endpoint(
    sekmet_stack: Stack, faults_url: str
) -> None:
    token = tokens(sekmet_stack)
    assert requests.post(faults_url, json={"error_rate": 1}, timeout=10).status_code == 200
    assert _read(token).status_code == 503
    requests.post(faults_url, json={"throttle_rate": 1, "retry_after": 7}, timeout=10)
    throttled = _read(token)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "7"
    requests.delete(faults_url, timeout=10)
    assert _read(token).status_code == 200


@pytest.mark.integration
def test_bad_settings_are_400_and_change_nothing(sekmet_stack: Stack, faults_url: str) -> None:
    response = requests.post(faults_url, json={"error_rate": 3}, timeout=10)
    assert response.status_code == 400
    assert "probability" in response.json()["error"]
    assert requests.get(faults_url, timeout=10).json() == Faults().to_dict()


@pytest.mark.integration
def test_latency_is_added(sekmet_stack: Stack, faults_url: str) -> None:
    token = tokens(sekmet_stack)
    requests.post(faults_url, json={"latency_ms": 400}, timeout=10)
    began = time.monotonic()
    assert _read(token).status_code == 200
    assert time.monotonic() - began >= 0.4


@pytest.mark.integration
def test_dropped_connections_and_timeouts(sekmet_stack: Stack, faults_url: str) -> None:
    token = tokens(sekmet_stack)
    requests.post(faults_url, json={"drop_rate": 1}, timeout=10)
    with pytest.raises(requests.ConnectionError):
        _read(token)
    requests.post(faults_url, json={"timeout_rate": 1, "timeout_seconds": 1.5}, timeout=10)
    with pytest.raises(requests.Timeout):
        _read(token, timeout=0.5)


@pytest.mark.integration
def test_faults_chosen_per_launch_touch_that_launch_only(sekmet_stack: Stack) -> None:
    faulty = tokens(sekmet_stack, error_rate="1", error_status="502")
    healthy = tokens(sekmet_stack)
    assert _read(faulty).status_code == 502
    assert _read(healthy).status_code == 200


def _refresh(token: dict[str, Any], timeout: float = 10) -> requests.Response:
    """Refresh at the site's token endpoint with the public client."""
    data = refresh_grant(token["refresh_token"])
    return requests.post(discover(token["iss"])["token_endpoint"], data=data, timeout=timeout)


@pytest.mark.integration
def test_token_endpoint_faults_fail_exchanges_and_refreshes_and_leave_fhir_alone(
    sekmet_stack: Stack, faults_url: str
) -> None:
    token = tokens(sekmet_stack)
    requests.post(faults_url, json={"error_rate": 1}, timeout=10)  # FHIR only (the default)
    assert _read(token).status_code == 503
    token = _refresh(token).json() | {"iss": token["iss"]}
    assert "access_token" in token
    answer = requests.post(
        faults_url, json={"target": "token", "error_rate": 1, "error_status": 500}, timeout=10
    )
    assert answer.json()["target"] == "token"
    failed = _refresh(token)
    assert failed.status_code == 500
    assert failed.json()["error"] == "server_error"
    assert failed.headers["Cache-Control"] == "no-store"
    assert _read(token).status_code == 200  # FHIR requests go through
    iss, launch_id = launch(
        sekmet_stack,
        patient=sekmet_stack.patients[0].id,
        practitioner=sekmet_stack.practitioners[0].id,
    )
    attempt = authorize(sekmet_stack, iss, launch_id=launch_id)
    assert attempt.response.status_code == 302  # the authorize endpoint is not the token one
    assert exchange(iss, attempt).status_code == 500  # the code exchange of a launch fails
    requests.post(faults_url, json={"target": "token", "error_rate": 1}, timeout=10)
    unavailable = _refresh(token)
    assert unavailable.status_code == 503
    assert unavailable.json()["error"] == "temporarily_unavailable"
    throttle = {"target": "token", "throttle_rate": 1, "retry_after": 4}
    requests.post(faults_url, json=throttle, timeout=10)
    assert _refresh(token).headers["Retry-After"] == "4"
    requests.delete(faults_url, timeout=10)
    assert _refresh(token).status_code == 200  # the failed attempts did not use the token up


@pytest.mark.integration
def test_token_endpoint_timeouts_and_drops(sekmet_stack: Stack, faults_url: str) -> None:
    token = tokens(sekmet_stack)
    requests.post(
        faults_url, json={"target": "token", "timeout_rate": 1, "timeout_seconds": 1.5}, timeout=10
    )
    with pytest.raises(requests.Timeout):
        _refresh(token, timeout=0.5)
    assert _read(token).status_code == 200
    requests.post(faults_url, json={"target": "token", "drop_rate": 1}, timeout=10)
    with pytest.raises(requests.ConnectionError):
        _refresh(token)


@pytest.mark.integration
def test_token_faults_chosen_per_launch_fail_that_launch_only(sekmet_stack: Stack) -> None:
    people = {
        "patient": sekmet_stack.patients[0].id,
        "practitioner": sekmet_stack.practitioners[0].id,
    }
    iss, faulty = launch(sekmet_stack, target="token", error_rate="1", error_status="502", **people)
    attempt = authorize(sekmet_stack, iss, launch_id=faulty)
    assert attempt.response.status_code == 302
    failed = exchange(iss, attempt)
    assert failed.status_code == 502
    assert failed.json()["error"] == "server_error"
    healthy = tokens(sekmet_stack)
    assert _read(healthy).status_code == 200
    assert _refresh(healthy).status_code == 200
