"""The tenants file the sandbox writes for the app: one tenant per vendor site."""

from __future__ import annotations

from pathlib import Path

# Each site exercises a different client authentication and the vendor's documented quirks.
_SITES: tuple[tuple[str, str, str, str, str, dict[str, bool]], ...] = (
    ("sandbox-open", "open", "functionfirst", "public", "auto", {}),
    (
        "sandbox-epic",
        "epic",
        "functionfirst-jwt",
        "private_key_jwt",
        "auto",
        {"observation_requires_category": True, "no_batch": True},
    ),
    (
        "sandbox-oracle",
        "oracle",
        "functionfirst-secret",
        "client_secret_basic",
        "note",
        {"careplan_requires_category": True, "no_batch": True},
    ),
)
SECRET_ENV = "FUNCTIONFIRST_SANDBOX_CLIENT_SECRET"  # noqa: S105 - the name of a variable


def tenants_toml(*, ehr_url: str) -> str:
    """The TOML text (format of the app's tenants file) for the three sandbox sites."""
    lines = ["# Written by `python -m sandbox`: the sandbox EHR's three vendor sites.", ""]
    for name, profile, client_id, auth, strategy, quirks in _SITES:
        lines += [
            "[[tenant]]",
            f'name = "{name}"',
            f'iss = "{ehr_url}/{profile}/fhir"',
            f'client_id = "{client_id}"',
            f'client_auth = "{auth}"',
        ]
        if auth == "client_secret_basic":
            lines.append(f'client_secret_env = "{SECRET_ENV}"')
        lines += [
            "standalone = true",
            f'frame_ancestors = ["{ehr_url}"]',
            f'write_strategy = "{strategy}"',
            "allow_http_loopback = true",
        ]
        if quirks:
            lines.append("[tenant.quirks]")
            lines += [f"{key} = {'true' if value else 'false'}" for key, value in quirks.items()]
        lines.append("")
    return "\n".join(lines)


def write_tenants(path: Path, *, ehr_url: str) -> Path:
    """Write the tenants file and return its path."""
    path.write_text(tenants_toml(ehr_url=ehr_url), encoding="utf-8")
    return path
