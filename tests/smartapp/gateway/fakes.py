"""Fakes at the boundary the gateway owns: a token source and a client factory."""

from __future__ import annotations

from dataclasses import dataclass, field

from smartapp.gateway.client import FhirClient, RetryPolicy

BASE = "https://ehr.example.org/fhir"


@dataclass
class FakeTokens:
    """A token source that hands out numbered tokens and counts refreshes."""

    token: str = "token-1"
    refreshes: int = 0
    fail_refresh: bool = False
    history: list[str] = field(default_factory=list)

    def access_token(self) -> str:
        return self.token

    def refresh(self) -> str:
        if self.fail_refresh:
            raise RuntimeError("refresh refused")
        self.refreshes += 1
        self.token = f"token-{self.refreshes + 1}"
        return self.token


def make_client(tokens: FakeTokens | None = None, **kwargs: object) -> FhirClient:
    """A client against BASE that records its sleeps instead of sleeping."""
    sleeps: list[float] = []
    client = FhirClient(
        BASE,
        tokens or FakeTokens(),
        correlation_id="cid-123",
        retry=kwargs.pop("retry", RetryPolicy()),  # type: ignore[arg-type]
        sleep=sleeps.append,
        **kwargs,  # type: ignore[arg-type]
    )
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client
