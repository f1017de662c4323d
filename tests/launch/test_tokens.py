"""TokenSet storage form and the proactive refresh rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from launch.scopes import GrantedScopes
from launch.tokens import TokenSet, needs_refresh
from tests.launch.conftest import NOW


def make_tokens(**changes: object) -> TokenSet:
    tokens = TokenSet(
        access_token="AT",
        refresh_token="RT",
        expires_at=NOW + timedelta(minutes=10),
        scopes=GrantedScopes.parse("openid patient/Goal.crus"),
        patient="pat-1",
        encounter="enc-1",
        fhir_context=({"reference": "Goal/1"},),
        fhir_user="Practitioner/1",
        id_token_claims={"sub": "u", "aud": "c"},
        tenant="ehr",
        intent="review",
    )
    return replace(tokens, **changes)  # type: ignore[arg-type]


def test_a_token_set_round_trips_through_json() -> None:
    tokens = make_tokens()
    assert TokenSet.from_json(tokens.to_json()) == tokens


def test_a_stored_value_that_does_not_fit_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        TokenSet.from_json('{"access_token": "x"}')
    with pytest.raises(ValueError, match="JSON object"):
        TokenSet.from_json("[]")


def test_tokens_never_show_in_repr() -> None:
    # smart.md 40, 70
    shown = repr(make_tokens(access_token="AT-SECRET", refresh_token="RT-SECRET"))
    assert "AT-SECRET" not in shown
    assert "RT-SECRET" not in shown


def test_refresh_is_due_a_minute_before_expiry() -> None:
    # smart.md 51, 52: proactive refresh with a 60 s skew (Oracle-like 10-minute tokens).
    tokens = make_tokens()
    assert not needs_refresh(tokens, NOW + timedelta(minutes=8, seconds=59))
    assert needs_refresh(tokens, NOW + timedelta(minutes=9))
    assert needs_refresh(tokens, NOW + timedelta(hours=1))
    assert needs_refresh(tokens, NOW + timedelta(minutes=5), skew=timedelta(minutes=5))


def test_without_a_refresh_token_there_is_nothing_to_refresh() -> None:
    # smart.md 47: decide from the refresh_token, not from the scope string.
    tokens = make_tokens(refresh_token=None)
    assert not needs_refresh(tokens, NOW + timedelta(hours=1))
    assert tokens.expires_within(NOW + timedelta(hours=1), timedelta(0))
