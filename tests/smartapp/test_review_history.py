"""The review page's "What was agreed" and "History", from the context, the Goal and the plans.

The Goal and CarePlan are written by the app's own mappers (`plan_to_resources`), with ids
given as the EHR would, so the reader is tested against what the app really writes; resources
of other writers are hand-written.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fhir_mappers import plan_to_resources, resolve_references
from rehab.context import PatientContext, ReviewRecord
from rehab.goal import ActionStep, Frequency, FunctionalGoal, GasLevels, Measure, PeriodUnit
from rehab.measures import PegReading
from rehab.plan import ActionPlan, ExpressedBy, FollowUp
from smartapp.views.review_history import (
    CarePlanRead,
    due_words,
    goal_history,
    peg_then_words,
    targets_of,
)

TODAY = date(2026, 11, 23)
START = TODAY - timedelta(days=40)
GAS = GasLevels(
    minus_two="Cannot walk outside",
    minus_one="Walks to the mailbox",
    expected="Walks around the block 3 times a week",
    plus_one="Walks around the block 5 times a week",
    plus_two="Walks to the park daily",
)
WALK = ActionStep(
    what="Walk with the dog",
    how_much="10 minutes",
    when="after breakfast",
    how_often=Frequency(frequency=3, period=1, unit=PeriodUnit.WEEK),
)
SLEEP = ActionStep(
    what="Lights out by 22:30",
    how_much="",
    when="",
    how_often=Frequency(frequency=1, period=1, unit=PeriodUnit.DAY),
)


def plan(
    *,
    confidence: int = 8,
    override: str | None = None,
    today: date = TODAY,
    walk: ActionStep = WALK,
) -> ActionPlan:
    start = today - timedelta(days=40)
    return ActionPlan(
        what_matters="Walk my dog again",
        expressed_by=ExpressedBy.PATIENT,
        goals=(
            FunctionalGoal(
                key="walk",
                domain="walking",
                description="Walk around the block",
                measure=Measure(text="Minutes walked a day", target=15, unit="min"),
                start=start,
                due=today - timedelta(days=3),
                gas=GAS,
                steps=(walk,),
            ),
            FunctionalGoal(
                key="sleep",
                domain="sleep",
                description="Sleep six hours",
                measure=None,
                start=start,
                due=today + timedelta(days=10),
                gas=None,
                steps=(SLEEP,),
            ),
        ),
        confidence=confidence,
        follow_up=FollowUp(check_in=None, review=today),
        override_reason=override,
    )


def written(
    *, style: str = "detail", today: date = TODAY, **kwargs: Any
) -> dict[str, dict[str, Any]]:
    """The plan's Goals, ServiceRequests and CarePlan as the EHR holds them (ids assigned)."""
    resources = plan_to_resources(
        plan(today=today, **kwargs),
        patient_id="pat-1",
        author="Practitioner/pr-1",
        today=today - timedelta(days=40),
        plan_key="plan-1",
        activity_style=style,  # type: ignore[arg-type]
    )
    goal_ids = iter(("g-walk", "g-sleep"))  # the goals come first, in plan order
    ids = {
        entry.full_url: f"{entry.resource_type}/"
        + (next(goal_ids) if entry.resource_type == "Goal" else f"r{number}")
        for number, entry in enumerate(resources.entries())
    }
    named: dict[str, dict[str, Any]] = {}
    for entry in resources.entries():
        kind, rid = ids[entry.full_url].split("/")
        named[f"{kind}/{rid}"] = {**resolve_references(entry.resource, ids), "id": rid}
    return named


def context(**kwargs: Any) -> PatientContext:
    return PatientContext(
        patient=None,
        peg=(
            PegReading(when=START - timedelta(days=60), score=9.0),
            PegReading(when=START - timedelta(days=2), score=7.0),
            PegReading(when=START + timedelta(days=10), score=6.5),
            PegReading(when=TODAY - timedelta(days=1), score=4.7),
        ),
        reviews=(
            ReviewRecord(goal_id="g-walk", when=START + timedelta(days=14), gas_score=-1),
            ReviewRecord(goal_id="g-sleep", when=START + timedelta(days=15), gas_score=1),
        ),
        **kwargs,
    )


def history_of(goal_id: str = "g-walk", *, plans: CarePlanRead | None = None, **kwargs: Any) -> Any:
    found = written(**kwargs)
    read = plans or CarePlanRead(resources=tuple(found.values()))
    return goal_history(context(), goal_id, goal=found[f"Goal/{goal_id}"], plans=read, today=TODAY)


