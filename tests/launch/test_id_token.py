"""id_token validation against the tenant-pinned JWKS, and fhirUser resolution."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import timedelta

import pytest
import responses
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, RSAKey

from launch.errors import LaunchError
from launch.http import OAuthHttp
from launch.idtoken import JwksCache, resolve_fhir_user, validate_id_token
from tests.launch.conftest import ISS, JWKS, NOW, FakeEhr, make_smart, make_tenant

NONCE = "n" * 43


def validate(
    token: str,
    http: OAuthHttp,
    *,
    nonce: str = NONCE,
    jwks: JwksCache | None = None,
    **smart: object,
) -> object:
    return validate_id_token(
        token,
        tenant=make_tenant(),
        smart=make_smart(**smart),
        nonce=nonce,
        http=http,
        now=NOW,
        jwks=jwks,
    )


def b64(data: Mapping[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def refused(token: str, http: OAuthHttp, **kwargs: object) -> LaunchError:
    with pytest.raises(LaunchError) as caught:
        validate(token, http, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "id_token_invalid"
    return caught.value


def test_a_valid_id_token_gives_its_claims(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 42
    wire.get(JWKS, json=ehr.jwks())
    claims = validate(ehr.id_token(nonce=NONCE), http)
    assert claims == {
        "iss": ISS,
        "sub": "user-1",
        "aud": "functionfirst",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
        "nonce": NONCE,
        "fhirUser": "Practitioner/prac-1",
    }
    assert [c.request.url for c in wire.calls] == [JWKS]  # the JWKS from discovery, nothing else


def test_a_forged_alg_none_token_is_refused(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 42, 69: authlib's default jwt accepted this in 1.6.0; a regression test stays.
    wire.get(JWKS, json=ehr.jwks())
    claims = {
        "iss": ISS,
        "sub": "admin",
        "aud": "functionfirst",
        "iat": 1,
        "exp": 4_102_444_800,
        "nonce": NONCE,
    }
    for alg in ("none", "None", "NONE"):
        forged = f"{b64({'alg': alg, 'kid': ehr.kid, 'typ': 'JWT'})}.{b64(claims)}."
        refused(forged, http)
    # The explicit list is what refuses it: joserfc itself would accept "none" if it were listed.
    forged = f"{b64({'alg': 'none'})}.{b64(claims)}."
    with pytest.warns(SecurityWarning):
        assert jwt.decode(forged, ehr.key, algorithms=["none"]).claims["sub"] == "admin"


def test_a_symmetric_token_signed_with_the_public_key_is_refused(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 42: HS256 "key confusion" with the published key is not in the list.
    wire.get(JWKS, json=ehr.jwks())
    header = {"alg": "HS256", "kid": ehr.kid}
    refused(f"{b64(header)}.{b64({'iss': ISS})}.c2lnbmF0dXJl", http)


def test_a_token_signed_by_another_key_is_refused_after_one_refetch(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 42, 43: wrong kid -> refetch once, then fail.
    wire.get(JWKS, json=ehr.jwks())
    intruder = FakeEhr(key=RSAKey.generate_key(2048), kid="intruder")
    refused(intruder.id_token(nonce=NONCE), http, jwks=JwksCache())
    assert len(wire.calls) == 2


def test_a_token_with_a_known_kid_but_a_bad_signature_is_refused(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    wire.get(JWKS, json=ehr.jwks())
    intruder = FakeEhr(key=RSAKey.generate_key(2048), kid=ehr.kid)
    refused(intruder.id_token(nonce=NONCE), http)


def test_a_key_embedded_in_the_header_is_never_trusted(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 44 (CVE-2026-27962): a jwk header does not choose the key.
    wire.get(JWKS, json=ehr.jwks())
    intruder = RSAKey.generate_key(2048)
    header = {"alg": "RS256", "kid": ehr.kid, "jwk": intruder.as_dict(private=False)}
    body = {
        "iss": ISS,
        "sub": "x",
        "aud": "functionfirst",
        "iat": 1,
        "exp": 4_102_444_800,
        "nonce": NONCE,
    }
    refused(jwt.encode(header, body, intruder, algorithms=["RS256"]), http)


def test_key_rotation_at_the_ehr_refetches_the_jwks_once(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 43
    rotated = FakeEhr(key=RSAKey.generate_key(2048), kid="ehr-key-2")
    wire.get(JWKS, json=ehr.jwks())
    wire.get(JWKS, json={"keys": ehr.jwks()["keys"] + rotated.jwks()["keys"]})  # type: ignore[operator]
    cache = JwksCache()
    validate(ehr.id_token(nonce=NONCE), http, jwks=cache)
    validate(rotated.id_token(nonce=NONCE), http, jwks=cache)
    validate(rotated.id_token(nonce=NONCE), http, jwks=cache)
    assert len(wire.calls) == 2  # cached after the one refetch


def test_es384_tokens_verify(wire: responses.RequestsMock, http: OAuthHttp) -> None:
    ec = FakeEhr(key=ECKey.generate_key("P-384"), kid="ec-1")  # type: ignore[arg-type]
    wire.get(JWKS, json={"keys": [{**ec.key.as_dict(private=False), "kid": "ec-1"}]})
    assert validate(ec.id_token(nonce=NONCE, alg="ES384"), http)


@pytest.mark.parametrize(
    ("claims", "nonce", "why"),
    [
        ({"iss": "https://evil.example/fhir"}, NONCE, "issuer"),
        ({"aud": "someone-else"}, NONCE, "not meant"),
        ({"aud": ["someone-else", "functionfirst"]}, NONCE, "authorized party"),
        ({"exp": int((NOW - timedelta(minutes=5)).timestamp())}, NONCE, "expired"),
        ({"exp": None}, NONCE, "expired"),
        ({"iat": int((NOW + timedelta(minutes=5)).timestamp())}, NONCE, "future"),
        ({}, "another-launch-nonce", "nonce"),
        ({"nonce": None}, NONCE, "nonce"),
        ({"sub": None}, NONCE, "subject"),
    ],
)
def test_each_wrong_claim_is_refused(
    wire: responses.RequestsMock,
    http: OAuthHttp,
    ehr: FakeEhr,
    claims: dict[str, object],
    nonce: str,
    why: str,
) -> None:
    # smart.md 42: wrong iss, wrong aud, expired, replayed nonce (a token of another launch).
    wire.get(JWKS, json=ehr.jwks())
    given = dict(claims)
    token_nonce = given.pop("nonce", NONCE)
    error = refused(ehr.id_token(nonce=token_nonce, **given), http, nonce=nonce)  # type: ignore[arg-type]
    assert why in error.description


def test_several_audiences_with_azp_of_this_app_are_accepted(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    wire.get(JWKS, json=ehr.jwks())
    assert validate(
        ehr.id_token(nonce=NONCE, aud=["functionfirst", "other"], azp="functionfirst"), http
    )


def test_the_expected_issuer_is_the_discovered_issuer(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 42: pinned per tenant, the token does not pick its own issuer.
    wire.get(JWKS, json=ehr.jwks())
    token = ehr.id_token(nonce=NONCE, iss="https://ehr.example/auth")
    assert validate(token, http, issuer="https://ehr.example/auth")
    refused(token, http)


def test_no_jwks_uri_or_unreachable_jwks_fails_closed(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    refused(ehr.id_token(nonce=NONCE), http, jwks_uri=None)
    wire.get(JWKS, status=500)
    refused(ehr.id_token(nonce=NONCE), http)


def test_private_keys_served_in_a_jwks_are_ignored(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    wire.get(JWKS, json={"keys": [{**ehr.key.as_dict(private=True), "kid": ehr.kid}]})
    refused(ehr.id_token(nonce=NONCE), http)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Practitioner/prac-1", "Practitioner/prac-1"),
        ("PractitionerRole/r.2", "PractitionerRole/r.2"),
        ("Patient/p-1", "Patient/p-1"),
        ("RelatedPerson/rp", "RelatedPerson/rp"),
        ("Person/x", "Person/x"),
        (
            f"{ISS}/Practitioner/abc",
            "Practitioner/abc",
        ),  # absolute under the FHIR base (Epic style)
        (f"{ISS}/../Practitioner/abc", None),
        ("https://evil.example/fhir/Practitioner/abc", None),  # another server: never followed
        (f"{ISS}.evil.example/Practitioner/abc", None),  # look-alike base
        ("https://ehr.example/Practitioner/abc", None),  # same host, not under the base
        ("Organization/o-1", None),  # not a user type
        ("Practitioner/", None),
        ("Practitioner/a/_history/1", None),
        ("Practitioner/a?x=1", None),
        ("Practitioner/" + "a" * 65, None),
        (42, None),
        (None, None),
    ],
)
def test_fhir_user_resolves_only_to_a_user_reference_under_aud(
    value: object, expected: str | None
) -> None:
    # smart.md 45, 67
    assert resolve_fhir_user(value, iss=ISS) == expected


def test_a_token_without_kid_verifies_against_the_one_fitting_key(
    wire: responses.RequestsMock, http: OAuthHttp, ehr: FakeEhr
) -> None:
    # smart.md 42: OIDC lets the kid out when the key is unambiguous; the set stays pinned.
    other = FakeEhr(key=RSAKey.generate_key(2048), kid="other")
    wire.get(JWKS, json={"keys": other.jwks()["keys"] + ehr.jwks()["keys"]})  # type: ignore[operator]
    body: dict[str, object] = {"iss": ISS, "sub": "u", "aud": "functionfirst", "nonce": NONCE}
    body |= {"iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 60}
    token = jwt.encode({"alg": "RS256"}, body, ehr.key, algorithms=["RS256"])
    assert validate(token, http) == body
    stranger = jwt.encode({"alg": "RS256"}, body, RSAKey.generate_key(2048), algorithms=["RS256"])
    refused(stranger, http)
