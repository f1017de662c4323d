"""Discovery: well-known first, CapabilityStatement fallback, endpoint checks, cache with a TTL."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import responses

from launch.discovery import OAUTH_URIS, SmartConfiguration, discover
from launch.errors import LaunchError
from launch.http import OAuthHttp
from launch.tenant_model import ClientAuth
from tests.launch.conftest import AUTHORIZE, ISS, JWKS, NOW, TOKEN, make_tenant

WELL_KNOWN = f"{ISS}/.well-known/smart-configuration"
METADATA = f"{ISS}/metadata"
CONFIG = {
    "issuer": ISS,
    "authorization_endpoint": AUTHORIZE,
    "token_endpoint": TOKEN,
    "jwks_uri": JWKS,
    "capabilities": ["launch-ehr", "client-public", "permission-v2"],
    "code_challenge_methods_supported": ["S256"],
    "grant_types_supported": ["authorization_code", "refresh_token"],
}


def capability_statement(**endpoints: str) -> dict[str, object]:
    return {
        "resourceType": "CapabilityStatement",
        "rest": [
            {
                "mode": "server",
                "security": {
                    "extension": [
                        {
                            "url": OAUTH_URIS,
                            "extension": [{"url": k, "valueUri": v} for k, v in endpoints.items()],
                        }
                    ]
                },
            }
        ],
    }


class MemoryCache:
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def get(self, tenant_name: str) -> SmartConfiguration | None:
        row = self.rows.get(tenant_name)
        return SmartConfiguration.from_json(row) if row else None

    def put(self, tenant_name: str, config: SmartConfiguration) -> None:
        self.rows[tenant_name] = config.to_json()


def test_well_known_is_read_first(wire: responses.RequestsMock, http: OAuthHttp) -> None:
    # smart.md 8
    wire.get(WELL_KNOWN, json=CONFIG)
    config = discover(http, make_tenant(), now=NOW)
    assert (config.authorization_endpoint, config.token_endpoint, config.jwks_uri) == (
        AUTHORIZE,
        TOKEN,
        JWKS,
    )
    assert config.source == "well-known"
    assert config.supports("permission-v2")
    assert [c.request.url for c in wire.calls] == [WELL_KNOWN]
    assert wire.calls[0].request.headers["Accept"] == "application/json"


@pytest.mark.parametrize("well_known", [{"status": 404}, {"json": {"capabilities": []}}])
def test_the_capability_statement_is_the_fallback(
    wire: responses.RequestsMock,
    http: OAuthHttp,
    well_known: dict[str, object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # smart.md 9: only when well-known fails or lacks the endpoints; a warning is logged.
    wire.get(WELL_KNOWN, **well_known)
    wire.get(
        METADATA,
        json=capability_statement(authorize=AUTHORIZE, token=TOKEN, register=f"{ISS}/register"),
    )
    config = discover(http, make_tenant(), now=NOW)
    assert (config.authorization_endpoint, config.token_endpoint) == (AUTHORIZE, TOKEN)
    assert config.registration_endpoint == f"{ISS}/register"
    assert config.source == "capability-statement"
    assert [c.request.url for c in wire.calls] == [WELL_KNOWN, METADATA]
    assert "legacy discovery" in caplog.text


def test_no_endpoints_anywhere_fails_discovery(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    wire.get(WELL_KNOWN, status=404)
    wire.get(METADATA, json={"resourceType": "CapabilityStatement", "rest": [{"mode": "server"}]})
    with pytest.raises(LaunchError) as caught:
        discover(http, make_tenant(), now=NOW)
    assert caught.value.code == "discovery_failed"


def test_relative_endpoints_resolve_against_the_fhir_base(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 10: "evaluate them relative to the FHIR Server Base URL"
    wire.get(WELL_KNOWN, json={**CONFIG, "token_endpoint": "auth/token", "jwks_uri": "/auth/jwks"})
    config = discover(http, make_tenant(), now=NOW)
    assert config.token_endpoint == f"{ISS}/auth/token"
    assert config.jwks_uri == "https://ehr.example/auth/jwks"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("token_endpoint", "http://ehr.example/auth/token"),  # not https
        ("token_endpoint", "https://evil.example/token"),  # another host
        ("token_endpoint", "https://ehr.example.evil.example/token"),  # look-alike host
        ("token_endpoint", "https://ehr.example:8443/token"),  # another port
        ("token_endpoint", "https://user@evil.example/token"),  # userinfo
        ("authorization_endpoint", "javascript:alert(1)"),
        ("jwks_uri", "https://evil.example/jwks"),
        ("revocation_endpoint", "ftp://ehr.example/revoke"),
        ("issuer", "https://evil.example"),
        ("jwks_uri", 42),
    ],
)
def test_endpoints_off_the_tenant_hosts_are_refused(
    wire: responses.RequestsMock, http: OAuthHttp, field: str, value: object
) -> None:
    # smart.md 10: a tampered discovery document cannot redirect the credential.
    wire.get(WELL_KNOWN, json={**CONFIG, field: value})
    with pytest.raises(LaunchError) as caught:
        discover(http, make_tenant(), now=NOW)
    assert caught.value.code == "insecure_endpoint"


def test_listed_auth_hosts_are_accepted(wire: responses.RequestsMock, http: OAuthHttp) -> None:
    # smart.md 10: the tenant record holds the expected auth/token hosts.
    wire.get(
        WELL_KNOWN, json={**CONFIG, "token_endpoint": "https://login.ehr.example/oauth2/token"}
    )
    config = discover(http, make_tenant(auth_hosts=("login.ehr.example",)), now=NOW)
    assert config.token_endpoint == "https://login.ehr.example/oauth2/token"


def test_http_loopback_is_allowed_only_when_the_tenant_allows_it(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    iss = "http://127.0.0.1:8001/open/fhir"
    doc = {
        "authorization_endpoint": "http://127.0.0.1:8001/open/auth/authorize",
        "token_endpoint": "/open/auth/token",
    }
    wire.get(f"{iss}/.well-known/smart-configuration", json=doc)
    config = discover(http, make_tenant(iss=iss, allow_http_loopback=True), now=NOW)
    assert config.token_endpoint == "http://127.0.0.1:8001/open/auth/token"
    with pytest.raises(LaunchError) as caught:
        discover(http, make_tenant(iss=iss, allow_http_loopback=False), now=NOW)
    assert caught.value.code == "insecure_endpoint"


def test_a_private_key_jwt_tenant_fails_closed_without_the_capability(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 12
    wire.get(WELL_KNOWN, json=CONFIG)
    with pytest.raises(LaunchError) as caught:
        discover(http, make_tenant(client_auth=ClientAuth.PRIVATE_KEY_JWT), now=NOW)
    assert caught.value.code == "discovery_failed"


def test_missing_s256_in_discovery_still_discovers(
    wire: responses.RequestsMock, http: OAuthHttp, caplog: pytest.LogCaptureFixture
) -> None:
    # smart.md 12: PKCE S256 is sent anyway (see the authorize tests), and that is logged.
    caplog.set_level(logging.INFO, logger="launch.discovery")
    wire.get(
        WELL_KNOWN,
        json={k: v for k, v in CONFIG.items() if k != "code_challenge_methods_supported"},
    )
    assert discover(http, make_tenant(), now=NOW).code_challenge_methods_supported == ()
    assert "sending it anyway" in caplog.text


def test_the_cache_serves_until_the_ttl_then_refetches(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 13: cached per tenant with a TTL, not forever.
    wire.get(WELL_KNOWN, json=CONFIG)
    cache = MemoryCache()
    first = discover(http, make_tenant(), cache=cache, now=NOW, ttl=timedelta(minutes=10))
    again = discover(
        http, make_tenant(), cache=cache, now=NOW + timedelta(minutes=9), ttl=timedelta(minutes=10)
    )
    assert again == first
    assert len(wire.calls) == 1
    later = discover(
        http, make_tenant(), cache=cache, now=NOW + timedelta(minutes=11), ttl=timedelta(minutes=10)
    )
    assert len(wire.calls) == 2
    assert later.fetched_at == NOW + timedelta(minutes=11)


def test_a_configuration_round_trips_through_json() -> None:
    config = SmartConfiguration(
        issuer=ISS,
        authorization_endpoint=AUTHORIZE,
        token_endpoint=TOKEN,
        capabilities=("a", "b"),
        fetched_at=NOW,
    )
    assert SmartConfiguration.from_json(config.to_json()) == config
    with pytest.raises(ValueError, match="does not fit"):
        SmartConfiguration.from_json('{"fetched_at": "2026-01-01T00:00:00+00:00", "colour": 1}')
