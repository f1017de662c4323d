"""Writes on SQLite take the write lock first, so a read-then-write never meets "locked".

In the browser, the form's autosave (PUT drafts) and the save (POST plan, which keeps the
draft too) arrive together: both read the draft's version and then write it. A deferred
SQLite transaction that has read cannot write after another connection committed (WAL's
SQLITE_BUSY_SNAPSHOT, raised at once whatever the busy timeout): the save answered 500.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from smartapp.store.engine import create_store_engine, write_transaction


def test_a_read_then_write_survives_another_writer_arriving_in_between(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        with write_transaction(engine) as conn:
            conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
            conn.execute(text("INSERT INTO counter (n) VALUES (0)"))
        has_read = threading.Event()
        other_done = threading.Event()
        errors: list[BaseException] = []

        def other_writer() -> None:
            has_read.wait(10)
            try:
                with write_transaction(engine) as conn:
                    conn.execute(text("UPDATE counter SET n = n + 10"))
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            other_done.set()

        thread = threading.Thread(target=other_writer)
        thread.start()
        with write_transaction(engine) as conn:
            seen = conn.execute(text("SELECT n FROM counter")).scalar_one()
            has_read.set()
            # Give the other writer every chance to commit between our read and our write:
            # a deferred transaction lets it, and then our UPDATE is refused.
            other_done.wait(2)
            conn.execute(text("UPDATE counter SET n = :n"), {"n": seen + 1})
        thread.join(30)
        assert errors == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 11  # none lost
    finally:
        engine.dispose()


def test_every_write_in_the_app_goes_through_write_transaction() -> None:
    # A bare `engine.begin()` is a deferred transaction on SQLite: the race above comes back.
    root = Path(__file__).resolve().parents[3] / "smartapp"
    bare = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "engine.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".begin()" in line
    ]
    assert bare == []
