"""The tenant registry: one record per EHR registration, loaded once from a TOML file.

Only configured issuers are ever contacted (SMART 2.2 app-launch: transmit only to
authenticated servers; smart.md items 1-2): `TenantRegistry.by_iss` is an exact match.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

from launch.errors import LaunchError, TenantConfigError
from launch.tenant_file import TenantFileReader
from launch.tenant_model import (
    DEFAULT_SCOPES,
    ClientAuth,
    SigningAlg,
    Tenant,
    normalise_iss,
)

__all__ = [
    "DEFAULT_SCOPES",
    "ClientAuth",
    "SigningAlg",
    "Tenant",
    "TenantConfigError",
    "TenantRegistry",
    "load_tenants",
    "normalise_iss",
    "parse_tenants",
]


class TenantRegistry:
    """The configured tenants, looked up by exact `iss` or by name."""

    def __init__(self, tenants: tuple[Tenant, ...]) -> None:
        self._by_iss = {t.iss: t for t in tenants}
        self._by_name = {t.name: t for t in tenants}
        self._all = tenants

    def by_iss(self, iss: str | None) -> Tenant | None:
        """The tenant whose iss equals `iss` exactly (one trailing slash ignored), else None."""
        if not iss:
            return None
        return self._by_iss.get(normalise_iss(iss))

    def for_launch(self, iss: str | None) -> Tenant:
        """The tenant of a launch's `iss`; LaunchError("unknown_iss") before any request is made."""
        tenant = self.by_iss(iss)
        if tenant is None:
            # smart.md 1: an unknown issuer gets no request at all (no discovery, no DNS).
            raise LaunchError("unknown_iss", "this EHR is not configured for FunctionFirst")
        return tenant

    def by_name(self, name: str | None) -> Tenant | None:
        """The tenant with this name, else None."""
        return self._by_name.get(name or "")

    def all(self) -> tuple[Tenant, ...]:
        """Every tenant, in file order."""
        return self._all

    def standalone(self) -> tuple[Tenant, ...]:
        """Tenants offered on the standalone organisation picker."""
        return tuple(t for t in self._all if t.standalone)

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)


def load_tenants(path: Path, *, environ: Mapping[str, str]) -> TenantRegistry:
    """Read and validate the tenants file; raise TenantConfigError naming the line and reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TenantConfigError(
            path, 0, f"cannot read the tenants file ({exc.__class__.__name__})"
        ) from exc
    return parse_tenants(text, path=path, environ=environ)


def parse_tenants(text: str, *, path: Path, environ: Mapping[str, str]) -> TenantRegistry:
    """Validate the TOML text of a tenants file (see `load_tenants`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TenantConfigError(
            path, TenantFileReader.decode_error_line(exc, text), str(exc)
        ) from exc
    reader = TenantFileReader(text=text, path=path, environ=environ)
    return TenantRegistry(reader.tenants(data))
