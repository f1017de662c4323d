"""Typed errors of the SMART launch client; each carries a stable code and a safe description."""

from __future__ import annotations

from pathlib import Path


class LaunchError(Exception):
    """A launch step failed; `code` is stable for programs, `description` is safe to show.

    The description never contains tokens, codes, secrets or response bodies; the page that
    shows it still escapes it (SMART 2.2 app-launch: never execute untrusted input).
    """

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


class OAuthHttpError(LaunchError):
    """An OAuth HTTP call failed on the wire (timeout, TLS, redirect, size, status, not JSON)."""

    def __init__(self, code: str, description: str, *, status: int | None = None) -> None:
        super().__init__(code, description)
        self.status = status


class TokenEndpointError(LaunchError):
    """The token endpoint answered with an OAuth error (RFC 6749 section 5.2).

    `oauth_error` is the server's `error` code (for example "invalid_grant": relaunch;
    "invalid_client": configuration or key problem). `code` is the launch step that failed
    ("token_error", "refresh_failed" or "backend_token_error").
    """

    def __init__(self, code: str, description: str, *, oauth_error: str, status: int) -> None:
        super().__init__(code, description)
        self.oauth_error = oauth_error
        self.status = status


class TokenEndpointUnavailable(LaunchError):
    """The token endpoint is away for now: unreachable, a timeout, a 5xx, 429, or an answer of
    `temporarily_unavailable` / `server_error`. The same request may work in a moment; nothing
    says the grant is dead. `status` is the HTTP status, None when nothing answered.
    """

    def __init__(self, code: str, description: str, *, status: int | None) -> None:
        super().__init__(code, description)
        self.status = status


class TenantConfigError(LaunchError):
    """The tenants file is wrong: names the file, the line (1-based, 0 if unknown) and why."""

    def __init__(self, path: Path | str, line: int, reason: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__("tenant_config", f"{where}: {reason}")
        self.path = Path(path)
        self.line = line
        self.reason = reason


class KeyStoreError(LaunchError):
    """The key file is missing, unreadable or holds no usable key."""

    def __init__(self, description: str) -> None:
        super().__init__("key_store", description)
