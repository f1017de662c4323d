"""Seeding a stack's backend, skipped when a persistent backend already holds the same data."""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.backends.process import TRANSACTION_LIMITS
from sandbox.ehr import Listing

MARKER = "seeded.json"
Listings = tuple[tuple[Listing, ...], tuple[Listing, ...]]


class Seeder:
    """Builds the synthetic data in the background while the backend starts, then loads it."""

    def __init__(self, *, seed: int, now: datetime, backend: str, data_dir: Path) -> None:
        # "dated": builds since nothing is dated after the seeding (older markers: seed again).
        self._key = {"backend": backend, "seed": seed, "today": now.date().isoformat(), "dated": 2}
        self._marker = data_dir / MARKER
        self._heavy = backend == "sekmet"  # Medplum searches by linear scan: no heavy patient
        self._chunk_size = TRANSACTION_LIMITS[backend]
        # sekmet keeps its data in the data dir; Medplum's memory starts empty every time.
        self._cached = _read_marker(self._marker, self._key) if backend == "sekmet" else None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-build")
        self._built: Future[tuple[Any, Any]] | None = None
        if self._cached is None:
            self._built = self._pool.submit(_build, seed, now)

    def load(self, base_url: str) -> Listings:
        """Seed the backend (unless it already holds this seed and day) and list what it holds."""
        from sandbox import patients as seed_data

        try:
            if self._cached is not None:
                return self._cached
            assert self._built is not None
            people, staff = self._built.result()
            seed_data.seed(
                base_url, people, staff, include_opt_in=self._heavy, chunk_size=self._chunk_size
            )
            listed = tuple(
                Listing(id=p.id, name=p.name, kind=p.kind, description=p.description)
                for p in people
                if self._heavy or not p.opt_in
            )
            roles = tuple(
                Listing(id=p.id, name=p.name, kind=p.role, description=p.role) for p in staff
            )
            _write_marker(self._marker, self._key, (listed, roles))
            return listed, roles
        finally:
            self._pool.shutdown(wait=False)

    def close(self) -> None:
        """Stop the background build."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _build(seed: int, now: datetime) -> tuple[Any, Any]:
    from sandbox import patients as seed_data

    return seed_data.build_patients(seed, now), seed_data.build_practitioners()


def _read_marker(path: Path, key: dict[str, object]) -> Listings | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    try:
        return (
            tuple(Listing(**item) for item in data["patients"]),
            tuple(Listing(**item) for item in data["practitioners"]),
        )
    except (KeyError, TypeError):
        return None


def _write_marker(path: Path, key: dict[str, object], listings: Listings) -> None:
    patients, practitioners = listings
    data = {
        "key": key,
        "patients": [asdict(p) for p in patients],
        "practitioners": [asdict(p) for p in practitioners],
    }
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
