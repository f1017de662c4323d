"""Patients with long histories: several reviewed goals (one overdue), and a heavy record."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from sandbox.patients import codes as c
from sandbox.patients import resources as r
from sandbox.patients.kinds import (
    PAIN_DOC,
    PHYSIO,
    PRIMARY,
    TWO_YEARS,
    conditions,
    medication_requests,
    mrn,
    visits,
)
from sandbox.patients.model import Json, SeedPatient, transaction
from sandbox.patients.people import draw_person, patient_resource
from sandbox.patients.series import days_back, nrs_series, peg_series, promis_series

# (key, text, start days ago, due days ago (negative: in the future), lifecycle, achievement,
#  review days ago with GAS scores)
GoalSpec = tuple[str, str, int, int, str, str | None, tuple[tuple[int, int], ...]]

_GOALS: tuple[GoalSpec, ...] = (
    (
        "garden",
        "Work in the garden for 30 minutes twice a week",
        400,
        310,
        "completed",
        "achieved",
        ((360, -1), (320, 0), (305, 1)),
    ),
    (
        "stairs",
        "Climb the stairs at home without the handrail",
        330,
        240,
        "cancelled",
        "not-attainable",
        ((290, -2),),
    ),
    (
        "swim",
        "Swim 10 lengths at the community pool once a week",
        200,
        20,
        "active",
        "in-progress",
        ((150, -1), (90, -1)),
    ),  # overdue: due 20 days ago, last review 90 days ago
    (
        "grandkids",
        "Play with the grandchildren in the park for an hour on Sundays",
        60,
        -40,
        "active",
        "improving",
        ((15, 0),),
    ),
)


def _goals_with_reviews(pid: str, today: date, specs: tuple[GoalSpec, ...]) -> list[Json]:
    out: list[Json] = []
    for key, text, start, due, lifecycle, achievement, reviews in specs:
        goal_id = f"{pid}-goal-{key}"
        out.append(
            r.goal(
                goal_id,
                pid,
                text=text,
                start=today - timedelta(days=start),
                due=today - timedelta(days=due),
                lifecycle=lifecycle,
                achievement=achievement,
            )
        )
        for index, (ago, score) in enumerate(reviews):
            out.append(
                r.gas_review(
                    f"{goal_id}-gas-{index}",
                    pid,
                    goal_id,
                    r.when(today - timedelta(days=ago), 15),
                    score,
                    PHYSIO,
                )
            )
    return out


def goal_history(pid: str, rng: Random, today: date) -> SeedPatient:
    """Four goals over a year with GAS reviews (107333-7); one active goal is overdue for review."""
    person = draw_person(rng, today, ages=(55, 78))
    onset = today - timedelta(days=rng.randint(1000, 2000))
    res: list[Json] = [patient_resource(pid, person, mrn=mrn(rng))]
    res += conditions(pid, onset, (("knee", c.KNEE_OSTEOARTHRITIS), ("chronic", c.CHRONIC_PAIN)))
    res += nrs_series(pid, rng, days_back(today, 420, 21, rng), start=6.0, end=4.0)
    res += peg_series(pid, rng, days_back(today, 420, 60, rng), start=6.0, end=4.5)
    res += _goals_with_reviews(pid, today, _GOALS)
    res.append(
        r.care_plan(
            f"{pid}-careplan",
            pid,
            start=today - timedelta(days=200),
            goals=(f"{pid}-goal-swim", f"{pid}-goal-grandkids"),
            author=PHYSIO,
            text="Graded activity plan: swimming and outdoor play, reviewed monthly",
        )
    )
    res += medication_requests(
        pid, today, (("naproxen", c.NAPROXEN_500, 300, 12, PRIMARY, "active", False),)
    )
    res += visits(pid, today, rng, count=5, reason="Knee pain rehabilitation review")
    return SeedPatient(
        id=pid,
        name=person.name,
        kind="goal-history",
        description="Knee osteoarthritis; four goals with GAS reviews, one active goal overdue",
        bundle=transaction(res),
    )


_HEAVY_MEDS = (
    (c.GABAPENTIN_300, 1, 8, "active"),
    (c.DULOXETINE_60, 1, 24, "active"),
    (c.ACETAMINOPHEN_500, 2, 8, "active"),
    (c.CYCLOBENZAPRINE_10, 1, 24, "active"),
    (c.HYDROCODONE_10, 1, 6, "active"),
    (c.LORAZEPAM_1, 1, 24, "active"),
    (c.LISINOPRIL_10, 1, 24, "active"),
    (c.OMEPRAZOLE_20, 1, 24, "active"),
    (c.SERTRALINE_50, 1, 24, "stopped"),
    (c.AMITRIPTYLINE_25, 1, 24, "stopped"),
    (c.PREGABALIN_75, 1, 12, "stopped"),
    (c.MELOXICAM_15, 1, 24, "stopped"),
    (c.IBUPROFEN_400, 1, 8, "completed"),
    (c.NAPROXEN_500, 1, 12, "completed"),
    (c.TRAMADOL_50, 1, 6, "completed"),
    (c.OXYCODONE_10, 1, 6, "completed"),
)


def heavy(pid: str, rng: Random, today: date) -> SeedPatient:
    """Thousands of Observations (a three-times-daily pain diary), many medicines, goal history."""
    person = draw_person(rng, today, ages=(40, 68))
    onset = today - timedelta(days=rng.randint(2500, 4000))
    res: list[Json] = [patient_resource(pid, person, mrn=mrn(rng))]
    res += conditions(
        pid,
        onset,
        (
            ("lbp", c.LOW_BACK_PAIN),
            ("fm", c.FIBROMYALGIA),
            ("cps", c.CHRONIC_PAIN_SYNDROME),
            ("neck", c.NECK_PAIN),
            ("dep", c.DEPRESSION),
            ("htn", c.HYPERTENSION),
        ),
    )
    res += nrs_series(pid, rng, days_back(today, TWO_YEARS, 1, rng), start=7.5, end=5.5, per_day=3)
    res += peg_series(pid, rng, days_back(today, TWO_YEARS, 7, rng), start=7.0, end=5.5)
    res += promis_series(
        pid, rng, days_back(today, TWO_YEARS, 30, rng), interference=(68, 62), function=(33, 38)
    )
    for index, (med, per_dose, hours, status) in enumerate(_HEAVY_MEDS):
        res.append(
            r.medication_request(
                f"{pid}-med-{index:02d}",
                pid,
                med,
                authored=today - timedelta(days=30 + 40 * index),
                per_dose=per_dose,
                period_hours=hours,
                requester=(PRIMARY, PAIN_DOC)[index % 2],
                status=status,
            )
        )
    specs = tuple(
        (
            f"g{i}",
            f"Goal {i + 1}: {text}",
            700 - 80 * i,
            610 - 80 * i,
            lifecycle,
            achievement,
            ((650 - 80 * i, -1), (620 - 80 * i, score)),
        )
        for i, (text, lifecycle, achievement, score) in enumerate(
            (
                ("Sit through a film at the cinema", "completed", "achieved", 0),
                ("Walk the dog for 20 minutes daily", "completed", "achieved", 1),
                ("Return to work two half-days a week", "cancelled", "not-achieved", -2),
                ("Cook dinner for the family three times a week", "completed", "achieved", 0),
                ("Cycle 5 km on Saturdays", "on-hold", "no-progress", -1),
                ("Attend the Tuesday yoga class", "completed", "sustaining", 2),
                ("Carry the shopping from the car in one trip", "active", "improving", 0),
            )
        )
    )
    res += _goals_with_reviews(pid, today, specs)
    res += visits(pid, today, rng, count=24, reason="Multidisciplinary pain programme")
    return SeedPatient(
        id=pid,
        name=person.name,
        kind="heavy",
        description="A thrice-daily pain diary for 2 years (2,000+ scores), 16 medicines, 7 goals",
        bundle=transaction(res),
        opt_in=True,
    )
