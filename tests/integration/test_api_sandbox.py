"""The JSON API of the real app, launched from the sandbox EHR, on both FHIR backends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from fhir_mappers import PLAN_ITEM_SYSTEM
from launch.keys import generate
from sandbox.stack import Stack
from sandbox.tenants import SECRET_ENV, write_tenants
from smartapp import create_app
from tests.rehab.factories import make_plan_dict
from tests.sandbox.smart import launch, patient_of_kind

pytestmark = pytest.mark.integration


@pytest.fixture
def app(sandbox_stack: Stack, tmp_path: Path) -> Iterator[Flask]:
    """The app in this process, registered at the sandbox's three sites."""
    built = create_app({
        "TESTING": "1",
        "FUNCTIONFIRST_TENANTS": str(write_tenants(tmp_path / "tenants.toml",
                                                   ehr_url=sandbox_stack.ehr_url)),
        "FUNCTIONFIRST_BASE_URL": sandbox_stack.app_url,
        "FUNCTIONFIRST_SECRET_KEY": "integration-secret-key-0123456789abcdefghij",
        "FUNCTIONFIRST_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "FUNCTIONFIRST_KEYS": str(_keys(tmp_path / "keys.json")),
        "FUNCTIONFIRST_DEV": "1",
        SECRET_ENV: sandbox_stack.client_secret,
    })
    yield built
    built.extensions["functionfirst"].store.close()


def _keys(path: Path) -> Path:
    generate(path)
    return path


def browser(app: Flask, stack: Stack) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = urlsplit(stack.app_url).netloc
    return client


def launched_api(app: Flask, stack: Stack, client: FlaskClient, profile: str = "open") -> str:
    """A real EHR launch through the app; the launch's API base /l/<launch_id>/api."""
    iss, code = launch(stack, profile=profile, patient=patient_of_kind(stack, "typical"),
                       practitioner=stack.practitioners[0].id)
    answer = client.get("/launch", query_string={"iss": iss, "launch": code})
    if answer.status_code == 303:
        answer = client.get(answer.headers["Location"])
    assert answer.status_code == 302, answer.get_data(as_text=True)
    authorized = requests.get(answer.headers["Location"], allow_redirects=False, timeout=10)
    assert authorized.status_code == 302, authorized.text
    back = urlsplit(authorized.headers["Location"])
    landed = client.get(f"{back.path}?{back.query}")
    assert landed.status_code == 303, landed.get_data(as_text=True)
    return f"/l/{landed.headers['Location'].split('/')[2]}/api"


def twin(app: Flask, stack: Stack, client: FlaskClient) -> FlaskClient:
    """A second client with the same cookies: another tab or a double click."""
    other = browser(app, stack)
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return other


def test_the_context_comes_in_one_round_and_names_the_strategy(
    app: Flask, sandbox_stack: Stack
) -> None:
    client = browser(app, sandbox_stack)
    api = launched_api(app, sandbox_stack, client)
    data = client.get(f"{api}/context").get_json()
    assert data["round_trips"] == 1
    assert data["missing"] == []
    assert data["context"]["patient"]["id"] == patient_of_kind(sandbox_stack, "typical")
    assert data["capabilities"]["strategy"] == "transaction"


def test_the_same_plan_posted_twice_at_once_gives_one_set(
    app: Flask, sandbox_stack: Stack
) -> None:
    client = browser(app, sandbox_stack)
    api = launched_api(app, sandbox_stack, client)
    token = client.get(f"{api}/context").get_json()["csrf_token"]
    headers = {"X-CSRF-Token": token, "Origin": sandbox_stack.app_url}
    plan = make_plan_dict(what_matters=f"Walking the dog {api[3:11]}")
    answers: list[Any] = []
    start = threading.Barrier(2)

    def post(c: FlaskClient) -> None:
        start.wait(5)
        answers.append(c.post(f"{api}/plans", json=plan, headers=headers))

    threads = [threading.Thread(target=post, args=(c,))
               for c in (client, twin(app, sandbox_stack, client))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(a.status_code for a in answers) == [201, 201]
    first, second = (a.get_json() for a in answers)
    assert first["written"] == second["written"]
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 1
    key = first["plan_key"]
    # the EHR holds one Goal and one CarePlan for the plan
    for kind, index, rtype in (("goal", "walk", "Goal"), ("careplan", "0", "CarePlan")):
        found = requests.get(
            f"{sandbox_stack.backend_url}/{rtype}",
            params={"identifier": f"{PLAN_ITEM_SYSTEM}|{key}/{kind}/{index}"}, timeout=10,
        ).json()
        assert len(found.get("entry") or ()) == 1, rtype
    assert first["handout_url"] == f"{api[:-4]}/handout/{key}"
    assert client.get(first["handout_url"]).status_code == 200
