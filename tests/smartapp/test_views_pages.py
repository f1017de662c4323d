"""The pages after a real launch (fake EHR on the wire), with a fake EHR gateway behind them.

The gateway's own behaviour is tested against real servers elsewhere; here the fake stands at
the pages' one door to the EHR (`smartapp.views.ehr`) so each page's rules can be pinned down:
what is shown, what is kept, and what is refused.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from rehab.context import ReviewRecord
from rehab.goal import ActionStep, Frequency, PeriodUnit
from smartapp.gateway.capabilities import Strategy
from smartapp.gateway.errors import FhirError, FhirInvalid, FhirUnavailable
from smartapp.store.drafts import DraftStore
from smartapp.views.review_history import CarePlanRead
from smartapp.writeback.result import Failed, SaveResult, Written

from .conftest import run_launch
from .fake_ehr import APP, FakeEhr
from .pages_kit import (
    TODAY,
    FakeGateway,
    csrf_of,
    form_values,
    make_context,
    plan_form,
    post,
)
from .test_review_history import written


def test_the_overview_shows_trend_medicines_goals_flags_and_what_is_missing(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    gateway.context = make_context(missing=("the patient's medications",))
    html = client.get(f"/l/{launched}/").get_data(as_text=True)
    assert "Missing: the patient&#39;s medications" in html
    assert "PEG 4.5 now, 7 at baseline" in html
    assert "36% lower, a meaningful improvement" in html
    assert '<svg viewBox="0 0 440 200" role="img"' in html
    assert "Show the readings as a table" in html
    assert 'ff-tag--opioid">opioid' in html
    assert "30 MME per day" in html
    assert "not prescribing advice" in html
    assert "The only goals on file are about pain intensity." in html
    assert f'href="/l/{launched}/goals/g-pain/review">Review progress at this visit.' in html
    assert "Chronic low back pain" in html


def test_the_banner_shows_only_when_the_ehr_asks_for_it(  # smart.md 38
    client: FlaskClient, ehr: FakeEhr, gateway: FakeGateway, wire: responses.RequestsMock
) -> None:
    path = run_launch(client, ehr)
    assert 'aria-label="Patient"' in client.get(path).get_data(as_text=True)
    ehr.answer_tokens_with(wire, need_patient_banner=False)
    framed = run_launch(client, ehr, launch="launch-456")
    assert 'aria-label="Patient"' not in client.get(framed).get_data(as_text=True)


def test_a_template_goal_arrives_with_its_step_and_gas_levels_ready_to_edit(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    fields = {**plan_form(client, launched), "template": "walk-around-block"}
    html = post(client, f"/l/{launched}/plan", fields).get_data(as_text=True)
    assert 'name="goals[0].gas.0" rows="1">Walk about 15 minutes 3 times a week</textarea>' in html
    assert 'name="goals[0].steps[0].how_often.frequency" value="3"' in html
    assert "activity, amount, frequency and date are set" in html


def test_a_plan_with_errors_keeps_every_field_and_shows_each_error_beside_it(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    fields = {**plan_form(client, launched), "template": "walk-around-block"}
    post(client, f"/l/{launched}/plan", fields)
    fields.pop("template")
    fields.update(
        {
            "goals[0].key": "walk-around-block",
            "goals[0].domain": "walking",
            "goals[0].description": "Walk to the mailbox",
            "goals[0].start": TODAY.isoformat(),
            "goals[0].due": (TODAY - timedelta(days=1)).isoformat(),
            "goals[0].steps[0].what": "walk",
            "what_matters": "Get the mail myself",
            "confidence": "11",
            "action": "save",
        }
    )
    response = post(client, f"/l/{launched}/plan", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert gateway.saved == []
    assert 'value="Walk to the mailbox"' not in html  # a textarea: the text is its content
    assert ">Walk to the mailbox</textarea>" in html
    assert ">Get the mail myself</textarea>" in html
    assert 'id="f-goals-0-due-error">Goal 1: due date must not be before the start date.' in html
    assert "Confidence must be between 0 and 10." in html
    assert 'aria-invalid="true"' in html


def from_template(client: FlaskClient, launch_id: str, template: str) -> dict[str, str]:
    """The plan form as a browser sends it back after `template` filled in its goal."""
    fields = {**plan_form(client, launch_id), "template": template}
    html = post(client, f"/l/{launch_id}/plan", fields).get_data(as_text=True)
    fields = {**fields, **form_values(html)}
    fields.pop("template")
    return fields


def test_a_confidence_below_seven_asks_for_a_smaller_plan_before_anything_is_saved(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    fields = from_template(client, launched, "sleep-six-hours")
    fields.update(
        {
            "goals[0].description": "Sleep 6 hours on 5 nights a week",
            "what_matters": "Sleep",
            "confidence": "5",
            "action": "save",
        }
    )
    response = post(client, f"/l/{launched}/plan", fields)
    assert response.status_code == 422
    assert "Confidence is 5 out of 10" in response.get_data(as_text=True)
    assert gateway.saved == []
    fields["override_reason"] = "Patient wants to try this week before changing it"
    saved = post(client, f"/l/{launched}/plan", fields)
    assert saved.status_code == 303
    assert len(gateway.saved) == 1


def test_a_refused_low_confidence_save_says_not_saved_and_asks_for_the_reason(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    fields = {
        **from_template(client, launched, "sleep-six-hours"),
        "what_matters": "Sleep",
        "confidence": "5",
    }
    response = post(client, f"/l/{launched}/plan", {**fields, "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = re.search(r'<div[^>]*id="error-summary".*?</div>', html, re.S)
    assert summary is not None
    assert "Not saved: the confidence is below 7 — make the plan smaller or easier" in summary[0]
    assert 'href="#f-override-reason"' in summary[0]
    assert 'id="f-override-reason-error">Required when the confidence is below 7' in html
    assert 'aria-describedby="f-override-reason-error" aria-invalid="true"' in html
    assert "(optional)" not in html.split('id="confidence-prompt"')[1].split("</div>")[0]
    assert gateway.saved == []


def save_one_goal(client: FlaskClient, launch_id: str) -> Any:
    fields = from_template(client, launch_id, "lunch-with-friend")
    fields.update(
        {
            "goals[0].description": "Have lunch with a friend twice a month",
            "what_matters": "See my friends",
            "confidence": "8",
            "action": "save",
        }
    )
    return post(client, f"/l/{launch_id}/plan", fields)


def test_a_saved_plan_says_where_it_went_in_plain_words_and_offers_the_handout(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    gateway.strategy = Strategy.NOTE
    response = save_one_goal(client, launched)
    assert response.status_code == 303
    saved = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved as a note because this EHR does not accept goals" in saved
    assert "Clinical note (text and PDF)" in saved
    plan_key = gateway.saved[0][1]
    handout = client.get(f"/l/{launched}/handout/{plan_key}").get_data(as_text=True)
    assert "My action plan" in handout
    assert "If I have a flare" in handout
    pdf = client.get(f"/l/{launched}/handout/{plan_key}.pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")


def test_a_draft_the_database_cannot_keep_does_not_cost_the_save(
    client: FlaskClient, launched: str, gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The draft is a safety net; "database is locked" while keeping it must not fail the save.
    def locked(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("UPDATE ff_drafts", {}, Exception("database is locked"))

    fields = {**plan_form(client, launched), "template": "lunch-with-friend"}
    monkeypatch.setattr(DraftStore, "put", locked)
    page = post(client, f"/l/{launched}/plan", fields).get_data(as_text=True)
    assert "The draft could not be stored; keep this page open until you save." in page
    response = save_one_goal(client, launched)
    assert response.status_code == 303
    assert len(gateway.saved) == 1


def test_an_ehr_outage_on_save_keeps_the_form_and_says_what_to_do(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    gateway.save_error = FhirUnavailable("The EHR did not answer (timed out)")
    response = save_one_goal(client, launched)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Not saved: the EHR did not answer in time." in html
    assert ">See my friends</textarea>" in html
    again = client.get(f"/l/{launched}/plan").get_data(as_text=True)
    assert ">See my friends</textarea>" in again  # the draft came back
    assert "Draft restored." in again


def test_an_ehr_refusal_shows_the_ehrs_own_words_escaped_and_keeps_the_form(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    # smart.md 81: the OperationOutcome is read and shown as text, never as markup
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "invalid",
                "diagnostics": "Goal.target.dueDate <script>alert(1)</script> is in the past",
                "expression": ["Goal.target[0].dueDate"],
            },
        ],
    }
    gateway.save_error = FhirInvalid("Unprocessable", status=422, outcome=outcome)
    html = save_one_goal(client, launched).get_data(as_text=True)
    assert "Not saved: the EHR did not accept the data. It said: Goal.target.dueDate" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; is in the past" in html
    assert "<script>alert(1)" not in html
    assert ">See my friends</textarea>" in html


def test_a_partial_save_lists_what_failed_and_offers_to_save_again(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    gateway.answers = [
        SaveResult(
            strategy=Strategy.SEQUENTIAL,
            written=(Written(resource_type="Goal", id="g1", version_id="1"),),
            failed=(Failed(resource_type="CarePlan", message="timed out", status=504),),
        )
    ]
    saved = client.get(save_one_goal(client, launched).headers["Location"])
    html = saved.get_data(as_text=True)
    assert "Plan partly saved" in html
    assert "Care plan (the action steps): timed out (HTTP 504)" in html
    assert "Save again" in html


def test_pages_refuse_a_post_without_the_csrf_token_or_from_another_origin(  # smart.md 60
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    fields = {**plan_form(client, launched), "action": "check"}
    fields.pop("csrf_token")
    assert post(client, f"/l/{launched}/plan", fields).status_code == 400
    fields["csrf_token"] = csrf_of(client.get(f"/l/{launched}/plan").get_data(as_text=True))
    evil = client.post(
        f"/l/{launched}/plan", data=fields, headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403


def test_a_concurrent_change_to_a_goal_shows_both_versions_and_keeps_the_review(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    page = client.get(f"/l/{launched}/goals/g-pain/review").get_data(as_text=True)
    gateway.conflict = True
    fields = {
        "csrf_token": csrf_of(page),
        "base_version": "3",
        "review_key": "key-12345678",
        "gas_score": "-1",
        "achievement_status": "improving",
        "peg.pain": "5",
        "peg.enjoyment": "6",
        "peg.activity": "5",
        "note": "Walked twice",
        "decision": "revise",
    }
    response = post(client, f"/l/{launched}/goals/g-pain/review", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone changed this goal while you were reviewing it" in html
    assert '<th scope="row">Status</th><td>active</td><td>on-hold</td>' in html
    assert ">Walked twice</textarea>" in html
    assert 'name="base_version" value="4"' in html  # the next save goes on the current one
    assert gateway.reviews[0][2] == "3"
    assert "PEG since the goal started" in html
    assert "<td>4.5</td>" in html  # the PEG of 5 days ago, beside the history
    assert "<td>7</td>" not in html  # 90 days ago: before the goal started


def test_the_review_writes_gas_levels_and_peg_as_clinicians_do(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    html = client.get(f"/l/{launched}/goals/g-pain/review").get_data(as_text=True)
    assert 'value="0"> 0: ' in html  # never "+0"
    assert 'value="1"> +1: ' in html
    assert 'value="-2"> -2: ' in html
    assert "+0" not in html
    assert "PEG 4.5 now (" in html  # the overview's number format and reading of a day


def test_the_review_shows_what_was_agreed_beside_the_form(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    walk = ActionStep(
        what="Walk with the dog <Rex>",
        how_much="10 minutes",
        when="after breakfast",
        how_often=Frequency(frequency=3, period=1, unit=PeriodUnit.WEEK),
    )
    plan = written(today=TODAY, walk=walk)
    gateway.goals = {"g-walk": plan["Goal/g-walk"]}
    gateway.plans = CarePlanRead(resources=tuple(plan.values()))
    reviewed = ReviewRecord(goal_id="g-walk", when=TODAY - timedelta(days=20), gas_score=-1)
    gateway.context = dataclasses.replace(gateway.context, reviews=(reviewed,))
    html = client.get(f"/l/{launched}/goals/g-walk/review").get_data(as_text=True)
    agreed = html[html.index('id="agreed-h"') : html.index('id="hist-h"')]
    start, due = TODAY - timedelta(days=40), TODAY - timedelta(days=3)
    assert f'<th scope="row">Set on</th><td>{start.isoformat()}</td>' in agreed
    assert f"{due.isoformat()}: overdue by 3 days." in agreed
    assert "Minutes walked a day; target 15 min" in agreed
    assert "Walks to the mailbox" in agreed  # the baseline (GAS -1)
    assert "Walks around the block 3 times a week" in agreed  # the expected outcome (GAS 0)
    assert "<strong>Walk with the dog &lt;Rex&gt;</strong>" in agreed  # escaped
    assert "How much: 10 minutes. When: after breakfast. How often: 3 times a week." in agreed
    assert "Lights out" not in agreed  # the other goal's step
    assert f"8 out of 10 on {start.isoformat()}." in agreed
    assert (
        f"PEG 4.5 now ({(TODAY - timedelta(days=5)).isoformat()}), 7 when the goal was set "
        f"({(TODAY - timedelta(days=90)).isoformat()}): 36% lower, a meaningful improvement."
    ) in agreed
    history = html[html.index('id="hist-h"') :]
    assert f'<th scope="row">{(TODAY - timedelta(days=20)).isoformat()}</th><td>-1</td>' in history
    assert "No earlier review of this goal." not in history


def test_a_review_whose_care_plans_could_not_be_read_says_what_is_missing(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    gateway.plans = CarePlanRead(error="the EHR did not answer in time")
    html = client.get(f"/l/{launched}/goals/g-pain/review").get_data(as_text=True)
    assert "The care plans could not be read: the EHR did not answer in time." in html
    assert "Not shown: the care plans could not be read." in html
    assert "No measure or target was recorded with this goal." in html
    assert "No earlier review of this goal." in html


def test_a_review_with_a_peg_item_out_of_range_is_refused_beside_the_field(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    page = client.get(f"/l/{launched}/goals/g-pain/review").get_data(as_text=True)
    fields = {
        "csrf_token": csrf_of(page),
        "achievement_status": "improving",
        "peg.pain": "14",
        "peg.enjoyment": "6",
        "peg.activity": "5",
        "decision": "continue",
    }
    response = post(client, f"/l/{launched}/goals/g-pain/review", fields)
    assert response.status_code == 422
    assert 'id="r-peg-pain-error"' in response.get_data(as_text=True)
    assert gateway.reviews == []


def test_an_ehr_that_refuses_goal_updates_is_named_before_and_after_the_review(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    gateway.goal_update = False
    page = client.get(f"/l/{launched}/goals/g-pain/review").get_data(as_text=True)
    assert "This EHR does not let apps update goals" in page
    gateway.review_error = FhirError("Method not allowed", status=405)
    fields = {
        "csrf_token": csrf_of(page),
        "achievement_status": "improving",
        "note": "Better week",
        "decision": "continue",
    }
    response = post(client, f"/l/{launched}/goals/g-pain/review", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "this EHR does not accept this change from apps" in html
    assert "Press Save again" not in html
    assert ">Better week</textarea>" in html


def test_the_smart_check_answers_as_the_clinician_types(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    typed = {
        **from_template(client, launched, "walk-around-block"),
        "goals[0].steps[0].how_much": "",
    }
    answer = client.post(
        f"/l/{launched}/plan/check",
        data=typed,
        headers={"Origin": APP, "X-CSRF-Token": typed["csrf_token"]},
    ).get_json()
    assert any("say how much" in message for message in answer["checks"]["0"])


def test_an_ehr_that_takes_nothing_offers_the_handout_and_a_download(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": []}
    gateway.answers = [SaveResult(strategy=Strategy.EXPORT, written=(), export_bundle=bundle)]
    saved = client.get(save_one_goal(client, launched).headers["Location"])
    html = saved.get_data(as_text=True)
    assert "Not saved in the EHR: this EHR accepts nothing from FunctionFirst." in html
    assert "Nothing was written to the EHR." in html
    download = client.get(f"/l/{launched}/saved/{gateway.saved[0][1]}/bundle.json")
    assert download.mimetype == "application/fhir+json"
    assert download.get_json()["resourceType"] == "Bundle"


def test_save_again_completes_a_partial_save_under_the_same_plan_key(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    gateway.answers = [
        SaveResult(
            strategy=Strategy.SEQUENTIAL,
            written=(Written(resource_type="Goal", id="g1", version_id="1"),),
            failed=(Failed(resource_type="CarePlan", message="timed out", status=504),),
        ),
        SaveResult(
            strategy=Strategy.SEQUENTIAL,
            written=(
                Written(resource_type="Goal", id="g1", version_id="1", created=False),
                Written(resource_type="CarePlan", id="cp1", version_id="1"),
            ),
        ),
    ]
    partial = client.get(save_one_goal(client, launched).headers["Location"])
    token = csrf_of(partial.get_data(as_text=True))
    plan_key = gateway.saved[0][1]
    again = post(client, f"/l/{launched}/saved/{plan_key}/retry", {"csrf_token": token})
    assert again.status_code == 303
    html = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "<h1>Plan saved</h1>" in html
    assert [key for _, key in gateway.saved] == [plan_key, plan_key]


def launch_with_style(
    client: FlaskClient, ehr_: FakeEhr, wire: responses.RequestsMock, style_url: str
) -> str:
    """A launch whose token response carries `smart_style_url`."""
    ehr_.answer_tokens_with(wire, smart_style_url=style_url)
    return run_launch(client, ehr_)


def test_the_ehr_style_reaches_the_page_only_through_the_whitelist(  # smart.md 39
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock, gateway: FakeGateway
) -> None:
    style_url = f"{ehr.host}/smart-style.json"
    wire.add(
        responses.GET,
        style_url,
        json={
            "color_highlight": "#00695c",
            "color_background": "red;} body{background:url(https://evil.example/x)}",
            "font_family_body": "Segoe UI, sans-serif",
        },
    )
    path = launch_with_style(client, ehr, wire, style_url)
    html = client.get(path).get_data(as_text=True)
    launch_id = path.strip("/").split("/")[1]
    assert f'<link rel="stylesheet" href="/l/{launch_id}/style.css">' in html
    css = client.get(f"/l/{launch_id}/style.css")
    assert css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    assert "--ff-accent: #00695c;" in text
    assert "--ff-font-body: Segoe UI, sans-serif;" in text
    assert "url(" not in text
    assert "--ff-bg" not in text


def test_a_style_url_outside_the_ehr_is_never_fetched(  # smart.md 39
    client: FlaskClient, ehr: FakeEhr, wire: responses.RequestsMock, gateway: FakeGateway
) -> None:
    path = launch_with_style(client, ehr, wire, "https://styles.evil.example/s.json")
    html = client.get(path).get_data(as_text=True)
    assert "style.css" not in html
    assert not any("evil.example" in str(call.request.url) for call in wire.calls)
