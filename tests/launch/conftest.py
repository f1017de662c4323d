"""Fixtures for the launch client: a fake EHR on the wire (responses) with its own signing key."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import responses
from joserfc import jwt
from joserfc.jwk import RSAKey

from launch.discovery import SmartConfiguration
from launch.http import OAuthHttp
from launch.keys import KeyStore, generate
from launch.tenant_model import ClientAuth, Tenant

ISS = "https://ehr.example/fhir"
AUTHORIZE = "https://ehr.example/auth/authorize"
TOKEN = "https://ehr.example/auth/token"
JWKS = "https://ehr.example/auth/jwks"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def make_tenant(**changes: object) -> Tenant:
    """A tenant for https://ehr.example/fhir; keyword arguments replace fields."""
    values: dict[str, object] = {
        "name": "ehr",
        "iss": ISS,
        "client_id": "functionfirst",
        "client_auth": ClientAuth.PUBLIC,
        "standalone": True,
    }
    values.update(changes)
    return Tenant(**values)  # type: ignore[arg-type]


def make_smart(**changes: object) -> SmartConfiguration:
    """The tenant's SMART configuration as discovery would return it."""
    values: dict[str, object] = {
        "issuer": ISS,
        "authorization_endpoint": AUTHORIZE,
        "token_endpoint": TOKEN,
        "jwks_uri": JWKS,
        "capabilities": ("launch-ehr", "client-confidential-asymmetric", "permission-v2"),
        "code_challenge_methods_supported": ("S256",),
        "fetched_at": NOW,
    }
    values.update(changes)
    return SmartConfiguration(**values)  # type: ignore[arg-type]


@dataclass
class FakeEhr:
    """Signs id_tokens with its own RSA key and publishes the matching JWKS."""

    key: RSAKey
    kid: str = "ehr-key-1"
    issued: list[str] = field(default_factory=list)

    def jwks(self) -> dict[str, object]:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def id_token(self, *, nonce: str | None, alg: str = "RS256", **claims: object) -> str:
        issued = int(NOW.timestamp())
        body: dict[str, object] = {
            "iss": ISS,
            "sub": "user-1",
            "aud": "functionfirst",
            "iat": issued,
            "exp": issued + 300,
            "nonce": nonce,
            "fhirUser": "Practitioner/prac-1",
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        token = jwt.encode(
            {"alg": alg, "kid": self.kid, "typ": "JWT"}, body, self.key, algorithms=[alg]
        )
        self.issued.append(token)
        return token

    def token_body(self, **fields: object) -> dict[str, object]:
        body: dict[str, object] = {
            "access_token": "at-" + secrets.token_hex(8),
            "token_type": "Bearer",
            "expires_in": 600,
            "scope": "launch openid fhirUser patient/Patient.r patient/Goal.crus offline_access",
            "refresh_token": "rt-" + secrets.token_hex(8),
            "patient": "pat-1",
            "need_patient_banner": False,
        }
        body.update(fields)
        return {k: v for k, v in body.items() if v is not None}


@pytest.fixture(scope="session")
def ehr_key() -> RSAKey:
    return RSAKey.generate_key(2048)


@pytest.fixture
def ehr(ehr_key: RSAKey) -> FakeEhr:
    return FakeEhr(key=ehr_key)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    """The app's RS384 and ES384 keys (generated once; RSA generation is slow)."""
    return generate(tmp_path_factory.mktemp("keys") / "keys.json")


@pytest.fixture
def key_file(keys: KeyStore, tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    keys.save(path)
    return path


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    """The fake wire: every request not registered fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def http() -> Iterator[OAuthHttp]:
    client = OAuthHttp()
    yield client
    client.close()


def form_of(call: responses.Call) -> Mapping[str, str]:
    """The decoded form body of a recorded request."""
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body or "")
    return dict(parse_qsl(text, keep_blank_values=True))


def later(seconds: int) -> datetime:
    return NOW + timedelta(seconds=seconds)
