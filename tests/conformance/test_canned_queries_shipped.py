"""The canned analyses on the shipped data: what they answer is what the seed documents state.

The graph is ontology/ and data/ttl/ loaded as the build loads them (one named graph per file),
without the inferred graph, so these facts hold whether or not the reasoner ran. Each expected
value names its seed passage.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from saphire_kg.catalog import Catalog, load_catalog
from saphire_kg.query import execute, resolve, rows
from saphire_kg.store import GraphFile, OxigraphStore

REPO = Path(__file__).resolve().parents[2]
ID = "https://w3id.org/saphire/id/"


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    files = [
        GraphFile(p, "https://w3id.org/saphire/graph/" + p.relative_to(REPO).as_posix())
        for folder in ("ontology", "data/ttl")
        for p in sorted((REPO / folder).rglob("*.ttl"))
    ]
    return OxigraphStore.in_memory(files, version="shipped")


@pytest.fixture(scope="module")
def catalog(store: OxigraphStore) -> Catalog:
    return resolve(load_catalog(REPO / "queries"), store)


def answer(catalog: Catalog, store: OxigraphStore, name: str, params: dict, mode: str = "text") -> list[dict[str, str]]:
    _, found = rows(execute(store, catalog.get(name), params, mode=mode).body)
    return [{k: v["value"].replace(ID, "") for k, v in row.items()} for row in found]


# Seed 004, "Thematic working areas": "Personal data management platform, led by Flanders; Cell
# and gen hub, led by Flanders; Healthcare of the 21st century, led by East- Netherlands;
# E-infrastructure for neurohealth, led by Limburg; Jobs of the future, led by Limburg".
WORKING_AREA_LEADS = [
    ("s3p4pm-personal-data-management-platform", "region/BE2"),
    ("s3p4pm-cell-and-gene-hub", "region/BE2"),
    ("s3p4pm-healthcare-21st-century", "region/NL2"),
    ("s3p4pm-neurohealth-e-infrastructure", "region/x-limburg-s3p4pm"),
    ("s3p4pm-jobs-of-the-future", "region/x-limburg-s3p4pm"),
]


@pytest.mark.parametrize(("area", "lead"), WORKING_AREA_LEADS)
def test_each_s3p4pm_working_area_is_led_by_the_region_the_source_names(catalog, store, area: str, lead: str) -> None:
    found = answer(catalog, store, "observatory/initiative-members", {"initiative": area})
    assert {(r["member"], r["role"]) for r in found} == {(lead, "concept/role/leading")}
    assert all("source/004_c1d0d667e2ed2262" in r["sources"] for r in found)


def test_the_s3p4pm_leading_regions(catalog, store) -> None:
    # Seed 004, "Contact details of the Leading Regions": Flanders, Limburg, East Netherlands.
    found = answer(catalog, store, "observatory/initiative-members", {"initiative": "s3p4pm"})
    leading = {r["member"] for r in found if r.get("role") == "concept/role/leading" and r["member"].startswith("region/")}
    assert leading == {"region/BE2", "region/NL2", "region/x-limburg-s3p4pm"}


def test_the_three_coordinating_regions_of_the_vi_smart_health_pilot(catalog, store) -> None:
    # Seed 000: "Coordinating regions: Flanders, South NL, East NL"; seed 003 lists 11 regions.
    found = answer(catalog, store, "observatory/initiative-members", {"initiative": "vi-smart-health"})
    leading = {r["member"] for r in found if r.get("role") == "concept/role/leading"}
    assert leading == {"region/BE2", "region/NL4", "region/NL2"}
    partners = {r["member"] for r in found if r.get("role") == "concept/role/participating" and r["member"].startswith("region/")}
    assert partners == {f"region/{c}" for c in ("DK01", "ES43", "FI1C1", "FI1D9", "ITC1", "ITH5", "RO21", "SI")}
    # "12 regions + EIT Health": the stated count, kept beside the 11 named regions
    assert {r["statedRegionCount"] for r in found} == {"12"}


def test_the_coordinators_mentor_the_partner_regions(catalog, store) -> None:
    found = answer(catalog, store, "complementarity/mentoring-by-role", {"newcomer_role": "participating"})
    pilot = [r for r in found if r["initiative"] == "initiative/vi-smart-health"]
    assert {r["mentor"] for r in pilot} == {"region/BE2", "region/NL2", "region/NL4"}
    assert len(pilot) == 3 * 8


def test_the_observatory_countries_outside_icpermed(catalog, store) -> None:
    # Seed 000's coverage table (25 countries + Jersey) against seed 002's "Members active in
    # the IC PerMed": Belgium, Bulgaria, Greece, Malta, Slovakia, the UK and Jersey are not listed.
    found = answer(catalog, store, "gaps/countries-outside-initiative", {})
    assert {r["country"] for r in found} == {f"region/{c}" for c in ("BE", "BG", "EL", "MT", "SK", "UK", "x-jersey")}
    assert all(r["sources"] == "source/000_d3f140bd6aa9ba28" for r in found)


# Seed 002 lists these observatory countries among the ICPerMed members.
ICPERMED_OBSERVATORY_COUNTRIES = ["AT", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "IE", "IT", "LT", "LU", "NL", "NO", "PL", "PT", "RO", "SE", "SI"]


@pytest.mark.parametrize("country", ICPERMED_OBSERVATORY_COUNTRIES)
def test_icpermed_members_among_the_observatory_countries(catalog, store, country: str) -> None:
    found = answer(catalog, store, "observatory/initiative-members", {"initiative": "icpermed"})
    assert f"region/{country}" in {r["member"] for r in found}


def test_the_56_regions_of_25_countries(catalog, store) -> None:
    # Seed 000: "SAPHIRe Observatory — 56 regions of 25 countries", and its table: 25 country
    # rows with a number (adding up to 54) and Jersey without one.
    found = answer(catalog, store, "observatory/coverage-by-country", {})
    assert len(found) == 26
    assert {(r["statedTotalRegions"], r["statedTotalCountries"]) for r in found} == {("56", "25")}
    stated = [int(r["statedRegions"]) for r in found if "statedRegions" in r]
    assert (len(stated), sum(stated)) == (25, 54)
    by_country = {r["country"]: r for r in found}
    assert by_country["region/PL"]["statedRegions"] == "7"
    assert by_country["region/DE"]["note"] == "( + national level)"
    assert "statedRegions" not in by_country["region/x-jersey"]


def test_the_share_of_ris3_prioritising_personalised_medicine(catalog, store) -> None:
    # Seed 002: "53 RIS3 out of the 135 analysed, explicitly prioritise Personalised Medicine
    # (38%)"; "136 RIS3 available on the web have been analysed".
    found = answer(catalog, store, "observatory/pm-priority-share", {})
    (stated,) = [r for r in found if r["basis"] == "stated by the source"]
    assert (stated["prioritising"], stated["assessed"], stated["analysed"], stated["statedShare"]) == ("53", "135", "136", "38")
    assert float(stated["computedShare"]) == 39.3
    assert stated["sources"] == "source/002_4ef6ad07140f1731"


def test_the_roadmap_rule_on_the_shipped_data(catalog, store) -> None:
    found = answer(catalog, store, "observatory/roadmap-module", {})
    modules: dict[str, set[str]] = {}
    for r in found:
        modules.setdefault(r["region"], set()).add(r["module"].rsplit("/", 1)[-1])
    assert all(len(m) == 1 for m in modules.values()), "one module per region"
    assert modules["region/BE"] == {"activate"}  # Flanders (BE2) leads S3P4PM, VI Smart Health, SAPHIRe
    assert modules["region/FI1D"] == {"align"}  # North Ostrobothnia (FI1D9) is a pilot partner
    assert modules["region/x-jersey"] == {"scout"}  # nothing recorded


def test_flanders_and_east_netherlands_complement_each_other(catalog, store) -> None:
    found = answer(catalog, store, "complementarity/score", {"region_a": "BE2", "region_b": "NL2"})
    shared = {r["about"] for r in found if r["reason"] == "shared initiative"}
    assert {"initiative/s3p4pm", "initiative/vi-smart-health"} <= shared
    assert len({r["score"] for r in found}) == 1


def test_icpermed_reaches_a_finnish_region_through_its_country(catalog, store) -> None:
    found = answer(catalog, store, "rollup/through-larger-region", {"region": "FI1D"})
    assert {(r["initiative"], r["via"], r["viaLevel"]) for r in found} == {("initiative/icpermed", "region/FI", "0")}


def test_no_region_has_a_stated_pm_priority_yet(catalog, store) -> None:
    # The sources name no strategy's priority (seed 002 does not say which 53): absent, not false.
    found = answer(catalog, store, "gaps/no-pm-priority", {})
    assert {r["status"] for r in found} == {"no RIS3 recorded"}
    assert "stated: no PM priority" not in {r["status"] for r in found}


@pytest.mark.parametrize("name", sorted(p.relative_to(REPO / "queries").with_suffix("").as_posix() for p in (REPO / "queries").rglob("*.rq")))
def test_every_analysis_runs_on_the_shipped_data_with_its_example(catalog, store, name: str) -> None:
    query = catalog.get(name)
    text = answer(catalog, store, name, query.examples())
    substituted = answer(catalog, store, name, query.examples(), mode="substitutions")

    def norm(found: list[dict[str, str]]) -> Counter:
        return Counter(json.dumps({k: " ".join(sorted(v.split(" "))) for k, v in r.items()}, sort_keys=True) for r in found)

    assert norm(text) == norm(substituted)
