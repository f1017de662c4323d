"""CapabilityStatement -> feature flags -> the write plan (smart.md 74, 80)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import responses

from smartapp.gateway.capabilities import (
    CapabilityCache,
    Strategy,
    capabilities_from_statement,
    plan_writes,
)
from tests.smartapp.gateway.fakes import BASE, make_client


def make_statement(
    writable: tuple[str, ...] = ("Goal", "CarePlan", "Observation", "Provenance"),
    *,
    transaction: bool = True,
    conditional: bool = True,
    readonly: tuple[str, ...] = ("Patient", "Condition", "DocumentReference"),
) -> dict[str, object]:
    resources = [
        {
            "type": rt,
            "interaction": [{"code": c} for c in ("read", "search-type", "create", "update")],
            "conditionalCreate": conditional,
            "versioning": "versioned-update",
            "searchParam": [{"name": "patient", "type": "reference"}],
        }
        for rt in writable
    ] + [{"type": rt, "interaction": [{"code": "read"}]} for rt in readonly]
    interactions = [{"code": "transaction"}, {"code": "batch"}] if transaction else []
    return {
        "resourceType": "CapabilityStatement",
        "fhirVersion": "4.0.1",
        "software": {"name": "Test EHR"},
        "rest": [{"mode": "server", "interaction": interactions, "resource": resources}],
    }


@dataclass(frozen=True)
class Grants:
    create: frozenset[str] = frozenset(
        {"Goal", "CarePlan", "Observation", "Provenance", "DocumentReference"}
    )
    update: frozenset[str] = frozenset({"Goal", "CarePlan"})

    def can_create(self, rt: str) -> bool:
        return rt in self.create

    def can_update(self, rt: str) -> bool:
        return rt in self.update


def test_the_statement_gives_the_flags() -> None:
    caps = capabilities_from_statement(make_statement())
    assert caps.transaction
    assert caps.batch
    assert caps.fhir_version == "4.0.1"
    goal = caps.resource("Goal")
    assert goal.can("create")
    assert goal.conditional_create
    assert goal.versioned_update
    assert "patient" in goal.search_params
    assert not caps.resource("Patient").can("create")
    assert not caps.resource("Unlisted").can("read")


def test_a_malformed_statement_gives_no_capabilities_rather_than_an_error() -> None:
    caps = capabilities_from_statement({"resourceType": "CapabilityStatement", "rest": ["x"]})
    assert not caps.transaction
    assert caps.resources == {}


def test_transaction_when_the_ehr_and_the_token_allow_goals_and_careplans() -> None:
    plan = plan_writes(capabilities_from_statement(make_statement()), Grants(), None)
    assert plan.strategy is Strategy.TRANSACTION
    assert plan.observations
    assert plan.provenance
    assert plan.goal_update


def test_sequential_without_transactions() -> None:
    caps = capabilities_from_statement(make_statement(transaction=False, conditional=False))
    plan = plan_writes(caps, Grants(), None)
    assert plan.strategy is Strategy.SEQUENTIAL
    assert plan.conditional_create is False
    assert any("one by one" in r for r in plan.reasons)


def test_note_when_goals_cannot_be_written_but_notes_can() -> None:
    caps = capabilities_from_statement(
        make_statement(("Observation", "DocumentReference"), readonly=("Goal", "CarePlan"))
    )
    plan = plan_writes(caps, Grants(), None)
    assert plan.strategy is Strategy.NOTE
    assert "the EHR does not accept new Goal records" in plan.reasons


def test_the_token_counts_as_much_as_the_server() -> None:
    # smart.md 80: the scopes must cover the interaction
    caps = capabilities_from_statement(make_statement())
    plan = plan_writes(caps, Grants(create=frozenset({"Observation"})), None)
    assert plan.strategy is Strategy.EXPORT
    assert "this sign-in does not allow new Goal records" in plan.reasons


def test_export_when_nothing_can_be_written() -> None:
    caps = capabilities_from_statement(make_statement((), readonly=("Goal", "CarePlan")))
    assert plan_writes(caps, Grants(), None).strategy is Strategy.EXPORT


@pytest.mark.parametrize("forced", ["sequential", "note", "export"])
def test_a_tenant_can_force_a_strategy(forced: str) -> None:
    plan = plan_writes(capabilities_from_statement(make_statement()), Grants(), forced)
    assert plan.strategy.value == forced
    assert plan.reasons[-1].endswith(forced)


def test_auto_is_not_forcing() -> None:
    plan = plan_writes(capabilities_from_statement(make_statement()), Grants(), "auto")
    assert plan.strategy is Strategy.TRANSACTION


@responses.activate
def test_the_statement_is_read_once_per_tenant_within_the_ttl() -> None:
    responses.get(f"{BASE}/metadata", json=make_statement())
    now = [0.0]
    cache = CapabilityCache(ttl=60, clock=lambda: now[0])
    client = make_client()
    first = cache.get("site", client)
    assert cache.get("site", client) is first
    assert len(responses.calls) == 1
    now[0] = 61.0
    cache.get("site", client)
    assert len(responses.calls) == 2


def test_a_read_only_goal_plans_a_review_of_scores_only() -> None:
    # Oracle-like: Goal read-only, Observations created conditionally
    caps = capabilities_from_statement(
        make_statement(("Observation", "DocumentReference"), readonly=("Goal", "CarePlan"))
    )
    plan = plan_writes(caps, Grants(), None)
    assert plan.goal_update is False
    assert plan.observations
    assert plan.observations_conditional
    unconditional = capabilities_from_statement(make_statement(conditional=False))
    assert plan_writes(unconditional, Grants(), None).observations_conditional is False
    # the scopes decide too: no Goal update without patient/Goal.u
    assert plan_writes(capabilities_from_statement(make_statement()),
                       Grants(update=frozenset()), None).goal_update is False
