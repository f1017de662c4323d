"""Synthetic chronic-pain patients for the sandbox, deterministic from a seed."""

from __future__ import annotations

from sandbox.patients.build import KINDS, build_patients
from sandbox.patients.model import SeedPatient, SeedPractitioner
from sandbox.patients.practitioners import build_practitioners
from sandbox.patients.seeding import SeedError, SeedResult, seed

__all__ = [
    "KINDS",
    "SeedError",
    "SeedPatient",
    "SeedPractitioner",
    "SeedResult",
    "build_patients",
    "build_practitioners",
    "seed",
]
