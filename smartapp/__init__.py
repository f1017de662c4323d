"""The Flask app: factory, routes, the EHR gateway, write strategies, the SQL store, CLI."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, g

from launch.errors import KeyStoreError
from launch.http import OAuthHttp
from launch.idtoken import JwksCache
from launch.keys import KeyStore
from launch.tenant_model import ClientAuth
from launch.tenants import TenantRegistry, load_tenants
from rehab.errors import RehabDataError
from rehab.templates import TemplateLibrary, default_library, load_library
from smartapp.config import (
    GOAL_TEMPLATES,
    KEYS,
    AppConfig,
    ConfigError,
    load_config,
    settings_from_environ,
)
from smartapp.errors import register_error_handlers
from smartapp.logs import configure_logging
from smartapp.security import init_security
from smartapp.services import Services, correlation_id
from smartapp.store import SessionPolicy, Store
from smartapp.store import drafts as _drafts  # noqa: F401 - its tables join the schema created at start

__all__ = ["ConfigError", "create_app"]


def _keys(config: AppConfig, tenants: TenantRegistry) -> KeyStore | None:
    signers = [t.name for t in tenants.all() if t.client_auth is ClientAuth.PRIVATE_KEY_JWT]
    if config.keys_path is None:
        if signers:
            raise ConfigError(KEYS, f"is required: tenant {signers[0]!r} uses private_key_jwt")
        return None
    try:
        return KeyStore.load(config.keys_path)
    except KeyStoreError as exc:
        raise ConfigError(KEYS, exc.description) from None


def _register_blueprints(app: Flask) -> None:
    # Each part of the app adds its blueprint here (one line each).
    from smartapp.api import bp as api_bp
    from smartapp.launch_routes import bp as launch_bp
    from smartapp.ops_routes import bp as ops_bp
    from smartapp.views import init_pages

    init_pages(app)  # first: its overview answers /l/<launch_id>/ before the launch landing
    app.register_blueprint(launch_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(api_bp)


def _templates(config: AppConfig) -> TemplateLibrary:
    """The site's goal templates (FUNCTIONFIRST_GOAL_TEMPLATES) or the packaged ones, read once."""
    if config.goal_templates_path is None:
        return default_library()
    try:
        return load_library(config.goal_templates_path)
    except RehabDataError as exc:
        raise ConfigError(GOAL_TEMPLATES, str(exc)) from None


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the app. `config` (tests) replaces the environment: the same FUNCTIONFIRST_* names.

    Raises ConfigError (or launch's TenantConfigError) naming the setting or the line at fault.
    """
    settings = settings_from_environ(os.environ) if config is None else dict(config)
    environ = os.environ if config is None else {k: str(v) for k, v in settings.items()}
    app = Flask(__name__)
    app_config = load_config(settings, instance_path=Path(app.instance_path))
    if not app_config.testing:
        configure_logging(app_config.log_level)
    tenants = load_tenants(app_config.tenants_path, environ=environ)
    keys = _keys(app_config, tenants)
    store = Store.open(
        app_config.database_url,
        secret_key=app_config.secret_key,
        policy=SessionPolicy(idle=app_config.session_idle, max_age=app_config.session_max),
        schema=app_config.database_schema,
    )
    app.config.update(
        TESTING=app_config.testing,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        PREFERRED_URL_SCHEME="https" if app_config.secure_cookies else "http",
    )
    app.extensions["functionfirst"] = Services(
        config=app_config,
        store=store,
        tenants=tenants,
        keys=keys,
        oauth_http=OAuthHttp(),
        jwks=JwksCache(),
        templates=_templates(app_config),
    )

    @app.before_request
    def _start_request() -> None:
        g.frame_ancestors = ()
        correlation_id()

    init_security(app)
    register_error_handlers(app)
    _register_blueprints(app)
    return app
