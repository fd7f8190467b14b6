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


# --- one test per analysis that the tests above do not reach, each on what the seeds state ----


def test_flanders_and_east_netherlands_share_the_two_partnerships_they_lead(catalog, store) -> None:
    # Seed 004 names Flanders and East Netherlands leading regions of S3P4PM; seed 000 names
    # both coordinating regions of the VI Smart Health pilot: the one pair sharing two initiatives
    # with South Netherlands only in one of them.
    found = answer(catalog, store, "complementarity/shared-networks", {"min_shared": "2"})
    assert {(r["regionA"], r["regionB"], r["initiative"]) for r in found} == {
        ("region/BE2", "region/NL2", "initiative/s3p4pm"),
        ("region/BE2", "region/NL2", "initiative/vi-smart-health"),
    }
    assert {(r["roleA"], r["roleB"]) for r in found} == {("concept/role/leading", "concept/role/leading")}


def test_sparse_north_ostrobothnia_is_paired_with_the_pilot_coordinators(catalog, store) -> None:
    # FI1D's density (Eurostat, 2021) is below 12.5/km2; its NUTS 3 region North Ostrobothnia
    # (FI1D9) is a VI Smart Health partner (seed 003), led by Flanders, South and East NL (seed 000).
    found = answer(catalog, store, "complementarity/special-needs-peers", {})
    sparse = [r for r in found if r["special"] == "region/FI1D" and r["needVia"].startswith("obs/density-FI1D")]
    assert sparse
    assert {(r["peer"], r["basis"], r["about"]) for r in sparse} == {
        (peer, "leads a shared initiative", "initiative/vi-smart-health") for peer in ("region/BE2", "region/NL2", "region/NL4")
    }


def test_trento_is_outside_the_pilot_two_italian_regions_joined(catalog, store) -> None:
    # Seed 003 lists Piemonte (ITC1) and Emilia-Romagna (ITH5) among the VI Smart Health
    # regions; Trento (ITH2), also in the observatory (seed 000), is not listed.
    found = answer(catalog, store, "gaps/missing-networks", {"region": "ITH2", "basis": "same country and NUTS level"})
    assert {(r["network"], r["peer"]) for r in found} == {
        ("initiative/vi-smart-health", "region/ITC1"), ("initiative/vi-smart-health", "region/ITH5"),
    }
    assert {r["sources"] for r in found} == {"source/003_3e6256b80b8efa7a"}


def test_malta_an_island_is_in_no_initiative_the_sources_name(catalog, store) -> None:
    # Malta is in the observatory (seed 000, "Malta 1 (=country)"), not among seed 002's ICPerMed
    # members nor any other list; its NUTS 3 regions are islands (EU territorial typology).
    found = answer(catalog, store, "gaps/special-needs-isolated", {})
    regions = {r["region"] for r in found}
    assert "region/MT" in regions
    assert {r["need"] for r in found if r["region"] == "region/MT"} == {"concept/typology/island"}
    # North Ostrobothnia takes part in the pilot, so Pohjois- ja Itä-Suomi is not isolated
    assert "region/FI1D" not in regions


def test_regions_with_no_membership_include_malta_and_jersey(catalog, store) -> None:
    found = answer(catalog, store, "gaps/no-active-membership", {"on_date": "2019-06-30"})
    regions = {r["region"] for r in found}
    assert {"region/MT", "region/x-jersey"} <= regions
    # Flanders (BE2) leads S3P4PM (seed 004): Belgium holds memberships through it
    assert "region/BE" not in regions and "region/FI1D" not in regions
    assert {r["memberships"] for r in found} == {"0"}


def test_jersey_without_a_nuts_code_has_no_indicators(catalog, store) -> None:
    # Seed 000 lists Jersey without a count; it has no NUTS code, so no Eurostat indicator exists.
    found = answer(catalog, store, "checks/data-completeness", {"region": "x-jersey"})
    items = {r["item"] for r in found}
    assert {"no total population observation", "no population density observation", "no RIS3 2021-2027"} <= items
    assert not any(r["item"] == "no population density observation" for r in answer(catalog, store, "checks/data-completeness", {"region": "FI1D"}))


