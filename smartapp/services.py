"""The app's long-lived services, the checked launch of a request, and the correlation id."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from flask import current_app, g, request

from launch.http import OAuthHttp
from launch.idtoken import JwksCache
from launch.keys import KeyStore
from launch.tenant_model import Tenant
from launch.tenants import TenantRegistry
from launch.tokens import TokenSet
from rehab.templates import TemplateLibrary
from smartapp.config import AppConfig
from smartapp.store import Store

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """The app's long-lived services (one per app, in `app.extensions["functionfirst"]`)."""

    config: AppConfig
    store: Store
    tenants: TenantRegistry
    keys: KeyStore | None
    oauth_http: OAuthHttp
    jwks: JwksCache
    templates: TemplateLibrary


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchSession:
    """The launch named in the URL, checked against the session cookie."""

    launch_id: str
    tenant: Tenant
    tokens: TokenSet
    token_version: int
    patient_id: str | None
    fhir_user: str | None
    csrf_token: str


def services() -> Services:
    """The current app's services."""
    found = current_app.extensions["functionfirst"]
    assert isinstance(found, Services)
    return found


def correlation_id() -> str:
    """This request's correlation id (sent to the EHR as X-Request-ID, shown on error pages)."""
    value = g.get("correlation_id")
    if value is None:
        incoming = request.headers.get("X-Request-ID", "")
        value = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.correlation_id = value
    return str(value)
