"""The database engine: SQLite file by default, PostgreSQL by URL; schema created on start."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from smartapp.store.schema import metadata

# Set on a connection's execution options to open its transaction with BEGIN IMMEDIATE
# (SQLite takes the write lock at once, so two workers never both think they hold a lease).
SQLITE_IMMEDIATE = "functionfirst_sqlite_immediate"
_MIGRATION_LOCK = 0x46464D49  # "FFMI": the advisory lock key of schema creation
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes (commits at the end, rolls back on an error).

    On SQLite it opens with BEGIN IMMEDIATE. A deferred transaction that reads and then writes
    fails at once with "database is locked" when another connection committed in between
    (WAL's SQLITE_BUSY_SNAPSHOT: the busy timeout does not apply); taking the write lock first
    makes the other writer wait instead. On PostgreSQL it is a plain transaction.
    """
    with engine.connect().execution_options(**{SQLITE_IMMEDIATE: True}) as conn, conn.begin():
        yield conn


def _sqlite_events(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and cannot do BEGIN IMMEDIATE;
    # SQLAlchemy's documented recipe: let the driver autocommit and emit BEGIN ourselves.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgres_schema(engine: Engine, schema: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # Workers connecting at once take turns: CREATE ... IF NOT EXISTS still races.
        cursor.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            dbapi_connection.commit()
        except BaseException:
            dbapi_connection.rollback()  # so the unlock below can run
            raise
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
        cursor.execute(f'SET search_path TO "{schema}"')
        cursor.close()
        dbapi_connection.commit()


def create_store_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine for `url`; `schema` (PostgreSQL only) keeps a test run's tables apart."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_events(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(
            "FUNCTIONFIRST_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL"
        )
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if schema is not None:
        if not _SCHEMA_NAME.match(schema):
            raise ValueError("schema names are lower-case letters, digits and underscores")
        _postgres_schema(engine, schema)
    return engine


def migrate(engine: Engine) -> None:
    """Create missing tables (idempotent); workers starting together take turns."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            # One migrating worker at a time: CREATE ... IF NOT EXISTS still races in PostgreSQL.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            metadata.create_all(conn)
        return
    with write_transaction(engine) as conn:
        metadata.create_all(conn)


def is_reachable(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True
