"""SMART Backend Services: client_credentials, signed assertion, system/ scopes, no refresh."""

from __future__ import annotations

import pytest
import responses
from joserfc import jwt
from joserfc.jwk import KeySet

from launch.backend_services import system_token
from launch.errors import LaunchError, TokenEndpointError
from launch.http import OAuthHttp
from launch.keys import KeyStore
from launch.tenant_model import ClientAuth
from tests.launch.conftest import NOW, TOKEN, form_of, make_smart, make_tenant

BACKEND = make_tenant(
    name="backend", client_id="ff-backend", client_auth=ClientAuth.PRIVATE_KEY_JWT
)


def test_a_system_token_is_requested_with_a_signed_assertion(
    wire: responses.RequestsMock, http: OAuthHttp, keys: KeyStore
) -> None:
    # smart.md 55, 56
    wire.post(
        TOKEN,
        json={
            "access_token": "SYS",
            "token_type": "bearer",
            "expires_in": 300,
            "refresh_token": "should-not-be",
        },
    )
    tokens = system_token(
        BACKEND, make_smart(), keys=keys, http=http, scopes=("system/Goal.rs",), now=NOW
    )
    form = form_of(wire.calls[0])
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "system/Goal.rs"
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    public = KeySet.import_key_set(keys.public_jwks())  # type: ignore[arg-type]
    claims = jwt.decode(form["client_assertion"], public, algorithms=["RS384"]).claims
    assert claims["iss"] == claims["sub"] == "ff-backend"
    assert claims["aud"] == TOKEN
    assert tokens.access_token == "SYS"
    assert tokens.refresh_token is None  # "SHOULD NOT be issued": never kept
    assert tokens.scopes.can_read("Goal")  # no scope in the answer: the requested system scope
    assert tokens.patient is None


@pytest.mark.parametrize("scopes", [(), ("patient/Goal.rs",), ("system/Goal.rs", "user/Goal.rs")])
def test_only_system_scopes_are_requested(
    http: OAuthHttp, keys: KeyStore, scopes: tuple[str, ...]
) -> None:
    # smart.md 57: not a way around user authorisation.
    with pytest.raises(LaunchError) as caught:
        system_token(BACKEND, make_smart(), keys=keys, http=http, scopes=scopes, now=NOW)
    assert caught.value.code == "backend_token_error"


def test_symmetric_or_public_registrations_are_refused(http: OAuthHttp, keys: KeyStore) -> None:
    # smart.md 54: "not intended for Backend Services"
    for auth in (ClientAuth.PUBLIC, ClientAuth.CLIENT_SECRET_BASIC):
        with pytest.raises(LaunchError):
            system_token(
                make_tenant(client_auth=auth, client_secret="x"),
                make_smart(),
                keys=keys,
                http=http,
                scopes=("system/Goal.rs",),
            )


def test_a_refused_assertion_is_typed(
    wire: responses.RequestsMock, http: OAuthHttp, keys: KeyStore
) -> None:
    # smart.md 33, 85 (invalid_jti, token_invalid_scope)
    wire.post(TOKEN, status=401, json={"error": "invalid_client"})
    with pytest.raises(TokenEndpointError) as caught:
        system_token(
            BACKEND, make_smart(), keys=keys, http=http, scopes=("system/Goal.rs",), now=NOW
        )
    assert (caught.value.oauth_error, caught.value.status) == ("invalid_client", 401)
