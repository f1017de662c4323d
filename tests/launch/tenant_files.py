"""Tenants files for the launch tests: one written under tmp_path, and the packaged example."""

from __future__ import annotations

from pathlib import Path

import pytest

from launch.errors import TenantConfigError
from launch.tenants import TenantRegistry, load_tenants

EXAMPLE = Path(__file__).resolve().parents[2] / "launch" / "tenants.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tenants.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, **environ: str) -> TenantRegistry:
    return load_tenants(write(tmp_path, text), environ=environ)


def error_of(tmp_path: Path, text: str, **environ: str) -> TenantConfigError:
    with pytest.raises(TenantConfigError) as caught:
        load(tmp_path, text, **environ)
    return caught.value


def load_example() -> TenantRegistry:
    """The packaged example, its client secret given in the environment."""
    return load_tenants(EXAMPLE, environ={"FUNCTIONFIRST_CLINIC_SECRET": "from-the-vault"})
