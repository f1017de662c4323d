"""Vendor profiles: each sandbox site reproduces documented behaviour of one kind of EHR.

Sources: SMART App Launch 2.2; Epic's published FHIR documentation (Observation searches need
`category` or `code`; access tokens are not JWTs; `fhirUser` is an absolute URL); Oracle Health
(Cerner Millennium) documentation and client-py issue #112 (10-minute access tokens, refresh
responses without a new refresh token; CarePlan searched by `category=assess-plan`, read-only
Goal and CarePlan, DocumentReference create for notes).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class TokenFormat(enum.Enum):
    """How access tokens look on the wire."""

    JWT = "jwt"
    OPAQUE = "opaque"


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """What one vendor site allows and how its tokens behave."""

    name: str
    title: str
    access_token_seconds: int = 3600
    rotate_refresh_token: bool = True
    token_format: TokenFormat = TokenFormat.JWT
    absolute_fhir_user: bool = False
    transactions: bool = True
    conditional_create: bool = True
    read_only_types: frozenset[str] = frozenset()
    # Searches refused unless one of the named parameters is present (any value).
    required_search_params: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # Searches refused unless the parameter has this exact value (after a `system|` prefix).
    required_search_values: Mapping[str, tuple[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    strip_elements: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    notes: tuple[str, ...] = ()


OPEN = Profile(
    name="open",
    title="Open (all writes, transactions, conditional create)",
    notes=("all writes", "transaction and batch", "conditional create", "versioned update"),
)

EPIC = Profile(
    name="epic",
    title="Epic-like",
    token_format=TokenFormat.OPAQUE,
    absolute_fhir_user=True,
    transactions=False,
    conditional_create=False,
    required_search_params=MappingProxyType({"Observation": ("category", "code")}),
    notes=(
        "Observation search needs category or code",
        "no transaction or batch",
        "no conditional create (If-None-Exist refused)",
        "absolute fhirUser",
        "opaque access tokens",
    ),
)

ORACLE = Profile(
    name="oracle",
    title="Oracle Health-like",
    access_token_seconds=600,
    rotate_refresh_token=False,
    transactions=False,
    read_only_types=frozenset({"Goal", "CarePlan"}),
    required_search_values=MappingProxyType({"CarePlan": ("category", "assess-plan")}),
    strip_elements=MappingProxyType({"CarePlan": ("activity",)}),
    notes=(
        "Goal and CarePlan read-only",
        "CarePlan search needs category=assess-plan and returns no activities",
        "DocumentReference create allowed",
        "10-minute access tokens",
        "refresh responses carry no new refresh token",
    ),
)

PROFILES: Mapping[str, Profile] = MappingProxyType({p.name: p for p in (OPEN, EPIC, ORACLE)})


def get_profile(name: str) -> Profile | None:
    """The profile of that name, or None."""
    return PROFILES.get(name)
