"""Write-back checklist items no other test named: the Goal sent, the Provenance after a save
(and when the EHR refuses it), a forbidden write (docs/smart-checklist.md)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import responses
from requests import PreparedRequest

from fhir_mappers import InvalidResourceError, check_resource, validated
from launch.scopes import GrantedScopes
from rehab.plan import ActionPlan
from smartapp.gateway.capabilities import (
    Strategy,
    WritePlan,
    capabilities_from_statement,
    plan_writes,
)
from smartapp.store import AuditEntry, Outcome, Store
from smartapp.writeback import SaveResult, WriteEvent, save_plan, save_review
from smartapp.writeback.result import scope_on_refusal
from tests.rehab.factories import make_plan
from tests.smartapp.gateway.fakes import BASE, make_client

TODAY = date(2026, 11, 23)
REFUSED = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "forbidden", "diagnostics": "Not allowed"}],
}


def every_write(strategy: Strategy) -> WritePlan:
    """A write plan for an EHR that accepts every write the app makes."""
    return WritePlan(
        strategy=strategy,
        reasons=(),
        observations=True,
        provenance=True,
        conditional_create=True,
        goal_update=True,
        versioned_update=True,
    )


def save(write_plan: WritePlan, plan: ActionPlan | None = None, **extra: Any) -> SaveResult:
    """save_plan for Patient/p1 by Practitioner/9 as plan-1, recorded today at 10:00 UTC;
    `extra` (a hook, on_behalf_of) goes to save_plan as it is."""
    return save_plan(
        make_client(),
        make_plan() if plan is None else plan,
        write_plan=write_plan,
        patient_id="p1",
        author="Practitioner/9",
        today=TODAY,
        plan_key="plan-1",
        recorded=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        **extra,
    )


def save_sequentially(events: list[WriteEvent]) -> SaveResult:
    return save(every_write(Strategy.SEQUENTIAL), hook=events.append)


def test_the_goal_sent_has_the_required_elements_and_nothing_extra() -> None:
    # smart.md 83: US Core Goal lifecycleStatus, description and subject; validated before it
    # leaves; no free-text copies (the plan's barriers stay out of the Goal)
    with responses.RequestsMock() as wire:
        wire.post(
            f"{BASE}/",
            json={
                "resourceType": "Bundle",
                "type": "transaction-response",
                "entry": [
                    {"response": {"status": "201 Created", "location": loc}}
                    for loc in (
                        "Goal/g1/_history/1",
                        "CarePlan/c1/_history/1",
                        "Observation/o1/_history/1",
                        "Observation/o2/_history/1",
                        "Provenance/pv1/_history/1",
                    )
                ],
            },
        )
        save(
            every_write(Strategy.TRANSACTION),
            make_plan(barriers=("Fear of a flare after the divorce",)),
        )
        sent = json.loads(wire.calls[0].request.body or "{}")
    goals = [e["resource"] for e in sent["entry"] if e["resource"]["resourceType"] == "Goal"]
    assert goals
    for goal in goals:
        assert goal["lifecycleStatus"] == "active"
        assert goal["description"]["text"]
        assert goal["subject"] == {"reference": "Patient/p1"}
        assert "note" not in goal
        assert "divorce" not in json.dumps(goal)
        assert check_resource(goal) == []
    assert validated(goals[0])["subject"] == {"reference": "Patient/p1"}
    bare = {k: v for k, v in goals[0].items() if k != "subject"}
    with pytest.raises(InvalidResourceError):
        validated(bare)  # the gate every outgoing resource passes refuses a Goal without subject


def test_a_write_the_ehr_forbids_is_reported_once_and_not_retried() -> None:
    # smart.md 80: a 403 on a write the granted scopes seemed to allow: say so, record the
    # resource type and status, never retry
    events: list[WriteEvent] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        wire.post(f"{BASE}/Goal", status=403, json=REFUSED)
        result = save_sequentially(events)
        assert [(c.request.method, c.request.url) for c in wire.calls] == [("POST", f"{BASE}/Goal")]
    assert result.written == ()
    assert [(f.resource_type, f.status) for f in result.failed] == [("Goal", 403)]
    assert "does not allow" in result.failed[0].message
    assert [(e.action, e.accepted, e.detail) for e in events] == [
        ("create:Goal", False, "HTTP 403 FhirForbidden")
    ]


def ehr_that_creates(wire: responses.RequestsMock, *, provenance_status: int = 201) -> None:
    """Every create gets the next id, version 1; a Provenance gets `provenance_status`."""
    made: list[str] = []

    def create(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        kind = urlsplit(str(request.url)).path.rsplit("/", 1)[1]
        if kind == "Provenance" and provenance_status != 201:
            return provenance_status, {}, json.dumps(REFUSED)
        made.append(kind)
        body = {**json.loads(request.body or "{}"), "id": f"{kind.lower()}-{len(made)}"}
        body["meta"] = {"versionId": "1"}
        return 201, {"Content-Type": "application/fhir+json"}, json.dumps(body)

    wire.add_callback(responses.POST, re.compile(re.escape(BASE) + r"/[A-Za-z]+$"), callback=create)


def test_every_write_is_followed_by_a_provenance_naming_the_versions_and_the_author() -> None:
    # smart.md 73
    events: list[WriteEvent] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        ehr_that_creates(wire)
        result = save_sequentially(events)
        sent = [json.loads(c.request.body or "{}") for c in wire.calls]
    provenance = sent[-1]
    assert provenance["resourceType"] == "Provenance"
    written = [w.reference for w in result.written if w.resource_type != "Provenance"]
    assert written
    assert all(ref.endswith("/_history/1") for ref in written)
    assert [t["reference"] for t in provenance["target"]] == written
    assert provenance["recorded"] == "2026-11-23T10:00:00Z"
    assert provenance["activity"]["coding"][0]["code"] == "CREATE"
    agents = {a["type"]["coding"][0]["code"]: a["who"] for a in provenance["agent"]}
    assert agents["author"] == {"reference": "Practitioner/9"}
    assert agents["assembler"] == {"display": "FunctionFirst"}
    assert events[-1].action == "create:Provenance"
    assert events[-1].accepted


def test_a_refused_provenance_is_kept_in_the_audit_trail_instead() -> None:
    # smart.md 73: the EHR rejects the Provenance; the app's audit log keeps the equivalent record
    events: list[WriteEvent] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        ehr_that_creates(wire, provenance_status=403)
        result = save_sequentially(events)
    written = tuple(w.reference for w in result.written)
    assert written
    assert not any(ref.startswith("Provenance/") for ref in written)
    assert result.warnings == (
        "The EHR did not accept the provenance record; the app's audit log holds it.",
    )
    refused = events[-1]
    assert (refused.action, refused.accepted, refused.detail) == (
        "create:Provenance",
        False,
        "HTTP 403",
    )
    assert refused.resources == written


GRANTED = "launch openid fhirUser patient/Patient.rs patient/Goal.crus patient/CarePlan.crs"


def audited_save(store: Store, write_plan: WritePlan) -> tuple[AuditEntry, ...]:
    """Save with the pages' hook (every write attempt appended to the audit store)."""

    def hook(event: WriteEvent) -> None:
        outcome = Outcome.SUCCESS if event.accepted else Outcome.FAILURE
        store.audit.append(AuditEntry(action=event.action, outcome=outcome, launch_id="l-1",
                                      resources=event.resources, detail=event.detail))  # fmt: skip

    save(write_plan, hook=hook)
    return store.audit.entries(launch_id="l-1")