def test_the_goal_as_set_shows_dates_overdue_measure_baseline_and_target() -> None:
    history = history_of()
    assert history.description == "Walk around the block"
    assert history.start == START
    assert history.due == TODAY - timedelta(days=3)
    assert history.overdue_days == 3
    assert history.due_words == f"{(TODAY - timedelta(days=3)).isoformat()}: overdue by 3 days."
    assert [(t.label, t.words) for t in history.targets] == [
        ("Measure", "Minutes walked a day; target 15 min"),
        ("Baseline (GAS -1)", "Walks to the mailbox"),
        ("Expected by the due date (GAS 0)", "Walks around the block 3 times a week"),
    ]
    assert history.targets_words is None
    assert history.gas == GAS


def test_the_steps_of_this_goal_only_come_from_the_care_plan_with_the_confidence() -> None:
    history = history_of()
    assert [(s.what, s.how_much, s.when, s.how_often) for s in history.steps] == [
        ("Walk with the dog", "10 minutes", "after breakfast", "3 times a week")
    ]
    assert history.steps_words == ()
    assert history.confidence == 8
    assert history.confidence_words == f"8 out of 10 on {START.isoformat()}."
    sleep = history_of("g-sleep")
    assert [(s.what, s.how_much, s.when) for s in sleep.steps] == [
        ("Lights out by 22:30", "not recorded", "not recorded")
    ]
    assert sleep.targets == ()
    assert sleep.targets_words == "No measure or target was recorded with this goal."
    assert sleep.overdue_days is None
    assert sleep.due_words.endswith(": 10 days to go.")


def test_steps_written_as_service_requests_are_read_from_the_included_resources() -> None:
    history = history_of(style="reference")
    assert [s.what for s in history.steps] == ["Walk with the dog"]
    assert history.steps[0].how_often == "3 times a week"
    plans = written(style="reference")
    without_requests = CarePlanRead(
        resources=tuple(r for r in plans.values() if r["resourceType"] != "ServiceRequest")
    )
    missing = history_of(plans=without_requests, style="reference")
    assert missing.steps == ()
    assert missing.steps_words == (
        "2 action steps of the care plan are orders the EHR did not send with it, so not shown.",
    )


def test_a_low_confidence_says_why_the_plan_went_ahead() -> None:
    history = history_of(confidence=5, override="She wants to try it as it is")
    assert history.confidence == 5
    assert history.confidence_words.endswith(
        "Below 7; went ahead because: She wants to try it as it is."
    )


def test_peg_when_set_is_the_nearest_on_or_before_the_start_and_the_30_percent_rule_reads_it() -> (
    None
):
    history = history_of()
    assert history.peg_then == PegReading(when=START - timedelta(days=2), score=7.0)
    assert history.peg_now == PegReading(when=TODAY - timedelta(days=1), score=4.7)
    assert history.peg_words == (
        f"PEG 4.7 now ({(TODAY - timedelta(days=1)).isoformat()}), 7 when the goal was set "
        f"({(START - timedelta(days=2)).isoformat()}): 33% lower, a meaningful improvement."
    )
    assert [r.when for r in history.peg_since] == [
        START + timedelta(days=10),
        TODAY - timedelta(days=1),
    ]


def test_the_peg_words_cover_every_partial_case() -> None:
    then = PegReading(when=date(2026, 1, 1), score=10.0)
    assert "meaningful improvement" in peg_then_words(
        then, PegReading(when=date(2026, 2, 1), score=7.0), then.when
    )  # exactly 30%: counts, as on the overview
    assert "not yet a meaningful change (30% or more counts)" in peg_then_words(
        then, PegReading(when=date(2026, 2, 1), score=7.5), then.when
    )
    assert "meaningfully worse" in peg_then_words(
        PegReading(when=date(2026, 1, 1), score=4.0),
        PegReading(when=date(2026, 2, 1), score=6.0),
        date(2026, 1, 1),
    )
    assert peg_then_words(then, then, then.when) == (
        "PEG 10 when the goal was set (2026-01-01); none recorded since. "
        "The PEG below records one for this review."
    )
    assert peg_then_words(None, then, date(2025, 12, 1)) == (
        "PEG 10 now (2026-01-01). No PEG on or before the goal's start (2025-12-01)."
    )
    assert "no start date" in peg_then_words(None, then, None)
    assert peg_then_words(None, None, then.when).startswith("No PEG on file.")


def test_earlier_reviews_of_this_goal_only_each_with_its_peg() -> None:
    history = history_of()
    assert [(r.when, r.gas_score, r.peg) for r in history.reviews] == [
        (
            START + timedelta(days=14),
            -1,
            PegReading(when=START + timedelta(days=10), score=6.5),
        )
    ]


