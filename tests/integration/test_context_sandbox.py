"""The patient context read from the sandbox EHR on both backends: one round, batch or not."""

from __future__ import annotations

from datetime import date

import pytest

from sandbox.stack import Stack
from smartapp.gateway.context import load_context

from .sites import open_site

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("profile", ["open", "epic", "oracle"])
def test_the_context_comes_in_one_round_at_every_site(sandbox_stack: Stack, profile: str) -> None:
    site = open_site(sandbox_stack, profile)
    quirks = {"observation_requires_category": profile == "epic"}
    result = load_context(site.client, site.patient_id, today=date.today(), quirks=quirks)
    assert result.round_trips == 1
    assert result.missing == ()
    assert result.context.patient is not None
    assert result.context.patient.id == site.patient_id
    assert result.context.nrs  # the typical patient's pain scores came back


def test_one_batch_bundle_gives_the_same_context_in_one_request(sandbox_stack: Stack) -> None:
    site = open_site(sandbox_stack, "open")
    parallel = load_context(site.client, site.patient_id, today=date.today(), quirks={})
    batched = load_context(site.client, site.patient_id, today=date.today(), quirks={},
                           batch=True)
    assert batched.round_trips == 1
    assert batched.requests == 1
    assert batched.missing == ()
    assert batched.context == parallel.context
