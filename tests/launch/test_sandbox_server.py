"""The launch client against a real SMART authorization server: the sandbox EHR (authlib server).

No fake wire here: the EHR runs on a free loopback port and checks PKCE, the client
authentication (Basic, private_key_jwt assertions against the app's JWKS), refresh and
client_credentials as a server does; its id_tokens are verified against its real JWKS.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from launch.backend_services import system_token
from launch.discovery import SmartConfiguration, discover
from launch.errors import TokenEndpointError
from launch.flow import (
    PendingAuthorization,
    authorization_post,
    begin_authorization,
    complete_authorization,
)
from launch.http import OAuthHttp
from launch.idtoken import JwksCache
from launch.keys import KeyStore
from launch.refresh import refresh_tokens
from launch.tenant_model import ClientAuth, SigningAlg, Tenant
from launch.tokens import TokenSet
from sandbox.ehr import ClientSpec, EhrConfig, Listing, create_ehr_app

pytestmark = pytest.mark.integration

APP = "http://127.0.0.1:9/app"  # the redirect target is only read back, never contacted
REDIRECT = f"{APP}/callback"
SCOPES = ("openid", "fhirUser", "offline_access", "patient/Patient.r", "patient/Goal.crus")


class _LateApp:
    """A WSGI app bound after the port is known (the EHR needs its own URL to start)."""

    app: Callable[..., Iterable[bytes]] | None = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        assert self.app is not None
        return self.app(environ, start_response)


@dataclass
class Ehr:
    url: str
    http: OAuthHttp

    def tenant(self, client_id: str, auth: ClientAuth, **changes: object) -> Tenant:
        values: dict[str, object] = {
            "name": f"open-{client_id}",
            "iss": f"{self.url}/open/fhir",
            "client_id": client_id,
            "client_auth": auth,
            "standalone": True,
            "allow_http_loopback": True,
            "scopes": SCOPES,
        }
        values.update(changes)
        return Tenant(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def ehr(keys: KeyStore) -> Iterator[Ehr]:
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    jwks = keys.public_jwks()
    late.app = create_ehr_app(
        EhrConfig(
            public_url=url,
            backend_url="http://127.0.0.1:9/fhir",
            clients=(
                ClientSpec(client_id="ff-public", auth_method="none", redirect_uris=(REDIRECT,)),
                ClientSpec(
                    client_id="ff-secret",
                    auth_method="client_secret_basic",
                    redirect_uris=(REDIRECT,),
                    secret="integration-secret",
                ),
                ClientSpec(
                    client_id="ff-jwt",
                    auth_method="private_key_jwt",
                    redirect_uris=(REDIRECT,),
                    jwks=jwks,
                ),
                ClientSpec(
                    client_id="ff-backend",
                    auth_method="private_key_jwt",
                    jwks=jwks,
                    grant_types=("client_credentials",),
                ),
            ),
            patients=(Listing(id="pat-7", name="Test Patient", kind="typical", description="t"),),
            practitioners=(Listing(id="prac-3", name="Dr Test", kind="gp", description="t"),),
        )
    ).wsgi_app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    http = OAuthHttp(connect_timeout=2.0, read_timeout=10.0)
    try:
        yield Ehr(url=url, http=http)
    finally:
        http.close()
        server.shutdown()
        thread.join(timeout=5)


def callback_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code in (302, 303), response.text[:300]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def standalone_code(pending: PendingAuthorization) -> dict[str, str]:
    """The user approves on the EHR's page, picking a patient (a standalone launch)."""
    form = {"decision": "approve", "patient": "pat-7", "practitioner": "prac-3"}
    return callback_params(requests.post(pending.url, data=form, allow_redirects=False, timeout=10))


