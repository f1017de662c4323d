"""Provenance onBehalfOf: the organisation the author acts for (FHIR R4 Provenance.agent)."""

from __future__ import annotations

from datetime import UTC, datetime

from fhir_mappers import check_resource, plan_to_transaction
from fhir_mappers.provenance import provenance_for
from tests.fhir_mappers.factories import AUTHOR, PATIENT_ID, TODAY, fhirkit_errors, make_plan

RECORDED = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
ORG = "Organization/clinic-1"


def agents(provenance: dict[str, object]) -> dict[str, dict[str, object]]:
    found = provenance["agent"]
    assert isinstance(found, list)
    return {agent["type"]["coding"][0]["code"]: agent for agent in found}


def test_the_author_acts_on_behalf_of_the_organisation() -> None:
    # smart.md 73
    provenance = provenance_for(
        ("Goal/1/_history/1",), author=AUTHOR, today_instant=RECORDED, on_behalf_of=ORG
    )
    author = agents(provenance)["author"]
    assert author["who"] == {"reference": AUTHOR}
    assert author["onBehalfOf"] == {"reference": ORG}
    assert "onBehalfOf" not in agents(provenance)["assembler"]
    assert fhirkit_errors(provenance) == []
    assert check_resource(provenance) == []


def test_without_an_organisation_the_provenance_is_unchanged() -> None:
    # the old call (no keyword) gives exactly what it gave before
    old = provenance_for(("Goal/1/_history/1",), author=AUTHOR, today_instant=RECORDED)
    same = provenance_for(
        ("Goal/1/_history/1",), author=AUTHOR, today_instant=RECORDED, on_behalf_of=None
    )
    assert old == same
    assert all("onBehalfOf" not in agent for agent in agents(old).values())


def test_the_transaction_provenance_carries_the_organisation() -> None:
    # smart.md 73
    bundle = plan_to_transaction(
        make_plan(),
        recorded=RECORDED,
        on_behalf_of=ORG,
        patient_id=PATIENT_ID,
        author=AUTHOR,
        today=TODAY,
        plan_key="plan-1",
    )
    provenance = bundle["entry"][-1]["resource"]
    assert agents(provenance)["author"]["onBehalfOf"] == {"reference": ORG}
    assert fhirkit_errors(bundle) == []
