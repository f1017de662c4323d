"""The gateway's one send function, faked at the wire with `responses`."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from smartapp.gateway.errors import (
    FhirAuthError,
    FhirConflict,
    FhirError,
    FhirForbidden,
    FhirInvalid,
    FhirNotFound,
    FhirResponseTooLarge,
    FhirUnavailable,
    FhirUnsafeUrl,
)
from tests.smartapp.gateway.fakes import BASE, FakeTokens, make_client

OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [
        {
            "severity": "error",
            "code": "invalid",
            "details": {"text": "Goal.description is required"},
            "expression": ["Goal.description"],
        }
    ],
}


@responses.activate
def test_a_read_sends_fhir_json_accept_the_bearer_token_and_the_correlation_id() -> None:
    responses.get(f"{BASE}/Patient/1", json={"resourceType": "Patient", "id": "1"})
    answer = make_client().send("GET", "Patient/1", retry_safe=True)
    sent = responses.calls[0].request
    assert sent.headers["Accept"] == "application/fhir+json"
    assert sent.headers["Authorization"] == "Bearer token-1"
    assert sent.headers["X-Request-ID"] == "cid-123"
    assert answer.status == 200
    assert answer.json == {"resourceType": "Patient", "id": "1"}


@responses.activate
def test_a_write_sends_fhir_json_and_asks_for_the_representation() -> None:
    # smart.md 78
    responses.post(
        f"{BASE}/Goal",
        json={"resourceType": "Goal", "id": "g1", "meta": {"versionId": "1"}},
        status=201,
        headers={"ETag": 'W/"1"', "Location": f"{BASE}/Goal/g1/_history/1"},
    )
    answer = make_client().send("POST", "Goal", json={"resourceType": "Goal"}, retry_safe=False)
    sent = responses.calls[0].request
    assert sent.headers["Content-Type"].startswith("application/fhir+json")
    assert sent.headers["Prefer"] == "return=representation"
    assert json.loads(sent.body) == {"resourceType": "Goal"}
    assert answer.etag == 'W/"1"'
    assert answer.location == f"{BASE}/Goal/g1/_history/1"


@responses.activate
def test_the_timeout_is_passed_to_every_request() -> None:
    responses.get(f"{BASE}/metadata", json={"resourceType": "CapabilityStatement"})
    client = make_client(timeout=(1.0, 2.0))
    client.send("GET", "metadata", retry_safe=True)
    assert responses.calls[0].request.req_kwargs["timeout"] == (1.0, 2.0)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, FhirInvalid),
        (403, FhirForbidden),
        (404, FhirNotFound),
        (409, FhirConflict),
        (410, FhirNotFound),
        (412, FhirConflict),
        (422, FhirInvalid),
        (500, FhirUnavailable),
    ],
)
@responses.activate
def test_an_error_status_becomes_a_typed_error_carrying_the_outcome(
    status: int, kind: type[FhirError]
) -> None:
    # smart.md 81: the OperationOutcome is parsed, not retried
    responses.post(f"{BASE}/Goal", json=OUTCOME, status=status)
    with pytest.raises(kind) as caught:
        make_client().send("POST", "Goal", json={"resourceType": "Goal"}, retry_safe=False)
    assert caught.value.status == status
    assert caught.value.outcome == OUTCOME
    assert caught.value.issues[0].text == "Goal.description is required"
    assert caught.value.issues[0].expression == ("Goal.description",)
    assert len(responses.calls) == 1


@responses.activate
def test_a_401_refreshes_once_and_retries_once_with_the_new_token() -> None:
    # smart.md 51, 82
    tokens = FakeTokens()
    responses.get(f"{BASE}/Patient/1", status=401)
    responses.get(f"{BASE}/Patient/1", json={"resourceType": "Patient", "id": "1"})
    answer = make_client(tokens).send("GET", "Patient/1", retry_safe=True)
    assert answer.status == 200
    assert tokens.refreshes == 1
    assert responses.calls[1].request.headers["Authorization"] == "Bearer token-2"


@responses.activate
def test_a_second_401_is_an_auth_error_and_no_third_request_leaves() -> None:
    tokens = FakeTokens()
    responses.get(f"{BASE}/Patient/1", status=401)
    with pytest.raises(FhirAuthError):
        make_client(tokens).send("GET", "Patient/1", retry_safe=True)
    assert tokens.refreshes == 1
    assert len(responses.calls) == 2


@responses.activate
def test_a_failed_refresh_propagates_and_the_request_is_not_sent_again() -> None:
    tokens = FakeTokens(fail_refresh=True)
    responses.get(f"{BASE}/Patient/1", status=401)
    with pytest.raises(RuntimeError, match="refresh refused"):
        make_client(tokens).send("GET", "Patient/1", retry_safe=True)
    assert len(responses.calls) == 1


@responses.activate
def test_a_plain_post_is_retried_after_401_because_the_server_did_not_act() -> None:
    responses.post(f"{BASE}/Goal", status=401)
    responses.post(f"{BASE}/Goal", json={"resourceType": "Goal", "id": "g1"}, status=201)
    answer = make_client().send("POST", "Goal", json={"resourceType": "Goal"}, retry_safe=False)
    assert answer.status == 201


@responses.activate
def test_a_503_with_retry_after_is_retried_for_a_read_after_the_wait() -> None:
    # smart.md 82
    responses.get(f"{BASE}/Goal", status=503, headers={"Retry-After": "2"})
    responses.get(f"{BASE}/Goal", json={"resourceType": "Bundle", "type": "searchset"})
    client = make_client()
    answer = client.send("GET", "Goal", params={"patient": "1"}, retry_safe=True)
    assert answer.status == 200
    assert client.sleeps == [2.0]  # type: ignore[attr-defined]


@responses.activate
def test_a_429_with_an_http_date_retry_after_is_honoured() -> None:
    responses.get(
        f"{BASE}/Goal", status=429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    responses.get(f"{BASE}/Goal", json={"resourceType": "Bundle", "type": "searchset"})
    client = make_client()
    assert client.send("GET", "Goal", retry_safe=True).status == 200
    assert client.sleeps == [0.0]  # type: ignore[attr-defined]  # a date in the past: no wait


@responses.activate
def test_a_retry_after_beyond_the_bound_is_not_waited_for() -> None:
    responses.get(f"{BASE}/Goal", status=503, headers={"Retry-After": "120"})
    client = make_client()
    with pytest.raises(FhirUnavailable) as caught:
        client.send("GET", "Goal", retry_safe=True)
    assert caught.value.status == 503
    assert client.sleeps == []  # type: ignore[attr-defined]
    assert len(responses.calls) == 1


@responses.activate
def test_retries_stop_after_the_bound_of_attempts() -> None:
    responses.get(f"{BASE}/Goal", status=503)
    client = make_client()
    with pytest.raises(FhirUnavailable):
        client.send("GET", "Goal", retry_safe=True)
    assert len(responses.calls) == 3


@responses.activate
def test_a_plain_post_is_never_retried_on_503() -> None:
    # smart.md 76, 82: a plain POST is reconciled by the caller, never blindly repeated
    responses.post(f"{BASE}/Goal", status=503, headers={"Retry-After": "1"})
    with pytest.raises(FhirUnavailable):
        make_client().send("POST", "Goal", json={"resourceType": "Goal"}, retry_safe=False)
    assert len(responses.calls) == 1


@responses.activate
def test_a_conditional_create_is_retried_on_503() -> None:
    responses.post(f"{BASE}/Goal", status=503, headers={"Retry-After": "1"})
    responses.post(f"{BASE}/Goal", json={"resourceType": "Goal", "id": "g1"}, status=201)
    answer = make_client().send(
        "POST",
        "Goal",
        json={"resourceType": "Goal"},
        headers={"If-None-Exist": "identifier=urn:ietf:rfc:3986|urn:uuid:1"},
        retry_safe=True,
    )
    assert answer.status == 201
    assert responses.calls[1].request.headers["If-None-Exist"].startswith("identifier=")


@responses.activate
def test_a_timeout_on_a_plain_post_is_unavailable_and_not_repeated() -> None:
    responses.post(f"{BASE}/Goal", body=requests.ReadTimeout("slow"))
    with pytest.raises(FhirUnavailable) as caught:
        make_client().send("POST", "Goal", json={"resourceType": "Goal"}, retry_safe=False)
    assert caught.value.status == 0
    assert len(responses.calls) == 1


@responses.activate
def test_a_dropped_connection_on_a_read_is_retried() -> None:
    responses.get(f"{BASE}/Goal", body=requests.ConnectionError("reset"))
    responses.get(f"{BASE}/Goal", json={"resourceType": "Bundle", "type": "searchset"})
    answer = make_client().send("GET", "Goal", retry_safe=True)
    assert answer.status == 200
    assert answer.after_lost_answer  # the first send may have acted: the caller is told


@responses.activate
def test_an_answer_to_the_first_send_or_to_a_refusal_is_not_after_a_lost_one() -> None:
    responses.get(f"{BASE}/Goal", json={"resourceType": "Bundle", "type": "searchset"})
    assert not make_client().send("GET", "Goal", retry_safe=True).after_lost_answer
    # A 503 was an answer: the server said it did not act, so the repeat's answer is plain.
    responses.replace(responses.GET, f"{BASE}/Goal", status=503, headers={"Retry-After": "0"})
    responses.add(responses.GET, f"{BASE}/Goal", json={"resourceType": "Bundle"})
    assert not make_client().send("GET", "Goal", retry_safe=True).after_lost_answer
    assert [c.response.status_code for c in responses.calls] == [200, 503, 200]


@responses.activate
def test_an_answer_larger_than_the_bound_is_refused() -> None:
    responses.get(f"{BASE}/Binary/1", body=b"x" * 5000)
    with pytest.raises(FhirResponseTooLarge):
        make_client(max_bytes=1000).send("GET", "Binary/1", retry_safe=True)


@responses.activate
def test_a_next_link_on_another_origin_never_gets_the_token() -> None:
    # smart.md: the access token goes only to the FHIR base it was issued for
    with pytest.raises(FhirUnsafeUrl):
        make_client().send("GET", "https://evil.example.com/fhir/Goal?page=2", retry_safe=True)
    with pytest.raises(FhirUnsafeUrl):
        make_client().send("GET", "https://ehr.example.org/other/Goal", retry_safe=True)
    assert len(responses.calls) == 0


@responses.activate
def test_an_absolute_next_link_under_the_base_is_followed() -> None:
    responses.get(f"{BASE}/Goal", json={"resourceType": "Bundle", "type": "searchset"})
    answer = make_client().send("GET", f"{BASE}/Goal?_page=2", retry_safe=True)
    assert answer.status == 200


@responses.activate
def test_an_empty_body_gives_none_and_the_location() -> None:
    responses.post(
        f"{BASE}/Goal", body="", status=201, headers={"Location": f"{BASE}/Goal/9/_history/1"}
    )
    answer = make_client().send("POST", "Goal", json={"resourceType": "Goal"}, retry_safe=False)
    assert answer.json is None
    assert answer.location == f"{BASE}/Goal/9/_history/1"


@responses.activate
def test_the_token_never_appears_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    # smart.md 70, 71: no tokens and no search values (PHI) in logs
    caplog.set_level("DEBUG", logger="smartapp.gateway")
    responses.get(f"{BASE}/Patient", json={"resourceType": "Bundle", "type": "searchset"})
    make_client().send("GET", "Patient", params={"name": "Jackson"}, retry_safe=True)
    assert "token-1" not in caplog.text
    assert "Jackson" not in caplog.text
    assert "cid-123" in caplog.text
