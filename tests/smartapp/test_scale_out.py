"""Several gunicorn workers on one PostgreSQL serve the same launches (sessions in the database)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from launch.keys import generate
from sandbox.stack import Stack, app_environment

from .conftest import POSTGRES_URL, drop_schema
from .live import LAUNCHED, gunicorn

pytestmark = pytest.mark.integration
WORKERS = 3


@pytest.fixture(scope="module")
def gunicorn_app(sekmet_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under gunicorn (three worker processes) on the stack's app port, on PostgreSQL."""
    data_dir = tmp_path_factory.mktemp("gunicorn")
    env = app_environment(data_dir, ehr_url=sekmet_stack.ehr_url, app_url=sekmet_stack.app_url)
    generate(Path(env["FUNCTIONFIRST_KEYS"]), force=True)
    schema = f"ff_test_{uuid.uuid4().hex[:12]}"
    env.update(
        {"FUNCTIONFIRST_DATABASE_URL": POSTGRES_URL, "FUNCTIONFIRST_DATABASE_SCHEMA": schema}
    )
    bind = urlsplit(sekmet_stack.app_url).netloc
    args = (f"--workers={WORKERS}", "--threads=4")
    try:
        with gunicorn(env, bind=bind, log_path=data_dir / "gunicorn.log", args=args) as base:
            yield base
    finally:
        drop_schema(schema)


@pytest.mark.parametrize("profile", ["open", "epic", "oracle"])
def test_launches_work_whichever_worker_answers(
    gunicorn_app: str, sekmet_stack: Stack, profile: str
) -> None:
    # smart.md 6, 7, 50: launch state lives in PostgreSQL, not in a worker's memory
    patient = next(p for p in sekmet_stack.patients if p.kind == "typical")
    browser = requests.Session()
    landed = browser.get(
        f"{sekmet_stack.ehr_url}/launcher",
        params={
            "patient": patient.id,
            "practitioner": sekmet_stack.practitioners[0].id,
            "launch_uri": f"{gunicorn_app}/launch",
            "profile": profile,
            "auto": "1",
        },
        timeout=60,
    )
    match = LAUNCHED.search(landed.url)
    assert match, (landed.status_code, landed.url)
    page = f"{gunicorn_app}{match.group(0)}session"

    def load(_: int) -> tuple[int, bool]:
        answer = browser.get(page, headers={"Connection": "close"}, timeout=60)  # new connections
        return answer.status_code, patient.id in answer.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(load, range(16)))
    assert answers == [(200, True)] * 16
