"""Synthetic names, sexes and birth dates, drawn from a seeded Random (not real people)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from sandbox.patients.model import Json
from sandbox.patients.resources import patient

_FEMALE = ("Alicia", "Dana", "Grace", "Imani", "Lena", "Marisol", "Nadia", "Rosa", "Tamsin", "Yuki")
_MALE = ("Andre", "Ben", "Carlos", "Darius", "Emeka", "Felix", "Hiro", "Luis", "Marcus", "Tomasz")
_FAMILY = (
    "Abernathy",
    "Brennan",
    "Castillo",
    "Delacroix",
    "Eriksen",
    "Fontaine",
    "Gallagher",
    "Hoang",
    "Ibarra",
    "Jovanovic",
    "Kowalczyk",
    "Lindgren",
    "Mbeki",
    "Nakamura",
    "Okonkwo",
    "Petrov",
    "Quintero",
    "Rasmussen",
    "Sandoval",
    "Thorne",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """Who a synthetic patient is."""

    given: str
    family: str
    gender: str
    birth: date

    @property
    def name(self) -> str:
        """Given and family name."""
        return f"{self.given} {self.family}"


def draw_person(rng: Random, today: date, *, ages: tuple[int, int]) -> Person:
    """A person aged within `ages` years today."""
    gender = rng.choice(("female", "male"))
    given = rng.choice(_FEMALE if gender == "female" else _MALE)
    age_days = rng.randint(ages[0] * 365, ages[1] * 365)
    return Person(
        given=given,
        family=rng.choice(_FAMILY),
        gender=gender,
        birth=today - timedelta(days=age_days),
    )


def patient_resource(pid: str, person: Person, *, mrn: str) -> Json:
    """The Patient resource for a drawn person."""
    return patient(
        pid,
        given=person.given,
        family=person.family,
        gender=person.gender,
        birth=person.birth,
        mrn=mrn,
    )
