"""Imports point one way: rehab <- fhir_mappers <- smartapp -> launch; sandbox stands apart."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("rehab", "fhir_mappers", "launch", "smartapp", "sandbox")

# Which project packages each package may import.
ALLOWED: dict[str, set[str]] = {
    "rehab": {"rehab"},
    "fhir_mappers": {"fhir_mappers", "rehab"},
    "launch": {"launch"},
    "smartapp": {"smartapp", "rehab", "fhir_mappers", "launch"},
    "sandbox": {"sandbox"},
}


def imported_modules(path: Path) -> set[str]:
    """Top-level module names a Python file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def package_files(package: str) -> list[Path]:
    # node_modules holds third-party files (the sandbox's Medplum install), not project code.
    return sorted(p for p in (ROOT / package).rglob("*.py") if "node_modules" not in p.parts)


@pytest.mark.parametrize("package", PROJECT)
def test_package_imports_only_what_it_may(package: str) -> None:
    offenders = []
    for path in package_files(package):
        used = imported_modules(path) & set(PROJECT)
        for name in sorted(used - ALLOWED[package]):
            offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_rehab_uses_the_standard_library_only() -> None:
    offenders = []
    for path in package_files("rehab"):
        for name in imported_modules(path):
            if name != "rehab" and name not in sys.stdlib_module_names and name != "__future__":
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_launch_never_imports_flask() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in package_files("launch")
        if {"flask", "werkzeug"} & imported_modules(path)
    ]
    assert offenders == []


def test_only_the_http_doors_import_requests() -> None:
    """One door per kind of HTTP: OAuth calls in launch, FHIR calls in the gateway."""
    offenders = []
    for package in ("rehab", "fhir_mappers", "smartapp"):
        for path in package_files(package):
            rel = path.relative_to(ROOT)
            if "requests" in imported_modules(path) and not rel.parts[1].startswith("gateway"):
                offenders.append(str(rel))
    assert offenders == []


def test_the_boundary_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from smartapp import gateway\nimport launch.tokens\n", encoding="utf-8")
    assert imported_modules(sample) == {"smartapp", "launch"}
