"""check_resource: the rules fhir.resources does not check."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fhir_mappers import check_resource, plan_to_resources
from fhir_mappers.errors import InvalidResourceError
from fhir_mappers.validate import validated
from tests.fhir_mappers.factories import AUTHOR, PATIENT_ID, TODAY, make_plan


def written() -> tuple[dict[str, Any], dict[str, Any]]:
    resources = plan_to_resources(
        make_plan(), patient_id=PATIENT_ID, author=AUTHOR, today=TODAY, plan_key="k"
    )
    return copy.deepcopy(resources.goals[0].resource), copy.deepcopy(resources.careplan.resource)


def minimal_goal(**changes: Any) -> dict[str, Any]:
    goal: dict[str, Any] = {
        "resourceType": "Goal",
        "lifecycleStatus": "active",
        "description": {"text": "Walk"},
        "subject": {"reference": "Patient/1"},
    }
    goal.update(changes)
    return goal


def test_written_goal_and_careplan_have_no_problems() -> None:
    goal, careplan = written()
    assert check_resource(goal) == []
    assert check_resource(careplan) == []


def test_an_unknown_lifecycle_status_is_a_problem() -> None:
    assert check_resource(minimal_goal(lifecycleStatus="foo")) == [
        "Goal.lifecycleStatus: 'foo' is not a goal-status code"
    ]


def test_gol_1_a_detail_needs_a_measure() -> None:
    goal = minimal_goal(target=[{"detailQuantity": {"value": 3}, "dueDate": "2027-01-01"}])
    assert check_resource(goal) == ["Goal.target[0]: gol-1 (a detail needs a measure)"]


def test_a_due_date_before_the_start_is_a_problem() -> None:
    goal = minimal_goal(startDate="2027-02-01", target=[{"dueDate": "2027-01-01"}])
    assert check_resource(goal) == ["Goal.target[0].dueDate: before startDate"]


def test_us_core_mandatory_goal_elements_are_required() -> None:
    problems = check_resource({"resourceType": "Goal"})
    assert problems == [
        "Goal.lifecycleStatus: required",
        "Goal.description: required",
        "Goal.subject: required",
    ]


def test_a_goal_about_a_practitioner_is_a_problem() -> None:
    assert check_resource(minimal_goal(subject={"reference": "Practitioner/1"})) == [
        "Goal.subject: must reference a Patient"
    ]


def test_the_apps_goals_need_start_due_and_expressed_by() -> None:
    goal, _ = written()
    for key in ("startDate", "expressedBy"):
        broken = {k: v for k, v in goal.items() if k != key}
        assert any(key in problem for problem in check_resource(broken))
    broken = {**goal, "target": [{"measure": {"text": "x"}}]}
    assert "Goal.target.dueDate: required for the app's goals (US Core 6.1+)" in check_resource(
        broken
    )


def test_a_goal_from_elsewhere_needs_only_the_mandatory_elements() -> None:
    assert check_resource(minimal_goal()) == []


def test_cpl_3_an_activity_has_a_reference_or_a_detail_not_both() -> None:
    _, careplan = written()
    careplan["activity"][0]["reference"] = {"reference": "ServiceRequest/1"}
    assert check_resource(careplan) == [
        "CarePlan.activity[0]: cpl-3 (reference or detail, not both)"
    ]


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("status", "open", "CarePlan.status: 'open' is not a request-status code"),
        ("intent", "wish", "CarePlan.intent: 'wish' is not a care-plan-intent code"),
    ],
)
def test_careplan_required_codes(path: str, value: str, problem: str) -> None:
    _, careplan = written()
    careplan[path] = value
    assert check_resource(careplan) == [problem]


def test_activity_codes_and_timing_units_are_checked() -> None:
    _, careplan = written()
    detail = careplan["activity"][0]["detail"]
    detail["status"] = "started"
    detail["kind"] = "Exercise"
    detail["scheduledTiming"]["repeat"]["periodUnit"] = "week"
    assert check_resource(careplan) == [
        "CarePlan.activity[0].detail.status: 'started' is not a care-plan-activity-status code",
        "CarePlan.activity[0].detail.kind: 'Exercise' is not a care-plan-activity-kind code",
        "CarePlan.activity[0].detail.scheduledTiming.repeat.periodUnit: 'week' is not a "
        "units-of-time code",
    ]


def test_a_careplan_needs_the_assess_plan_category() -> None:
    _, careplan = written()
    careplan["category"] = careplan["category"][1:]
    assert check_resource(careplan) == ["CarePlan.category: needs the US Core assess-plan coding"]


def test_a_careplan_needs_its_narrative() -> None:
    _, careplan = written()
    del careplan["text"]
    assert check_resource(careplan) == ["CarePlan.text: required"]


@pytest.mark.parametrize(
    ("div", "expected"),
    [
        ("<div>plain</div>", 'must start with <div xmlns="http://www.w3.org/1999/xhtml"'),
        ('<div xmlns="http://www.w3.org/1999/xhtml"><p>open</div>', "not well-formed XHTML"),
        (
            '<div xmlns="http://www.w3.org/1999/xhtml"><script>x()</script></div>',
            "<script> is not allowed",
        ),
        (
            '<div xmlns="http://www.w3.org/1999/xhtml"><!DOCTYPE x [<!ENTITY a "b">]></div>',
            "declarations and processing instructions are not allowed",
        ),
    ],
)
def test_the_narrative_must_be_safe_well_formed_xhtml(div: str, expected: str) -> None:
    _, careplan = written()
    careplan["text"]["div"] = div
    problems = check_resource(careplan)
    assert len(problems) == 1
    assert expected in problems[0]


def test_us_core_narrative_status_is_generated_or_additional() -> None:
    _, careplan = written()
    careplan["text"]["status"] = "empty"
    assert check_resource(careplan) == [
        "CarePlan.text.status: US Core needs generated or additional"
    ]


def test_the_apps_careplan_needs_goals_and_contributors() -> None:
    _, careplan = written()
    del careplan["goal"]
    del careplan["contributor"]
    assert check_resource(careplan) == ["CarePlan.contributor: required", "CarePlan.goal: required"]


def test_a_period_ending_before_it_starts_is_a_problem() -> None:
    _, careplan = written()
    careplan["period"] = {"start": "2027-01-02", "end": "2027-01-01"}
    assert check_resource(careplan) == ["CarePlan.period: end before start (per-1)"]


def test_observation_service_request_and_document_codes_are_checked() -> None:
    assert check_resource(
        {"resourceType": "Observation", "status": "done", "code": {"text": "x"}}
    ) == ["Observation.status: 'done' is not a observation-status code"]
    request = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "wish",
        "subject": {"reference": "Patient/1"},
        "code": {"text": "walk"},
    }
    assert check_resource(request) == ["ServiceRequest.intent: 'wish' is not a request-intent code"]
    document = {"resourceType": "DocumentReference", "status": "final"}
    assert "DocumentReference.status: 'final' is not a document-reference-status code" in (
        check_resource(document)
    )


def test_problems_inside_a_bundle_are_reported_with_their_entry() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": minimal_goal(lifecycleStatus="foo"),
                "request": {"method": "SEND", "url": "Goal"},
            }
        ],
    }
    assert check_resource(bundle) == [
        "Bundle.entry[0].request.method: 'SEND' is not a http-verb code",
        "Bundle.entry[0].Goal.lifecycleStatus: 'foo' is not a goal-status code",
    ]


def test_validated_refuses_a_resource_the_r4b_model_rejects() -> None:
    with pytest.raises(InvalidResourceError) as caught:
        validated(minimal_goal(continuous=True))  # an R5 element
    assert caught.value.problems == ("Goal.continuous: Extra inputs are not permitted",)


def test_validated_refuses_an_unknown_resource_type() -> None:
    with pytest.raises(InvalidResourceError, match="not an R4B resource"):
        validated({"resourceType": "Gizmo"})


def test_validated_returns_the_r4b_json_of_a_good_resource() -> None:
    assert validated(minimal_goal()) == minimal_goal()
