"""The saved page and the handout page after a real launch, with the fake EHR gateway.

The heading must match what landed, every record is named, each step is said once, and
the handout is a page of its own (new window, Print button, no tab of the form lit).
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from rehab.review import GoalReview
from smartapp.gateway.capabilities import Strategy
from smartapp.writeback.result import Failed, SaveResult, Written
from smartapp.writeback.review import ReviewResult
from smartapp.writeback.review_plan import by_hand

from .pages_kit import FakeGateway, csrf_of, form_values, plan_form, post


def save_two_goals(client: FlaskClient, launch_id: str) -> Any:
    """Two template goals, importance and a barrier, saved from the form."""
    fields = plan_form(client, launch_id)
    for template in ("grocery-shopping", "walk-around-block"):
        html = post(client, f"/l/{launch_id}/plan", {**fields, "template": template})
        fields = {**fields, **form_values(html.get_data(as_text=True))}
    fields.update(
        {
            "what_matters": "Do my own shopping",
            "confidence": "8",
            "importance": "9",
            "barriers": "Bad days after a long shift",
            "action": "save",
        }
    )
    return post(client, f"/l/{launch_id}/plan", fields)


def test_a_partly_failed_save_is_never_headed_saved_to_the_chart(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    one_goal = (Written(resource_type="Goal", id="g1", version_id="1"),)
    refused = (Failed(resource_type="Goal", message="server error", status=500),)
    gateway.answers = [SaveResult(strategy=Strategy.SEQUENTIAL, written=one_goal, failed=refused)]
    html = client.get(save_two_goals(client, launched).headers["Location"]).get_data(as_text=True)
    assert "<h1>Plan partly saved</h1>" in html
    assert "Saved to the chart" not in html
    assert "Partly saved to the chart: 1 of 2 goals landed; 1 goal did not" in html
    assert "Save again" in html


def test_a_save_that_landed_nothing_says_so(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    provenance_only = (Written(resource_type="Provenance", id="p1", version_id="1"),)
    refused = (Failed(resource_type="Goal", message="server error", status=500),)
    gateway.answers = [
        SaveResult(strategy=Strategy.SEQUENTIAL, written=provenance_only, failed=refused)
    ]
    html = client.get(save_two_goals(client, launched).headers["Location"]).get_data(as_text=True)
    assert "<h1>Plan not saved</h1>" in html
    assert "Nothing was saved to the chart: 1 goal did not land" in html
    assert "Saved to the chart" not in html


def test_the_saved_page_names_each_score_and_says_each_step_once(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    everything = (
        Written(resource_type="Goal", id="g1", version_id="1"),
        Written(resource_type="Goal", id="g2", version_id="1"),
        Written(resource_type="ServiceRequest", id="s1", version_id="1"),
        Written(resource_type="ServiceRequest", id="s2", version_id="1"),
        Written(resource_type="CarePlan", id="cp1", version_id="1"),
        Written(resource_type="Observation", id="o1", version_id="1"),
        Written(resource_type="Observation", id="o2", version_id="1"),
        Written(resource_type="Observation", id="o3", version_id="1"),
    )
    gateway.answers = [SaveResult(strategy=Strategy.SEQUENTIAL, written=everything)]
    html = client.get(save_two_goals(client, launched).headers["Location"]).get_data(as_text=True)
    assert "<h1>Plan saved</h1>" in html
    assert "Score (confidence, importance, GAS or PEG)" not in html
    assert "<td>Confidence 8/10</td>" in html
    assert "<td>Importance 9/10</td>" in html
    assert "<td>Barrier: Bad days after a long shift</td>" in html
    assert "Goal 2, step 1: Walk 5 minutes, rest 1 minute" in html
    step = (
        "<li>Shop with a cart and split the bags; how much: 20 minutes; "
        "when: Saturday mid-morning; how often: once a week.</li>"
    )
    assert step in html
    assert 'aria-current="page"' not in html  # neither Overview nor Set goals is this page


def test_a_note_save_says_the_note_message_once(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    gateway.answers = [
        SaveResult(
            strategy=Strategy.NOTE,
            written=(Written(resource_type="DocumentReference", id="d1", version_id="1"),),
            warnings=(
                "The EHR does not accept goals from this app: the plan was saved as a "
                "clinical note.",
            ),
        )
    ]
    html = client.get(save_two_goals(client, launched).headers["Location"]).get_data(as_text=True)
    assert html.count("does not accept goals") == 1
    assert "Saved as a note because this EHR does not accept goals" in html


def test_the_handout_captions_name_each_goal_and_step(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    save_two_goals(client, launched)
    plan_key = gateway.saved[0][1]
    html = client.get(f"/l/{launched}/handout/{plan_key}").get_data(as_text=True)
    captions = re.findall(r"<caption[^>]*>([^<]+)</caption>", html)
    assert captions == ["Checklist for goal 1, step 1", "Checklist for goal 2, step 1"]
    assert 'aria-current="page"' not in html


def review_fields(client: FlaskClient, launch_id: str) -> dict[str, str]:
    page = client.get(f"/l/{launch_id}/goals/g-pain/review").get_data(as_text=True)
    return {
        "csrf_token": csrf_of(page),
        "base_version": "3",
        "review_key": "key-12345678",
        "gas_score": "0",
        "achievement_status": "improving",
        "peg.pain": "4",
        "peg.enjoyment": "4",
        "peg.activity": "4",
        "decision": "continue",
    }


def test_a_review_at_a_read_only_goal_ehr_says_the_scores_landed(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    peg = {"pain": 4, "enjoyment": 4, "activity": 4}
    answer = {"gas_score": 0, "achievement_status": "improving", "decision": "continue", "peg": peg}
    review, _ = GoalReview.from_dict(answer)
    assert review is not None
    goal = {"lifecycleStatus": "active", "achievementStatus": {"coding": [{"code": "improving"}]}}
    gateway.review_result = ReviewResult(
        written=(
            Written(resource_type="Observation", id="gas-1", version_id="1"),
            Written(resource_type="Observation", id="peg-1", version_id="1"),
        ),
        goal=Written(resource_type="Goal", id="g-pain", version_id="3", created=False),
        goal_updated=False,
        warnings=(by_hand(review, goal, scores_saved=True, goal_updated=False),),
    )
    response = post(client, f"/l/{launched}/goals/g-pain/review", review_fields(client, launched))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Review partly saved." in html
    assert "Scores saved to the chart; the goal&#39;s status could not be updated" in html
    assert "achievement improving" in html  # what to record by hand
    assert "Not saved" not in html


def test_a_complete_review_is_reported_saved(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    response = post(client, f"/l/{launched}/goals/g-pain/review", review_fields(client, launched))
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Review saved: the scores are in the chart and the goal is updated." in html


def test_the_handout_opens_in_its_own_window_with_a_print_button_and_no_inline_script(
    client: FlaskClient, launched: str, gateway: FakeGateway
) -> None:
    saved = client.get(save_two_goals(client, launched).headers["Location"])
    link = re.search(r"<a [^>]*>Open the handout to print", saved.get_data(as_text=True))
    assert link is not None
    assert 'target="_blank"' in link[0]
    assert 'rel="noopener"' in link[0]
    plan_key = gateway.saved[0][1]
    html = client.get(f"/l/{launched}/handout/{plan_key}").get_data(as_text=True)
    assert '<button type="button" class="ff-primary" data-print hidden>Print</button>' in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert len(scripts) == 1  # app.js only: the CSP allows no inline script
    assert 'src="/static/app.js"' in scripts[0]
    response = client.get("/static/app.js")
    script = response.get_data(as_text=True)
    response.close()
    assert 'querySelectorAll("[data-print]")' in script
    assert "window.print()" in script
