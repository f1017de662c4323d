"""A refused save shows each of the EHR's issues beside what it concerns (smart.md 81).

The pages run after a real launch with the fake EHR gateway; the refusal the fake returns is
placed by the real `place_issues` on the resources the app's mapper writes for the plan saved.
The mapping itself: tests/smartapp/writeback/test_placement.py; against sekmet:
tests/integration/test_refusal_sandbox.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient

from fhir_mappers.plan import plan_to_transaction
from rehab.plan import ActionPlan
from smartapp.gateway.capabilities import Strategy
from smartapp.gateway.errors import FhirInvalid, FhirUnavailable, outcome_issues
from smartapp.views import ehr
from smartapp.views.refusal import form_name, on_form
from smartapp.web import LaunchSession
from smartapp.writeback.placement import place_issues
from smartapp.writeback.result import Failed, SaveResult, Written

from .pages_kit import APP, TODAY, FakeGateway, csrf_of, form_values, plan_form, post

SaveFn = Callable[[LaunchSession, ActionPlan, str], SaveResult]


def refusing(
    issues: list[dict[str, Any]], *, written: tuple[Written, ...] = (), status: int = 422
) -> SaveFn:
    """A save the EHR refuses as a transaction with these OperationOutcome issues."""

    def save(launch: LaunchSession, plan: ActionPlan, plan_key: str) -> SaveResult:
        bundle = plan_to_transaction(plan, patient_id="pat-1", author="Practitioner/1",
                                     today=TODAY, plan_key=plan_key)
        sent = tuple(entry["resource"] for entry in bundle["entry"])
        found = outcome_issues({"resourceType": "OperationOutcome", "issue": issues})
        failed = Failed(resource_type="Bundle", message="The EHR rejected the content",
                        status=status, issues=place_issues(found, sent, plan))
        return SaveResult(strategy=Strategy.TRANSACTION, written=written, failed=(failed,))

    return save


def save_after_a_blank_goal(client: FlaskClient, launch_id: str) -> Any:
    """A blank goal (left out of the plan), then two template goals: the form's goals[1] and
    goals[2] are the plan's goals 0 and 1."""
    fields = plan_form(client, launch_id)
    html = post(client, f"/l/{launch_id}/plan", {**fields, "action": "add-goal"})
    fields = {**fields, **form_values(html.get_data(as_text=True))}
    for template in ("grocery-shopping", "walk-around-block"):
        html = post(client, f"/l/{launch_id}/plan", {**fields, "template": template})
        fields = {**fields, **form_values(html.get_data(as_text=True))}
    assert fields["goals[0].description"] == ""
    fields.update({"what_matters": "Do my own shopping", "confidence": "8", "action": "save"})
    return post(client, f"/l/{launch_id}/plan", fields)


def goal_block(html: str, index: int) -> str:
    """The form's fieldset of goals[index], up to the next goal's or the add-goal box."""
    start = html.index(f'<fieldset class="ff-goal" data-goal="{index}"')
    ends = [m.start() for m in re.finditer(r'<fieldset class="ff-goal"|<fieldset id="add-goal"',
                                           html) if m.start() > start]
    return html[start:min(ends)] if ends else html[start:]


FREQUENCY = "Bundle.entry[2].resource.activity[0].detail.scheduledTiming.repeat.frequency"
ISSUES = [
    {"severity": "error", "code": "invalid",
     "diagnostics": "Due date <script>alert(1)</script> is too far ahead",
     "expression": ["Bundle.entry[1].resource.target[0].dueDate"]},
    {"severity": "error", "code": "business-rule", "diagnostics": "Goal status not allowed",
     "expression": ["Bundle.entry[0].resource.lifecycleStatus"]},
    {"severity": "error", "code": "invalid", "diagnostics": "Step frequency too high",
     "expression": [FREQUENCY]},
    {"severity": "error", "code": "processing", "diagnostics": "Something else is wrong",
     "expression": ["Patient.name"]},
]