def launch(ehr: Ehr, tenant: Tenant, keys: KeyStore) -> tuple[SmartConfiguration, TokenSet]:
    smart = discover(ehr.http, tenant)
    pending = begin_authorization(tenant, smart, redirect_uri=REDIRECT, launch=None)
    params = standalone_code(pending)
    assert params["state"] == pending.state  # smart.md 21: the caller checks state first
    tokens = complete_authorization(
        tenant,
        smart,
        pending,
        code=params["code"],
        redirect_uri=REDIRECT,
        keys=keys,
        http=ehr.http,
        jwks=JwksCache(),
    )
    return smart, tokens


def test_discovery_reads_the_real_well_known_document(ehr: Ehr) -> None:
    # smart.md 8, 10
    smart = discover(ehr.http, ehr.tenant("ff-public", ClientAuth.PUBLIC))
    assert smart.source == "well-known"
    assert smart.token_endpoint == f"{ehr.url}/open/auth/token"
    assert smart.supports("client-confidential-asymmetric")


@pytest.mark.parametrize(
    ("client_id", "auth", "secret", "alg"),
    [
        ("ff-public", ClientAuth.PUBLIC, None, SigningAlg.RS384),
        ("ff-secret", ClientAuth.CLIENT_SECRET_BASIC, "integration-secret", SigningAlg.RS384),
        ("ff-jwt", ClientAuth.PRIVATE_KEY_JWT, None, SigningAlg.RS384),
        ("ff-jwt", ClientAuth.PRIVATE_KEY_JWT, None, SigningAlg.ES384),
    ],
)
def test_a_standalone_launch_and_a_refresh_with_each_client_authentication(
    ehr: Ehr, keys: KeyStore, client_id: str, auth: ClientAuth, secret: str | None, alg: SigningAlg
) -> None:
    # smart.md 4, 14, 28, 29, 31, 34, 42, 45, 48, 49
    tenant = ehr.tenant(client_id, auth, client_secret=secret, signing_alg=alg)
    smart, tokens = launch(ehr, tenant, keys)
    assert tokens.patient == "pat-7"
    assert tokens.fhir_user == "Practitioner/prac-3"
    assert tokens.id_token_claims is not None
    assert tokens.id_token_claims["aud"] == client_id
    assert tokens.scopes.can_create("Goal")
    assert tokens.refresh_token
    refreshed = refresh_tokens(tenant, smart, tokens, keys=keys, http=ehr.http)
    assert refreshed.access_token != tokens.access_token
    assert refreshed.refresh_token
    assert refreshed.patient == "pat-7"
    assert refreshed.scopes.can_create("Goal")


def test_an_ehr_launch_through_the_launcher(ehr: Ehr, keys: KeyStore) -> None:
    # smart.md 3, 16: the launch value is echoed and aud is the iss.
    tenant = ehr.tenant("ff-public", ClientAuth.PUBLIC)
    started = requests.get(
        f"{ehr.url}/launcher",
        params={
            "launch_uri": f"{APP}/launch",
            "patient": "pat-7",
            "practitioner": "prac-3",
            "auto": "1",
        },
        allow_redirects=False,
        timeout=10,
    )
    entry = {k: v[0] for k, v in parse_qs(urlsplit(started.headers["Location"]).query).items()}
    assert entry["iss"] == tenant.iss
    smart = discover(ehr.http, tenant)
    pending = begin_authorization(tenant, smart, redirect_uri=REDIRECT, launch=entry["launch"])
    params = callback_params(requests.get(pending.url, allow_redirects=False, timeout=10))
    tokens = complete_authorization(
        tenant, smart, pending, code=params["code"], redirect_uri=REDIRECT, keys=keys, http=ehr.http
    )
    assert (tokens.patient, tokens.fhir_user) == ("pat-7", "Practitioner/prac-3")


