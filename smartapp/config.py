"""Configuration: the `FUNCTIONFIRST_*` settings, read once by the factory and checked."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from launch.urls import transport_allowed

PREFIX = "FUNCTIONFIRST_"
TENANTS = "FUNCTIONFIRST_TENANTS"
GOAL_TEMPLATES = "FUNCTIONFIRST_GOAL_TEMPLATES"
BASE_URL = "FUNCTIONFIRST_BASE_URL"
SECRET_KEY = "FUNCTIONFIRST_SECRET_KEY"  # noqa: S105 - a setting name
DATABASE_URL = "FUNCTIONFIRST_DATABASE_URL"
DATABASE_SCHEMA = "FUNCTIONFIRST_DATABASE_SCHEMA"  # PostgreSQL only; default: the search_path
KEYS = "FUNCTIONFIRST_KEYS"
DEV = "FUNCTIONFIRST_DEV"
LOG_LEVEL = "FUNCTIONFIRST_LOG_LEVEL"
# Optional tuning; defaults follow shared practice (OWASP session management: idle <= the
# EHR's own idle timeout, an absolute cap of one working day).
SESSION_IDLE_MINUTES = "FUNCTIONFIRST_SESSION_IDLE_MINUTES"
SESSION_MAX_HOURS = "FUNCTIONFIRST_SESSION_MAX_HOURS"
DISCOVERY_TTL_SECONDS = "FUNCTIONFIRST_DISCOVERY_TTL_SECONDS"
# Only the tests' config mapping sets this; it allows a generated secret key.
TESTING = "TESTING"

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_MIN_SECRET_CHARS = 32


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the setting."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class AppConfig:
    """The app's settings after checking; nothing else reads the environment."""

    tenants_path: Path
    base_url: str
    secret_key: str
    database_url: str
    database_schema: str | None
    keys_path: Path | None
    dev: bool
    log_level: str
    session_idle: timedelta
    session_max: timedelta
    discovery_ttl: timedelta
    testing: bool
    goal_templates_path: Path | None = None

    @property
    def redirect_uri(self) -> str:
        """The one registered redirect URI (`{base}/callback`)."""
        return f"{self.base_url}/callback"

    @property
    def secure_cookies(self) -> bool:
        """False only for plain-HTTP loopback in development (FUNCTIONFIRST_DEV=1)."""
        return not (self.dev and self.base_url.startswith("http://"))

    @property
    def origin(self) -> str:
        """The app's own origin, for the Origin check on state-changing requests."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _base_url(value: str, *, dev: bool) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(BASE_URL, "must be an absolute http(s) URL such as https://app.example")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(BASE_URL, "must not carry a query, fragment or user info")
    if not transport_allowed(parts.scheme, parts.hostname or "", allow_http_loopback=dev):
        raise ConfigError(
            BASE_URL, "must be https (plain http only on loopback with FUNCTIONFIRST_DEV=1)"
        )
    return value.strip().rstrip("/")


def _positive_int(settings: Mapping[str, object], name: str, default: int) -> int:
    raw = settings.get(name)
    if raw is None or raw == "":
        return default
    try:
        number = int(str(raw))
    except ValueError:
        raise ConfigError(name, "must be a whole number") from None
    if number <= 0:
        raise ConfigError(name, "must be above zero")
    return number


def _required(settings: Mapping[str, object], name: str) -> str:
    value = settings.get(name)
    if value is None or str(value).strip() == "":
        raise ConfigError(name, "is required and not set")
    return str(value)


def load_config(settings: Mapping[str, object], *, instance_path: Path) -> AppConfig:
    """Check the settings (environment or a test mapping) and return the app's config."""
    testing = bool(settings.get(TESTING)) and settings.get(TESTING) not in ("0", "false", "")
    dev = _truthy(str(settings.get(DEV, "")))
    tenants_path = Path(_required(settings, TENANTS))
    base_url = _base_url(_required(settings, BASE_URL), dev=dev)
    raw_secret = settings.get(SECRET_KEY)
    if (raw_secret is None or str(raw_secret) == "") and testing:
        # Tests only: no secret has a default anywhere else.
        secret_key = secrets.token_urlsafe(32)
    else:
        secret_key = _required(settings, SECRET_KEY)
        if len(secret_key) < _MIN_SECRET_CHARS:
            raise ConfigError(SECRET_KEY, f"must be at least {_MIN_SECRET_CHARS} characters")
    database_url = str(settings.get(DATABASE_URL) or "").strip() or (
        f"sqlite:///{instance_path / 'functionfirst.db'}"
    )
    keys_raw = str(settings.get(KEYS) or "").strip()
    templates_raw = str(settings.get(GOAL_TEMPLATES) or "").strip()
    level = str(settings.get(LOG_LEVEL) or "INFO").strip().upper()
    if level not in _LOG_LEVELS:
        raise ConfigError(LOG_LEVEL, f"must be one of {', '.join(_LOG_LEVELS)}")
    return AppConfig(
        tenants_path=tenants_path,
        base_url=base_url,
        secret_key=secret_key,
        database_url=database_url,
        database_schema=str(settings.get(DATABASE_SCHEMA) or "").strip() or None,
        keys_path=Path(keys_raw) if keys_raw else None,
        dev=dev,
        log_level=level,
        session_idle=timedelta(minutes=_positive_int(settings, SESSION_IDLE_MINUTES, 30)),
        session_max=timedelta(hours=_positive_int(settings, SESSION_MAX_HOURS, 8)),
        discovery_ttl=timedelta(seconds=_positive_int(settings, DISCOVERY_TTL_SECONDS, 3600)),
        testing=testing,
        goal_templates_path=Path(templates_raw) if templates_raw else None,
    )


def settings_from_environ(environ: Mapping[str, str]) -> dict[str, object]:
    """The `FUNCTIONFIRST_*` subset of the process environment."""
    return {key: value for key, value in environ.items() if key.startswith(PREFIX)}
