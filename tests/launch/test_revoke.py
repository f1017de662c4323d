"""Revocation at logout: RFC 7009 form with the tenant's client authentication, best effort."""

from __future__ import annotations

from datetime import timedelta

import requests
import responses

from launch.http import OAuthHttp
from launch.keys import KeyStore
from launch.revoke import revoke_tokens
from launch.scopes import GrantedScopes
from launch.tenant_model import ClientAuth
from launch.tokens import TokenSet
from tests.launch.conftest import NOW, form_of, make_smart, make_tenant

REVOKE = "https://ehr.example/auth/revoke"
TOKENS = TokenSet(
    access_token="AT-1",
    refresh_token="RT-1",
    expires_at=NOW + timedelta(minutes=5),
    scopes=GrantedScopes.parse("openid patient/Goal.rs"),
    patient="p",
    tenant="ehr",
)


def test_the_refresh_token_is_revoked_with_client_authentication(
    wire: responses.RequestsMock, http: OAuthHttp, keys: KeyStore
) -> None:
    # smart.md 64
    wire.post(REVOKE, status=200)
    tenant = make_tenant(client_auth=ClientAuth.PRIVATE_KEY_JWT)
    smart = make_smart(revocation_endpoint=REVOKE)
    assert revoke_tokens(tenant, smart, TOKENS, keys=keys, http=http, now=NOW)
    form = form_of(wire.calls[0])
    assert (form["token"], form["token_type_hint"]) == ("RT-1", "refresh_token")
    assert "client_assertion" in form


def test_without_a_refresh_token_the_access_token_is_revoked(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    wire.post(REVOKE, status=200)
    tokens = TokenSet(
        access_token="AT-1", expires_at=NOW, scopes=GrantedScopes.parse("openid"), tenant="ehr"
    )
    smart = make_smart(revocation_endpoint=REVOKE)
    assert revoke_tokens(make_tenant(), smart, tokens, keys=None, http=http)
    assert form_of(wire.calls[0]) == {
        "token": "AT-1",
        "token_type_hint": "access_token",
        "client_id": "functionfirst",
    }


def test_no_endpoint_or_a_failure_is_reported_not_raised(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    assert not revoke_tokens(make_tenant(), make_smart(), TOKENS, keys=None, http=http)
    assert len(wire.calls) == 0
    smart = make_smart(revocation_endpoint=REVOKE)
    wire.post(REVOKE, status=503)
    assert not revoke_tokens(make_tenant(), smart, TOKENS, keys=None, http=http)
    wire.replace(responses.POST, REVOKE, body=requests.ConnectionError("down"))
    assert not revoke_tokens(make_tenant(), smart, TOKENS, keys=None, http=http)