def test_the_authorize_request_as_a_form_post(ehr: Ehr, keys: KeyStore) -> None:
    # smart.md 19: the sandbox advertises authorize-post; parameters travel in the body.
    tenant = ehr.tenant("ff-public", ClientAuth.PUBLIC)
    smart = discover(ehr.http, tenant)
    assert smart.supports("authorize-post")
    pending = begin_authorization(tenant, smart, redirect_uri=REDIRECT, launch=None)
    post = authorization_post(pending)
    form = [*post.fields, ("decision", "approve"), ("patient", "pat-7")]
    params = callback_params(
        requests.post(post.action, data=form, allow_redirects=False, timeout=10)
    )
    assert params["state"] == pending.state
    tokens = complete_authorization(
        tenant, smart, pending, code=params["code"], redirect_uri=REDIRECT, keys=keys, http=ehr.http
    )
    assert tokens.patient == "pat-7"


def test_a_code_is_redeemed_once(ehr: Ehr, keys: KeyStore) -> None:
    # smart.md 25, 33: the second exchange is invalid_grant.
    tenant = ehr.tenant("ff-public", ClientAuth.PUBLIC)
    smart = discover(ehr.http, tenant)
    pending = begin_authorization(tenant, smart, redirect_uri=REDIRECT, launch=None)
    code = standalone_code(pending)["code"]
    complete_authorization(
        tenant, smart, pending, code=code, redirect_uri=REDIRECT, keys=keys, http=ehr.http
    )
    with pytest.raises(TokenEndpointError) as caught:
        complete_authorization(
            tenant, smart, pending, code=code, redirect_uri=REDIRECT, keys=keys, http=ehr.http
        )
    assert caught.value.oauth_error == "invalid_grant"


def test_a_wrong_secret_is_invalid_client(ehr: Ehr, keys: KeyStore) -> None:
    # smart.md 33
    tenant = ehr.tenant("ff-secret", ClientAuth.CLIENT_SECRET_BASIC, client_secret="wrong")
    with pytest.raises(TokenEndpointError) as caught:
        launch(ehr, tenant, keys)
    assert caught.value.oauth_error == "invalid_client"


def test_a_backend_services_token(ehr: Ehr, keys: KeyStore) -> None:
    # smart.md 55, 56
    tenant = ehr.tenant("ff-backend", ClientAuth.PRIVATE_KEY_JWT, standalone=False)
    smart = discover(ehr.http, tenant)
    tokens = system_token(tenant, smart, keys=keys, http=ehr.http, scopes=("system/Goal.rs",))
    assert tokens.access_token
    assert tokens.refresh_token is None
    assert tokens.scopes.can_read("Goal")


def test_a_whole_launch_at_debug_logs_no_secret(
    ehr: Ehr, keys: KeyStore, caplog: pytest.LogCaptureFixture
) -> None:
    # smart.md 70: every client-side logger (launch, requests, urllib3) at DEBUG on a real wire.
    tenant = ehr.tenant("ff-jwt", ClientAuth.PRIVATE_KEY_JWT)
    caplog.set_level(logging.DEBUG)
    smart = discover(ehr.http, tenant)
    pending = begin_authorization(tenant, smart, redirect_uri=REDIRECT, launch=None)
    with caplog.at_level(logging.WARNING, logger="urllib3"):
        code = standalone_code(pending)["code"]  # the browser's request, not the app's
    tokens = complete_authorization(
        tenant, smart, pending, code=code, redirect_uri=REDIRECT, keys=keys, http=ehr.http
    )
    refreshed = refresh_tokens(tenant, smart, tokens, keys=keys, http=ehr.http)
    client_side = [
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("werkzeug", "sandbox", "authlib"))  # the EHR's own logs
    ]
    text = "\n".join(client_side)
    assert "oauth http POST" in text  # the client did log, at DEBUG
    for secret in (
        code,
        pending.state,
        pending.nonce,
        pending.code_verifier,
        tokens.access_token,
        tokens.refresh_token,
        refreshed.access_token,
        refreshed.refresh_token,
    ):
        assert secret
        assert secret not in text
