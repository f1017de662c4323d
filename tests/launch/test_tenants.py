"""The tenants file: loading, validation with the line and reason, exact iss matching."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses

from launch.errors import LaunchError, TenantConfigError
from launch.tenants import DEFAULT_SCOPES, ClientAuth, SigningAlg, load_tenants

from .tenant_files import error_of, load, load_example

GOOD = """\
# FunctionFirst registrations
[[tenant]]
name = "open"
iss = "http://127.0.0.1:8001/open/fhir"
client_id = "functionfirst"
allow_http_loopback = true
standalone = true
frame_ancestors = ["http://127.0.0.1:8001"]

[tenant.quirks]
no_batch = true
observation_requires_category = false

[[tenant]]
name = "epic"
iss = "https://fhir.hospital.example/api/FHIR/R4/"
client_id = "ff-secret"
client_auth = "client_secret_basic"
client_secret_env = "EPIC_SECRET"
scopes = "openid fhirUser patient/Goal.read patient/Goal.write"
write_strategy = "note"
auth_hosts = ["login.hospital.example"]

[[tenant]]
name = "oracle"
iss = "https://fhir.oracle.example/r4/tenant-1"
client_id = "ff-jwt"
client_auth = "private_key_jwt"
kid = "kid-1"
signing_alg = "ES384"
scopes = ["openid", "fhirUser", "patient/*.rs", "patient/Goal.cu"]
write_strategy = "auto"
"""


def test_a_good_file_loads_every_tenant_with_its_settings(tmp_path: Path) -> None:
    registry = load(tmp_path, GOOD, EPIC_SECRET="s3cret")
    open_, epic, oracle = registry.all()
    assert (open_.name, open_.client_auth, open_.scopes) == (
        "open",
        ClientAuth.PUBLIC,
        DEFAULT_SCOPES,
    )
    assert open_.standalone
    assert open_.allow_http_loopback
    assert open_.frame_ancestors == ("http://127.0.0.1:8001",)
    assert open_.quirk("no_batch")
    assert not open_.quirk("observation_requires_category")
    assert not open_.quirk("never_mentioned")
    assert epic.iss == "https://fhir.hospital.example/api/FHIR/R4"  # one trailing slash dropped
    assert epic.client_secret == "s3cret"
    assert epic.scopes == ("openid", "fhirUser", "patient/Goal.read", "patient/Goal.write")
    assert epic.write_strategy == "note"
    assert epic.auth_hosts == ("login.hospital.example",)
    assert (oracle.kid, oracle.signing_alg, oracle.write_strategy) == (
        "kid-1",
        SigningAlg.ES384,
        None,
    )
    assert registry.standalone() == (open_,)
    assert registry.by_name("epic") is epic
    assert registry.by_name("nope") is None


def test_the_secret_never_shows_in_the_tenant_repr(tmp_path: Path) -> None:
    # smart.md 70: a logged tenant must not carry the client secret.
    epic = load(tmp_path, GOOD, EPIC_SECRET="s3cret-value").by_name("epic")
    assert epic is not None
    assert "s3cret-value" not in repr(epic)


@pytest.mark.parametrize(
    "iss",
    [
        "https://fhir.hospital.example/api/FHIR/R4",
        "https://fhir.hospital.example/api/FHIR/R4/",
    ],
)
def test_by_iss_matches_exactly_with_one_trailing_slash_ignored(tmp_path: Path, iss: str) -> None:
    # smart.md 2
    tenant = load(tmp_path, GOOD, EPIC_SECRET="s").by_iss(iss)
    assert tenant is not None
    assert tenant.name == "epic"


@pytest.mark.parametrize(
    "iss",
    [
        "https://fhir.hospital.example/api/FHIR/R4.evil.com",  # suffix
        "https://fhir.hospital.example/api/FHIR/R4/evil",  # longer path
        "https://fhir.hospital.example/api/FHIR",  # shorter path
        "https://fhir.hospital.example@evil.example/api/FHIR/R4",  # userinfo trick
        "https://fhir.hospital.example.evil.example/api/FHIR/R4",  # look-alike host
        "http://fhir.hospital.example/api/FHIR/R4",  # plain http
        "https://fhir.hospital.example:8443/api/FHIR/R4",  # another port
        "https://FHIR.hospital.example/api/FHIR/R4",  # case differs: not the configured string
        "https://fhir.hospital.example/api/FHIR/R4//",  # two trailing slashes
        "https://fhir.hospital.example/api/FHIR/R4?x=1",
        "https://evil.example/fhir",
        "",
    ],
)
def test_a_look_alike_iss_is_unknown_and_no_request_leaves(tmp_path: Path, iss: str) -> None:
    # smart.md 1, 2: refused before any request: the fake wire records no call.
    registry = load(tmp_path, GOOD, EPIC_SECRET="s")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as wire:
        assert registry.by_iss(iss) is None
        with pytest.raises(LaunchError) as caught:
            registry.for_launch(iss)
        assert caught.value.code == "unknown_iss"
        assert len(wire.calls) == 0


def test_a_syntax_error_names_its_line(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace('client_id = "ff-jwt"', 'client_id = "ff-jwt'))
    assert error.line == 27
    assert str(error.path).endswith("tenants.toml")


def test_a_bad_client_auth_names_the_line_of_the_key(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace('"client_secret_basic"', '"basic"'), EPIC_SECRET="s")
    assert error.line == 18
    assert "client_auth" in error.reason
    assert "tenants.toml:18" in error.description


def test_a_secret_in_the_file_is_refused_at_its_line(tmp_path: Path) -> None:
    # smart.md 31, 68: secrets come from the environment (a vault), never the file.
    text = GOOD.replace('client_secret_env = "EPIC_SECRET"', 'client_secret = "hunter2"')
    error = error_of(tmp_path, text)
    assert error.line == 19
    assert "client_secret_env" in error.reason
    assert "hunter2" not in error.description


def test_a_missing_secret_variable_names_the_variable_not_a_value(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD)
    assert error.line == 19
    assert "EPIC_SECRET" in error.reason


def test_a_missing_required_key_names_the_table(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace('client_id = "ff-jwt"\n', ""), EPIC_SECRET="s")
    assert error.line == 24  # the third [[tenant]] header
    assert "client_id" in error.reason


@pytest.mark.parametrize(
    ("old", "new", "line", "word"),
    [
        (
            'iss = "https://fhir.oracle.example/r4/tenant-1"',
            'iss = "http://fhir.oracle.example/r4"',
            26,
            "https",
        ),
        (
            'iss = "https://fhir.oracle.example/r4/tenant-1"',
            'iss = "https://u:p@fhir.oracle.example/r4"',
            26,
            "user",
        ),
        (
            'iss = "https://fhir.oracle.example/r4/tenant-1"',
            'iss = "fhir.oracle.example/r4"',
            26,
            "absolute",
        ),
        ('name = "oracle"', 'name = "Oracle EHR"', 25, "name"),
        ('name = "oracle"', 'name = "epic"', 25, "duplicate"),
        (
            'iss = "https://fhir.oracle.example/r4/tenant-1"',
            'iss = "https://fhir.hospital.example/api/FHIR/R4"',
            26,
            "already used",
        ),
        ('signing_alg = "ES384"', 'signing_alg = "RS256"', 30, "signing_alg"),
        ('write_strategy = "auto"', 'write_strategy = "yolo"', 32, "write_strategy"),
        ('"patient/Goal.cu"]', '"patient/Goal.write", "patient/Goal.ucr"]', 31, "Goal.ucr"),
        ('"patient/Goal.cu"]', '"patient/Goal.cu", "admin"]', 31, "admin"),
        ('kid = "kid-1"', 'kid = "kid-1"\ncolour = "blue"', 30, "colour"),
        ("standalone = true", 'standalone = "yes"', 7, "true or false"),
        (
            'frame_ancestors = ["http://127.0.0.1:8001"]',
            'frame_ancestors = ["http://127.0.0.1:8001/app"]',
            8,
            "origin",
        ),
        (
            'frame_ancestors = ["http://127.0.0.1:8001"]',
            'frame_ancestors = ["http://ehr.example"]',
            8,
            "https",
        ),
        ("no_batch = true", 'no_batch = "yes"', 11, "no_batch"),
        (
            'auth_hosts = ["login.hospital.example"]',
            'auth_hosts = ["https://login"]',
            22,
            "auth_hosts",
        ),
    ],
)
def test_each_invalid_value_names_its_line_and_reason(
    tmp_path: Path, old: str, new: str, line: int, word: str
) -> None:
    assert old in GOOD
    error = error_of(tmp_path, GOOD.replace(old, new), EPIC_SECRET="s")
    assert (error.line, word in error.reason) == (line, True), error.reason


def test_http_iss_is_allowed_only_on_loopback_when_the_tenant_says_so(tmp_path: Path) -> None:
    error = error_of(tmp_path, GOOD.replace("allow_http_loopback = true\n", ""), EPIC_SECRET="s")
    assert error.line == 4


def test_an_unknown_top_level_key_and_an_empty_file_are_refused(tmp_path: Path) -> None:
    assert error_of(tmp_path, "debug = true\n" + GOOD, EPIC_SECRET="s").line == 1
    assert "no [[tenant]]" in error_of(tmp_path, "# nothing\n").reason


def test_an_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(TenantConfigError) as caught:
        load_tenants(tmp_path / "missing.toml", environ={})
    assert "cannot read" in caught.value.reason


def test_the_packaged_example_file_loads() -> None:
    registry = load_example()
    epic, oracle = registry.all()
    assert epic.client_auth is ClientAuth.PRIVATE_KEY_JWT
    assert epic.quirk("observation_requires_category")
    assert oracle.client_secret == "from-the-vault"
    assert registry.standalone() == (oracle,)