def test_a_forbidden_write_is_audited_with_the_granted_scope_never_the_token(
    tmp_path: Path,
) -> None:
    # smart.md 80: the audit entry of the refused write names the resource type, the status and
    # the scope string the EHR granted; the access token stays out
    caps = capabilities_from_statement(
        {
            "resourceType": "CapabilityStatement",
            "rest": [{"mode": "server", "resource": [
                {"type": rt, "conditionalCreate": True,
                 "interaction": [{"code": "create"}, {"code": "update"}]}
                for rt in ("Goal", "CarePlan")
            ]}],
        }
    )  # fmt: skip
    write_plan = plan_writes(caps, GrantedScopes.parse(GRANTED), None)
    assert write_plan.strategy is Strategy.SEQUENTIAL
    assert write_plan.granted_scope == GRANTED
    store = Store.open(f"sqlite:///{tmp_path / 'audit.db'}", secret_key="k" * 40)
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
            wire.post(f"{BASE}/Goal", status=403, json=REFUSED)
            [entry] = audited_save(store, write_plan)
    finally:
        store.close()
    assert (entry.action, entry.outcome) == ("create:Goal", Outcome.FAILURE)
    assert entry.detail == f"HTTP 403 FhirForbidden; granted scope: {GRANTED}"
    assert "token-1" not in repr(entry)  # the fake client's access token


