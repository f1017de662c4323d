"""review_to_resources, plan_to_note and provenance_for."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Any

import pytest

from fhir_mappers import (
    InvalidKeyError,
    check_resource,
    plan_to_note,
    plan_to_resources,
    provenance_for,
    review_to_resources,
)
from tests.fhir_mappers.factories import (
    AUTHOR,
    PATIENT_ID,
    TODAY,
    fhirkit_errors,
    make_plan,
    make_review,
)

REVIEW_DAY = date(2027, 1, 4)


def stored_goal() -> dict[str, Any]:
    resources = plan_to_resources(
        make_plan(), patient_id=PATIENT_ID, author=AUTHOR, today=TODAY, plan_key="k"
    )
    goal = dict(resources.goals[0].resource)
    goal["id"] = "g1"
    goal["meta"] = {**goal["meta"], "versionId": "3", "lastUpdated": "2026-11-23T10:00:00Z"}
    return goal


def review(**changes: Any) -> Any:
    return review_to_resources(
        make_review(**changes),
        goal=stored_goal(),
        patient_id=PATIENT_ID,
        author=AUTHOR,
        today=REVIEW_DAY,
        review_key="rev-1",
    )


def test_a_review_gives_a_gas_score_about_the_goal() -> None:
    result = review()
    gas = result.observations[0]
    assert gas["code"]["coding"][0]["code"] == "107333-7"
    assert gas["focus"] == [{"reference": "Goal/g1"}]
    assert gas["valueCodeableConcept"]["coding"][0]["code"] == "LA34480-6"
    assert gas["effectiveDateTime"] == "2027-01-04"
    assert gas["performer"] == [{"reference": AUTHOR}]
    assert gas["identifier"][0]["value"] == "rev-1/gas/0"


def test_a_review_gives_the_peg_panel_with_items_and_mean() -> None:
    peg = review().observations[1]
    assert peg["code"]["coding"][0]["code"] == "91148-7"
    values = {
        c["code"]["coding"][0]["code"]: c.get("valueInteger", c.get("valueQuantity"))
        for c in peg["component"]
    }
    assert values == {
        "75893-8": 5,
        "91145-3": 4,
        "91146-1": 3,
        "91147-9": {
            "value": 4.0,
            "unit": "{score}",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        },
    }


def test_completing_a_goal_updates_its_state_and_points_at_the_score() -> None:
    result = review()
    goal = result.goal
    assert goal["id"] == "g1"
    assert goal["lifecycleStatus"] == "completed"
    assert goal["achievementStatus"]["coding"][0]["code"] == "achieved"
    assert goal["statusDate"] == "2027-01-04"
    assert goal["outcomeReference"] == [{"reference": result.full_urls[0]}]
    assert goal["note"] == [{"text": "Walked 3 times most weeks", "time": "2027-01-04"}]
    assert "versionId" not in goal["meta"]
    assert goal["meta"]["profile"][0].endswith("us-core-goal")


def test_continuing_keeps_the_goal_active_without_an_outcome() -> None:
    goal = review(decision="continue", achievement_status="improving").goal
    assert goal["lifecycleStatus"] == "active"
    assert goal["achievementStatus"]["coding"][0]["code"] == "improving"
    assert "outcomeReference" not in goal


def test_a_review_without_gas_or_peg_only_updates_the_goal() -> None:
    result = review(
        gas_score=None, peg=None, note=None, decision="revise", what_helped="walking with a friend"
    )
    assert result.observations == ()
    assert result.goal["note"] == [
        {"text": "What helped: walking with a friend", "time": "2027-01-04"}
    ]


def test_every_review_resource_is_valid() -> None:
    result = review()
    for resource in (*result.observations, result.goal):
        assert check_resource(resource) == []
        assert fhirkit_errors(resource) == []


def test_a_goal_without_an_id_cannot_be_reviewed() -> None:
    goal = stored_goal()
    del goal["id"]
    with pytest.raises(ValueError, match="id"):
        review_to_resources(
            make_review(), goal=goal, patient_id=PATIENT_ID, author=AUTHOR, today=REVIEW_DAY
        )


def test_a_bad_review_key_is_refused() -> None:
    with pytest.raises(InvalidKeyError):
        review_to_resources(
            make_review(),
            goal=stored_goal(),
            patient_id=PATIENT_ID,
            author=AUTHOR,
            today=REVIEW_DAY,
            review_key="a b",
        )


def test_the_plan_note_holds_text_and_pdf() -> None:
    note = plan_to_note(
        make_plan(),
        patient_id=PATIENT_ID,
        author=AUTHOR,
        today=TODAY,
        plan_key="k",
        text="My plan",
        pdf=b"%PDF-1.4 test",
    )
    assert note["type"]["coding"][0]["code"] == "18776-5"
    assert note["status"] == "current"
    assert note["identifier"][0]["value"] == "k/note/0"
    text, pdf = (item["attachment"] for item in note["content"])
    assert base64.b64decode(text["data"]) == b"My plan"
    assert text["contentType"] == "text/plain; charset=utf-8"
    assert base64.b64decode(pdf["data"]) == b"%PDF-1.4 test"
    assert pdf["contentType"] == "application/pdf"
    assert fhirkit_errors(note) == []
    assert check_resource(note) == []


def test_a_note_without_its_pdf_is_refused() -> None:
    with pytest.raises(ValueError, match="PDF"):
        plan_to_note(
            make_plan(),
            patient_id=PATIENT_ID,
            author=AUTHOR,
            today=TODAY,
            plan_key="k",
            text="My plan",
            pdf=b"",
        )


def test_provenance_names_each_version_the_author_and_the_app() -> None:
    recorded = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    provenance = provenance_for(
        ["Goal/1/_history/1", "CarePlan/2/_history/1"],
        author=AUTHOR,
        today_instant=recorded,
        activity="UPDATE",
    )
    assert provenance["target"] == [
        {"reference": "Goal/1/_history/1"},
        {"reference": "CarePlan/2/_history/1"},
    ]
    assert provenance["recorded"] == "2026-11-23T15:30:00Z"
    assert provenance["activity"]["coding"][0]["code"] == "UPDATE"
    agents = [(a["type"]["coding"][0]["code"], a["who"]) for a in provenance["agent"]]
    assert agents == [
        ("author", {"reference": AUTHOR}),
        ("assembler", {"display": "FunctionFirst"}),
    ]
    assert fhirkit_errors(provenance) == []


def test_provenance_needs_a_time_zone_and_a_target() -> None:
    with pytest.raises(ValueError, match="time zone"):
        provenance_for(["Goal/1"], author=AUTHOR, today_instant=datetime(2026, 11, 23, 15, 30))
    with pytest.raises(ValueError, match="target"):
        provenance_for([], author=AUTHOR, today_instant=datetime(2026, 11, 23, tzinfo=UTC))


def test_a_stale_generated_narrative_is_dropped_and_additional_text_kept() -> None:
    goal = stored_goal()
    goal["text"] = {"status": "generated", "div": "<div>old state</div>"}
    updated = review_to_resources(
        make_review(), goal=goal, patient_id=PATIENT_ID, author=AUTHOR, today=REVIEW_DAY
    ).goal
    assert "text" not in updated
    kept = {
        "status": "additional",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Set with the patient</p></div>',
    }
    goal["text"] = kept
    updated = review_to_resources(
        make_review(), goal=goal, patient_id=PATIENT_ID, author=AUTHOR, today=REVIEW_DAY
    ).goal
    assert updated["text"] == kept
