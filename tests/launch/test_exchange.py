"""The code exchange: request format per client authentication, token response checks."""

from __future__ import annotations

import base64
import json
import logging
from datetime import timedelta

import pytest
import responses
from joserfc import jwt
from joserfc.jwk import KeySet

from launch.errors import LaunchError, TokenEndpointError
from launch.flow import PendingAuthorization, begin_authorization, complete_authorization
from launch.http import OAuthHttp
from launch.keys import KeyStore
from launch.tenant_model import ClientAuth, Tenant
from launch.tokens import TokenSet
from tests.launch.conftest import JWKS, NOW, TOKEN, FakeEhr, form_of, make_smart, make_tenant

REDIRECT = "https://app.example/callback"


def start(tenant: Tenant) -> PendingAuthorization:
    return begin_authorization(tenant, make_smart(), redirect_uri=REDIRECT, launch="L-1", now=NOW)


def exchange(
    tenant: Tenant, pending: PendingAuthorization, http: OAuthHttp, keys: KeyStore | None = None
) -> TokenSet:
    return complete_authorization(
        tenant,
        make_smart(),
        pending,
        code="CODE-1",
        redirect_uri=REDIRECT,
        keys=keys,
        http=http,
        now=NOW,
    )


def serve(
    wire: responses.RequestsMock, ehr: FakeEhr, pending: PendingAuthorization, **fields: object
) -> None:
    wire.post(TOKEN, json=ehr.token_body(id_token=ehr.id_token(nonce=pending.nonce), **fields))
    wire.get(JWKS, json=ehr.jwks())


def test_a_public_client_sends_the_code_verifier_and_client_id(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 28
    tenant = make_tenant()
    pending = start(tenant)
    serve(wire, ehr, pending)
    tokens = complete_authorization(
        tenant,
        make_smart(),
        pending,
        code="CODE-1",
        redirect_uri=REDIRECT,
        keys=None,
        http=http,
        now=NOW,
    )
    token_call = wire.calls[0]
    assert token_call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form_of(token_call) == {
        "grant_type": "authorization_code",
        "code": "CODE-1",
        "redirect_uri": REDIRECT,
        "code_verifier": pending.code_verifier,
        "client_id": "functionfirst",
    }
    assert "Authorization" not in token_call.request.headers
    assert tokens.patient == "pat-1"
    assert tokens.fhir_user == "Practitioner/prac-1"
    assert tokens.scopes.can_create("Goal")
    assert tokens.expires_at == NOW + timedelta(seconds=600)
    assert tokens.need_patient_banner is False
    assert tokens.tenant == "ehr"


def test_a_basic_client_authenticates_with_the_header_only(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 31
    tenant = make_tenant(client_auth=ClientAuth.CLIENT_SECRET_BASIC, client_secret="pw-1")
    pending = start(tenant)
    serve(wire, ehr, pending)
    exchange(tenant, pending, http)
    request = wire.calls[0].request
    assert (
        base64.b64decode(request.headers["Authorization"].removeprefix("Basic "))
        == b"functionfirst:pw-1"
    )
    assert "client_id" not in form_of(wire.calls[0])
    assert "pw-1" not in str(request.body)


def test_a_private_key_jwt_client_sends_a_signed_assertion(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr, keys: KeyStore
) -> None:
    # smart.md 29, 32
    tenant = make_tenant(client_auth=ClientAuth.PRIVATE_KEY_JWT)
    pending = start(tenant)
    serve(wire, ehr, pending)
    exchange(tenant, pending, http, keys)
    form = form_of(wire.calls[0])
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    public = KeySet.import_key_set(keys.public_jwks())  # type: ignore[arg-type]
    claims = jwt.decode(form["client_assertion"], public, algorithms=["RS384"]).claims
    assert claims["aud"] == TOKEN
    assert claims["iss"] == "functionfirst"
    assert "client_id" not in form
    assert wire.calls[0].request.url == TOKEN


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("invalid_grant", "invalid_grant"),
        ("invalid_client", "invalid_client"),
        ("<b>odd</b>", "invalid_request"),
    ],
)
def test_token_endpoint_errors_are_typed_and_the_description_is_not_repeated(
    wire: responses.RequestsMock, http: OAuthHttp, error: str, expected: str
) -> None:
    # smart.md 33, 22: the server's error_description is untrusted and stays out.
    wire.post(
        TOKEN, status=400, json={"error": error, "error_description": "<script>alert(1)</script>"}
    )
    tenant = make_tenant()
    with pytest.raises(TokenEndpointError) as caught:
        exchange(tenant, start(tenant), http)
    assert (caught.value.code, caught.value.oauth_error, caught.value.status) == (
        "token_error",
        expected,
        400,
    )
    assert "script" not in caught.value.description


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"access_token": None}, "no access token"),
        ({"token_type": "mac"}, "Bearer"),
        ({"token_type": None}, "Bearer"),
        ({"scope": None}, "scopes"),
        ({"scope": "  "}, "scopes"),
        ({"patient": None}, "patient"),  # smart.md 37
        ({"patient": 123}, "patient"),
    ],
)
def test_an_incomplete_token_response_fails_the_launch(
    wire: responses.RequestsMock,
    http: OAuthHttp,
    ehr: FakeEhr,
    fields: dict[str, object],
    reason: str,
) -> None:
    # smart.md 34, 37
    tenant = make_tenant()
    pending = start(tenant)
    body = ehr.token_body(id_token=ehr.id_token(nonce=pending.nonce))
    body.update(fields)
    wire.post(TOKEN, json={k: v for k, v in body.items() if v is not None})
    wire.get(JWKS, json=ehr.jwks())
    with pytest.raises(LaunchError) as caught:
        exchange(tenant, pending, http)
    assert caught.value.code == "token_error"
    assert reason in caught.value.description


