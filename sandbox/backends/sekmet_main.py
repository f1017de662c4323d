"""Run sekmet-fhir with the Goal search parameters it lacks (pinned sekmet-fhir==0.1.1).

sekmet-fhir 0.1.1 defines no search parameters for Goal: `Goal?patient=X` silently returns every
Goal and `If-None-Exist` on Goal is refused with 400. Its table of parameters is an internal dict
(`sekmet.fhir.search_params.PARAMS`); this module adds the Goal parameters of FHIR R4
(https://hl7.org/fhir/R4/goal.html#search) before handing over to sekmet's own CLI, in the same
process, so the index built at write time and the CapabilityStatement both include them.
Usage: python -m sandbox.backends.sekmet_main serve --config FILE --host 127.0.0.1 --port N
"""

from __future__ import annotations

import sys
from pathlib import Path

# name -> (kind, element paths, target type); the paths are sekmet's dotted element paths.
GOAL_PARAMS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "identifier": ("token", ("identifier",), None),
    "patient": ("reference", ("subject",), "Patient"),
    "subject": ("reference", ("subject",), None),
    "lifecycle-status": ("token", ("lifecycleStatus",), None),
    "achievement-status": ("token", ("achievementStatus",), None),
    "category": ("token", ("category",), None),
    "target-date": ("date", ("target.dueDate",), None),
    "start-date": ("date", ("startDate",), None),
}
# Bump when GOAL_PARAMS changes: a data directory indexed under another version is reindexed.
REGISTRATION_VERSION = "goal-params-1"
MARKER_NAME = "functionfirst-search-params.txt"
EXPECTED_SEKMET = "0.1.1"


class RegistrationError(RuntimeError):
    """The installed sekmet-fhir does not have the internal table this shim relies on."""


def register_goal_params() -> None:
    """Add the Goal search parameters to sekmet's internal table (idempotent)."""
    from importlib.metadata import version

    found = version("sekmet-fhir")
    if found != EXPECTED_SEKMET:
        raise RegistrationError(f"sekmet-fhir {EXPECTED_SEKMET} is required, found {found}")
    from sekmet.fhir import search_params

    table = search_params.PARAMS.setdefault("Goal", {})
    for name, (kind, paths, target) in GOAL_PARAMS.items():
        table[name] = search_params.SearchParam(name, kind, paths, target)


def reindex_if_needed(config_path: str) -> None:
    """Rebuild sekmet's index once when its data was indexed without these parameters."""
    from sekmet.config import load_settings
    from sekmet.fhir.store import Store

    settings = load_settings(config_path)
    marker = Path(settings.data_dir) / MARKER_NAME
    database = Path(settings.database)
    if marker.exists() and marker.read_text(encoding="utf-8").strip() == REGISTRATION_VERSION:
        return
    if database.exists():
        store = Store(str(database))
        try:
            store.reindex_all()
        finally:
            store.conn.close()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(REGISTRATION_VERSION + "\n", encoding="utf-8")


def config_from_argv(argv: list[str]) -> str | None:
    """The value of --config in sekmet's command line, if any."""
    for index, arg in enumerate(argv):
        if arg == "--config" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str]) -> None:
    """Register the Goal parameters, reindex old data once, then run sekmet's CLI."""
    register_goal_params()
    config = config_from_argv(argv)
    if argv[:1] == ["serve"] and config:
        reindex_if_needed(config)
    from sekmet.cli import app

    app(args=argv, prog_name="sekmet")


if __name__ == "__main__":
    main(sys.argv[1:])
