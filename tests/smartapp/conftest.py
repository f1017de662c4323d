"""Fixtures for the app's tests: a store on SQLite or on a throw-away PostgreSQL schema."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey
from sqlalchemy import create_engine, text

from smartapp import create_app
from smartapp.store import Store

from .fake_ehr import APP, ISS, FakeEhr, write_tenants
from .pages_kit import FakeGateway

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "test-secret-key-0123456789abcdefghijklmnop"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file of its own for one test."""
    return f"sqlite:///{tmp_path / 'app.db'}"


def drop_schema(schema: str) -> None:
    """Remove a test's PostgreSQL schema and everything in it."""
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, str | None]]:
    """(url, schema) for a SQLite file and for a throw-away schema on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}", None
        return
    schema = f"ff_test_{uuid.uuid4().hex[:12]}"
    yield POSTGRES_URL, schema
    drop_schema(schema)


@pytest.fixture
def store(database_url: tuple[str, str | None]) -> Iterator[Store]:
    """The store on SQLite and on a real PostgreSQL (parametrised)."""
    url, schema = database_url
    opened = Store.open(url, secret_key=SECRET, schema=schema)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def ehr_key() -> RSAKey:
    """The fake EHR's id_token signing key (generated once: RSA generation is slow)."""
    return RSAKey.generate_key(2048)


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    """The fake wire: a request to anything not registered fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def ehr(ehr_key: RSAKey, wire: responses.RequestsMock) -> FakeEhr:
    """The fake EHR at https://ehr.example/fhir, on the wire."""
    fake = FakeEhr(key=ehr_key)
    fake.install(wire)
    return fake


@pytest.fixture
def app_settings(tmp_path: Path) -> dict[str, object]:
    """The app's configuration for a test: its own tenants file and SQLite file."""
    return {
        "TESTING": "1",
        "FUNCTIONFIRST_TENANTS": str(write_tenants(tmp_path)),
        "FUNCTIONFIRST_BASE_URL": APP,
        "FUNCTIONFIRST_SECRET_KEY": SECRET,
        "FUNCTIONFIRST_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "OTHER_SECRET": "other-client-secret-value",
    }


@pytest.fixture
def app(app_settings: dict[str, object]) -> Iterator[Flask]:
    """The app built by the factory from `app_settings`."""
    built = create_app(app_settings)
    yield built
    built.extensions["functionfirst"].store.close()


def https_client(app: Flask) -> FlaskClient:
    """A test client that talks to the app over https://app.example (Secure cookies flow)."""
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "app.example"})
    return client


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client of the app."""
    return https_client(app)


def start_launch(client: FlaskClient, *, iss: str = ISS, launch: str = "launch-123") -> str:
    """GET /launch (following the cookie check) and return the authorize URL."""
    response = client.get("/launch", query_string={"iss": iss, "launch": launch})
    if response.status_code == 303:
        response = client.get(response.headers["Location"])
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


def run_launch(client: FlaskClient, ehr: FakeEhr, *, launch: str = "launch-123") -> str:
    """A whole EHR launch; returns the launched page's path (/l/<launch_id>/)."""
    callback = ehr.authorize(start_launch(client, iss=ehr.iss, launch=launch))
    response = client.get(callback)
    assert response.status_code == 303, response.get_data(as_text=True)
    return str(response.headers["Location"])


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> FakeGateway:
    fake = FakeGateway()
    fake.install(monkeypatch)
    return fake


@pytest.fixture
def launched(client: FlaskClient, ehr: FakeEhr) -> str:
    """The launch id of a completed EHR launch in this browser."""
    path = run_launch(client, ehr)
    found = re.fullmatch(r"/l/([^/]+)/", path)
    assert found is not None
    return found.group(1)