def test_token_type_is_case_insensitive_and_user_scopes_need_no_patient(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 34, 37
    tenant = make_tenant()
    pending = start(tenant)
    serve(
        wire, ehr, pending, token_type="bearer", scope="openid fhirUser user/Goal.rs", patient=None
    )
    tokens = exchange(tenant, pending, http)
    assert tokens.patient is None


def test_a_missing_expires_in_assumes_a_short_life(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 41: the access token is opaque; no JWT parsing for its expiry.
    tenant = make_tenant()
    pending = start(tenant)
    serve(wire, ehr, pending, expires_in=None, access_token="not.a.jwt")
    tokens = exchange(tenant, pending, http)
    assert tokens.expires_at == NOW + timedelta(seconds=300)


def test_context_comes_from_the_token_response(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 36, 38
    tenant = make_tenant()
    pending = start(tenant)
    context = [{"reference": "Goal/g-1", "role": "launch"}, "junk"]
    serve(
        wire, ehr, pending, encounter="enc-9", fhirContext=context, intent="review", tenant="org-7"
    )
    tokens = exchange(tenant, pending, http)
    assert tokens.encounter == "enc-9"
    assert tokens.fhir_context == ({"reference": "Goal/g-1", "role": "launch"},)
    assert (tokens.intent, tokens.tenant_param) == ("review", "org-7")
    assert tokens.need_patient_banner is False


def test_a_pending_record_of_another_tenant_is_refused_before_any_request(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 21, 25: a callback is bound to its own launch record.
    other = make_tenant(name="other", iss="https://other.example/fhir")
    pending = start(other)
    with pytest.raises(LaunchError) as caught:
        exchange(make_tenant(), pending, http)
    assert caught.value.code == "state_mismatch"
    assert len(wire.calls) == 0


def test_the_exchange_logs_no_secret(
    wire: responses.RequestsMock,
    http: OAuthHttp,
    ehr: FakeEhr,
    keys: KeyStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # smart.md 70: every logger at DEBUG; no code, verifier, state, nonce, assertion or token.
    tenant = make_tenant(client_auth=ClientAuth.PRIVATE_KEY_JWT)
    pending = start(tenant)
    serve(wire, ehr, pending)
    with caplog.at_level(logging.DEBUG):
        tokens = exchange(tenant, pending, http, keys)
    secrets_seen = [
        "CODE-1",
        pending.code_verifier,
        pending.state,
        pending.nonce,
        form_of(wire.calls[0])["client_assertion"],
        tokens.access_token,
        tokens.refresh_token,
        ehr.issued[0],
        "L-1",
    ]
    assert caplog.records  # something was logged, and none of it is a secret
    for value in secrets_seen:
        assert value
        assert value not in caplog.text


@pytest.mark.parametrize("patient", ["../Practitioner/1", "pat 1", "pat/1", "a" * 65, "pat?x=1"])
def test_a_patient_id_that_is_not_a_fhir_id_fails_the_launch(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr, patient: str
) -> None:
    # smart.md 36: the patient id goes into FHIR URLs; only a FHIR id is accepted.
    tenant = make_tenant()
    pending = start(tenant)
    serve(wire, ehr, pending, patient=patient)
    with pytest.raises(LaunchError) as caught:
        exchange(tenant, pending, http)
    assert "patient" in caught.value.description


@pytest.mark.parametrize("expires_in", ["soon", float("inf"), float("nan"), True, None])
def test_an_odd_expires_in_falls_back_to_a_short_life(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr, expires_in: object
) -> None:
    # smart.md 41
    tenant = make_tenant()
    pending = start(tenant)
    body = ehr.token_body(id_token=ehr.id_token(nonce=pending.nonce), expires_in=expires_in)
    wire.post(
        TOKEN, body=json.dumps(body), content_type="application/json"
    )  # NaN/Infinity as Python writes them
    wire.get(JWKS, json=ehr.jwks())
    assert exchange(tenant, pending, http).expires_at == NOW + timedelta(seconds=300)


def test_fhir_context_defaults_the_role_and_keeps_patient_and_encounter_at_the_top(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 38
    tenant = make_tenant()
    pending = start(tenant)
    context = [
        {"reference": "Goal/g-1"},
        {"reference": "Patient/other"},
        {"reference": "Encounter/e"},
        {"canonical": "http://example.org/Questionnaire/peg", "role": "questionnaire-render"},
        {"role": "nothing-to-point-at"},
    ]
    serve(wire, ehr, pending, fhirContext=context)
    tokens = exchange(tenant, pending, http)
    assert tokens.fhir_context == (
        {"reference": "Goal/g-1", "role": "launch"},
        {"canonical": "http://example.org/Questionnaire/peg", "role": "questionnaire-render"},
    )
    assert tokens.patient == "pat-1"
