"""The JSON API of the real app, launched from the sandbox EHR, on both FHIR backends."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from fhir_mappers import PLAN_ITEM_SYSTEM
from sandbox.stack import Stack
from tests.integration.inprocess import browser, ehr_launch, launch_base
from tests.rehab.factories import make_plan_dict
from tests.sandbox.smart import patient_of_kind

pytestmark = pytest.mark.integration


def launched_api(app: Flask, stack: Stack, client: FlaskClient, profile: str = "open") -> str:
    """A real EHR launch through the app; the launch's API base /l/<launch_id>/api."""
    return launch_base(ehr_launch(client, stack, profile=profile)) + "/api"


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
