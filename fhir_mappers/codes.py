"""Code systems and the packaged code lists (data files under fhir_mappers/data/)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
GOAL_CATEGORY = "http://terminology.hl7.org/CodeSystem/goal-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
PCO_GOAL_DOMAIN = "http://hl7.org/fhir/us/pco/CodeSystem/pco-goal-domains-temporary"
PCO_READINESS = "http://hl7.org/fhir/us/pco/CodeSystem/readiness-assessment-concepts-temporary"
PCO_GAS_EXTENSION = "http://hl7.org/fhir/us/pco/StructureDefinition/pco-goal-attainment-scaling"
PERTAINS_TO_GOAL = "http://hl7.org/fhir/StructureDefinition/resource-pertainsToGoal"
PROVENANCE_AGENT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
US_CORE_GOAL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-goal"
US_CORE_CAREPLAN = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-careplan"
PCO_GAS_GOAL = "http://hl7.org/fhir/us/pco/StructureDefinition/pco-gas-goal-profile"
# SNOMED 811791000000103 "Identifying barriers to goal achievement" (PCO goal barrier profile).
BARRIER_CODE = "811791000000103"
# LOINC 18776-5 "Plan of care note" for the note strategy's DocumentReference.
PLAN_OF_CARE_NOTE = "18776-5"

# The app's own code systems and extensions (FunctionFirst namespace).
APP_BASE = "https://fhir.functionfirst.app"
LIFE_AREA = f"{APP_BASE}/CodeSystem/life-area"
LOCAL_ACTIVITY = f"{APP_BASE}/CodeSystem/pain-self-management-activity"
EXT_PREFIX = f"{APP_BASE}/StructureDefinition/"


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    """A life area with the codings used for goals and their action steps."""

    key: str
    display: str
    goal_category: str
    pco_domain: str
    activity_system: str
    activity_code: str
    activity_display: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    """A clinical drug (RxNorm SCD/SBD) with its ingredient and strength."""

    rxcui: str
    ingredient: str
    strength: float
    unit: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedMmeCode:
    """A code under which an EHR records a daily MME itself; `source` is shown with the value."""

    system: str
    code: str
    display: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeLists:
    """Every code list the mappers use, loaded once from the packaged data files."""

    pain_snomed: frozenset[str]
    pain_icd10_prefixes: tuple[str, ...]
    nrs: frozenset[str]
    peg_panel: str
    peg_score: str
    peg_items: tuple[tuple[str, str], ...]
    promis: tuple[tuple[str, str], ...]
    gas_codes: frozenset[str]
    gas_reported: str
    gas_practitioner: str
    gas_patient: str
    opioids: tuple[tuple[str, str], ...]
    benzodiazepines: tuple[tuple[str, str], ...]
    products: tuple[Product, ...]
    recorded_mme: tuple[RecordedMmeCode, ...]
    recorded_mme_units: frozenset[str]
    areas: tuple[Area, ...]
    pain_only_areas: frozenset[str]
    functional_goal_categories: frozenset[str]
    functional_pco_domains: frozenset[str]
    functional_measures: frozenset[str]

    def area(self, key: str) -> Area:
        """The area for a goal domain key; unknown keys use the default area."""
        for item in self.areas:
            if item.key == key:
                return item
        return next(item for item in self.areas if item.key == "default")

    def product(self, rxcui: str) -> Product | None:
        """The product for an RxNorm clinical-drug code, if listed."""
        for item in self.products:
            if item.rxcui == rxcui:
                return item
        return None

    def observation_codes(self) -> tuple[str, ...]:
        """Every LOINC code the pain-and-function search asks for."""
        codes = [*sorted(self.nrs), self.peg_panel, self.peg_score]
        codes.extend(code for code, _kind in self.promis)
        return tuple(codes)

    def observation_tokens(self) -> tuple[str, ...]:
        """`system|code` tokens of every code the pain-and-function search asks for."""
        tokens = [f"{LOINC}|{code}" for code in self.observation_codes()]
        tokens.extend(f"{item.system}|{item.code}" for item in self.recorded_mme)
        return tuple(tokens)

    def recorded_mme_code(self, system: str, code: str) -> RecordedMmeCode | None:
        """The recorded-MME entry of an exact system and code, if listed."""
        for item in self.recorded_mme:
            if item.system == system and item.code == code:
                return item
        return None


def _load(name: str) -> dict[str, Any]:
    text = resources.files("fhir_mappers").joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def code_lists() -> CodeLists:
    """The packaged code lists (read once per process; the result is immutable)."""
    conditions = _load("conditions.json")
    measures = _load("measures.json")
    meds = _load("medications.json")
    domains = _load("goal_domains.json")
    recorded = _load("recorded_mme.json")
    areas = tuple(
        Area(
            key=key,
            display=value["display"],
            goal_category=value["goal_category"],
            pco_domain=value["pco_domain"],
            activity_system=SNOMED if value["activity"]["system"] == "snomed" else LOCAL_ACTIVITY,
            activity_code=value["activity"]["code"],
            activity_display=value["activity"]["display"],
        )
        for key, value in domains["areas"].items()
    )
    return CodeLists(
        pain_snomed=frozenset(item["code"] for item in conditions["snomed"]),
        pain_icd10_prefixes=tuple(item["prefix"] for item in conditions["icd10cm_prefixes"]),
        nrs=frozenset(item["code"] for item in measures["pain_intensity"]),
        peg_panel=measures["peg_panel"]["code"],
        peg_score=measures["peg_score"]["code"],
        peg_items=tuple((key, item["code"]) for key, item in measures["peg_items"].items()),
        promis=tuple(
            (item["code"], kind) for kind, items in measures["promis"].items() for item in items
        ),
        gas_codes=frozenset(
            item["code"] for key, item in measures["gas"].items() if key != "reported"
        ),
        gas_reported=measures["gas"]["reported"]["code"],
        gas_practitioner=measures["gas"]["practitioner"]["code"],
        gas_patient=measures["gas"]["patient"]["code"],
        opioids=tuple((item["rxcui"], item["name"]) for item in meds["opioid_ingredients"]),
        benzodiazepines=tuple(
            (item["rxcui"], item["name"]) for item in meds["benzodiazepine_ingredients"]
        ),
        products=tuple(
            Product(
                rxcui=item["rxcui"],
                ingredient=item["ingredient"],
                strength=float(item["strength"]),
                unit=item["unit"],
            )
            for item in meds["products"]
        ),
        recorded_mme=tuple(
            RecordedMmeCode(
                system=item["system"],
                code=item["code"],
                display=item["display"],
                source=item["source"],
            )
            for item in recorded["codes"]
        ),
        recorded_mme_units=frozenset(recorded["units"]),
        areas=areas,
        pain_only_areas=frozenset(domains["pain_only_areas"]),
        functional_goal_categories=frozenset(domains["functional_goal_categories"]),
        functional_pco_domains=frozenset(domains["functional_pco_domains"]),
        functional_measures=frozenset(
            item["code"]
            for kind in domains["functional_promis_kinds"]
            for item in measures["promis"][kind]
        ),
    )