def test_each_issue_shows_beside_its_goal_and_field_and_the_rest_at_the_top(
    client: FlaskClient, launched: str, gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ehr, "save", refusing(ISSUES))
    response = save_after_a_blank_goal(client, launched)
    assert response.status_code == 502
    html = response.get_data(as_text=True)
    walk, grocery = goal_block(html, 2), goal_block(html, 1)
    # the walking goal (plan goal 1, the form's goals[2]): its due date
    due = re.search(r'<p class="ff-error" id="f-goals-2-due-error">([^<]*)</p>', walk)
    assert due is not None
    assert due.group(1) == ("The EHR did not accept goal 3, due date: Due date &lt;script&gt;"
                            "alert(1)&lt;/script&gt; is too far ahead.")
    assert 'id="f-goals-2-due" name="goals[2].due"' in walk
    assert "Due date &lt;script&gt;" not in grocery
    # the grocery goal (plan goal 0, the form's goals[1]): the goal as a whole, and its step
    assert ('<p class="ff-error" id="f-goals-1-error">The EHR did not accept goal 2: Goal status '
            "not allowed.</p>") in grocery
    assert ('<p class="ff-error" id="f-goals-1-steps-0-how-often-frequency-error">The EHR did '
            "not accept goal 2, step 1, times: Step frequency too high.</p>") in grocery
    assert "Goal status not allowed" not in walk
    # what has no place stays in the top message; the summary links to each place
    assert "Not saved: the EHR did not accept the data. It said: Something else is wrong." in html
    assert "shown beside it" in html
    assert '<a href="#f-goals-2-due">' in html
    assert '<a href="#f-goals-1">' in html
    assert "<script>alert(1)" not in html
    # nothing typed is lost
    assert ">Do my own shopping</textarea>" in html
    assert html.count('class="ff-goal"') == 3


