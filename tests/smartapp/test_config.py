"""Configuration: read once, missing or wrong values stop start-up naming the setting."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import rehab
from launch.errors import TenantConfigError
from smartapp import create_app
from smartapp.config import ConfigError, load_config

from .fake_ehr import write_tenants

REQUIRED = ("FUNCTIONFIRST_TENANTS", "FUNCTIONFIRST_BASE_URL", "FUNCTIONFIRST_SECRET_KEY")


def settings(tmp_path: Path) -> dict[str, object]:
    return {
        "FUNCTIONFIRST_TENANTS": str(write_tenants(tmp_path)),
        "FUNCTIONFIRST_BASE_URL": "https://app.example/",
        "FUNCTIONFIRST_SECRET_KEY": "s" * 40,
        "FUNCTIONFIRST_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "OTHER_SECRET": "x",
    }


@pytest.mark.parametrize("name", REQUIRED)
def test_a_missing_required_value_is_named(tmp_path: Path, name: str) -> None:
    values = settings(tmp_path)
    del values[name]
    with pytest.raises(ConfigError, match=name):
        create_app(values)


def test_no_secret_key_default_outside_tests(tmp_path: Path) -> None:
    values = settings(tmp_path)
    del values["FUNCTIONFIRST_SECRET_KEY"]
    with pytest.raises(ConfigError, match="FUNCTIONFIRST_SECRET_KEY"):
        load_config(values, instance_path=tmp_path)
    assert load_config({**values, "TESTING": "1"}, instance_path=tmp_path).secret_key


def test_a_short_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 32"):
        load_config(
            {**settings(tmp_path), "FUNCTIONFIRST_SECRET_KEY": "short"}, instance_path=tmp_path
        )


@pytest.mark.parametrize(
    ("base_url", "dev"),
    [
        ("http://app.example", "1"),
        ("http://127.0.0.1:8000", ""),
        ("ftp://x", "1"),
        ("https://a/?q=1", ""),
    ],
)
def test_the_base_url_must_be_https_except_loopback_in_development(
    tmp_path: Path, base_url: str, dev: str
) -> None:
    values = {**settings(tmp_path), "FUNCTIONFIRST_BASE_URL": base_url, "FUNCTIONFIRST_DEV": dev}
    with pytest.raises(ConfigError, match="FUNCTIONFIRST_BASE_URL"):
        load_config(values, instance_path=tmp_path)


def test_defaults_and_derived_values(tmp_path: Path) -> None:
    config = load_config(
        settings(tmp_path) | {"FUNCTIONFIRST_DATABASE_URL": ""}, instance_path=tmp_path
    )
    assert config.base_url == "https://app.example"
    assert config.redirect_uri == "https://app.example/callback"
    assert config.database_url == f"sqlite:///{tmp_path / 'functionfirst.db'}"
    assert config.secure_cookies
    assert config.log_level == "INFO"


def test_a_bad_tenants_file_names_its_line(tmp_path: Path) -> None:
    values = settings(tmp_path)
    Path(str(values["FUNCTIONFIRST_TENANTS"])).write_text(
        '[[tenant]]\nname = "x"\niss = "http://ehr.example/fhir"\nclient_id = "c"\n',
        encoding="utf-8",
    )
    with pytest.raises(TenantConfigError) as caught:
        create_app(values)
    assert caught.value.line == 3


def test_private_key_jwt_needs_the_key_file(tmp_path: Path) -> None:
    values = settings(tmp_path)
    write_tenants(
        tmp_path,
        '[[tenant]]\nname = "jwt"\niss = "https://jwt.example/fhir"\nclient_id = "c"\n'
        'client_auth = "private_key_jwt"\n',
    )
    with pytest.raises(ConfigError, match=r"FUNCTIONFIRST_KEYS.*private_key_jwt"):
        create_app(values)


def test_the_factory_reads_the_environment_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # the factory adds its JSON handler
    monkeypatch.setattr(root, "level", root.level)
    for name, value in settings(tmp_path).items():
        monkeypatch.setenv(name, str(value))
    app = create_app()
    monkeypatch.setenv("FUNCTIONFIRST_BASE_URL", "https://changed.example")
    try:
        assert app.extensions["functionfirst"].config.base_url == "https://app.example"
    finally:
        app.extensions["functionfirst"].store.close()


def test_a_site_goal_template_file_replaces_the_packaged_one(tmp_path: Path) -> None:
    # A site edits its own copy of the packaged templates: here, only the walking goal kept.
    packaged = json.loads(
        (Path(rehab.__file__).parent / "data" / "goal_templates.json").read_text("utf-8")
    )
    packaged["templates"] = [t for t in packaged["templates"] if t["key"] == "walk-around-block"]
    site_file = tmp_path / "site-templates.json"
    site_file.write_text(json.dumps(packaged), encoding="utf-8")
    app = create_app({**settings(tmp_path), "FUNCTIONFIRST_GOAL_TEMPLATES": str(site_file)})
    templates = app.extensions["functionfirst"].templates.templates
    assert [t.key for t in templates] == ["walk-around-block"]
    default = create_app(settings(tmp_path)).extensions["functionfirst"].templates.templates
    assert len(default) > 1


def test_a_broken_site_goal_template_file_stops_start_up_naming_the_setting(
    tmp_path: Path,
) -> None:
    site_file = tmp_path / "site-templates.json"
    site_file.write_text('{"templates": [{"key": 1}]}', encoding="utf-8")
    with pytest.raises(ConfigError, match="FUNCTIONFIRST_GOAL_TEMPLATES"):
        create_app({**settings(tmp_path), "FUNCTIONFIRST_GOAL_TEMPLATES": str(site_file)})
