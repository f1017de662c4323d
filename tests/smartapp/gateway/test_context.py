"""The patient context in one round: all searches at once, partial on failure, cached briefly."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import responses

from fhir_mappers.search import search_specs
from smartapp.gateway.context import ContextCache, ContextResult, load_context
from tests.smartapp.gateway.fakes import BASE, make_client

TODAY = date(2026, 11, 23)


def searchset(*resources: dict[str, object]) -> dict[str, object]:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]}


PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"given": ["Brenda"],
                                                             "family": "Jackson"}],
           "birthDate": "1956-04-02", "gender": "female"}
GOAL = {"resourceType": "Goal", "id": "g1", "lifecycleStatus": "active",
        "description": {"text": "Walk to the mailbox every day"},
        "subject": {"reference": "Patient/p1"}}


def register_all(*, failing: str | None = None) -> None:
    answers = {
        "Patient/p1": PATIENT,
        "Condition": searchset(),
        "Observation": searchset(),
        "MedicationRequest": searchset(),
        "Goal": searchset(GOAL),
        "CarePlan": searchset(),
    }
    for rtype, body in answers.items():
        if rtype == failing:
            responses.get(f"{BASE}/{rtype}", status=500,
                          json={"resourceType": "OperationOutcome"})
        else:
            responses.get(f"{BASE}/{rtype}", json=body)


@responses.activate
def test_the_context_comes_in_one_round_of_parallel_searches() -> None:
    register_all()
    result = load_context(make_client(), "p1", today=TODAY, quirks={})
    assert result.round_trips == 1
    specs = search_specs("p1", lookback_start=TODAY, quirks={})
    dated = sum(any(k == "date" and v.startswith("ge") for k, v in s.params) for s in specs)
    # one request per search, the dated ones in four windows, all in the same round
    assert result.requests == len(specs) + 3 * dated
    assert result.missing == ()
    assert result.context.patient is not None
    assert result.context.patient.id == "p1"
    assert [g.id for g in result.context.goals] == ["g1"]


@responses.activate
def test_the_searches_carry_the_lookback_window_and_the_quirks() -> None:
    register_all()
    load_context(make_client(), "p1", today=TODAY, quirks={"observation_requires_category": True},
                 lookback_days=365)
    queries = [parse_qs(urlsplit(c.request.url).query) for c in responses.calls
               if urlsplit(c.request.url).path.endswith("/Observation")]
    windows = sorted(tuple(q["date"]) for q in queries if "date" in q)
    # the year is searched in four windows side by side: [ge start, lt next) ... [ge last)
    assert windows[0] == ("ge2025-11-23", "lt2026-02-22")
    assert windows[-1] == ("ge2026-08-23",)
    assert len(windows) == 4
    assert all(q.get("category") == ["survey"] for q in queries)
    assert all(q.get("_count") in (["1000"], None) for q in queries)


@responses.activate
def test_a_failing_search_gives_a_partial_context_naming_what_is_missing() -> None:
    register_all(failing="MedicationRequest")
    result = load_context(make_client(), "p1", today=TODAY, quirks={})
    assert result.missing == ("medications",)
    assert result.context.missing == ("medications",)
    assert [g.id for g in result.context.goals] == ["g1"]


def make_result(missing: tuple[str, ...] = ()) -> ContextResult:
    from rehab.context import PatientContext

    return ContextResult(context=PatientContext(patient=None), round_trips=1, requests=7,
                         missing=missing, truncated=())


def test_the_cache_serves_a_launch_within_the_ttl_and_reloads_after() -> None:
    now = [0.0]
    loads: list[int] = []
    cache = ContextCache(ttl=30, clock=lambda: now[0])

    def load() -> ContextResult:
        loads.append(1)
        return make_result()

    first = cache.get("L1", load)
    assert cache.get("L1", load) is first
    now[0] = 31
    cache.get("L1", load)
    assert len(loads) == 2
    cache.invalidate("L1")
    cache.get("L1", load)
    assert len(loads) == 3


def test_a_partial_context_is_not_cached() -> None:
    loads: list[int] = []
    cache = ContextCache(ttl=30, clock=lambda: 0.0)

    def load() -> ContextResult:
        loads.append(1)
        return make_result(("medications",))

    cache.get("L1", load)
    cache.get("L1", load)
    assert len(loads) == 2


@responses.activate
def test_the_patient_is_read_not_searched_so_the_read_scope_suffices() -> None:
    # SMART 2.2: patient/Patient.r allows the read, not a search
    register_all()
    result = load_context(make_client(), "p1", today=TODAY, quirks={})
    assert result.context.patient is not None
    paths = [urlsplit(c.request.url).path for c in responses.calls]
    assert "/fhir/Patient/p1" in paths
    assert "/fhir/Patient" not in paths
