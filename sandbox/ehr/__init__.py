"""The sandbox EHR: SMART authorization server, FHIR proxy and launcher for three vendor sites."""

from __future__ import annotations

import logging

from flask import Flask
from joserfc.jwk import RSAKey

from sandbox.ehr.config import ClientSpec, EhrConfig, Listing, default_clients
from sandbox.ehr.faults import Faults
from sandbox.ehr.grants import build_server
from sandbox.ehr.injection import DroppedByFault, dropped
from sandbox.ehr.oauth import Site
from sandbox.ehr.profiles import PROFILES
from sandbox.ehr.runtime import EXTENSION, BackendHttp, Runtime
from sandbox.ehr.state import EhrState

# authlib's server side logs whole token responses at DEBUG; in a process that also runs an app
# with DEBUG logging (tests do) they would land in the app's logs (smart.md 70).
_SERVER_LOGGERS = (
    "authlib.oauth2.rfc6749.grants",
    "authlib.oauth2.rfc6749.authenticate_client",
    "authlib.oauth2.rfc7523.client",
    "authlib.oauth2.rfc7523.jwt_bearer",
    "authlib.oauth2.rfc7523.validator",
)

__all__ = ["ClientSpec", "EhrConfig", "Faults", "Listing", "create_ehr_app", "default_clients"]


def create_ehr_app(config: EhrConfig) -> Flask:
    """The EHR as a Flask app; one site per vendor profile, each with its own signing key."""
    from sandbox.ehr import authorize, launcher, proxy

    for name in _SERVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    state = EhrState(clock=config.clock, fault_seed=config.fault_seed)
    sites = {
        name: Site(
            profile=profile,
            config=config,
            state=state,
            key=RSAKey.generate_key(2048, parameters={"kid": f"sandbox-{name}", "use": "sig"}),
        )
        for name, profile in PROFILES.items()
    }
    servers = {name: build_server(site) for name, site in sites.items()}
    app.extensions[EXTENSION] = Runtime(
        config=config, state=state, sites=sites, servers=servers, http=BackendHttp()
    )
    app.register_error_handler(DroppedByFault, dropped)
    app.register_blueprint(launcher.bp)
    app.register_blueprint(authorize.bp)
    app.register_blueprint(proxy.bp)
    return app