def test_missing_care_plans_are_said_not_left_blank() -> None:
    failed = history_of(plans=CarePlanRead(error="the EHR did not answer in time"))
    assert failed.steps == ()
    assert failed.steps_words == (
        "The care plans could not be read: the EHR did not answer in time. "
        "The action steps are not shown.",
    )
    assert failed.confidence is None
    assert failed.confidence_words == "Not shown: the care plans could not be read."
    none = history_of(plans=CarePlanRead())
    assert none.steps_words == (
        "No care plan in the EHR names this goal, so no action steps are on file.",
    )
    assert none.confidence_words == "No confidence rating on file: no care plan names this goal."


def test_a_plan_returned_without_activities_or_confidence_says_so() -> None:
    plans = written()
    careplan = next(r for r in plans.values() if r["resourceType"] == "CarePlan")
    bare = {k: v for k, v in careplan.items() if k not in ("activity", "extension")}
    history = history_of(plans=CarePlanRead(resources=(bare,)))
    assert history.steps_words == (
        "The care plan names this goal, but the EHR returned it without action steps.",
    )
    assert history.confidence_words == "No confidence rating was recorded with the care plan."


def test_another_writers_goal_and_plan_are_read_leniently() -> None:
    goal = {
        "resourceType": "Goal",
        "id": "g-other",
        "lifecycleStatus": "completed",
        "description": {"text": "Return to work half days"},
        "startDate": (TODAY - timedelta(days=90)).isoformat(),
        "target": [
            {
                "measure": {"text": "Hours at work a day"},
                "detailRange": {"low": {"value": 2}, "high": {"value": 4, "unit": "h"}},
                "dueDate": (TODAY - timedelta(days=5)).isoformat(),
            }
        ],
    }
    careplan = {
        "resourceType": "CarePlan",
        "id": "cp-other",
        "status": "active",
        "goal": [{"reference": "https://ehr.example/fhir/Goal/g-other/_history/2"}],
        "activity": [
            {
                "detail": {
                    "status": "in-progress",
                    "description": "Graded return, <b>mornings</b>",
                    "scheduledTiming": {"repeat": {"frequency": 5, "periodUnit": "wk"}},
                }
            },
            {"reference": {"reference": "ServiceRequest/elsewhere"}},
            {
                "detail": {
                    "code": {"text": "Swim"},
                    "scheduledTiming": {"repeat": {"frequency": 1, "periodUnit": "h"}},
                }
            },
        ],
    }
    history = goal_history(
        context(), "g-other", goal=goal, plans=CarePlanRead(resources=(careplan,)), today=TODAY
    )
    assert history.gas is None
    assert history.overdue_days is None  # completed: no longer overdue
    assert history.due_words == f"{(TODAY - timedelta(days=5)).isoformat()}."
    assert [(t.label, t.words) for t in history.targets] == [
        ("Measure", "Hours at work a day; target 2 to 4 h")
    ]
    assert [(s.what, s.how_much, s.how_often) for s in history.steps] == [
        ("Graded return, <b>mornings</b>", "not recorded", "5 times a week"),
        ("Swim", "not recorded", "not recorded"),  # hourly: not a plan's how often
    ]
    assert history.steps_words == (
        "1 action step of the care plan is an order the EHR did not send with it, so not shown.",
    )
    assert history.reviews == ()
    assert history.confidence is None


def test_targets_of_other_writers_read_as_words() -> None:
    def lines(*targets: dict[str, Any]) -> list[tuple[str, str]]:
        goal = {"target": list(targets)}
        return [(t.label, t.words) for t in targets_of(goal, None)]

    assert lines({"measure": {"text": "Back at work"}, "detailBoolean": True}) == [
        ("Measure", "Back at work; target yes")
    ]
    assert lines({"detailString": "Half days"}, {"detailInteger": 3}) == [
        ("Target", "Half days"),
        ("Target", "3"),
    ]
    assert lines(
        {"measure": {"coding": [{"system": "urn:x", "code": "s", "display": "Steps a day"}]}}
    ) == [("Measure", "Steps a day; no target number")]
    assert lines({"dueDate": "2026-01-01"}) == []


def test_due_words_for_today_no_date_and_one_day_late() -> None:
    assert due_words(TODAY, "active", TODAY) == (f"{TODAY.isoformat()}: due today.", None)
    assert due_words(None, "active", TODAY) == ("No due date on file.", None)
    late = TODAY - timedelta(days=1)
    assert due_words(late, "on-hold", TODAY) == (f"{late.isoformat()}: overdue by 1 day.", 1)
