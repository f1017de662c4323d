"""Bad input gets a typed error, never a crash: tenants files, scope strings, token responses."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from launch.errors import LaunchError, TenantConfigError
from launch.scopes import GrantedScopes
from launch.tenants import parse_tenants
from launch.tokens import token_set_from_response
from tests.launch.conftest import NOW
from tests.launch.test_tenants import GOOD

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
LINES = GOOD.splitlines()


def config_error(text: str, **environ: str) -> TenantConfigError | None:
    try:
        parse_tenants(text, path=Path("tenants.toml"), environ=environ)
    except TenantConfigError as error:
        return error
    return None


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_text_as_a_tenants_file_loads_or_names_its_problem(text: str) -> None:
    error = config_error(text)
    if error is not None:
        assert error.reason
        assert 0 <= error.line <= max(1, len(text.splitlines()))


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, len(LINES) - 1),
    st.sampled_from(["", "x = 1", "[[tenant]]", '"', "[tenant.quirks]"]),
)
def test_a_damaged_good_file_loads_or_names_a_line(index: int, replacement: str) -> None:
    lines = list(LINES)
    lines[index] = replacement
    text = "\n".join(lines)
    error = config_error(text, EPIC_SECRET="s")
    if error is not None:
        assert 1 <= error.line <= len(lines), error.description


@settings(max_examples=120, deadline=None)
@given(st.text(max_size=120))
def test_any_scope_string_parses(scope: str) -> None:
    scopes = GrantedScopes.parse(scope)
    assert scopes.raw == tuple(dict.fromkeys(scope.split()))
    scopes.can_create("Goal")


@settings(max_examples=120, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "access_token",
                "token_type",
                "scope",
                "expires_in",
                "patient",
                "encounter",
                "refresh_token",
                "fhirContext",
                "need_patient_banner",
                "smart_style_url",
                "intent",
                "tenant",
            ]
        ),
        JSON,
        max_size=12,
    )
)
def test_any_token_response_gives_tokens_or_a_launch_error(body: dict[str, object]) -> None:
    # smart.md 34: whatever the EHR sends, the launch gets tokens or a typed failure.
    try:
        tokens = token_set_from_response(body, tenant="ehr", now=NOW)
    except LaunchError as error:
        code = error.code
    else:
        code = "ok"
        assert isinstance(tokens.access_token, str)
        assert tokens.access_token
    assert code in ("ok", "token_error")
