"""Refresh: no scope in the body, client authentication as at the exchange, refresh token kept."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import requests
import responses
from joserfc import jwt
from joserfc.jwk import KeySet

from launch.errors import LaunchError, TokenEndpointError, TokenEndpointUnavailable
from launch.http import OAuthHttp
from launch.keys import KeyStore
from launch.refresh import refresh_tokens
from launch.scopes import GrantedScopes
from launch.tenant_model import ClientAuth, Tenant
from launch.tokens import TokenSet
from tests.launch.conftest import NOW, TOKEN, form_of, later, make_smart, make_tenant

SCOPE = "launch openid fhirUser patient/Goal.crus offline_access"


def make_tokens(**changes: object) -> TokenSet:
    values: dict[str, object] = {
        "access_token": "AT-OLD",
        "refresh_token": "RT-OLD",
        "expires_at": NOW,
        "scopes": GrantedScopes.parse(SCOPE),
        "patient": "pat-1",
        "fhir_user": "Practitioner/prac-1",
        "id_token_claims": {"sub": "u"},
        "tenant": "ehr",
    }
    values.update(changes)
    return TokenSet(**values)  # type: ignore[arg-type]


def refresh(
    tenant: Tenant, http: OAuthHttp, keys: KeyStore | None = None, tokens: TokenSet | None = None
) -> TokenSet:
    return refresh_tokens(
        tenant, make_smart(), tokens or make_tokens(), keys=keys, http=http, now=later(5)
    )


def test_the_refresh_body_has_no_scope(wire: responses.RequestsMock, http: OAuthHttp) -> None:
    # smart.md 48: authlib's auto-refresh re-sends the requested scope; this client does not.
    wire.post(
        TOKEN,
        json={"access_token": "AT-NEW", "token_type": "Bearer", "expires_in": 300, "scope": SCOPE},
    )
    refresh(make_tenant(), http)
    assert form_of(wire.calls[0]) == {
        "grant_type": "refresh_token",
        "refresh_token": "RT-OLD",
        "client_id": "functionfirst",
    }
    assert "scope" not in str(wire.calls[0].request.body)


def test_the_old_refresh_token_is_kept_when_none_comes(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 49 (Oracle Health omits refresh_token on refresh)
    wire.post(TOKEN, json={"access_token": "AT-NEW", "token_type": "Bearer", "expires_in": 300})
    tokens = refresh(make_tenant(), http)
    assert (tokens.access_token, tokens.refresh_token) == ("AT-NEW", "RT-OLD")
    assert tokens.expires_at == later(5) + timedelta(seconds=300)
    assert tokens.scopes == GrantedScopes.parse(SCOPE)  # no scope in the answer: the same scopes
    assert (tokens.patient, tokens.fhir_user, tokens.id_token_claims) == (
        "pat-1",
        "Practitioner/prac-1",
        {"sub": "u"},
    )


def test_a_new_refresh_token_replaces_the_old_one(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 49
    wire.post(
        TOKEN,
        json={
            "access_token": "AT-NEW",
            "token_type": "Bearer",
            "refresh_token": "RT-NEW",
            "scope": "patient/Goal.rs",
        },
    )
    tokens = refresh(make_tenant(), http)
    assert tokens.refresh_token == "RT-NEW"
    assert not tokens.scopes.can_create("Goal")  # the newly granted scope decides


def test_a_private_key_jwt_refresh_sends_a_fresh_assertion(
    wire: responses.RequestsMock, http: OAuthHttp, keys: KeyStore
) -> None:
    # smart.md 48, 84: asymmetric clients send client_assertion_type on refresh too.
    wire.post(TOKEN, json={"access_token": "AT-NEW", "token_type": "Bearer"})
    tenant = make_tenant(client_auth=ClientAuth.PRIVATE_KEY_JWT)
    refresh(tenant, http, keys)
    refresh(tenant, http, keys)
    forms = [form_of(call) for call in wire.calls]
    public = KeySet.import_key_set(keys.public_jwks())  # type: ignore[arg-type]
    jtis = set()
    for form in forms:
        assert (
            form["client_assertion_type"]
            == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        )
        assert "scope" not in form
        jtis.add(jwt.decode(form["client_assertion"], public, algorithms=["RS384"]).claims["jti"])
    assert len(jtis) == 2


def test_a_basic_client_refreshes_with_basic(wire: responses.RequestsMock, http: OAuthHttp) -> None:
    wire.post(TOKEN, json={"access_token": "AT-NEW", "token_type": "Bearer"})
    refresh(make_tenant(client_auth=ClientAuth.CLIENT_SECRET_BASIC, client_secret="pw"), http)
    header = wire.calls[0].request.headers["Authorization"]
    assert base64.b64decode(header.split()[1]) == b"functionfirst:pw"


def test_an_expired_refresh_token_is_a_typed_refresh_failure(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 51, 85 (token_expired_refresh_token): the app shows "relaunch".
    wire.post(TOKEN, status=400, json={"error": "invalid_grant"})
    with pytest.raises(TokenEndpointError) as caught:
        refresh(make_tenant(), http)
    assert (caught.value.code, caught.value.oauth_error) == ("refresh_failed", "invalid_grant")


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ({"status": 503, "json": {"error": "temporarily_unavailable"}}, 503),
        ({"status": 500, "json": {"error": "server_error"}}, 500),
        ({"status": 502, "body": "<html>Bad gateway</html>"}, 502),
        ({"status": 429, "json": {"error": "slow_down"}}, 429),
        ({"status": 400, "json": {"error": "temporarily_unavailable"}}, 400),
        ({"body": requests.ConnectionError("reset")}, None),
        ({"body": requests.Timeout("slow")}, None),
    ],
    ids=["503", "500-server_error", "502-html", "429", "400-temporarily", "reset", "timeout"],
)
def test_a_token_endpoint_away_for_now_is_told_apart_from_a_refusal(
    wire: responses.RequestsMock, http: OAuthHttp, answer: dict[str, object], status: int | None
) -> None:
    # smart.md 51: "not now" keeps the launch and asks to try again; it is not "invalid_request".
    wire.post(TOKEN, **answer)  # type: ignore[arg-type]
    with pytest.raises(TokenEndpointUnavailable) as caught:
        refresh(make_tenant(), http)
    assert (caught.value.code, caught.value.status) == ("refresh_failed", status)
    assert "invalid_request" not in caught.value.description
    assert not isinstance(caught.value, TokenEndpointError)


def test_a_tls_failure_at_the_token_endpoint_is_not_called_temporary(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 51: a certificate problem will not clear by itself
    wire.post(TOKEN, body=requests.exceptions.SSLError("bad certificate"))
    with pytest.raises(LaunchError) as caught:
        refresh(make_tenant(), http)
    assert caught.value.code == "refresh_failed"
    assert not isinstance(caught.value, TokenEndpointUnavailable)
    assert "tls_error" in caught.value.description


def test_no_refresh_token_or_another_tenant_fails_without_a_request(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    for tokens in (make_tokens(refresh_token=None), make_tokens(tenant="other")):
        with pytest.raises(LaunchError) as caught:
            refresh(make_tenant(), http, tokens=tokens)
        assert caught.value.code == "refresh_failed"
    assert len(wire.calls) == 0


def test_a_refresh_answer_without_an_access_token_fails(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    wire.post(TOKEN, json={"token_type": "Bearer"})
    with pytest.raises(LaunchError) as caught:
        refresh(make_tenant(), http)
    assert caught.value.code == "refresh_failed"
