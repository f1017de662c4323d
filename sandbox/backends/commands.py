"""How each FHIR backend is started: its command line, its files and what it needs installed."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

MEDPLUM_DIR = Path(__file__).resolve().parent.parent / "medplum"
NODE_BINARY = MEDPLUM_DIR / "node_modules" / ".bin" / "node"
MEDPLUM_ROUTER = MEDPLUM_DIR / "node_modules" / "@medplum" / "fhir-router" / "package.json"


class BackendError(RuntimeError):
    """A FHIR backend could not start; the message is one line a person can act on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchSpec:
    """A command to run in its own process group, with its working directory."""

    argv: tuple[str, ...]
    cwd: Path


def sekmet_settings(*, port: int, data_dir: Path) -> dict[str, object]:
    """sekmet-fhir settings: loopback only, persistent in data_dir, workflow simulator off."""
    return {
        "base_url": f"http://127.0.0.1:{port}/fhir",
        "host": "127.0.0.1",  # sekmet binds 0.0.0.0 unless told
        "port": port,
        "data_dir": str(data_dir),
        # Off: it would otherwise "fulfil" ServiceRequest, Task, MedicationRequest... on its own.
        "simulator": {"enabled": False},
        "own_private_key_path": str(data_dir / "keys" / "sekmet_private.pem"),
        "server_auth": {"types": ["none"]},
        "validation": {"inbound": "strict"},
        # Keep the /ui traffic inspector, but do not store megabyte seed bodies in it.
        "max_body_log": 20_000,
    }


def sekmet_launch(*, port: int, data_dir: Path) -> LaunchSpec:
    """Write sekmet's settings file and return the command that serves it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "sekmet-settings.json"
    # YAML is a superset of JSON, so sekmet's YAML loader reads this file as written.
    config.write_text(json.dumps(sekmet_settings(port=port, data_dir=data_dir), indent=2), "utf-8")
    argv = (
        sys.executable,
        "-m",
        "sandbox.backends.sekmet_main",
        "serve",
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    )
    return LaunchSpec(argv=argv, cwd=Path(__file__).resolve().parent.parent.parent)


def medplum_launch(*, port: int, data_dir: Path) -> LaunchSpec:
    """The Node 22 command for the Medplum adapter; BackendError when `make node-deps` is due."""
    if not NODE_BINARY.exists() or not MEDPLUM_ROUTER.exists():
        raise BackendError(
            f"Node 22 and @medplum/fhir-router are not installed in {MEDPLUM_DIR}:"
            " run `make node-deps`"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = (
        str(NODE_BINARY),
        str(MEDPLUM_DIR / "server.mjs"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    )
    return LaunchSpec(argv=argv, cwd=MEDPLUM_DIR)
