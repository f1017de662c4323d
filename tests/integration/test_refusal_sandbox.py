"""A save the real sekmet-fhir refuses shows the EHR's words beside the right goal (smart.md 81).

The app validates every resource with the same R4B models sekmet uses (`fhir_mappers.validated`),
so nothing the app builds is refused by sekmet of itself. A small proxy between the app and the
sandbox EHR therefore makes one goal's due date impossible (`2027-13-45`) on its way out; sekmet's
own strict inbound validation then refuses it with its own OperationOutcome (HTTP 400,
`expression: ["Goal.target.0.dueDate"]`). The transaction is refused as a whole, the app saves
record by record, the first goal lands and the second is refused: the issue must land on the
second goal's due date, and the first goal is withdrawn again.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fhir_mappers import PLAN_ITEM_SYSTEM
from sandbox.stack import Stack
from smartapp.gateway.capabilities import Strategy
from smartapp.gateway.client import FhirClient
from smartapp.services import correlation_id
from smartapp.views import ehr
from smartapp.web import LaunchSession, token_source
from smartapp.writeback.placement import Where
from tests.integration.inprocess import app_at, browser, ehr_launch, launch_base
from tests.integration.proxy import ForwardingProxy
from tests.rehab.factories import make_goal, make_plan

from .sites import new_plan_key, open_site

pytestmark = pytest.mark.integration

IMPOSSIBLE = "2027-13-45"


class ImpossibleDueDate(ForwardingProxy):
    """A forwarding proxy that gives the Goal of one plan goal key an impossible due date."""

    def __init__(self, target: str, goal_key: str) -> None:
        self.goal_key = goal_key
        self.tampered = 0
        super().__init__(target)

    def rewrite(self, method: str, body: bytes) -> bytes:
        if method != "POST":
            return body
        data = json.loads(body)
        resources = [e.get("resource") or {} for e in data.get("entry") or ()] if (
            data.get("resourceType") == "Bundle") else [data]
        for resource in resources:
            values = [i.get("value", "") for i in resource.get("identifier") or ()
                      if i.get("system") == PLAN_ITEM_SYSTEM]
            if resource.get("resourceType") == "Goal" and any(
                v.endswith(f"/goal/{self.goal_key}") for v in values
            ):
                resource["target"][0]["dueDate"] = IMPOSSIBLE
                self.tampered += 1
        return json.dumps(data).encode("utf-8")


def goals_of(stack_client: FhirClient, patient_id: str, plan_key: str, goal_key: str,
          **params: str) -> list[dict[str, Any]]:
    answer = stack_client.send(
        "GET", "Goal", retry_safe=True,
        params={"patient": patient_id,
                "identifier": f"{PLAN_ITEM_SYSTEM}|{plan_key}/goal/{goal_key}", **params})
    return [e["resource"] for e in (answer.json or {}).get("entry") or ()]


@pytest.mark.parametrize("profile", ["open", "epic"])
def test_sekmets_refusal_of_the_second_goal_is_placed_on_its_due_date(
    sekmet_stack: Stack, profile: str
) -> None:
    site = open_site(sekmet_stack, profile)
    lunch = make_goal(key="lunch", description="Have lunch with a friend twice a month",
                      gas=None)
    plan = make_plan(goals=(make_goal(), lunch))
    key = new_plan_key()
    proxy = ImpossibleDueDate(site.client.base_url, "lunch")
    try:
        through = FhirClient(proxy.url, site.tokens, correlation_id="refused-save")
        result = site.save(plan, key, client=through)
    finally:
        proxy.close()
    assert proxy.tampered >= 1
    assert result.strategy is Strategy.SEQUENTIAL
    assert not result.complete
    [failed] = result.failed
    assert (failed.resource_type, failed.status) == ("Goal", 400)
    placed = [i for i in failed.issues if i.where is not None]
    assert placed, failed.issues
    assert {i.where for i in placed} == {Where(goal=1, field="due")}
    assert any("dueDate" in " ".join(i.issue.expression) for i in placed)
    # the goal that landed first was withdrawn; the refused one is not in the EHR
    assert [w.resource_type for w in result.compensated] == ["Goal"]
    assert goals_of(site.client, site.patient_id, key, "lunch") == []
    [walk] = goals_of(site.client, site.patient_id, key, "walk")
    assert walk["lifecycleStatus"] == "entered-in-error"


@pytest.fixture
def app(sekmet_stack: Stack, tmp_path: Path) -> Iterator[Flask]:
    """The app in this process, registered at the sandbox's sites (sekmet backend)."""
    with app_at(sekmet_stack, tmp_path) as built:
        yield built


def launched(app: Flask, stack: Stack) -> tuple[FlaskClient, str]:
    """A browser after a real EHR launch at the open site; the launch's page base /l/<id>."""
    client = browser(app, stack)
    return client, launch_base(ehr_launch(client, stack))


def fields_of(html: str) -> dict[str, str]:
    """What a browser sends back for the plan form as shown (inputs, textareas, selects)."""
    values = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    values.update(re.findall(r'name="((?:goals|follow_up)[^"]+)" value="([^"]*)"', html))
    values.update(re.findall(r'name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html,
                                    re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        if chosen:
            values[name] = chosen.group(1)
    return values


def test_the_form_comes_back_with_sekmets_words_beside_the_refused_goals_due_date(
    app: Flask, sekmet_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, base = launched(app, sekmet_stack)
    origin = {"Origin": sekmet_stack.app_url}
    fields = fields_of(client.get(f"{base}/plan").get_data(as_text=True))
    for template in ("walk-around-block", "lunch-with-friend"):
        html = client.post(f"{base}/plan", data={**fields, "template": template},
                           headers=origin).get_data(as_text=True)
        fields = fields_of(html)
    what_matters = f"See my friends {uuid.uuid4().hex[:8]}"
    fields.update({"what_matters": what_matters, "expressed_by": "patient", "confidence": "8",
                   "action": "save"})
    # the app's FHIR requests of this launch go through the proxy to the same site
    proxy = ImpossibleDueDate(sekmet_stack.iss("open"), fields["goals[1].key"])

    def through_proxy(launch_session: LaunchSession) -> FhirClient:
        return FhirClient(proxy.url, token_source(launch_session),
                          correlation_id=correlation_id())

    monkeypatch.setattr(ehr, "fhir_client", through_proxy)
    try:
        answer = client.post(f"{base}/plan", data=fields, headers=origin)
    finally:
        proxy.close()
    html = answer.get_data(as_text=True)
    assert answer.status_code == 502, html
    assert proxy.tampered >= 1
    second = html[html.index('<fieldset class="ff-goal" data-goal="1"'):
                  html.index('<fieldset id="add-goal"')]
    first = html[html.index('<fieldset class="ff-goal" data-goal="0"'):
                 html.index('<fieldset class="ff-goal" data-goal="1"')]
    said = re.search(r'<p class="ff-error" id="f-goals-1-due-error">([^<]*)</p>', second)
    assert said is not None, second
    assert said.group(1).startswith("The EHR did not accept goal 2, due date: ")
    assert "dueDate" in said.group(1)
    assert "The EHR did not accept" not in first
    assert "Not saved: the EHR did not accept the data." in html
    assert "withdrawn again" in html
    # what the clinician typed is all there
    assert f">{what_matters}</textarea>" in html
    assert fields_of(html)["goals[1].description"] == fields["goals[1].description"]
    assert fields_of(html)["goals[1].due"] == fields["goals[1].due"]