def test_a_refusal_after_the_goals_were_withdrawn_goes_back_to_the_form(
    client: FlaskClient, launched: str, gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sequential: the Goals written first were withdrawn; only their Provenance landed
    provenance = (Written(resource_type="Provenance", id="pv1", version_id="1"),)
    monkeypatch.setattr(ehr, "save", refusing(ISSUES[:1], written=provenance))
    html = save_after_a_blank_goal(client, launched).get_data(as_text=True)
    assert 'id="f-goals-2-due-error"' in html
    assert "<h1>Set goals with the patient</h1>" in html


def test_an_outage_with_nothing_landed_still_goes_to_the_saved_page(
    client: FlaskClient, launched: str, gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    provenance = (Written(resource_type="Provenance", id="pv1", version_id="1"),)
    monkeypatch.setattr(ehr, "save", refusing(ISSUES[:1], written=provenance, status=503))
    response = save_after_a_blank_goal(client, launched)
    assert response.status_code == 303


def test_a_partly_saved_plan_shows_the_issue_with_its_goal_on_the_saved_page(
    client: FlaskClient, launched: str, gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    landed = (Written(resource_type="Goal", id="g1", version_id="1"),)
    monkeypatch.setattr(ehr, "save", refusing(ISSUES, written=landed))
    response = save_after_a_blank_goal(client, launched)
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h1>Plan partly saved</h1>" in html
    goals = re.findall(r"<li>(.*?)</ul>\s*</li>", html.split('id="plan-h"')[1], re.S)
    assert len(goals) == 2
    assert ('data-said-goal="1">Due date: The EHR said: Due date &lt;script&gt;alert(1)'
            "&lt;/script&gt; is too far ahead.") in goals[1]
    assert "Goal status not allowed" in goals[0]
    assert "Step 1, times: The EHR said: Step frequency too high." in goals[0]
    assert "Due date: The EHR said" not in goals[0]
    failed = html.split('id="failed-h"')[1].split("</section>")[0]
    assert "The EHR said: Something else is wrong." in failed
    assert "<script>alert(1)" not in html


FIELDS = {
    "what_matters": "x",
    "goals[0].key": "blank", "goals[0].domain": "walking", "goals[0].description": "",
    "goals[0].due": "2027-01-01", "goals[0].steps[0].what": "",
    "goals[1].key": "walk", "goals[1].description": "Walk", "goals[1].due": "2027-01-01",
    "goals[1].steps[0].what": "", "goals[1].steps[1].what": "Walk to the corner",
    "goals[1].steps[2].what": "Walk to the park",
}


@pytest.mark.parametrize(
    ("where", "name"),
    [
        ({"goal": 0, "step": None, "field": "due"}, "goals[1].due"),
        ({"goal": 0, "step": None, "field": "start"}, "goals[1]"),  # hidden on the form
        ({"goal": 0, "step": None, "field": None}, "goals[1]"),
        ({"goal": 0, "step": 1, "field": "what"}, "goals[1].steps[2].what"),
        ({"goal": 0, "step": 0, "field": None}, "goals[1].steps[1]"),
        ({"goal": 0, "step": 5, "field": "what"}, "goals[1]"),
        ({"goal": 1, "step": None, "field": "due"}, None),
        ({"goal": None, "step": None, "field": "barriers"}, "barriers"),
        ({"goal": None, "step": None, "field": "nonsense"}, None),
    ],
)
def test_a_place_in_the_plan_is_the_forms_field_with_blank_goals_and_steps_skipped(
    where: dict[str, object], name: str | None
) -> None:
    assert form_name(where, FIELDS) == name


def test_a_place_shows_at_most_three_issues_and_no_place_keeps_the_texts() -> None:
    issue = {"text": "", "where": {"goal": 0, "step": None, "field": "due"}}
    result = {"failed": [{"issues": [
        *({**issue, "text": f"problem {n}"} for n in range(5)),
        {"text": "nowhere", "where": None},
        {"text": "y" * 500, "where": {"goal": 0, "step": None, "field": "description"}},
    ]}]}
    errors, unplaced = on_form(result, FIELDS)
    assert errors["goals[1].due"] == tuple(
        f"The EHR did not accept goal 2, due date: problem {n}." for n in range(3)
    )
    assert errors["goals[1].description"] == (
        "The EHR did not accept goal 2, description: " + "y" * 200 + ".",
    )
    assert unplaced == ("nowhere",)


def review_fields(client: FlaskClient, launch_id: str) -> dict[str, str]:
    page = client.get(f"/l/{launch_id}/goals/g-pain/review").get_data(as_text=True)
    return {"csrf_token": csrf_of(page), "base_version": "3", "gas_score": "-1",
            "achievement_status": "improving", "peg.pain": "5", "peg.enjoyment": "6",
            "peg.activity": "5", "note": "Walked twice", "decision": "revise"}


def review_refusal(path: str, expression: str, words: str) -> FhirInvalid:
    """The EHR's 422 to a review write at `path`: one issue at `expression`, one nowhere."""
    return FhirInvalid(
        "The EHR rejected the content", status=422, path=path,
        outcome={"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "invalid", "diagnostics": words,
             "expression": [expression]},
            {"severity": "error", "code": "invalid", "diagnostics": "Also this"}]})


def post_review_api(client: FlaskClient, launch_id: str, review: dict[str, Any]) -> Any:
    """POST the review JSON to the API with the launch's CSRF token."""
    api = f"/l/{launch_id}/api"
    token = client.get(f"{api}/context").get_json()["csrf_token"]
    return client.post(f"{api}/goals/g-pain/reviews", json=review,
                       headers={"X-CSRF-Token": token, "Origin": APP})


@pytest.mark.parametrize(
    ("path", "expression", "field"),
    [
        ("/fhir/Observation", "Observation.component[1].valueInteger", "r-peg-enjoyment"),
        ("/fhir/Goal/g-pain", "Goal.achievementStatus", "r-achievement_status"),
        ("/fhir/Goal/g-pain", "Goal.note[0].text", "r-note"),
    ],
)
def test_a_refused_review_shows_the_ehrs_words_beside_the_field_and_keeps_the_entries(
    client: FlaskClient, launched: str, gateway: FakeGateway, path: str, expression: str,
    field: str,
) -> None:
    gateway.review_error = review_refusal(path, expression, "Not <b>allowed</b>")
    response = post(client, f"/l/{launched}/goals/g-pain/review", review_fields(client, launched))
    html = response.get_data(as_text=True)
    assert response.status_code == 502
    assert (f'<p class="ff-error" id="{field}-error">The EHR said: Not &lt;b&gt;allowed'
            "&lt;/b&gt;.</p>") in html
    assert "Not saved: the EHR did not accept the review. It said: Also this." in html
    assert "<b>allowed" not in html
    assert ">Walked twice</textarea>" in html
    assert 'name="peg.enjoyment" value="6"' in html


@pytest.mark.parametrize(
    ("path", "expression", "where"),
    [
        ("/fhir/Observation", "Observation.component[1].valueInteger", "peg.enjoyment"),
        ("/fhir/Goal/g-pain", "Goal.achievementStatus", "achievement_status"),
    ],
)
def test_the_review_api_gives_a_refusal_with_each_issue_on_its_field(
    client: FlaskClient, launched: str, gateway: FakeGateway, path: str, expression: str,
    where: str,
) -> None:
    # smart.md 81: an integration gets what the page shows, in JSON.
    gateway.review_error = review_refusal(path, expression, "Not allowed")
    review = {"gas_score": -1, "achievement_status": "improving", "note": "Walked twice",
              "decision": "revise", "peg": {"pain": 5, "enjoyment": 6, "activity": 5},
              "base_version": "3"}
    answer = post_review_api(client, launched, review)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["error"] == "rejected"
    assert body["reference"]
    doc = client.get("/api/openapi.json").get_json()
    jsonschema.validate(body, {"$ref": "#/components/schemas/EhrRefusal", **doc})
    placed, unplaced = body["issues"]
    assert (placed["text"], placed["where"]["field"]) == ("Not allowed", where)
    assert (unplaced["text"], unplaced["where"]) == ("Also this", None)


def test_the_review_api_leaves_an_outage_to_the_one_error_handler(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    gateway.review_error = FhirUnavailable("The EHR did not answer", status=503,
                                           path="/fhir/Goal/g-pain")
    review = {"gas_score": 0, "achievement_status": "improving", "decision": "continue"}
    answer = post_review_api(client, launched, review)
    assert answer.status_code == 503
    assert answer.get_json()["error"] == "ehr_unavailable"
    assert "issues" not in answer.get_json()
