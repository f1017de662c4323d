"""The packaged code lists: present, sourced, and consistent with the domain's data."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from fhir_mappers.codes import LOCAL_ACTIVITY, SNOMED, code_lists
from rehab.medication import default_mme_table

FILES = (
    "conditions.json",
    "measures.json",
    "medications.json",
    "goal_domains.json",
    "recorded_mme.json",
)


@pytest.mark.parametrize("name", FILES)
def test_each_code_list_names_its_sources(name: str) -> None:
    data = json.loads(resources.files("fhir_mappers").joinpath("data", name).read_text("utf-8"))
    assert data["about"]
    assert data["sources"]
    assert all(isinstance(source, str) and source for source in data["sources"])


def test_the_lists_hold_the_codes_the_design_names() -> None:
    lists = code_lists()
    assert {"82423001", "278860009", "203082005"} <= lists.pain_snomed
    assert {"G89.2", "G89.4", "M54.5", "M79.7"} <= set(lists.pain_icd10_prefixes)
    assert "72514-3" in lists.nrs
    assert (lists.peg_panel, lists.peg_score) == ("91148-7", "91147-9")
    assert dict(lists.peg_items) == {
        "pain": "75893-8",
        "enjoyment": "91145-3",
        "activity": "91146-1",
    }
    assert lists.gas_codes == {"107331-1", "107333-7", "107334-5"}


def test_every_mme_ingredient_is_a_known_opioid() -> None:
    opioids = {rxcui for rxcui, _ in code_lists().opioids}
    assert {row.rxcui for row in default_mme_table().factors} <= opioids


def test_every_product_points_at_a_listed_ingredient() -> None:
    lists = code_lists()
    ingredients = {rxcui for rxcui, _ in (*lists.opioids, *lists.benzodiazepines)}
    assert all(product.ingredient in ingredients for product in lists.products)


def test_every_area_has_codings_and_unknown_areas_fall_back_to_the_default() -> None:
    lists = code_lists()
    for area in lists.areas:
        assert area.goal_category in {"physiotherapy", "behavioral", "dietary"}
        assert area.activity_system in {SNOMED, LOCAL_ACTIVITY}
        assert area.activity_code
        assert area.pco_domain
    assert lists.area("no-such-area").key == "default"
    assert lists.area("walking").pco_domain == "physical-function"
    assert lists.pain_only_areas == {"pain"}


def test_the_template_areas_of_the_domain_are_mapped() -> None:
    # rehab's goal templates (when present) use these area keys.
    keys = {area.key for area in code_lists().areas}
    assert {
        "walking",
        "exercise",
        "sleep",
        "work",
        "social",
        "household",
        "pacing",
        "relaxation",
        "thoughts",
        "medication",
        "pain",
    } <= keys


def test_every_area_of_the_domains_templates_file_is_mapped_explicitly() -> None:
    text = resources.files("rehab").joinpath("data", "goal_templates.json").read_text("utf-8")
    data = json.loads(text)
    keys = {area.key for area in code_lists().areas}
    assert {area["key"] for area in data["areas"]} <= keys
    assert {area["key"] for area in data["circle_of_health"]} <= keys


def test_every_medication_rxcui_names_where_it_was_checked() -> None:
    text = resources.files("fhir_mappers").joinpath("data", "medications.json").read_text("utf-8")
    data = json.loads(text)
    named = set(re.findall(r"\b\d+\b", " ".join(data["sources"])))
    listed = {
        item["rxcui"]
        for key in ("opioid_ingredients", "benzodiazepine_ingredients", "products")
        for item in data[key]
    }
    assert listed - named == set()
    assert not any("to be checked" in source for source in data["sources"])


def test_the_5_mcg_per_hour_buprenorphine_patch_is_listed_as_generic_and_branded() -> None:
    products = {product.rxcui: product for product in code_lists().products}
    # 904880 is the SCD, 904882 the BuTrans SBD (OMTKData, CDC and VSAC value sets).
    for rxcui in ("904880", "904882"):
        product = products[rxcui]
        assert (product.ingredient, product.strength, product.unit) == ("1819", 5.0, "mcg/h")
