"""The tenants file the sandbox writes is one the app's tenant loader accepts."""

from __future__ import annotations

from pathlib import Path

from launch.tenant_model import ClientAuth
from launch.tenants import load_tenants
from sandbox.ehr.config import default_clients
from sandbox.tenants import SECRET_ENV, write_tenants

EHR = "http://127.0.0.1:8001"


def test_the_three_sites_load_as_tenants(tmp_path: Path) -> None:
    path = write_tenants(tmp_path / "tenants.toml", ehr_url=EHR)
    registry = load_tenants(path, environ={SECRET_ENV: "sandbox-secret"})
    by_iss = {t.iss: t for t in registry.all()}
    assert set(by_iss) == {f"{EHR}/open/fhir", f"{EHR}/epic/fhir", f"{EHR}/oracle/fhir"}
    open_site = by_iss[f"{EHR}/open/fhir"]
    epic = by_iss[f"{EHR}/epic/fhir"]
    oracle = by_iss[f"{EHR}/oracle/fhir"]
    assert open_site.client_auth is ClientAuth.PUBLIC
    assert epic.client_auth is ClientAuth.PRIVATE_KEY_JWT
    assert oracle.client_auth is ClientAuth.CLIENT_SECRET_BASIC
    assert oracle.client_secret == "sandbox-secret"
    assert epic.quirk("observation_requires_category")
    assert oracle.quirk("careplan_requires_category")
    assert all(t.allow_http_loopback for t in registry.all())
    assert all(t.frame_ancestors == (EHR,) for t in registry.all())


def test_every_tenant_names_a_client_the_ehr_registers(tmp_path: Path) -> None:
    path = write_tenants(tmp_path / "tenants.toml", ehr_url=EHR)
    registry = load_tenants(path, environ={SECRET_ENV: "s"})
    clients = {c.client_id: c for c in default_clients("http://127.0.0.1:8000", secret="s")}
    for tenant in registry.all():
        assert (
            clients[tenant.client_id].auth_method
            == {
                ClientAuth.PUBLIC: "none",
                ClientAuth.CLIENT_SECRET_BASIC: "client_secret_basic",
                ClientAuth.PRIVATE_KEY_JWT: "private_key_jwt",
            }[tenant.client_auth]
        )
