"""patient_context: lenient reading of what an EHR returns."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_mappers import patient_context, plan_to_resources
from rehab import PromisKind
from tests.fhir_mappers.factories import AUTHOR, PATIENT_ID, TODAY, make_plan

LOINC = "http://loinc.org"


def make_observation(
    code: str, value: Any, when: str = "2026-11-01", **extra: Any
) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"o-{code}-{when}",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": f"{when}T10:00:00Z",
        "valueQuantity": {"value": value},
    }
    obs.update(extra)
    return obs


def make_condition(system: str, code: str, **extra: Any) -> dict[str, Any]:
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "id": f"c-{code}",
        "code": {"coding": [{"system": system, "code": code, "display": f"display {code}"}]},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "subject": {"reference": "Patient/p1"},
    }
    condition.update(extra)
    return condition


def make_goal(gid: str, description: str, **extra: Any) -> dict[str, Any]:
    goal: dict[str, Any] = {
        "resourceType": "Goal",
        "id": gid,
        "lifecycleStatus": "active",
        "description": {"text": description},
        "subject": {"reference": "Patient/p1"},
    }
    goal.update(extra)
    return goal


def test_the_patient_banner() -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "gender": "female",
        "birthDate": "1961-01-25",
        "name": [
            {"use": "nickname", "given": ["Bee"]},
            {"use": "official", "given": ["Brenda", "A"], "family": "Jackson"},
        ],
    }
    context = patient_context([patient], today=TODAY)
    assert context.patient is not None
    assert (
        context.patient.id,
        context.patient.name,
        context.patient.birth_date,
        context.patient.sex,
    ) == ("p1", "Brenda A Jackson", date(1961, 1, 25), "female")


def test_pain_conditions_match_by_system_and_code_across_all_codings() -> None:
    conditions = [
        make_condition("http://hl7.org/fhir/sid/icd-10-cm", "G89.29"),
        make_condition("http://hl7.org/fhir/sid/icd-10-cm", "M54.50"),
        make_condition("http://snomed.info/sct", "278860009"),
        # A local code first, then SNOMED: still found.
        {
            **make_condition("urn:local", "LBP"),
            "id": "c-multi",
            "code": {
                "coding": [
                    {"system": "urn:local", "code": "LBP"},
                    {"system": "http://snomed.info/sct", "code": "82423001"},
                ],
                "text": "Chronic pain",
            },
        },
        # The right code under the wrong system is not a match, nor is a display alone.
        make_condition("http://snomed.info/sct", "G89.29"),
        {
            **make_condition("urn:local", "x"),
            "id": "c-display",
            "code": {"coding": [{"system": "urn:local", "code": "x", "display": "Chronic pain"}]},
        },
        make_condition("http://hl7.org/fhir/sid/icd-10-cm", "I10"),
    ]
    context = patient_context(conditions, today=TODAY)
    assert [c.id for c in context.conditions] == ["c-G89.29", "c-M54.50", "c-278860009", "c-multi"]
    assert context.conditions[3].code == "82423001"
    assert context.conditions[3].text == "Chronic pain"


def test_resolved_and_refuted_conditions_are_left_out() -> None:
    resolved = make_condition("http://snomed.info/sct", "82423001")
    resolved["clinicalStatus"]["coding"][0]["code"] = "resolved"
    refuted = make_condition(
        "http://snomed.info/sct",
        "279039007",
        verificationStatus={
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "refuted",
                }
            ]
        },
    )
    assert patient_context([resolved, refuted], today=TODAY).conditions == ()


def test_nrs_peg_and_promis_readings_sorted_oldest_first() -> None:
    resources = [
        make_observation("72514-3", 7, "2026-10-01"),
        make_observation("72514-3", 5, "2026-09-01"),
        make_observation("91147-9", 6.3, "2026-10-01"),
        make_observation("91721-1", 38.5, "2026-10-01"),
        make_observation("77865-4", 64, "2026-10-01"),
        # Another code system using the same code is not LOINC.
        {
            **make_observation("72514-3", 9),
            "id": "o-other",
            "code": {"coding": [{"system": "urn:local", "code": "72514-3"}]},
        },
    ]
    context = patient_context(resources, today=TODAY)
    assert [(r.when, r.value) for r in context.nrs] == [
        (date(2026, 9, 1), 5.0),
        (date(2026, 10, 1), 7.0),
    ]
    assert [(r.score, r.items) for r in context.peg] == [(6.3, None)]
    assert [(r.kind, r.t_score) for r in context.promis] == [
        (PromisKind.PAIN_INTERFERENCE, 64.0),
        (PromisKind.PHYSICAL_FUNCTION, 38.5),
    ]


def test_values_as_integers_or_strings_and_dates_from_issued_are_read() -> None:
    obs = make_observation("72514-3", None)
    del obs["valueQuantity"], obs["effectiveDateTime"]
    obs.update(valueInteger=4, issued="2026-11-02T08:00:00Z")
    other = {**make_observation("38208-5", None, "2026-11-03"), "valueString": "3"}
    del other["valueQuantity"]
    context = patient_context([obs, other], today=TODAY)
    assert [(r.when, r.value) for r in context.nrs] == [
        (date(2026, 11, 2), 4.0),
        (date(2026, 11, 3), 3.0),
    ]


def test_a_peg_panel_with_item_components_gives_the_items_and_mean() -> None:
    panel = make_observation("91148-7", None)
    del panel["valueQuantity"]
    panel["component"] = [
        {"code": {"coding": [{"system": LOINC, "code": "75893-8"}]}, "valueInteger": 6},
        {"code": {"coding": [{"system": LOINC, "code": "91145-3"}]}, "valueInteger": 3},
        {"code": {"coding": [{"system": LOINC, "code": "91146-1"}]}, "valueInteger": 6},
    ]
    reading = patient_context([panel], today=TODAY).peg[0]
    assert reading.score == 5.0
    assert reading.items is not None
    assert (reading.items.pain, reading.items.enjoyment, reading.items.activity) == (6, 3, 6)


def test_out_of_range_undated_and_future_readings_are_skipped_and_reported() -> None:
    too_high = make_observation("72514-3", 11, "2026-11-01")
    undated = make_observation("72514-3", 5, "2026-11-02")
    del undated["effectiveDateTime"]
    future = make_observation("72514-3", 5, "2027-05-01")
    good = make_observation("72514-3", 5, "2026-11-03")
    error = {**make_observation("72514-3", 9, "2026-11-04"), "status": "entered-in-error"}
    context = patient_context([too_high, undated, future, good, error], today=TODAY)
    assert [r.when for r in context.nrs] == [date(2026, 11, 3)]
    assert context.skipped == (
        f"Observation/{too_high['id']}",
        f"Observation/{undated['id']}",
        f"Observation/{future['id']}",
    )


def test_goals_are_classified_and_linked_to_their_gas_reviews() -> None:
    resources = plan_to_resources(
        make_plan(), patient_id=PATIENT_ID, author=AUTHOR, today=TODAY, plan_key="plan-7"
    )
    app_goal = {**resources.goals[0].resource, "id": "g-app", "meta": {"versionId": "2"}}
    gas_old = {
        **make_observation("107333-7", None, "2026-12-01"),
        "id": "r1",
        "focus": [{"reference": "Goal/g-app"}],
        "valueCodeableConcept": {"coding": [{"system": LOINC, "code": "LA34483-0"}]},
    }
    gas_new = {
        **gas_old,
        "id": "r2",
        "effectiveDateTime": "2027-01-04",
        "focus": [{"reference": "https://ehr.example/fhir/Goal/g-app/_history/2"}],
        "valueCodeableConcept": {"coding": [{"system": LOINC, "code": "LA34480-6"}]},
    }
    for obs in (gas_old, gas_new):
        del obs["valueQuantity"]
    goals = [
        app_goal,
        make_goal("g-pain", "Reduce my pain to 4 out of 10"),
        make_goal(
            "g-peg",
            "PEG 4 or lower",
            target=[
                {
                    "measure": {"coding": [{"system": LOINC, "code": "91147-9"}]},
                    "dueDate": "2027-02-01",
                }
            ],
        ),
        make_goal("g-both", "Less pain so I can walk to the shop"),
        make_goal(
            "g-garden",
            "Garden for 30 minutes",
            achievementStatus={
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                        "code": "improving",
                    }
                ]
            },
        ),
    ]
    context = patient_context([*goals, gas_old, gas_new], today=date(2027, 1, 5))
    summary = {g.id: g for g in context.goals}
    assert summary["g-app"].from_functionfirst
    assert summary["g-app"].plan_key == "plan-7"
    assert summary["g-app"].version_id == "2"
    assert (summary["g-app"].last_review, summary["g-app"].last_gas) == (date(2027, 1, 4), 1)
    assert summary["g-app"].due == date(2027, 3, 1)
    assert [g.id for g in context.goals if g.is_pain_only] == ["g-pain", "g-peg"]
    assert all(g.is_functional != g.is_pain_only for g in context.goals)
    assert summary["g-garden"].achievement_status == "improving"
    assert not summary["g-garden"].from_functionfirst
    assert [(r.goal_id, r.gas_score) for r in context.reviews] == [("g-app", -1), ("g-app", 1)]


def test_the_apps_pain_area_goal_is_pain_only() -> None:
    data = make_plan().to_dict()
    goal = dict(data["goals"][1])  # type: ignore[index]
    goal.update(key="pain", domain="pain", description="PEG 4 or lower in 3 months")
    resources = plan_to_resources(
        make_plan(goals=[data["goals"][0], goal]),  # type: ignore[index]
        patient_id=PATIENT_ID,
        author=AUTHOR,
        today=TODAY,
        plan_key="k",
    )
    stored = [{**g.resource, "id": f"g{n}"} for n, g in enumerate(resources.goals)]
    flags = [(g.id, g.is_pain_only) for g in patient_context(stored, today=TODAY).goals]
    assert flags == [("g0", False), ("g1", True)]


def test_care_plans_list_their_activities_in_words() -> None:
    resources = plan_to_resources(
        make_plan(), patient_id=PATIENT_ID, author=AUTHOR, today=TODAY, plan_key="k"
    )
    mine = {**resources.careplan.resource, "id": "cp-app"}
    theirs = {
        "resourceType": "CarePlan",
        "id": "cp-x",
        "status": "completed",
        "intent": "plan",
        "activity": [
            {"reference": {"reference": "ServiceRequest/1", "display": "PT"}},
            {"detail": {"status": "completed", "description": "Stretch daily"}},
        ],
    }
    plans = patient_context([mine, theirs], today=TODAY).care_plans
    assert [(p.id, p.status, p.from_functionfirst) for p in plans] == [
        ("cp-app", "active", True),
        ("cp-x", "completed", False),
    ]
    assert plans[0].activities == ("Walk", "Add 2 minutes", "Same wake time")
    assert plans[0].start == TODAY
    assert plans[1].activities == ("PT", "Stretch daily")


def test_bundles_are_unwrapped_and_other_types_ignored() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": make_observation("72514-3", 3)},
            {"resource": {"resourceType": "Procedure", "id": "x"}},
            {"resource": {"resourceType": "OperationOutcome"}},
        ],
    }
    context = patient_context([bundle], today=TODAY)
    assert len(context.nrs) == 1
    assert context.skipped == ()


def test_broken_resources_are_reported_by_id_and_the_rest_is_used() -> None:
    resources: list[object] = [
        "not a resource",
        {"resourceType": "Goal", "id": "g-broken", "description": "text instead of an object"},
        {"resourceType": "Patient", "name": "Jane"},
        {
            "resourceType": "Observation",
            "id": "o-bad",
            "code": {"coding": [{"system": LOINC, "code": "72514-3"}]},
            "effectiveDateTime": 20261101,
        },
        {"resourceType": "CarePlan", "id": "secret name <b>", "activity": "x"},
        make_goal("g-ok", "Walk 10 minutes"),
        make_observation("72514-3", 2),
    ]
    context = patient_context(resources, today=TODAY)
    assert context.skipped == (
        "entry #1 (not a resource)",
        "Goal/g-broken",
        "Patient #3 (no id)",
        "Observation/o-bad",
        "CarePlan #5 (no id)",
    )
    assert [g.id for g in context.goals] == ["g-ok"]
    assert len(context.nrs) == 1


def test_vendor_extensions_unknown_elements_and_duplicated_codings_are_tolerated() -> None:
    obs = make_observation("72514-3", 4)
    obs["code"]["coding"] = [{"system": LOINC, "code": "72514-3"}] * 3
    obs["extension"] = [{"url": "http://vendor.example/ext", "valueString": "x"}]
    obs["vendorThing"] = {"nested": [1, 2]}
    obs["_valueQuantity"] = {"id": "q"}
    context = patient_context([obs], today=TODAY)
    assert [r.value for r in context.nrs] == [4.0]
    assert context.skipped == ()


def test_a_diagnosis_repeated_across_encounters_is_listed_once() -> None:
    first = make_condition("http://hl7.org/fhir/sid/icd-10-cm", "M79.7")
    again = {**first, "id": "c-enc-2"}
    assert [c.id for c in patient_context([first, again], today=TODAY).conditions] == ["c-M79.7"]


def test_a_peg_panel_and_its_derived_score_are_one_reading() -> None:
    panel = make_observation("91148-7", None, "2026-10-01")
    del panel["valueQuantity"]
    panel["component"] = [
        {"code": {"coding": [{"system": LOINC, "code": code}]}, "valueInteger": 6}
        for code in ("75893-8", "91145-3", "91146-1")
    ]
    score = make_observation("91147-9", 6, "2026-10-01")
    readings = patient_context([score, panel], today=TODAY).peg
    assert len(readings) == 1
    assert readings[0].items is not None


def test_entered_in_error_goals_and_care_plans_are_left_out() -> None:
    goal = make_goal("g-err", "Walk", lifecycleStatus="entered-in-error")
    plan = {"resourceType": "CarePlan", "id": "cp-err", "status": "entered-in-error"}
    context = patient_context([goal, plan], today=TODAY)
    assert (context.goals, context.care_plans, context.skipped) == ((), (), ())


def test_an_unanswered_question_is_not_a_broken_resource() -> None:
    declined = make_observation("72514-3", None)
    del declined["valueQuantity"]
    declined["dataAbsentReason"] = {"coding": [{"code": "asked-declined"}]}
    context = patient_context([declined], today=TODAY)
    assert (context.nrs, context.skipped) == ((), ())


def test_a_resource_returned_by_two_searches_counts_once() -> None:
    obs = make_observation("72514-3", 4)
    page = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": obs}]}
    assert len(patient_context([page, page, obs], today=TODAY).nrs) == 1
