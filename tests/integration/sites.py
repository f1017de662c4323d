"""A launched session at one sandbox site, for driving the gateway and write-back directly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import requests
from fhir.resources.R4B import get_fhir_model_class

from fhir_mappers import check_resource
from launch.scopes import GrantedScopes
from rehab.plan import ActionPlan
from sandbox.stack import Stack
from smartapp.gateway.capabilities import WritePlan, plan_writes, read_capabilities
from smartapp.gateway.client import FhirClient
from smartapp.writeback import SaveResult, save_plan
from tests.fhir_mappers.factories import fhirkit_errors
from tests.integration.proxy import ForwardingProxy
from tests.rehab.factories import make_plan
from tests.sandbox.smart import discover, patient_of_kind, refresh_grant, tokens

SCOPE = "launch openid fhirUser offline_access patient/*.cruds"


class RefreshingTokens:
    """A TokenSource that refreshes at the site's real token endpoint (public client)."""

    def __init__(self, token: dict[str, Any]) -> None:
        self.token = token
        self.refreshes = 0

    def access_token(self) -> str:
        return str(self.token["access_token"])

    def refresh(self) -> str:
        answer = requests.post(
            discover(self.token["iss"])["token_endpoint"],
            data=refresh_grant(self.token["refresh_token"]),
            timeout=10,
        )
        answer.raise_for_status()
        fresh = answer.json()
        self.token = {**self.token, **fresh}
        self.refreshes += 1
        return str(fresh["access_token"])


@dataclass
class Site:
    """One launch at one vendor site: client, patient, author and the write plan."""

    stack: Stack
    profile: str
    tokens: RefreshingTokens
    client: FhirClient
    patient_id: str
    author: str
    write_plan: WritePlan

    def save(self, plan: ActionPlan, plan_key: str, *, client: FhirClient | None = None,
             write_plan: WritePlan | None = None) -> SaveResult:
        """Save with the site's plan (or the one given), as the app does."""
        return save_plan(
            client or self.client, plan, write_plan=write_plan or self.write_plan,
            patient_id=self.patient_id, author=self.author, today=date.today(),
            plan_key=plan_key, recorded=datetime.now(UTC),
        )

    def search(self, resource_type: str, **params: str) -> list[dict[str, Any]]:
        """Resources found (first page), read directly at the site."""
        query = {"patient": self.patient_id, **params}
        answer = self.client.send("GET", resource_type, params=query, retry_safe=True)
        return [e["resource"] for e in (answer.json or {}).get("entry") or ()]


def open_site(stack: Stack, profile: str, *, kind: str = "typical",
              base_url: str | None = None, **launch_params: str) -> Site:
    """Launch at a site for a patient of `kind` and plan the writes from its capabilities."""
    token = tokens(stack, profile, scope=SCOPE, patient=patient_of_kind(stack, kind),
                   **launch_params)
    source = RefreshingTokens(token)
    client = FhirClient(base_url or token["iss"], source, correlation_id=uuid.uuid4().hex)
    capabilities = read_capabilities(client)
    plan = plan_writes(capabilities, GrantedScopes.parse(token.get("scope")), None)
    return Site(stack=stack, profile=profile, tokens=source, client=client,
                patient_id=str(token["patient"]),
                author=f"Practitioner/{stack.practitioners[0].id}", write_plan=plan)


def new_plan_key() -> str:
    """A plan key of its own for each test (the stacks are shared by the session)."""
    return uuid.uuid4().hex


def a_plan() -> ActionPlan:
    """The walking plan of the factories, with a barrier (an Observation)."""
    return make_plan(barriers=("Fear of a flare",))


def problems_of(resource: dict[str, Any]) -> list[str]:
    """What the R4B models, the project's rules and fhirkit-rs say is wrong with a resource."""
    found = list(check_resource(resource))
    model = get_fhir_model_class(resource["resourceType"])
    try:
        model.model_validate(resource)
    except ValueError as exc:
        found.append(f"R4B: {exc}")
    found += fhirkit_errors(resource)
    return found


class CommitThenDrop(ForwardingProxy):
    """A forwarding proxy that lets the EHR commit a request and then drops the answer.

    The sandbox injects faults before forwarding; the fault that matters most for a save, an
    answer lost after the server acted, needs the request to go through first.
    """

    def __init__(self, target: str, *, drop_method: str = "POST", drops: int = 1) -> None:
        self.drop_method = drop_method
        self.remaining = drops
        self.dropped = 0
        super().__init__(target)

    def drop_answer(self, method: str) -> bool:
        with self.lock:
            if method != self.drop_method or self.remaining <= 0:
                return False
            self.remaining -= 1
            self.dropped += 1
            return True
