"""The overview's reading of a patient context: PEG against baseline, medicines, goals, flags."""

from __future__ import annotations

from datetime import date, timedelta

from rehab.context import CarePlanSummary, GoalSummary, PatientContext
from rehab.measures import NrsReading, PegReading, PromisKind, PromisReading
from rehab.medication import Medication
from smartapp.views.pages import number
from smartapp.views.summary import peg_words, summarize

TODAY = date(2026, 11, 23)


def peg(days_ago: int, score: float) -> PegReading:
    return PegReading(when=TODAY - timedelta(days=days_ago), score=score)


def make_goal(goal_id: str, **changes: object) -> GoalSummary:
    values: dict[str, object] = {
        "id": goal_id,
        "description": "Walk 15 minutes 3 times a week",
        "lifecycle_status": "active",
        "achievement_status": None,
        "start": TODAY - timedelta(days=10),
        "due": TODAY + timedelta(days=40),
        "is_functional": True,
        "is_pain_only": False,
        "from_functionfirst": True,
        "plan_key": "k",
        "version_id": "1",
        "last_review": None,
        "last_gas": None,
    }
    values.update(changes)
    return GoalSummary(**values)  # type: ignore[arg-type]


def test_a_drop_of_thirty_percent_or_more_reads_as_meaningful() -> None:
    assert peg_words(peg(90, 7.5), peg(1, 5.0)).endswith("33% lower, a meaningful improvement.")


def test_a_smaller_drop_is_not_yet_meaningful() -> None:
    words = peg_words(peg(90, 7.0), peg(1, 6.0))
    assert "14% lower, not yet a meaningful change (30% or more counts)." in words


def test_a_meaningful_rise_reads_as_worse() -> None:
    assert peg_words(peg(90, 4.0), peg(1, 6.0)).endswith("50% higher, meaningfully worse.")


def test_one_or_no_peg_score_asks_for_more() -> None:
    assert "Repeat the PEG at follow-up" in peg_words(peg(3, 6.0), peg(3, 6.0))
    assert peg_words(None, None).startswith("No PEG score on file.")


def test_peg_baseline_is_the_first_score_in_the_two_year_window() -> None:
    ctx = PatientContext(patient=None, peg=(peg(900, 9.0), peg(700, 8.0), peg(2, 4.0)))
    summary = summarize(ctx, today=TODAY)
    assert summary.baseline_peg == peg(700, 8.0)
    assert summary.change is not None
    assert summary.change.meaningful


def test_opioids_come_first_and_their_mme_adds_up_as_information() -> None:
    def med(name: str, opioid: bool, mme: float | None) -> Medication:
        return Medication(
            id=name,
            name=name,
            rxnorm=(),
            is_opioid=opioid,
            is_benzodiazepine=False,
            daily_mme=mme,
            mme_source=None,
            status="active",
        )

    ctx = PatientContext(
        patient=None,
        medications=(
            med("acetaminophen", False, None),
            med("oxycodone", True, 30.0),
            med("tramadol", True, 10.0),
        ),
    )
    summary = summarize(ctx, today=TODAY)
    assert [m.name for m in summary.medications] == ["oxycodone", "tramadol", "acetaminophen"]
    assert summary.total_mme == 40.0


def test_open_goals_are_listed_by_due_date_and_closed_ones_left_out() -> None:
    ctx = PatientContext(
        patient=None,
        goals=(
            make_goal("late", due=TODAY + timedelta(days=90)),
            make_goal("soon", due=TODAY + timedelta(days=5)),
            make_goal("done", lifecycle_status="completed"),
        ),
    )
    assert [row.goal.id for row in summarize(ctx, today=TODAY).goals] == ["soon", "late"]


def test_each_flag_leads_to_the_page_that_answers_it() -> None:
    ctx = PatientContext(
        patient=None,
        goals=(
            make_goal(
                "old",
                is_functional=False,
                is_pain_only=True,
                start=TODAY - timedelta(days=100),
                due=TODAY - timedelta(days=1),
            ),
        ),
    )
    flags = {f.code: f for f in summarize(ctx, today=TODAY).flags}
    assert flags["only-pain-goals"].target == "plan"
    assert flags["review-overdue"].target == "review"
    assert flags["review-overdue"].goal_ids == ("old",)


def test_the_current_plan_is_the_latest_active_functionfirst_care_plan() -> None:
    def plan(plan_id: str, status: str, start: date, ours: bool) -> CarePlanSummary:
        return CarePlanSummary(
            id=plan_id,
            status=status,
            start=start,
            activities=(f"step of {plan_id}",),
            from_functionfirst=ours,
        )

    ctx = PatientContext(
        patient=None,
        care_plans=(
            plan("other", "active", TODAY, False),
            plan("old", "active", TODAY - timedelta(days=60), True),
            plan("new", "active", TODAY - timedelta(days=1), True),
            plan("gone", "revoked", TODAY, True),
        ),
    )
    assert summarize(ctx, today=TODAY).steps == ("step of new",)


def test_promis_scores_are_read_against_the_population_mean() -> None:
    ctx = PatientContext(
        patient=None,
        promis=(PromisReading(when=TODAY, kind=PromisKind.PAIN_INTERFERENCE, t_score=62.0),),
    )
    (line,) = summarize(ctx, today=TODAY).promis
    assert line.words == "T-score 62; 50 is the population average, higher is worse."


def test_pain_now_and_the_chart_read_a_day_of_several_scores_the_same_way() -> None:
    # The EHR's search order put the 5 last; readings carry only the date.
    day = TODAY
    for order in ((6.0, 5.0), (5.0, 6.0)):
        ctx = PatientContext(
            patient=None,
            nrs=(
                NrsReading(when=day - timedelta(days=30), value=7.0),
                *(NrsReading(when=day, value=v) for v in order),
            ),
        )
        summary = summarize(ctx, today=TODAY)
        assert summary.latest_nrs is not None
        assert (summary.latest_nrs.when, summary.latest_nrs.value) == (day, 6.0)
        assert summary.nrs_that_day == 2
        assert f"to 6 on {day.isoformat()}" in summary.chart.summary


def test_peg_words_use_the_one_number_format() -> None:
    words = peg_words(peg(90, 7.0), peg(1, 13 / 3))
    assert words.startswith("PEG 4.3 now, 7 at baseline")
    assert number(13 / 3) == "4.3"
    assert number(6.0) == "6"
