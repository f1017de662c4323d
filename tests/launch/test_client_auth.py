"""private_key_jwt assertions: RS384/ES384, kid and typ, exp <= 5 minutes, a fresh jti each time."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from launch.client_auth import ASSERTION_TYPE, client_assertion, client_credentials
from launch.errors import KeyStoreError, LaunchError
from launch.keys import KeyStore
from launch.tenant_model import ClientAuth, SigningAlg
from tests.launch.conftest import NOW, TOKEN, make_tenant


def decode(assertion: str, keys: KeyStore) -> jwt.Token:
    public = KeySet.import_key_set(keys.public_jwks())  # type: ignore[arg-type]
    return jwt.decode(assertion, public, algorithms=["RS384", "ES384"])


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_the_assertion_has_the_smart_header_and_claims(keys: KeyStore, alg: str) -> None:
    # smart.md 29, 84
    tenant = make_tenant(client_auth=ClientAuth.PRIVATE_KEY_JWT, signing_alg=SigningAlg(alg))
    credentials = client_credentials(tenant, token_endpoint=TOKEN, keys=keys, now=NOW)
    assert credentials.form["client_assertion_type"] == ASSERTION_TYPE
    assert credentials.basic_auth is None
    assert "client_id" not in credentials.form
    token = decode(credentials.form["client_assertion"], keys)
    assert token.header == {"alg": alg, "kid": keys.signing_key(alg).kid, "typ": "JWT"}
    claims = token.claims
    assert claims["iss"] == claims["sub"] == "functionfirst"
    assert claims["aud"] == TOKEN
    assert claims["iat"] == int(NOW.timestamp())
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert len(claims["jti"]) >= 43


def test_two_assertions_never_share_a_jti(keys: KeyStore) -> None:
    # smart.md 29: a shared claims dict repeats the jti in authlib's PrivateKeyJWT; not here.
    key = keys.signing_key("RS384")
    jtis = {
        decode(
            client_assertion(client_id="c", token_endpoint=TOKEN, key=key, now=NOW), keys
        ).claims["jti"]
        for _ in range(50)
    }
    assert len(jtis) == 50


def test_a_pinned_kid_selects_that_key(keys: KeyStore) -> None:
    es = keys.signing_key("ES384")
    tenant = make_tenant(client_auth=ClientAuth.PRIVATE_KEY_JWT, kid=es.kid)
    form = client_credentials(tenant, token_endpoint=TOKEN, keys=keys, now=NOW).form
    assert decode(form["client_assertion"], keys).header["alg"] == "ES384"
    with pytest.raises(KeyStoreError):
        client_credentials(
            make_tenant(client_auth=ClientAuth.PRIVATE_KEY_JWT, kid="nope"),
            token_endpoint=TOKEN,
            keys=keys,
        )


def test_private_key_jwt_without_keys_is_a_clear_error() -> None:
    with pytest.raises(LaunchError) as caught:
        client_credentials(
            make_tenant(client_auth=ClientAuth.PRIVATE_KEY_JWT), token_endpoint=TOKEN, keys=None
        )
    assert caught.value.code == "client_auth"


def test_public_and_basic_clients(keys: KeyStore) -> None:
    # smart.md 28, 31
    public = client_credentials(make_tenant(), token_endpoint=TOKEN, keys=keys)
    assert public.form == {"client_id": "functionfirst"}
    assert public.basic_auth is None
    basic = client_credentials(
        make_tenant(client_auth=ClientAuth.CLIENT_SECRET_BASIC, client_secret="pw"),
        token_endpoint=TOKEN,
        keys=None,
    )
    assert basic.form == {}
    assert basic.basic_auth == ("functionfirst", "pw")
    assert "pw" not in repr(basic)
    with pytest.raises(LaunchError):
        client_credentials(
            make_tenant(client_auth=ClientAuth.CLIENT_SECRET_BASIC), token_endpoint=TOKEN, keys=None
        )
