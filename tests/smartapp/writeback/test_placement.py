"""Placing an EHR's OperationOutcome issues on the plan's goals, steps and fields (smart.md 81)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest
import responses

from fhir_mappers.plan import plan_to_transaction
from rehab.plan import ActionPlan
from smartapp.gateway.capabilities import Strategy
from smartapp.gateway.errors import OutcomeIssue, outcome_issues
from smartapp.writeback import SaveResult, save_plan
from smartapp.writeback.placement import (
    Where,
    parse_expression,
    place_issues,
    place_review_issues,
)
from tests.rehab.factories import make_goal, make_plan, make_step
from tests.smartapp.gateway.fakes import BASE, make_client
from tests.smartapp.writeback.test_save import make_write_plan

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def two_goal_plan() -> ActionPlan:
    walk = make_goal(steps=(make_step(),))
    lunch = make_goal(
        key="lunch", domain="social", description="Have lunch with a friend twice a month",
        measure=None, gas=None,
        steps=(make_step(what="Call Ann"), make_step(what="Book a table", how_much="", when="")),
    )
    return make_plan(goals=(walk, lunch), importance=9, barriers=("Fear of a flare", "Rain"),
                     supports=("Daughter",))


def sent_of(plan: ActionPlan, **options: Any) -> tuple[dict[str, Any], ...]:
    """The resources of the transaction the app sends for `plan`, in Bundle.entry order."""
    bundle = plan_to_transaction(plan, patient_id="p1", author="Practitioner/9", today=TODAY,
                                 plan_key="plan-1", **options)
    return tuple(entry["resource"] for entry in bundle["entry"])


def issue(*expression: str, text: str = "refused") -> OutcomeIssue:
    return OutcomeIssue(severity="error", code="invalid", text=text, expression=expression)


def where(expression: str, plan: ActionPlan | None = None, **options: Any) -> Where | None:
    plan = plan or two_goal_plan()
    placed = place_issues([issue(expression)], sent_of(plan, **options), plan)
    return placed[0].where


def test_the_bundle_entries_are_in_the_order_the_placement_assumes() -> None:
    kinds = [r["resourceType"] for r in sent_of(two_goal_plan())]
    assert kinds == ["Goal", "Goal", "CarePlan", "Observation", "Observation", "Observation",
                     "Observation"]


@pytest.mark.parametrize(
    ("expression", "path"),
    [
        ("Bundle.entry[1].resource.description.text", "goals[1].description"),
        ("Bundle.entry[0].resource.description", "goals[0].description"),
        ("Bundle.entry[0].resource.target[0].dueDate", "goals[0].due"),
        ("Bundle.entry[1].resource.target[0].dueDate", "goals[1].due"),
        ("Bundle.entry[0].resource.target[0].detailQuantity.value", "goals[0].measure.target"),
        ("Bundle.entry[0].resource.target[0].detailQuantity.unit", "goals[0].measure.unit"),
        ("Bundle.entry[0].resource.target[0].measure", "goals[0].measure.text"),
        ("Bundle.entry[0].resource.target[1].detailCodeableConcept", "goals[0].gas.0"),
        ("Bundle.entry[0].resource.startDate", "goals[0].start"),
        ("Bundle.entry[0].resource.category[1]", "goals[0].domain"),
        ("Bundle.entry[0].resource.lifecycleStatus", "goals[0]"),
        # activities: walk's one step, then lunch's two
        ("Bundle.entry[2].resource.activity[0].detail.code.text", "goals[0].steps[0].what"),
        ("Bundle.entry[2].resource.activity[2].detail.scheduledTiming.repeat.frequency",
         "goals[1].steps[1].how_often.frequency"),
        ("Bundle.entry[2].resource.activity[1].detail.scheduledTiming.repeat.periodUnit",
         "goals[1].steps[0].how_often.unit"),
        ("Bundle.entry[2].resource.activity[1].detail.status", "goals[1].steps[0]"),
        ("Bundle.entry[2].resource.goal[1]", "goals[1]"),
        ("Bundle.entry[2].resource.description", "what_matters"),
        ("Bundle.entry[3].resource.valueInteger", "confidence"),
        ("Bundle.entry[4].resource.valueInteger", "importance"),
        ("Bundle.entry[6].resource.valueString", "barriers[1]"),
    ],
)
def test_a_fhirpath_into_a_transaction_entry_names_the_goal_step_or_field(
    expression: str, path: str
) -> None:
    found = where(expression)
    assert found is not None
    assert found.path == path


def test_a_gas_level_extension_names_its_level() -> None:
    plan = two_goal_plan()
    goal = sent_of(plan)[0]
    levels = [n for n, e in enumerate(goal["extension"]) if "attainment" in e["url"]]
    found = [where(f"Bundle.entry[0].resource.extension[{n}].extension[1]") for n in levels]
    assert [w.field for w in found if w] == ["gas.-2", "gas.-1", "gas.0", "gas.1", "gas.2"]


def test_the_care_plans_own_fields_and_lists_are_named() -> None:
    careplan = sent_of(two_goal_plan())[2]
    paths = [
        w.path if (w := where(f"Bundle.entry[2].resource.extension[{n}].valueString")) else None
        for n in range(len(careplan["extension"]))
    ]
    assert paths == ["expressed_by", "confidence", "importance", "barriers[0]", "barriers[1]",
                     "supports[0]", "follow_up.check_in", "follow_up.review"]


def test_steps_written_as_service_requests_are_found_by_their_identifier() -> None:
    plan = two_goal_plan()
    sent = sent_of(plan, activity_style="reference")
    kinds = [r["resourceType"] for r in sent]
    assert kinds[:5] == ["Goal", "Goal", "ServiceRequest", "ServiceRequest", "ServiceRequest"]
    found = place_issues(
        [issue("Bundle.entry[4].resource.occurrenceTiming.repeat.period"),
         issue("Bundle.entry[3].resource.patientInstruction"),
         issue("Bundle.entry[5].resource.activity[2].reference")],
        sent, plan,
    )
    assert [p.where.path if p.where else None for p in found] == [
        "goals[1].steps[1].how_often.period", "goals[1].steps[0].what", "goals[1].steps[1]"
    ]


def test_a_sequential_create_places_its_issues_on_the_resource_it_created() -> None:
    plan = two_goal_plan()
    lunch_goal = sent_of(plan)[1]
    placed = place_issues(
        [issue("Goal.target.0.dueDate"),  # sekmet's own spelling of the path
         issue("Goal.description.text"),
         issue(),  # no expression at all: the resource being created
         issue("Line 1, Col 9")],  # not a path: still the resource being created
        (lunch_goal,), plan, refused=0,
    )
    assert [p.where.path if p.where else None for p in placed] == [
        "goals[1].due", "goals[1].description", "goals[1]", "goals[1]"
    ]


def test_a_bare_resource_path_in_a_transaction_is_placed_only_when_unambiguous() -> None:
    plan = two_goal_plan()
    sent = sent_of(plan)
    placed = place_issues(
        [issue("Goal.description"), issue("CarePlan.activity[0].detail.description")],
        sent, plan,
    )
    assert placed[0].where is None  # two Goals: the path names neither
    assert placed[1].where == Where(goal=0, step=0, field="what")
    one_goal = make_plan()
    alone = place_issues([issue("Goal.target[0].dueDate")], sent_of(one_goal), one_goal)
    assert alone[0].where == Where(goal=0, field="due")


def test_the_older_xpath_location_counts_from_one() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": "bad date",
                   "location": ["/f:Bundle/f:entry[2]/f:resource/f:Goal/f:target[1]/f:dueDate"]}],
    }
    plan = two_goal_plan()
    placed = place_issues(outcome_issues(outcome), sent_of(plan), plan)
    assert placed[0].where == Where(goal=1, field="due")


@pytest.mark.parametrize(
    "expression",
    [
        "",  # nothing to go on
        "Bundle.entry[40].resource.description",  # no such entry
        "Bundle.entry[7].resource.target",  # the Provenance: not part of the plan
        "Bundle.entry[2].resource.status",  # the care plan as a whole
        "Bundle.entry[2].resource.activity[9].detail",  # no such step
        "Patient.name",  # not something the app sent
        "Line 1, Col 23",  # a parser's position, not a path
    ],
)
def test_what_cannot_be_placed_stays_unplaced(expression: str) -> None:
    plan = two_goal_plan()
    bundle = plan_to_transaction(plan, patient_id="p1", author="Practitioner/9", today=TODAY,
                                 plan_key="plan-1", recorded=NOW)
    sent = tuple(entry["resource"] for entry in bundle["entry"])
    assert sent[-1]["resourceType"] == "Provenance"
    placed = place_issues([issue(*((expression,) if expression else ()))], sent, plan)
    assert placed[0].where is None


def test_a_goal_the_plan_does_not_hold_is_not_placed() -> None:
    plan = two_goal_plan()
    other = dataclasses.replace(plan, goals=(plan.goals[1],))  # "walk" is not in this plan
    placed = place_issues([issue("Goal.description")], (sent_of(plan)[0],), other, refused=0)
    assert placed[0].where is None


def test_the_first_expression_that_places_wins_and_the_issue_is_kept_whole() -> None:
    plan = two_goal_plan()
    found = place_issues([issue("Line 3", "Bundle.entry[1].resource.description", text="<b>x")],
                         sent_of(plan), plan)
    assert found[0].where == Where(goal=1, field="description")
    assert found[0].to_dict() == {
        "severity": "error", "code": "invalid", "text": "<b>x",
        "expression": ["Line 3", "Bundle.entry[1].resource.description"],
        "where": {"path": "goals[1].description", "goal": 1, "step": None,
                  "field": "description"},
    }


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("Goal.target[0].dueDate", [("Goal", None), ("target", 0), ("dueDate", None)]),
        ("Goal.target.0.dueDate", [("Goal", None), ("target", 0), ("dueDate", None)]),
        ("Bundle.entry[2].resource.ofType(Goal).description",
         [("Bundle", None), ("entry", 2), ("resource", None), ("description", None)]),
        ("Bundle.entry[2].resource/*Goal/null*/.description",
         [("Bundle", None), ("entry", 2), ("resource", None), ("description", None)]),
        ("/f:Goal/f:target[1]", [("Goal", None), ("target", 0)]),
        ("Line 1, Col 23", None),
    ],
)
def test_expressions_are_read_in_each_servers_spelling(
    text: str, parsed: list[tuple[str, int | None]] | None
) -> None:
    steps = parse_expression(text)
    assert (None if steps is None else [(s.name, s.index) for s in steps]) == parsed


def outcome(expression: str, text: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "invalid", "diagnostics": text,
                       "expression": [expression]}]}


def save(plan: ActionPlan, strategy: Strategy) -> SaveResult:
    return save_plan(make_client(), plan, write_plan=make_write_plan(strategy), patient_id="p1",
                     author="Practitioner/9", today=TODAY, plan_key="plan-1", recorded=NOW)


@responses.activate
def test_a_refused_transaction_carries_its_issues_placed_into_the_api_answer() -> None:
    responses.post(f"{BASE}/", status=422,
                   json=outcome("Bundle.entry[1].resource.target[0].dueDate", "too far ahead"))
    result = save(two_goal_plan(), Strategy.TRANSACTION)
    assert result.failed[0].issues[0].where == Where(goal=1, field="due")
    answer = result.to_dict()["failed"]
    assert answer == [{
        "resourceType": "Bundle", "message": "The EHR rejected the content", "status": 422,
        "issues": [{"severity": "error", "code": "invalid", "text": "too far ahead",
                    "expression": ["Bundle.entry[1].resource.target[0].dueDate"],
                    "where": {"path": "goals[1].due", "goal": 1, "step": None,
                              "field": "due"}}],
    }]


@responses.activate
def test_a_refused_create_places_its_issues_on_the_goal_it_was_creating() -> None:
    responses.post(f"{BASE}/Goal", json={"resourceType": "Goal", "id": "g1",
                                         "meta": {"versionId": "1"}}, status=201)
    responses.post(f"{BASE}/Goal", status=422, json=outcome("Goal.description", "no"))
    responses.get(f"{BASE}/Goal/g1", json={"resourceType": "Goal", "id": "g1",
                                           "meta": {"versionId": "1"}})
    responses.put(f"{BASE}/Goal/g1", json={"resourceType": "Goal", "id": "g1",
                                           "meta": {"versionId": "2"}})
    responses.post(f"{BASE}/Provenance", status=201,
                   json={"resourceType": "Provenance", "id": "pv1", "meta": {"versionId": "1"}})
    result = save(two_goal_plan(), Strategy.SEQUENTIAL)
    assert result.failed[0].resource_type == "Goal"
    assert [i.where for i in result.failed[0].issues] == [Where(goal=1, field="description")]


@pytest.mark.parametrize(
    ("request_path", "expression", "gas", "peg", "field"),
    [
        ("/open/fhir/Goal/g1", "Goal.achievementStatus.coding[0]", True, True,
         "achievement_status"),
        ("/open/fhir/Goal/g1", "Goal.lifecycleStatus", True, True, "decision"),
        ("/open/fhir/Goal/g1", "note[0].text", True, True, "note"),
        ("/open/fhir/Goal/g1", "Goal.target[0].dueDate", True, True, None),
        ("/open/fhir/Observation", "Observation.component[0].valueInteger", True, True,
         "peg.pain"),
        ("/open/fhir/Observation", "Observation.component[2].valueInteger", True, True,
         "peg.activity"),
        ("/open/fhir/Observation", "Observation.component[3].valueQuantity", True, True, "peg"),
        ("/open/fhir/Observation", "Observation.valueCodeableConcept", True, False, "gas_score"),
        ("/open/fhir/Observation", "Observation.effectiveDateTime", False, True, "peg"),
        ("/open/fhir/Observation", "Observation.valueCodeableConcept", True, True, None),
        ("/open/fhir/Observation", "Goal.note", True, False, None),  # not what was sent
        ("/open/fhir/Provenance", "Provenance.target", True, True, None),
    ],
)
def test_a_refused_review_write_is_placed_on_the_review_field_it_names(
    request_path: str, expression: str, gas: bool, peg: bool, field: str | None
) -> None:
    [placed] = place_review_issues([issue(expression)], request_path=request_path, gas=gas,
                                   peg=peg)
    assert (placed.where.field if placed.where else None) == field
