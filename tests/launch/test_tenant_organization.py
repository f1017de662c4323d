"""The tenant's organisation: the `organization` key of the tenants file."""

from __future__ import annotations

from pathlib import Path

import pytest

from launch.errors import TenantConfigError
from launch.tenant_model import Tenant

from .tenant_files import load, load_example

TENANT = """
[[tenant]]
name = "clinic"
iss = "https://fhir.clinic.example/r4"
client_id = "ff"
"""


def load_one(tmp_path: Path, extra: str) -> Tenant:
    (tenant,) = load(tmp_path, TENANT + extra).all()
    return tenant


def test_the_organization_is_read_from_the_file(tmp_path: Path) -> None:
    # smart.md 73: the organisation the app's writes are made for (Provenance onBehalfOf)
    tenant = load_one(tmp_path, 'organization = "Organization/clinic-1"\n')
    assert tenant.organization == "Organization/clinic-1"


def test_without_the_key_there_is_no_organization(tmp_path: Path) -> None:
    assert load_one(tmp_path, "").organization is None


@pytest.mark.parametrize(
    "value",
    ["clinic-1", "Practitioner/9", "Organization/", "Organization/a b", "https://x/Organization/1"],
)
def test_an_organization_that_is_not_a_reference_is_refused_with_its_line(
    tmp_path: Path, value: str
) -> None:
    with pytest.raises(TenantConfigError) as caught:
        load(tmp_path, TENANT + f'organization = "{value}"\n')
    assert caught.value.line == 6
    assert "'organization' must be 'Organization/<id>'" in caught.value.reason


def test_the_packaged_example_names_an_organization() -> None:
    registry = load_example()
    assert registry.all()[0].organization == "Organization/hospital-1"
