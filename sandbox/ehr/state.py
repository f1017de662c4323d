"""The EHR's in-memory state: launches, authorization codes, tokens, used assertion ids, faults."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from sandbox.ehr.faults import Faults


@dataclass(frozen=True, slots=True, kw_only=True)
class Launch:
    """One launch prepared by the launcher (the `launch` parameter names it)."""

    id: str
    profile: str
    patient: str | None
    practitioner: str | None
    encounter: str | None
    need_patient_banner: bool
    sim_error: str | None
    faults: Faults | None
    fhir_context: tuple[str, ...]
    auto: bool
    created_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EhrUser:
    """The signed-in user and the context the authorization was granted in."""

    practitioner: str | None
    patient: str | None
    encounter: str | None
    need_patient_banner: bool = True
    launch_id: str | None = None
    sim_error: str | None = None
    fhir_context: tuple[str, ...] = ()
    patient_user: bool = False  # the patient signed in themself (standalone patient launch)

    def get_user_id(self) -> str:
        """The OpenID `sub`."""
        if self.patient_user and self.patient:
            return self.patient
        return self.practitioner or "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeRecord:
    """An authorization code and what it was issued for (authlib AuthorizationCodeMixin)."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    user: EhrUser
    created_at: float

    def get_redirect_uri(self) -> str:
        """The redirect URI of the authorization request."""
        return self.redirect_uri

    def get_scope(self) -> str:
        """The granted scope."""
        return self.scope

    def get_nonce(self) -> str | None:
        """The OpenID nonce of the request."""
        return self.nonce

    def get_auth_time(self) -> int:
        """When the user authenticated."""
        return int(self.created_at)

    def get_acr(self) -> None:
        """No authentication context class."""
        return None

    def get_amr(self) -> None:
        """No authentication methods list."""
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRecord:
    """An access or refresh token (authlib TokenMixin)."""

    value: str
    kind: str  # "access_token" or "refresh_token"
    site: str
    client_id: str
    scope: str
    user: EhrUser
    issued_at: float
    expires_at: float
    revoked: bool = False
    # The EHR clock, attached by EhrState.add_token so authlib can ask `is_expired()`.
    now: Callable[[], float] = lambda: 0.0

    def check_client(self, client: object) -> bool:
        """Whether the token belongs to the client."""
        return getattr(client, "client_id", None) == self.client_id

    def get_scope(self) -> str:
        """The scope of the token."""
        return self.scope

    def get_expires_in(self) -> int:
        """Lifetime in seconds."""
        return int(self.expires_at - self.issued_at)

    def is_expired(self) -> bool:
        """Whether the token's lifetime has passed."""
        return self.now() >= self.expires_at

    def is_revoked(self) -> bool:
        """Whether the token was revoked (a rotated refresh token)."""
        return self.revoked

    def get_user(self) -> EhrUser:
        """The user the token acts for."""
        return self.user


class EhrState:
    """All mutable state of one EHR app, guarded by one lock."""

    def __init__(self, *, clock: Callable[[], float], fault_seed: int) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._launches: dict[str, Launch] = {}
        self._codes: dict[str, CodeRecord] = {}
        self._tokens: dict[str, TokenRecord] = {}
        self._jti: dict[str, float] = {}
        self._faults = Faults()
        self._random = random.Random(fault_seed)  # noqa: S311 - fault injection, not security

    def add_launch(self, launch: Launch) -> None:
        """Remember a launch."""
        with self._lock:
            self._launches[launch.id] = launch

    def launch(self, launch_id: str) -> Launch | None:
        """The launch of that id."""
        with self._lock:
            return self._launches.get(launch_id)

    def add_code(self, record: CodeRecord) -> None:
        """Remember an authorization code."""
        with self._lock:
            self._codes[record.code] = record

    def code(self, code: str) -> CodeRecord | None:
        """The code record, or None."""
        with self._lock:
            return self._codes.get(code)

    def delete_code(self, code: str) -> None:
        """Forget a code (codes are single use)."""
        with self._lock:
            self._codes.pop(code, None)

    def add_token(self, record: TokenRecord) -> None:
        """Remember a token."""
        with self._lock:
            self._tokens[record.value] = replace(record, now=self.clock)

    def token(self, value: str, kind: str | None = None) -> TokenRecord | None:
        """The token record of that value (and kind), or None."""
        with self._lock:
            record = self._tokens.get(value)
        if record is None or (kind is not None and record.kind != kind):
            return None
        return record

    def revoke(self, value: str) -> None:
        """Mark a token revoked."""
        with self._lock:
            record = self._tokens.get(value)
            if record is not None:
                self._tokens[value] = replace(record, revoked=True)

    def use_jti(self, client_id: str, jti: str, until: float) -> bool:
        """Record an assertion id; False when it was seen before (replay)."""
        key = f"{client_id}\n{jti}"
        with self._lock:
            now = self.clock()
            self._jti = {k: v for k, v in self._jti.items() if v > now}
            if key in self._jti:
                return False
            self._jti[key] = until
            return True

    @property
    def faults(self) -> Faults:
        """The faults applied to every FHIR or token request (their target says which)."""
        with self._lock:
            return self._faults

    def set_faults(self, faults: Faults) -> None:
        """Replace the global faults."""
        with self._lock:
            self._faults = faults

    def roll(self) -> float:
        """A number in [0, 1) from the seeded fault generator."""
        with self._lock:
            return self._random.random()
