"""plan_to_resources / plan_to_transaction: linked, deterministic, valid resources."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from fhir_mappers import (
    PLAN_ITEM_SYSTEM,
    InvalidKeyError,
    InvalidResourceError,
    careplan_from_fhir,
    check_resource,
    plan_to_resources,
    plan_to_transaction,
    resolve_references,
)
from tests.fhir_mappers.factories import AUTHOR, PATIENT_ID, TODAY, fhirkit_errors, make_plan

OPTIONS = {"patient_id": PATIENT_ID, "author": AUTHOR, "today": TODAY, "plan_key": "plan-1"}


def test_every_resource_passes_the_rules_and_fhirkit_in_both_styles() -> None:
    for style in ("detail", "reference"):
        resources = plan_to_resources(make_plan(), activity_style=style, **OPTIONS)
        for resource in resources.all():
            assert check_resource(resource) == []
            assert fhirkit_errors(resource) == []
            assert "id" not in resource


def test_the_same_plan_and_key_always_give_the_same_identifiers() -> None:
    first = plan_to_resources(make_plan(), **OPTIONS)
    second = plan_to_resources(make_plan(), **OPTIONS)
    assert first.all() == second.all()
    other = plan_to_resources(make_plan(), **{**OPTIONS, "plan_key": "plan-2"})
    assert set(first.full_urls).isdisjoint(other.full_urls)


def test_identifiers_carry_the_plan_key_and_an_rfc3986_uuid_equal_to_the_full_url() -> None:
    resources = plan_to_resources(make_plan(), **OPTIONS)
    goal = resources.goals[0]
    assert goal.resource["identifier"] == [
        {"system": PLAN_ITEM_SYSTEM, "value": "plan-1/goal/walk"},
        {"system": "urn:ietf:rfc:3986", "value": goal.full_url},
    ]
    assert goal.if_none_exist == f"identifier={PLAN_ITEM_SYSTEM}|plan-1/goal/walk"


def test_the_careplan_links_goals_conditions_and_steps_as_details() -> None:
    resources = plan_to_resources(make_plan(), conditions=("cp-1", "Condition/cp-2"), **OPTIONS)
    careplan = resources.careplan.resource
    goal_urls = [goal.full_url for goal in resources.goals]
    assert [ref["reference"] for ref in careplan["goal"]] == goal_urls
    assert careplan["addresses"] == [
        {"reference": "Condition/cp-1"},
        {"reference": "Condition/cp-2"},
    ]
    assert careplan["contributor"] == [{"reference": AUTHOR}, {"reference": "Patient/123"}]
    details = [activity["detail"] for activity in careplan["activity"]]
    assert [d["goal"][0]["reference"] for d in details] == [
        goal_urls[0],
        goal_urls[0],
        goal_urls[1],
    ]
    assert details[0]["scheduledTiming"]["repeat"]["frequency"] == 3
    assert details[0]["scheduledTiming"]["repeat"]["periodUnit"] == "wk"
    assert details[0]["status"] == "not-started"
    assert resources.service_requests == ()
    for goal in resources.goals:
        assert goal.resource["addresses"] == careplan["addresses"]


def test_reference_style_writes_service_requests_for_the_patient() -> None:
    resources = plan_to_resources(make_plan(), activity_style="reference", **OPTIONS)
    careplan = resources.careplan.resource
    requests = resources.service_requests
    assert len(requests) == 3
    assert [a["reference"]["reference"] for a in careplan["activity"]] == [
        r.full_url for r in requests
    ]
    first = requests[0].resource
    assert first["performer"] == [{"reference": "Patient/123"}]
    assert first["extension"][0] == {
        "url": "http://hl7.org/fhir/StructureDefinition/resource-pertainsToGoal",
        "valueReference": {"reference": resources.goals[0].full_url},
    }
    assert first["patientInstruction"].startswith("Walk, 5 min, rest 1 min, twice")
    assert all("detail" not in activity for activity in careplan["activity"])


def test_readiness_and_barrier_observations_focus_on_every_goal() -> None:
    resources = plan_to_resources(make_plan(), **OPTIONS)
    codes = [obs.resource["code"]["coding"][0]["code"] for obs in resources.observations]
    assert codes == ["confidence", "importance", "811791000000103"]
    goal_urls = [{"reference": goal.full_url} for goal in resources.goals]
    for obs in resources.observations:
        assert obs.resource["focus"] == goal_urls
        assert obs.resource["category"][0]["coding"][0]["code"] == "survey"
    assert resources.observations[0].resource["valueInteger"] == 8
    assert resources.observations[2].resource["valueString"] == "Fear of a flare after long walks"


def test_no_importance_and_no_barriers_give_only_the_confidence_observation() -> None:
    resources = plan_to_resources(make_plan(importance=None, barriers=[]), **OPTIONS)
    assert [obs.resource["code"]["coding"][0]["code"] for obs in resources.observations] == [
        "confidence"
    ]


def test_the_previous_plan_is_replaced() -> None:
    resources = plan_to_resources(make_plan(), previous_careplan_id="old-7", **OPTIONS)
    assert resources.careplan.resource["replaces"] == [{"reference": "CarePlan/old-7"}]


def test_dependency_order_puts_goals_before_what_references_them() -> None:
    resources = plan_to_resources(make_plan(), activity_style="reference", **OPTIONS)
    kinds = [resource["resourceType"] for resource in resources.all()]
    assert kinds == [
        "Goal",
        "Goal",
        "ServiceRequest",
        "ServiceRequest",
        "ServiceRequest",
        "CarePlan",
        "Observation",
        "Observation",
        "Observation",
    ]


def test_the_transaction_posts_each_entry_conditionally_with_urn_uuid_full_urls() -> None:
    bundle = plan_to_transaction(make_plan(), **OPTIONS)
    assert bundle["type"] == "transaction"
    assert fhirkit_errors(bundle) == []
    assert check_resource(bundle) == []
    for entry in bundle["entry"]:
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert entry["request"]["method"] == "POST"
        assert entry["request"]["url"] == entry["resource"]["resourceType"]
        assert entry["request"]["ifNoneExist"].startswith(f"identifier={PLAN_ITEM_SYSTEM}|plan-1/")
    assert all(entry["resource"]["resourceType"] != "Provenance" for entry in bundle["entry"])


def test_the_transaction_with_a_recorded_time_ends_with_a_provenance_of_every_entry() -> None:
    recorded = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    bundle = plan_to_transaction(make_plan(), recorded=recorded, **OPTIONS)
    provenance = bundle["entry"][-1]["resource"]
    assert provenance["resourceType"] == "Provenance"
    targets = [target["reference"] for target in provenance["target"]]
    assert targets == [entry["fullUrl"] for entry in bundle["entry"][:-1]]
    assert fhirkit_errors(bundle) == []


def test_resolve_references_swaps_urn_uuids_for_written_ids() -> None:
    resources = plan_to_resources(make_plan(), **OPTIONS)
    written = {goal.full_url: f"Goal/{n}" for n, goal in enumerate(resources.goals)}
    careplan = resolve_references(resources.careplan.resource, written)
    assert [ref["reference"] for ref in careplan["goal"]] == ["Goal/0", "Goal/1"]
    assert careplan["activity"][2]["detail"]["goal"] == [{"reference": "Goal/1"}]
    assert resources.careplan.resource["goal"][0]["reference"].startswith("urn:uuid:")


@pytest.mark.parametrize("style", ["detail", "reference"])
def test_the_plan_read_back_equals_the_plan_written(style: str) -> None:
    plan = make_plan()
    resources = plan_to_resources(plan, activity_style=style, **OPTIONS)
    back = careplan_from_fhir(
        resources.careplan.resource,
        [goal.resource for goal in resources.goals],
        [request.resource for request in resources.service_requests],
    )
    assert back == plan


@pytest.mark.parametrize("style", ["detail", "reference"])
def test_the_plan_read_back_from_the_server_with_ids_equals_the_plan(style: str) -> None:
    plan = make_plan()
    resources = plan_to_resources(plan, activity_style=style, **OPTIONS)
    written = {
        entry.full_url: f"{entry.resource_type}/s{n}" for n, entry in enumerate(resources.entries())
    }

    def as_stored(resource: dict[str, object], url: str) -> dict[str, object]:
        stored = resolve_references(resource, written)
        stored["id"] = written[url].split("/")[1]
        stored["meta"] = {"versionId": "1"}
        return stored

    goals = [as_stored(goal.resource, goal.full_url) for goal in resources.goals]
    requests = [as_stored(r.resource, r.full_url) for r in resources.service_requests]
    careplan = as_stored(resources.careplan.resource, resources.careplan.full_url)
    # The server may return the goals in any order; the CarePlan's goal list gives the order.
    assert careplan_from_fhir(careplan, goals[::-1], requests) == plan


def test_an_unsafe_plan_key_is_refused() -> None:
    with pytest.raises(InvalidKeyError):
        plan_to_resources(make_plan(), **{**OPTIONS, "plan_key": "a|b"})


def test_an_unknown_activity_style_is_refused() -> None:
    with pytest.raises(ValueError, match="activity_style"):
        plan_to_resources(make_plan(), activity_style="inline", **OPTIONS)  # type: ignore[arg-type]


def test_a_goal_due_before_its_start_never_becomes_a_resource() -> None:
    plan = make_plan()
    broken_goal = dataclasses.replace(plan.goals[0], due=plan.goals[0].start.replace(year=2025))
    broken = dataclasses.replace(plan, goals=(broken_goal,))
    with pytest.raises(InvalidResourceError) as caught:
        plan_to_resources(broken, **OPTIONS)
    assert caught.value.resource_type == "Goal"
    assert any("dueDate: before startDate" in problem for problem in caught.value.problems)


def test_a_blank_description_fails_the_r4b_model_and_is_not_returned() -> None:
    plan = make_plan()
    broken = dataclasses.replace(plan, goals=(dataclasses.replace(plan.goals[0], description=""),))
    with pytest.raises(InvalidResourceError) as caught:
        plan_to_resources(broken, **OPTIONS)
    assert any("description" in problem for problem in caught.value.problems)
