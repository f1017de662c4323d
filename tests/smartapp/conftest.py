"""Fixtures for the app's tests: a store on SQLite or on a throw-away PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from smartapp.store import Store

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
