"""The everyday patients: typical, opioid, sparse and empty."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from sandbox.patients import codes as c
from sandbox.patients import resources as r
from sandbox.patients.model import Json, SeedPatient, transaction
from sandbox.patients.people import draw_person, patient_resource
from sandbox.patients.series import days_back, nrs_series, peg_series, promis_series

PRIMARY = "ff-pr-okafor"
PAIN_DOC = "ff-pr-raman"
PHYSIO = "ff-pr-lindqvist"
TWO_YEARS = 730


def mrn(rng: Random) -> str:
    """A sandbox medical record number."""
    return f"SBX{rng.randint(100000, 999999)}"


def visits(pid: str, today: date, rng: Random, *, count: int, reason: str) -> list[Json]:
    """Ambulatory follow-up visits spread over two years."""
    days = days_back(today, TWO_YEARS, TWO_YEARS // max(1, count), rng)[-count:]
    doctors = (PRIMARY, PAIN_DOC, PHYSIO)
    return [
        r.encounter(f"{pid}-enc-{i:02d}", pid, day=day, practitioner=doctors[i % 3], reason=reason)
        for i, day in enumerate(days)
    ]


def conditions(pid: str, onset: date, specs: tuple[tuple[str, r.Cond], ...]) -> list[Json]:
    """One Condition per (id suffix, code), id `{pid}-cond-{suffix}`, all with the same onset."""
    return [
        r.condition(f"{pid}-cond-{key}", pid, code, onset=onset, recorded=onset)
        for key, code in specs
    ]


# (id suffix, medicine, days before today, hours between single doses, prescriber, status,
#  as needed)
MedSpec = tuple[str, r.Med, int, int, str, str, bool]


def medication_requests(pid: str, today: date, specs: tuple[MedSpec, ...]) -> list[Json]:
    """One oral MedicationRequest per spec, id `{pid}-med-{suffix}`, in the order given."""
    return [
        r.medication_request(
            f"{pid}-med-{key}",
            pid,
            med,
            authored=today - timedelta(days=ago),
            period_hours=hours,
            requester=requester,
            status=status,
            prn=prn,
        )
        for key, med, ago, hours, requester, status, prn in specs
    ]


def typical(pid: str, rng: Random, today: date) -> SeedPatient:
    """Chronic low back pain, two years of NRS and PEG, PROMIS, two medicines, a prior goal."""
    person = draw_person(rng, today, ages=(38, 62))
    onset = today - timedelta(days=rng.randint(900, 1400))
    res: list[Json] = [patient_resource(pid, person, mrn=mrn(rng))]
    res.append(r.condition(f"{pid}-cond-lbp", pid, c.LOW_BACK_PAIN, onset=onset, recorded=onset))
    res.append(
        r.condition(
            f"{pid}-cond-chronic",
            pid,
            c.CHRONIC_PAIN,
            onset=onset + timedelta(days=120),
            recorded=onset + timedelta(days=120),
        )
    )
    res += nrs_series(pid, rng, days_back(today, TWO_YEARS, 14, rng), start=6.5, end=4.5)
    res += peg_series(pid, rng, days_back(today, TWO_YEARS, 42, rng), start=6.8, end=5.0)
    res += promis_series(
        pid, rng, days_back(today, TWO_YEARS, 120, rng), interference=(64, 59), function=(37, 41)
    )
    res += medication_requests(
        pid,
        today,
        (
            ("ibuprofen", c.IBUPROFEN_400, 200, 8, PRIMARY, "active", True),
            ("gabapentin", c.GABAPENTIN_300, 400, 8, PAIN_DOC, "active", False),
        ),
    )
    start = today - timedelta(days=420)
    res.append(
        r.goal(
            f"{pid}-goal-walk",
            pid,
            text="Walk to the corner shop and back without stopping, 3 days a week",
            start=start,
            due=start + timedelta(days=90),
            lifecycle="completed",
            achievement="achieved",
        )
    )
    res.append(
        r.goal(
            f"{pid}-goal-pain",
            pid,
            text="Reduce back pain to 3 out of 10",
            start=start,
            due=start + timedelta(days=180),
            lifecycle="cancelled",
            achievement="not-achieved",
            category="behavioral",
        )
    )
    res += visits(pid, today, rng, count=6, reason="Chronic low back pain follow-up")
    return SeedPatient(
        id=pid,
        name=person.name,
        kind="typical",
        description="Chronic low back pain; 2 years of NRS and PEG; a completed walking goal",
        bundle=transaction(res),
    )


def opioid(pid: str, rng: Random, today: date) -> SeedPatient:
    """Long-term opioids well above 50 MME a day, with a benzodiazepine."""
    person = draw_person(rng, today, ages=(45, 70))
    onset = today - timedelta(days=rng.randint(1500, 2500))
    res: list[Json] = [patient_resource(pid, person, mrn=mrn(rng))]
    res += conditions(
        pid,
        onset,
        (("cps", c.CHRONIC_PAIN_SYNDROME), ("neck", c.NECK_PAIN), ("knee", c.KNEE_OSTEOARTHRITIS)),
    )
    res += nrs_series(pid, rng, days_back(today, TWO_YEARS, 30, rng), start=7.0, end=7.0)
    res += peg_series(pid, rng, days_back(today, TWO_YEARS, 90, rng), start=7.3, end=7.0)
    # Oxycodone 10 mg every 6 h (40 mg/d, 60 MME) renewed every 90 days for 2 years, the newest
    # active; tramadol 50 mg every 6 h as needed (200 mg/d, 40 MME at the CDC 2022 factor 0.2).
    renewals = days_back(today, TWO_YEARS - 30, 90, rng)
    for index, day in enumerate(renewals):
        status = "active" if index == len(renewals) - 1 else "completed"
        res.append(
            r.medication_request(
                f"{pid}-med-oxy-{index:02d}",
                pid,
                c.OXYCODONE_10,
                authored=day,
                period_hours=6,
                requester=PAIN_DOC,
                status=status,
            )
        )
    # The tramadol order names a Medication resource, as Epic's orders do: its code is only
    # there, so the app must read the Medication (`_include`) to see an opioid at all.
    (tramadol,) = medication_requests(
        pid, today, (("tramadol", c.TRAMADOL_50, 60, 6, PAIN_DOC, "active", True),)
    )
    res += r.by_reference(tramadol, f"{pid}-medication-tramadol")
    res += medication_requests(
        pid,
        today,
        (
            ("alprazolam", c.ALPRAZOLAM_05, 150, 12, PRIMARY, "active", False),
            ("morphine", c.MORPHINE_ER_30, 800, 12, PAIN_DOC, "stopped", False),
        ),
    )
    res += visits(pid, today, rng, count=8, reason="Opioid therapy review")
    return SeedPatient(
        id=pid,
        name=person.name,
        kind="opioid",
        description="Chronic pain syndrome: oxycodone and tramadol (100 MME/day), alprazolam",
        bundle=transaction(res),
    )


def sparse(pid: str, rng: Random, today: date) -> SeedPatient:
    """One pain condition and one pain score."""
    person = draw_person(rng, today, ages=(30, 55))
    onset = today - timedelta(days=rng.randint(200, 600))
    res: list[Json] = [
        patient_resource(pid, person, mrn=mrn(rng)),
        r.condition(f"{pid}-cond-fm", pid, c.FIBROMYALGIA, onset=onset, recorded=onset),
        r.nrs(
            f"{pid}-nrs-0000",
            pid,
            r.when(today - timedelta(days=rng.randint(5, 40))),
            rng.randint(5, 8),
        ),
    ]
    return SeedPatient(
        id=pid,
        name=person.name,
        kind="sparse",
        description="Fibromyalgia with a single pain score; nothing else recorded",
        bundle=transaction(res),
    )


def empty(pid: str, rng: Random, today: date) -> SeedPatient:
    """A patient with no clinical data at all."""
    person = draw_person(rng, today, ages=(20, 80))
    return SeedPatient(
        id=pid,
        name=person.name,
        kind="empty",
        description="A registered patient with no conditions, scores, medicines or goals",
        bundle=transaction([patient_resource(pid, person, mrn=mrn(rng))]),
    )
