"""The authorize request: PKCE S256, state and nonce, aud, launch, scopes (SMART 2.2)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from launch.errors import LaunchError
from launch.flow import (
    authorization_post,
    begin_authorization,
    code_challenge,
    prefers_post,
    requested_scope,
)
from tests.launch.conftest import AUTHORIZE, ISS, NOW, make_smart, make_tenant

REDIRECT = "https://app.example/callback"


def query(url: str) -> dict[str, str]:
    parsed = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert all(len(v) == 1 for v in parsed.values())  # no parameter twice
    return {k: v[0] for k, v in parsed.items()}


def test_the_ehr_launch_url_carries_every_required_parameter() -> None:
    # smart.md 3, 14, 16, 84 (the request shape Inferno's client suite checks)
    pending = begin_authorization(
        make_tenant(), make_smart(), redirect_uri=REDIRECT, launch="xyz-123", now=NOW
    )
    assert pending.url.startswith(AUTHORIZE + "?")
    params = query(pending.url)
    assert params["response_type"] == "code"
    assert params["client_id"] == "functionfirst"
    assert params["redirect_uri"] == REDIRECT
    assert params["launch"] == "xyz-123"  # echoed unchanged
    assert params["aud"] == ISS
    assert params["state"] == pending.state
    assert params["nonce"] == pending.nonce
    assert params["code_challenge_method"] == "S256"
    assert params["scope"].split()[0] == "launch"
    assert "launch/patient" not in params["scope"].split()
    assert "code_verifier" not in params  # smart.md 14: the verifier stays server-side
    assert "max_age" not in params  # smart.md 46


def test_the_challenge_is_s256_of_the_verifier() -> None:
    # smart.md 14; RFC 7636 appendix B test vector first.
    assert (
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    pending = begin_authorization(
        make_tenant(), make_smart(), redirect_uri=REDIRECT, launch="x", now=NOW
    )
    digest = hashlib.sha256(pending.code_verifier.encode()).digest()
    assert (
        query(pending.url)["code_challenge"]
        == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    )
    assert 43 <= len(pending.code_verifier) <= 128


def test_s256_is_sent_even_when_discovery_does_not_list_it() -> None:
    # smart.md 12, 14
    pending = begin_authorization(
        make_tenant(),
        make_smart(code_challenge_methods_supported=()),
        redirect_uri=REDIRECT,
        launch="x",
        now=NOW,
    )
    assert query(pending.url)["code_challenge_method"] == "S256"


def test_state_and_nonce_are_256_bit_and_never_repeat() -> None:
    # smart.md 15, 18: token_urlsafe(32) is 32 random bytes = 43 base64url characters.
    seen: set[str] = set()
    for _ in range(200):
        pending = begin_authorization(
            make_tenant(), make_smart(), redirect_uri=REDIRECT, launch="x", now=NOW
        )
        assert len(pending.state) == 43
        assert len(pending.nonce) == 43
        assert len(base64.urlsafe_b64decode(pending.state + "=")) == 32
        seen.update({pending.state, pending.nonce, pending.code_verifier})
    assert len(seen) == 600


def test_a_standalone_launch_asks_for_launch_patient_and_no_launch_value() -> None:
    # smart.md 4
    pending = begin_authorization(
        make_tenant(standalone=True), make_smart(), redirect_uri=REDIRECT, launch=None
    )
    params = query(pending.url)
    assert "launch" not in params
    scopes = params["scope"].split()
    assert "launch/patient" in scopes
    assert "launch" not in scopes
    assert params["aud"] == ISS


def test_a_standalone_launch_is_refused_where_the_tenant_does_not_allow_it() -> None:
    # smart.md 3
    with pytest.raises(LaunchError) as caught:
        begin_authorization(
            make_tenant(standalone=False), make_smart(), redirect_uri=REDIRECT, launch=None
        )
    assert caught.value.code == "standalone_not_allowed"


def test_the_scopes_come_from_the_tenant_v2_by_default_v1_when_configured() -> None:
    # smart.md 17, 18
    default = requested_scope(make_tenant(), launch="x").split()
    assert {"openid", "fhirUser", "patient/Goal.crus", "offline_access"} <= set(default)
    assert not any(
        s.endswith((".*", ".cruds", ".read", ".write")) for s in default
    )  # least privilege, v2
    v1 = requested_scope(
        make_tenant(scopes=("openid", "patient/Goal.read", "patient/Goal.write", "launch")),
        launch="x",
    )
    assert v1.split() == ["launch", "openid", "patient/Goal.read", "patient/Goal.write"]


def test_the_only_redirect_target_is_the_discovered_authorization_endpoint() -> None:
    # smart.md 5, 65: nothing in the URL comes from request parameters except the launch value.
    pending = begin_authorization(
        make_tenant(),
        make_smart(),
        redirect_uri=REDIRECT,
        launch="https://evil.example/next",
        now=NOW,
    )
    parts = urlsplit(pending.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE
    assert query(pending.url)["launch"] == "https://evil.example/next"


def test_an_empty_launch_or_a_missing_authorize_endpoint_is_refused() -> None:
    with pytest.raises(LaunchError):
        begin_authorization(make_tenant(), make_smart(), redirect_uri=REDIRECT, launch="  ")
    with pytest.raises(LaunchError) as caught:
        begin_authorization(
            make_tenant(),
            make_smart(authorization_endpoint=None),
            redirect_uri=REDIRECT,
            launch="x",
        )
    assert caught.value.code == "discovery_failed"


def test_the_pending_record_does_not_show_its_secrets_in_repr() -> None:
    # smart.md 70
    pending = begin_authorization(
        make_tenant(), make_smart(), redirect_uri=REDIRECT, launch="x", now=NOW
    )
    shown = repr(pending)
    assert pending.state not in shown
    assert pending.code_verifier not in shown
    assert pending.nonce not in shown


def test_the_authorize_request_as_a_form_post_carries_the_same_parameters() -> None:
    # smart.md 19, 20: POST for long scope strings, in the same frame.
    pending = begin_authorization(
        make_tenant(), make_smart(), redirect_uri=REDIRECT, launch="x", now=NOW
    )
    post = authorization_post(pending)
    assert post.action == AUTHORIZE
    assert dict(post.fields) == query(pending.url)
    assert pending.state not in repr(post)


def test_post_is_preferred_only_for_long_urls_on_servers_that_support_it() -> None:
    # smart.md 19
    short = begin_authorization(make_tenant(), make_smart(), redirect_uri=REDIRECT, launch="x")
    many = tuple(f"patient/Type{chr(65 + i % 26)}{'x' * (i % 7)}{i}.rs" for i in range(120))
    long = begin_authorization(
        make_tenant(scopes=many), make_smart(), redirect_uri=REDIRECT, launch="x"
    )
    with_post = make_smart(capabilities=("launch-ehr", "authorize-post"))
    assert not prefers_post(with_post, short)
    assert prefers_post(with_post, long)
    assert not prefers_post(make_smart(), long)


def test_a_v1_only_server_gets_v1_equivalents_of_the_v2_scopes() -> None:
    # smart.md 17: v1 only when discovery advertises permission-v1 and not permission-v2.
    tenant = make_tenant(
        scopes=(
            "openid",
            "patient/Patient.r",
            "patient/Goal.crus",
            "patient/Observation.rs?category=survey",
        )
    )
    v1_only = make_smart(capabilities=("launch-ehr", "permission-v1"))
    pending = begin_authorization(tenant, v1_only, redirect_uri=REDIRECT, launch="x")
    assert query(pending.url)["scope"].split() == [
        "launch",
        "openid",
        "patient/Patient.read",
        "patient/Goal.read",
        "patient/Goal.write",
    ]  # the constrained scope has no v1 form and is not widened
    both = make_smart(capabilities=("permission-v1", "permission-v2"))
    assert "patient/Goal.crus" in requested_scope(tenant, launch="x", smart=both).split()
    assert "patient/Goal.crus" in requested_scope(tenant, launch="x", smart=make_smart()).split()