def test_only_a_403_carries_the_scope() -> None:
    # smart.md 80: other failures (a 500, a conflict) and accepted writes keep their own detail
    seen: list[WriteEvent] = []
    hook = scope_on_refusal(seen.append, "patient/Goal.cu")
    hook(WriteEvent(action="create:Goal", accepted=False, detail="HTTP 500 FhirServerError"))
    hook(WriteEvent(action="update:Goal", accepted=False, detail="HTTP 403"))
    hook(WriteEvent(action="create:Goal", accepted=True, resources=("Goal/1/_history/1",)))
    assert [e.detail for e in seen] == [
        "HTTP 500 FhirServerError",
        "HTTP 403; granted scope: patient/Goal.cu",
        None,
    ]
    plain = seen.append
    assert scope_on_refusal(plain, "") is plain  # no scope known (a review without a plan)


ORG = "Organization/clinic-1"


def test_the_provenance_names_the_tenants_organisation() -> None:
    # smart.md 73: agent onBehalfOf, record by record and inside a transaction
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        ehr_that_creates(wire)
        save(every_write(Strategy.SEQUENTIAL), on_behalf_of=ORG)
        provenance = json.loads(wire.calls[-1].request.body or "{}")
    assert provenance["resourceType"] == "Provenance"
    author = next(a for a in provenance["agent"] if a["type"]["coding"][0]["code"] == "author")
    assert author["onBehalfOf"] == {"reference": ORG}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        wire.post(f"{BASE}/", status=500)  # only the request body matters here
        ehr_that_creates(wire)
        save(every_write(Strategy.TRANSACTION), on_behalf_of=ORG)
        bundle = json.loads(wire.calls[0].request.body or "{}")
    assert bundle["type"] == "transaction"
    inside = bundle["entry"][-1]["resource"]
    assert inside["resourceType"] == "Provenance"
    assert inside["agent"][0]["onBehalfOf"] == {"reference": ORG}


def test_a_reviews_provenance_names_the_organisation_too() -> None:
    # smart.md 73
    from tests.smartapp.writeback.test_review import NOW, make_goal, review

    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        wire.get(f"{BASE}/Goal/g1", json=make_goal("3"), headers={"ETag": 'W/"3"'})
        wire.post(f"{BASE}/Observation", status=201,
                  json={"resourceType": "Observation", "id": "o1", "meta": {"versionId": "1"}})
        wire.put(f"{BASE}/Goal/g1", json=make_goal("4", lifecycleStatus="completed"))
        wire.post(f"{BASE}/Provenance", status=201,
                  json={"resourceType": "Provenance", "id": "pv", "meta": {"versionId": "1"}})
        save_review(make_client(), "g1", review(), patient_id="p1", author="Practitioner/9",
                    today=NOW.date(), recorded=NOW, base_version="3", review_key="rev-1",
                    on_behalf_of=ORG)  # fmt: skip
        [sent] = [c for c in wire.calls if c.request.path_url == "/fhir/Provenance"]
    provenance = json.loads(sent.request.body or "{}")
    assert provenance["agent"][0]["onBehalfOf"] == {"reference": ORG}