def test_the_profile_of_pohjois_ja_ita_suomi(catalog, store) -> None:
    found = answer(catalog, store, "observatory/region-profile", {"region": "FI1D"})
    by_item: dict[str, list[dict[str, str]]] = {}
    for r in found:
        by_item.setdefault(r["item"], []).append(r)
    # seed 000 lists "Finland - Pohjois- ja Itä-Suomi" among the regional reports
    (report,) = by_item["regional report"]
    assert (report["about"], report["sources"]) == ("report/FI1D", "source/000_d3f140bd6aa9ba28")
    # seed 003: North Ostrobothnia (FI1D9) in the VI Smart Health pilot
    assert {(r["value"], r["via"], r["sources"]) for r in by_item["membership"]} == {
        ("initiative/vi-smart-health", "region/FI1D9", "source/003_3e6256b80b8efa7a"),
    }
    # seed 002: Finland is an ICPerMed member, which reaches FI1D through its country
    assert {(r["value"], r["via"]) for r in by_item["membership of a larger region"]} == {("initiative/icpermed", "region/FI")}


def test_the_netherlands_hold_the_pilot_through_two_coordinating_regions(catalog, store) -> None:
    # Seed 000: coordinating regions South NL (NL4) and East NL (NL2); seed 004: East NL in S3P4PM.
    found = answer(catalog, store, "rollup/through-sub-regions", {"region": "NL"})
    memberships = {(r["about"], r["via"]) for r in found if r["kind"] == "membership"}
    assert {("initiative/vi-smart-health", "region/NL2"), ("initiative/vi-smart-health", "region/NL4"), ("initiative/s3p4pm", "region/NL2")} <= memberships
    # seed 003 names Cluster Twente and University Twente; Twente is NL213
    actors = {(r["resource"], r["via"]) for r in found if r["kind"] == "actor"}
    assert {("actor/cluster-twente", "region/NL213"), ("actor/university-twente", "region/NL213")} <= actors


def test_the_dutch_actors_named_by_the_pilot_have_no_industry(catalog, store) -> None:
    # Seed 003's industry actors (DSP Valley, FlandersBio, MedTech Flanders, Blue Health
    # Innovation Center) are not located in the Netherlands; its Dutch research, government and
    # end-user actors are.
    found = answer(catalog, store, "gaps/missing-helices", {"region": "NL"})
    assert [(r["helix"], r["actorsRecorded"]) for r in found] == [("concept/helix/industry", "4")]


def test_no_source_states_a_value_chain_stage_so_every_stage_is_missing(catalog, store) -> None:
    # None of the seeds says at which value-chain stage an actor works: nothing is invented, so
    # every stage is a gap (with actorsRecorded telling a data gap from an empty region) and no
    # partner can be proposed for a stage.
    found = answer(catalog, store, "gaps/missing-stages", {"region": "NL"})
    assert len(found) == 6 and {r["actorsRecorded"] for r in found} == {"4"}
    assert {r["actorsRecorded"] for r in answer(catalog, store, "gaps/missing-stages", {"region": "FI1D"})} == {"0"}
    assert answer(catalog, store, "complementarity/stage-partners", {"region": "FI1D"}) == []


def test_no_source_gives_themes_or_innovation_groups_to_compare(catalog, store) -> None:
    # Seed 004 names one leading region per S3P4PM working area and no RIS3 themes; no seed gives
    # a region's innovation group: no pair shares a theme, and no mentoring pair by innovation.
    assert answer(catalog, store, "complementarity/shared-themes", {}) == []
    assert answer(catalog, store, "complementarity/mentoring-by-innovation", {}) == []


def test_every_analysis_is_checked_against_a_fact_of_the_sources() -> None:
    text = Path(__file__).read_text(encoding="utf-8")
    names = sorted(p.relative_to(REPO / "queries").with_suffix("").as_posix() for p in (REPO / "queries").rglob("*.rq"))
    assert len(names) == 22
    assert [n for n in names if f'"{n}"' not in text] == []
