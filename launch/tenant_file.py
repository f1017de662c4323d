"""Validation of the tenants TOML file, with the line of each problem.

tomllib keeps no positions, so a small scan of the text maps each `[[tenant]]` table and its keys
to their lines; every error names the line of the offending key (or of its table).
The keys are described in `launch/tenants.example.toml`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from launch.errors import TenantConfigError
from launch.scopes import is_known_scope, patient_scope_problem
from launch.tenant_model import DEFAULT_SCOPES, ClientAuth, SigningAlg, Tenant, normalise_iss
from launch.urls import origin_of, split_url, transport_allowed

_TENANT_HEADER = re.compile(r"^\s*\[\[\s*tenant\s*\]\]")
_QUIRKS_HEADER = re.compile(r"^\s*\[\s*tenant\s*\.\s*quirks\s*\]")
_OTHER_HEADER = re.compile(r"^\s*\[")
_KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOST = re.compile(r"^[a-z0-9.-]+(?::[0-9]{1,5})?$|^\[[0-9a-f:]+\](?::[0-9]{1,5})?$")
_KNOWN_KEYS = frozenset(
    {
        "name", "iss", "client_id", "client_auth", "client_secret_env", "kid", "signing_alg",
        "scopes", "standalone", "frame_ancestors", "write_strategy", "allow_http_loopback",
        "auth_hosts", "quirks", "organization", "patient_scopes",
    }
)  # fmt: skip
# FHIR R4 id: [A-Za-z0-9\-\.]{1,64} (datatypes.html#id).
_ORGANIZATION = re.compile(r"^Organization/[A-Za-z0-9\-.]{1,64}$")
_WRITE_STRATEGIES = frozenset({"auto", "transaction", "sequential", "note", "export"})


@dataclass(slots=True)
class _TableLines:
    header: int
    keys: dict[str, int] = field(default_factory=dict)
    quirks_header: int = 0
    quirk_keys: dict[str, int] = field(default_factory=dict)


class TenantFileReader:
    """Turns the parsed TOML of a tenants file into Tenant records or a TenantConfigError."""

    def __init__(self, *, text: str, path: Path, environ: Mapping[str, str]) -> None:
        self._path = path
        self._environ = environ
        self._top: dict[str, int] = {}
        self._tables: list[_TableLines] = []
        self._scan(text)

    @staticmethod
    def decode_error_line(exc: tomllib.TOMLDecodeError, text: str) -> int:
        """The line tomllib names ("(at line 3, column 7)"); the last line "at end of document"."""
        found = re.search(r"line (\d+)", str(exc))
        if found:
            return int(found.group(1))
        return max(1, len(text.splitlines())) if "end of document" in str(exc) else 0

    def _scan(self, text: str) -> None:
        section = "top"
        for number, line in enumerate(text.splitlines(), start=1):
            if _TENANT_HEADER.match(line):
                self._tables.append(_TableLines(header=number))
                section = "tenant"
            elif _QUIRKS_HEADER.match(line) and self._tables:
                self._tables[-1].quirks_header = number
                section = "quirks"
            elif _OTHER_HEADER.match(line):
                section = "other"
            elif key := _KEY.match(line):
                name = next(g for g in key.groups() if g is not None)
                if section == "top":
                    self._top.setdefault(name, number)
                elif section == "tenant":
                    self._tables[-1].keys.setdefault(name, number)
                elif section == "quirks":
                    self._tables[-1].quirk_keys.setdefault(name, number)

    def _fail(self, index: int, key: str | None, reason: str) -> TenantConfigError:
        table = self._tables[index] if index < len(self._tables) else None
        line = 0
        if table is not None:
            line = table.keys.get(key, table.header) if key else table.header
        return TenantConfigError(self._path, line, reason)

    def tenants(self, data: Mapping[str, object]) -> tuple[Tenant, ...]:
        """Every tenant of the file, validated."""
        for key in data:
            if key != "tenant":
                line = self._top.get(key, 0)
                raise TenantConfigError(
                    self._path, line, f"unknown top-level key {key!r}; use [[tenant]] tables"
                )
        raw = data.get("tenant")
        if not isinstance(raw, list) or not raw:
            raise TenantConfigError(self._path, 0, "no [[tenant]] table")
        result: list[Tenant] = []
        for index, entry in enumerate(raw):
            if not isinstance(entry, dict):
                raise self._fail(index, None, "each tenant must be a [[tenant]] table")
            tenant = self._tenant(index, entry)
            for other in result:
                if other.name == tenant.name:
                    raise self._fail(index, "name", f"duplicate tenant name {tenant.name!r}")
                if other.iss == tenant.iss:
                    raise self._fail(index, "iss", f"iss already used by tenant {other.name!r}")
            result.append(tenant)
        return tuple(result)

    def _str(
        self, index: int, entry: Mapping[str, object], key: str, *, required: bool
    ) -> str | None:
        value = entry.get(key)
        if value is None:
            if required:
                raise self._fail(index, None, f"missing required key {key!r}")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self._fail(index, key, f"{key!r} must be a non-empty string")
        return value.strip()

    def _bool(self, index: int, entry: Mapping[str, object], key: str) -> bool:
        value = entry.get(key, False)
        if not isinstance(value, bool):
            raise self._fail(index, key, f"{key!r} must be true or false")
        return value

    def _strings(self, index: int, entry: Mapping[str, object], key: str) -> tuple[str, ...] | None:
        value = entry.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return tuple(value.split())
        if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            return tuple(v.strip() for v in value)
        raise self._fail(index, key, f"{key!r} must be a string or a list of strings")

    def _tenant(self, index: int, entry: Mapping[str, object]) -> Tenant:
        for key in entry:
            if key == "client_secret":
                raise self._fail(
                    index,
                    key,
                    "never put a secret in the file; name its environment variable"
                    " in 'client_secret_env'",
                )
            if key not in _KNOWN_KEYS:
                raise self._fail(index, key, f"unknown key {key!r}")
        name = self._str(index, entry, "name", required=True) or ""
        if not _NAME.match(name):
            raise self._fail(
                index, "name", "'name' must be lowercase letters, digits, '-' or '_' (at most 63)"
            )
        allow_http = self._bool(index, entry, "allow_http_loopback")
        iss = self._iss(index, entry, allow_http=allow_http)
        client_id = self._str(index, entry, "client_id", required=True) or ""
        auth_word = self._str(index, entry, "client_auth", required=False) or "public"
        try:
            client_auth = ClientAuth(auth_word)
        except ValueError:
            choices = ", ".join(a.value for a in ClientAuth)
            raise self._fail(
                index, "client_auth", f"'client_auth' must be one of {choices}"
            ) from None
        secret = self._secret(index, entry, client_auth)
        alg_word = self._str(index, entry, "signing_alg", required=False) or "RS384"
        try:
            signing_alg = SigningAlg(alg_word)
        except ValueError:
            raise self._fail(index, "signing_alg", "'signing_alg' must be RS384 or ES384") from None
        organization = self._str(index, entry, "organization", required=False)
        if organization is not None and not _ORGANIZATION.match(organization):
            raise self._fail(index, "organization", "'organization' must be 'Organization/<id>'")
        return Tenant(
            name=name,
            iss=iss,
            client_id=client_id,
            client_auth=client_auth,
            client_secret=secret,
            kid=self._str(index, entry, "kid", required=False),
            signing_alg=signing_alg,
            scopes=self._scopes(index, entry, "scopes") or DEFAULT_SCOPES,
            standalone=self._bool(index, entry, "standalone"),
            frame_ancestors=self._frame_ancestors(index, entry, allow_http=allow_http),
            quirks=self._quirks(index, entry),
            write_strategy=self._write_strategy(index, entry),
            allow_http_loopback=allow_http,
            auth_hosts=self._auth_hosts(index, entry),
            organization=organization,
            patient_scopes=self._scopes(index, entry, "patient_scopes"),
        )

    def _iss(self, index: int, entry: Mapping[str, object], *, allow_http: bool) -> str:
        iss = self._str(index, entry, "iss", required=True) or ""
        parts = split_url(iss)
        if parts is None or parts.query or parts.fragment or parts.userinfo:
            raise self._fail(
                index, "iss", "'iss' must be an absolute URL without user, query or fragment"
            )
        if not transport_allowed(parts.scheme, parts.host, allow_http_loopback=allow_http):
            raise self._fail(
                index,
                "iss",
                "'iss' must use https (http only for a loopback host"
                " with allow_http_loopback = true)",
            )
        return normalise_iss(iss)

    def _secret(self, index: int, entry: Mapping[str, object], auth: ClientAuth) -> str | None:
        env_name = self._str(index, entry, "client_secret_env", required=False)
        if auth is not ClientAuth.CLIENT_SECRET_BASIC:
            if env_name is not None:
                raise self._fail(
                    index,
                    "client_secret_env",
                    "'client_secret_env' is only for client_auth = client_secret_basic",
                )
            return None
        if env_name is None:
            raise self._fail(index, "client_auth", "client_secret_basic needs 'client_secret_env'")
        if not _ENV_NAME.match(env_name):
            raise self._fail(
                index, "client_secret_env", "'client_secret_env' must name an environment variable"
            )
        secret = self._environ.get(env_name, "")
        if not secret:
            raise self._fail(
                index, "client_secret_env", f"environment variable {env_name} is not set"
            )
        return secret

    def _scopes(self, index: int, entry: Mapping[str, object], key: str) -> tuple[str, ...] | None:
        scopes = self._strings(index, entry, key)
        if scopes is None:
            return None
        if not scopes:
            raise self._fail(index, key, f"{key!r} is empty")
        for scope in scopes:
            if not is_known_scope(scope):
                raise self._fail(index, key, f"not a SMART scope: {scope!r}")
        if key == "patient_scopes" and (problem := patient_scope_problem(scopes)):
            raise self._fail(index, key, problem)
        return tuple(dict.fromkeys(scopes))

    def _frame_ancestors(
        self, index: int, entry: Mapping[str, object], *, allow_http: bool
    ) -> tuple[str, ...]:
        values = self._strings(index, entry, "frame_ancestors") or ()
        for value in values:
            parts = split_url(value)
            if parts is None or origin_of(parts) != value.rstrip("/"):
                raise self._fail(
                    index, "frame_ancestors", f"not an origin (scheme://host[:port]): {value!r}"
                )
            if not transport_allowed(parts.scheme, parts.host, allow_http_loopback=allow_http):
                raise self._fail(index, "frame_ancestors", f"origin must use https: {value!r}")
        return tuple(v.rstrip("/") for v in values)

    def _auth_hosts(self, index: int, entry: Mapping[str, object]) -> tuple[str, ...]:
        values = self._strings(index, entry, "auth_hosts") or ()
        for value in values:
            if not _HOST.match(value):
                raise self._fail(
                    index,
                    "auth_hosts",
                    f"'auth_hosts' entries are lowercase host[:port]: {value!r}",
                )
        return values

    def _write_strategy(self, index: int, entry: Mapping[str, object]) -> str | None:
        value = self._str(index, entry, "write_strategy", required=False)
        if value is not None and value not in _WRITE_STRATEGIES:
            choices = ", ".join(sorted(_WRITE_STRATEGIES))
            raise self._fail(index, "write_strategy", f"'write_strategy' must be one of {choices}")
        return None if value in (None, "auto") else value

    def _quirks(self, index: int, entry: Mapping[str, object]) -> Mapping[str, bool]:
        raw = entry.get("quirks", {})
        table = self._tables[index] if index < len(self._tables) else None
        if not isinstance(raw, dict):
            raise self._fail(
                index, "quirks", "[tenant.quirks] must be a table of true/false values"
            )
        for key, value in raw.items():
            if not isinstance(value, bool):
                line = (
                    (table.quirk_keys.get(key) or table.keys.get("quirks") or table.quirks_header)
                    if table
                    else 0
                )
                raise TenantConfigError(self._path, line, f"quirk {key!r} must be true or false")
        return MappingProxyType(dict(raw))
