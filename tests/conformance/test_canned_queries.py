"""Every canned analysis in queries/, on a fixture world whose answers are known by construction.

The fixture is tests/fixtures/queries/world.ttl (with the real ontology and concept schemes); each
expected answer below is worked out by hand from its facts, in the comment before it. The queries
run through the same path as the CLI and the API (catalogue → check → bind → store), in each of
the three binding modes, which must agree.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from saphire_kg.catalog import Catalog, load_catalog
from saphire_kg.errors import ParameterError
from saphire_kg.query import BINDING_MODES, execute, resolve, rows
from saphire_kg.store import GraphFile, OxigraphStore

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "queries" / "world.ttl"
ID = "https://w3id.org/saphire/id/"
SPH = "https://w3id.org/saphire/ontology#"
QUERY_COUNT = 22


@pytest.fixture(scope="module")
def store() -> OxigraphStore:
    files = [
        GraphFile(p, "https://w3id.org/saphire/graph/" + p.relative_to(REPO).as_posix())
        for p in sorted((REPO / "ontology").rglob("*.ttl"))
    ]
    files.append(GraphFile(FIXTURE, "https://w3id.org/saphire/graph/fixture"))
    return OxigraphStore.in_memory(files, version="fixture")


@pytest.fixture(scope="module")
def catalog(store: OxigraphStore) -> Catalog:
    return resolve(load_catalog(REPO / "queries"), store)


def short(value: str) -> str:
    return value.replace(ID, "").replace(SPH, "sph:")


def answer(catalog: Catalog, store: OxigraphStore, name: str, params: dict, mode: str = "text") -> list[dict[str, str]]:
    result = execute(store, catalog.get(name), params, mode=mode)
    _, found = rows(result.body)
    return [{k: short(v["value"]) for k, v in row.items()} for row in found]


def project(found: list[dict[str, str]], columns: tuple[str, ...]) -> Counter:
    return Counter(tuple(row.get(c) for c in columns) for row in found)


def test_the_catalogue_has_every_analysis(catalog: Catalog) -> None:
    assert len(catalog) == QUERY_COUNT
    assert {q.folder for q in catalog} == {"checks", "complementarity", "gaps", "observatory", "rollup"}


# (query, parameters, the columns compared, the expected rows as a multiset)
CASES = [
    # XB11 has an actor at health care absorption only; XA11 (through XA111) has research and
    # commercialisation, XC1 demonstration; nobody has the two pilot-community stages.
    ("complementarity/stage-partners", {"region": "XB11"}, ("stage", "partner", "actor", "sources"), [
        ("concept/value-chain-stage/research-and-innovation", "region/XA11", "actor/fx-uni", "source/fx"),
        ("concept/value-chain-stage/commercialisation", "region/XA11", "actor/fx-company", "source/fx"),
        ("concept/value-chain-stage/demonstration", "region/XC1", "actor/fx-agency", "source/fx"),
    ]),
    # themes: XA11 {cell, jobs} by strategy; XA12 {cell} by its working-area membership; XB11
    # {cell} by strategy and membership; XC1 {jobs}. Jaccard: XA12-XB11 1, the others 1/2.
    ("complementarity/shared-themes", {}, ("regionA", "regionB", "theme", "evidenceA", "evidenceB", "jaccard"), [
        ("region/XA12", "region/XB11", "concept/theme/cell-and-gene-hub", "membership/XA12-fx-part-wa", "strategy/XB11-2021", "1"),
        ("region/XA12", "region/XB11", "concept/theme/cell-and-gene-hub", "membership/XA12-fx-part-wa", "membership/XB11-fx-part-wa", "1"),
        ("region/XA11", "region/XA12", "concept/theme/cell-and-gene-hub", "strategy/XA11-2021", "membership/XA12-fx-part-wa", "0.5"),
        ("region/XA11", "region/XB11", "concept/theme/cell-and-gene-hub", "strategy/XA11-2021", "strategy/XB11-2021", "0.5"),
        ("region/XA11", "region/XB11", "concept/theme/cell-and-gene-hub", "strategy/XA11-2021", "membership/XB11-fx-part-wa", "0.5"),
        ("region/XA11", "region/XC1", "concept/theme/jobs-of-the-future", "strategy/XA11-2021", "strategy/XC1-2021", "0.5"),
    ]),
    ("complementarity/shared-themes", {"min_shared": "2"}, ("regionA",), []),
    # direct memberships: icpermed {XA, XC1}, fx-net {XA11, XB11, XC1}, fx-part-wa {XA12, XB11},
    # fx-consortium {XB11, XC1}; XB11 and XC1 share two.
    ("complementarity/shared-networks", {}, ("regionA", "regionB", "initiative", "shared"), [
        ("region/XA", "region/XC1", "initiative/icpermed", "1"),
        ("region/XA11", "region/XB11", "initiative/fx-net", "1"),
        ("region/XA11", "region/XC1", "initiative/fx-net", "1"),
        ("region/XA12", "region/XB11", "initiative/fx-part-wa", "1"),
        ("region/XB11", "region/XC1", "initiative/fx-net", "2"),
        ("region/XB11", "region/XC1", "initiative/fx-consortium", "2"),
    ]),
    ("complementarity/shared-networks", {"min_shared": "2"}, ("regionA", "regionB", "initiative"), [
        ("region/XB11", "region/XC1", "initiative/fx-net"),
        ("region/XB11", "region/XC1", "initiative/fx-consortium"),
    ]),
    # XA11 leads fx-net, where XB11 is interested and XC1 participating; XA12 leads the working
    # area XB11 takes part in.
    ("complementarity/mentoring-by-role", {}, ("initiative", "mentor", "newcomer"), [
        ("initiative/fx-net", "region/XA11", "region/XB11"),
    ]),
    ("complementarity/mentoring-by-role", {"newcomer_role": "participating"}, ("initiative", "mentor", "newcomer"), [
        ("initiative/fx-net", "region/XA11", "region/XC1"),
        ("initiative/fx-part-wa", "region/XA12", "region/XB11"),
    ]),
    ("complementarity/mentoring-by-role", {"newcomer_role": "leading"}, ("initiative",), []),
    # groups, strongest first: XA11 leader, XA12 strong, XB11 moderate, XC1 emerging; shared
    # themes as above (XA12-XC1 and XB11-XC1 share none).
    ("complementarity/mentoring-by-innovation", {}, ("mentor", "mentee", "theme", "mentorEvidence", "menteeEvidence"), [
        ("region/XA11", "region/XA12", "concept/theme/cell-and-gene-hub", "strategy/XA11-2021", "membership/XA12-fx-part-wa"),
        ("region/XA11", "region/XB11", "concept/theme/cell-and-gene-hub", "strategy/XA11-2021", "strategy/XB11-2021"),
        ("region/XA11", "region/XB11", "concept/theme/cell-and-gene-hub", "strategy/XA11-2021", "membership/XB11-fx-part-wa"),
        ("region/XA11", "region/XC1", "concept/theme/jobs-of-the-future", "strategy/XA11-2021", "strategy/XC1-2021"),
        ("region/XA12", "region/XB11", "concept/theme/cell-and-gene-hub", "membership/XA12-fx-part-wa", "strategy/XB11-2021"),
        ("region/XA12", "region/XB11", "concept/theme/cell-and-gene-hub", "membership/XA12-fx-part-wa", "membership/XB11-fx-part-wa"),
    ]),
    # needs: XA12 mountain (XA121); XB island + mountain (XB111) and density (its snapshot, 10);
    # XB11 island + mountain (XB111); XC1 density (latest observation, 5 in 2021; 15 in 2018)
    # and the weakest group; x-isle island but no peer. Peers: leaders of a shared initiative
    # (fx-net: XA11, fx-part-wa: XA12; XA12 leads its own), and stronger groups.
    ("complementarity/special-needs-peers", {}, ("special", "need", "needVia", "peer", "basis", "about"), [
        ("region/XA12", "concept/typology/mountain-surface", "region/XA121", "region/XA11", "stronger innovation group", "concept/fx-ris/leader"),
        *[
            ("region/XB", need, via, peer, "leads a shared initiative", about)
            for need, via in [("concept/typology/island", "region/XB111"), ("concept/typology/mountain-population", "region/XB111"), ("sph:populationDensity", "obs/fx-density-XB-2021")]
            for peer, about in [("region/XA11", "initiative/fx-net"), ("region/XA12", "initiative/fx-part-wa")]
        ],
        *[
            ("region/XB11", need, "region/XB111", peer, basis, about)
            for need in ("concept/typology/island", "concept/typology/mountain-population")
            for peer, basis, about in [
                ("region/XA11", "leads a shared initiative", "initiative/fx-net"),
                ("region/XA12", "leads a shared initiative", "initiative/fx-part-wa"),
                ("region/XA11", "stronger innovation group", "concept/fx-ris/leader"),
                ("region/XA12", "stronger innovation group", "concept/fx-ris/strong"),
            ]
        ],
        *[
            ("region/XC1", need, via, peer, basis, about)
            for need, via in [("sph:populationDensity", "obs/fx-density-XC1-2021"), ("concept/fx-ris/emerging", "region/XC1")]
            for peer, basis, about in [
                ("region/XA11", "leads a shared initiative", "initiative/fx-net"),
                ("region/XA11", "stronger innovation group", "concept/fx-ris/leader"),
                ("region/XA12", "stronger innovation group", "concept/fx-ris/strong"),
                ("region/XB11", "stronger innovation group", "concept/fx-ris/moderate"),
            ]
        ],
    ]),
    # XA11 (with XA111) vs XB11 (with XB111): ten distinct reasons.
    ("complementarity/score", {"region_a": "XA11", "region_b": "XB11"}, ("score", "reason", "direction", "about"), [
        ("10", "shared initiative", "both", "initiative/fx-net"),
        ("10", "leads an initiative the other belongs to", "A to B", "initiative/fx-net"),
        ("10", "shared theme", "both", "concept/theme/cell-and-gene-hub"),
        ("10", "value-chain stage the other lacks", "A to B", "concept/value-chain-stage/research-and-innovation"),
        ("10", "value-chain stage the other lacks", "A to B", "concept/value-chain-stage/commercialisation"),
        ("10", "value-chain stage the other lacks", "B to A", "concept/value-chain-stage/healthcare-absorption"),
        ("10", "helix category the other lacks", "A to B", "concept/helix/research"),
        ("10", "helix category the other lacks", "A to B", "concept/helix/industry"),
        ("10", "helix category the other lacks", "B to A", "concept/helix/end-users"),
        ("10", "stronger innovation group", "A to B", "concept/fx-ris/leader"),
    ]),
    ("complementarity/score", {"region_a": "XA11", "region_b": "x-isle"}, ("score", "reason", "about"), [
        ("4", "value-chain stage the other lacks", "concept/value-chain-stage/research-and-innovation"),
        ("4", "value-chain stage the other lacks", "concept/value-chain-stage/commercialisation"),
        ("4", "helix category the other lacks", "concept/helix/research"),
        ("4", "helix category the other lacks", "concept/helix/industry"),
    ]),
    ("gaps/missing-stages", {"region": "XB11"}, ("region", "stage", "actorsRecorded"), [
        ("region/XB11", f"concept/value-chain-stage/{s}", "1")
        for s in ("commercialisation", "demo-case-assessment", "demonstration", "learning-and-co-creation", "research-and-innovation")
    ]),
    ("gaps/missing-helices", {"region": "XA11"}, ("region", "helix", "actorsRecorded"), [
        ("region/XA11", "concept/helix/end-users", "2"),
        ("region/XA11", "concept/helix/government", "2"),
    ]),
    # 2021-2027: XA11 true (left out), XB11 false, XC1 silent, XC2 true (left out); no strategy
    # recorded for XA12 (only 2014-2020), XB, x-isle.
    ("gaps/no-pm-priority", {}, ("region", "status", "strategy"), [
        ("region/XA12", "no RIS3 recorded", None),
        ("region/XB", "no RIS3 recorded", None),
        ("region/x-isle", "no RIS3 recorded", None),
        ("region/XB11", "stated: no PM priority", "strategy/XB11-2021"),
        ("region/XC1", "PM priority not stated", "strategy/XC1-2021"),
    ]),
    ("gaps/no-pm-priority", {"period": "2014-2020"}, ("region", "status"), [
        (f"region/{r}", "no RIS3 recorded") for r in ("XA11", "XB", "XB11", "XC1", "XC2", "x-isle")
    ]),
    ("gaps/no-pm-priority", {"region": "XC1"}, ("region", "status"), [("region/XC1", "PM priority not stated")]),
    # XA12 (level 2, in XA; mountain) belongs to fx-part(-wa) and, through XA, to ICPerMed. Level-2
    # members: XA11 (same country; fx-net), XB11 (mountain too; fx-net, fx-consortium).
    ("gaps/missing-networks", {"region": "XA12"}, ("network", "peer", "comparison", "comparableBy"), [
        ("initiative/fx-net", "region/XA11", "same country and NUTS level", "region/XA"),
        ("initiative/fx-net", "region/XB11", "shared special-needs typology", "concept/typology/mountain"),
        ("initiative/fx-consortium", "region/XB11", "shared special-needs typology", "concept/typology/mountain"),
    ]),
    ("gaps/missing-networks", {"region": "XA12", "basis": "same country and NUTS level"}, ("network", "peer"), [
        ("initiative/fx-net", "region/XA11"),
    ]),
    # every special-needs region but x-isle takes part in something (itself or a sub-region).
    ("gaps/special-needs-isolated", {}, ("region", "need", "needVia", "sources"), [
        ("region/x-isle", "concept/typology/island", "region/x-isle", "source/fx"),
    ]),
    ("gaps/countries-outside-initiative", {}, ("country", "regionalMember", "coverage"), [
        ("region/XB", None, "coverage/XB"),
        ("region/XC", "region/XC1", "coverage/XC"),
        ("region/x-isle", None, "coverage/x-isle"),
    ]),
    ("gaps/countries-outside-initiative", {"initiative": "fx-net"}, ("country", "regionalMember"), [
        ("region/XA", "region/XA11"), ("region/XB", "region/XB11"), ("region/XC", "region/XC1"), ("region/x-isle", None),
    ]),
    # XC1's fx-net membership ran 2019-2020; memberships without a period count as active.
    ("gaps/no-active-membership", {"on_date": "2021-06-30", "network_only": "false"}, ("region", "memberships"), [
        ("region/XC2", "0"), ("region/x-isle", "0"),
    ]),
    ("gaps/no-active-membership", {"on_date": "2021-06-30", "network_only": "true"}, ("region", "memberships"), [
        ("region/XA12", "2"), ("region/XC1", "3"), ("region/XC2", "0"), ("region/x-isle", "0"),
    ]),
    ("gaps/no-active-membership", {"on_date": "2020-06-30", "network_only": "true"}, ("region",), [
        ("region/XA12",), ("region/XC2",), ("region/x-isle",),
    ]),
    ("checks/data-completeness", {"region": "x-isle"}, ("region", "item"), [
        ("region/x-isle", item) for item in (
            "no regional report", "no total population observation", "no population density observation",
            "no observation of the share aged 65+", "no innovation group", "no RIS3 2021-2027", "no RIS3 2014-2020",
        )
    ]),
    ("observatory/region-profile", {"region": "XB11"}, ("item",), [
        (item,) for item, n in [
            ("name", 1), ("NUTS code", 1), ("NUTS level", 1), ("part of", 1), ("observatory region", 1),
            ("population", 2), ("populationDensity", 1), ("innovation group", 1), ("territorial typology", 2),
            ("strategy", 1), ("personalised-medicine priority (stated)", 1), ("practice or project", 1),
            ("stakeholder", 1), ("membership", 3), ("membership of a larger region", 1),
        ] for _ in range(n)
    ]),
    ("observatory/initiative-members", {"initiative": "fx-net"}, ("member", "role", "membership", "memberCount", "begins", "ends"), [
        ("region/XA11", "concept/role/leading", "membership/XA11-fx-net", "4", None, None),
        ("region/XB11", "concept/role/interested", "membership/XB11-fx-net", "4", None, None),
        ("region/XC1", "concept/role/participating", "membership/XC1-fx-net", "4", "2019-01-01", "2020-12-31"),
        ("actor/fx-company", None, None, "4", None, None),
    ]),
    ("observatory/coverage-by-country", {}, ("country", "statedRegions", "recordedRegions", "statedTotalRegions", "statedTotalCountries"), [
        ("region/XA", "2", "2", "6", "3"), ("region/XB", "2", "2", "6", "3"), ("region/XC", "1", "2", "6", "3"), ("region/x-isle", None, "1", "6", "3"),
    ]),
    ("observatory/pm-priority-share", {}, ("basis", "period", "prioritising", "statedNo", "notStated", "assessed", "computedShare"), [
        ("stated by the source", None, "2", None, None, "4", "50"),
        ("recorded in the graph", "concept/period/2014-2020", "1", "0", "0", "1", "100"),
        ("recorded in the graph", "concept/period/2021-2027", "2", "1", "1", "4", "66.7"),
    ]),
    ("observatory/roadmap-module", {}, ("region", "module", "rule", "evidence"), [
        ("region/XA11", "concept/roadmap-module/activate", "activate: leads an initiative", "membership/XA11-fx-net"),
        ("region/XA12", "concept/roadmap-module/activate", "activate: leads an initiative", "membership/XA12-fx-part"),
        ("region/XA12", "concept/roadmap-module/activate", "activate: leads an initiative", "membership/XA12-fx-part-wa"),
        *[
            (f"region/{r}", "concept/roadmap-module/align", "align: member of an initiative", f"membership/{m}")
            for r in ("XB", "XB11")
            for m in ("XB11-fx-net", "XB11-fx-part-wa", "XB11-fx-consortium", "XB1-fx-other")
        ],
        *[
            ("region/XC1", "concept/roadmap-module/align", "align: member of an initiative", f"membership/{m}")
            for m in ("XC1-icpermed", "XC1-fx-net", "XC1-fx-consortium")
        ],
        ("region/XC2", "concept/roadmap-module/align", "align: RIS3 prioritises personalised medicine", "strategy/XC2-2021"),
        ("region/x-isle", "concept/roadmap-module/scout", "scout: nothing recorded", None),
    ]),
    ("rollup/through-larger-region", {}, ("region", "initiative", "via", "viaLevel"), [
        ("region/XA11", "initiative/icpermed", "region/XA", "0"),
        ("region/XA12", "initiative/icpermed", "region/XA", "0"),
        ("region/XB11", "initiative/fx-other", "region/XB1", "1"),
    ]),
    ("rollup/through-sub-regions", {}, ("region", "kind", "resource", "via"), [
        ("region/XA11", "actor", "actor/fx-uni", "region/XA111"),
        ("region/XB", "membership", "membership/XB1-fx-other", "region/XB1"),
        ("region/XB", "membership", "membership/XB11-fx-net", "region/XB11"),
        ("region/XB", "membership", "membership/XB11-fx-part-wa", "region/XB11"),
        ("region/XB", "membership", "membership/XB11-fx-consortium", "region/XB11"),
        ("region/XB", "actor", "actor/fx-hospital", "region/XB11"),
        ("region/XB", "strategy", "strategy/XB11-2021", "region/XB11"),
        ("region/XB", "practice or project", "practice/fx-biobank", "region/XB111"),
        ("region/XB11", "practice or project", "practice/fx-biobank", "region/XB111"),
    ]),
]


def _number(value: str | None) -> str | None:
    """Decimals as the shortest text (the engine may write 0.5 or 0.50, 1 or 1.0)."""
    if value is None:
        return None
    try:
        return format(Decimal(value).normalize(), "f")
    except ArithmeticError:
        return value


@pytest.mark.parametrize(("name", "params", "columns", "expected"), CASES, ids=[f"{c[0]}{c[1] or ''}" for c in CASES])
def test_the_answer_on_the_fixture_is_the_one_worked_out(catalog, store, name, params, columns, expected) -> None:
    found = answer(catalog, store, name, params)
    numeric = {"jaccard", "computedShare"}
    got = Counter(
        tuple(_number(row.get(c)) if c in numeric else row.get(c) for c in columns) for row in found
    )
    assert got == Counter(tuple(_number(v) if c in numeric else v for c, v in zip(columns, row, strict=True)) for row in expected)


def test_every_analysis_has_a_fixture_case() -> None:
    names = {case[0] for case in CASES}
    assert len(names) == QUERY_COUNT
    assert len(CASES) == 33


def test_missing_stages_of_every_observatory_region(catalog, store) -> None:
    # XA11 lacks 4 stages, XA12 6, XB 5 (through XB11), XB11 5, XC1 5, XC2 6, x-isle 6.
    found = answer(catalog, store, "gaps/missing-stages", {})
    assert Counter(row["region"] for row in found) == {
        "region/XA11": 4, "region/XA12": 6, "region/XB": 5, "region/XB11": 5, "region/XC1": 5, "region/XC2": 6, "region/x-isle": 6,
    }


def test_rows_come_out_in_the_order_the_query_promises(catalog, store) -> None:
    themes = answer(catalog, store, "complementarity/shared-themes", {})
    assert (themes[0]["regionA"], themes[0]["regionB"]) == ("region/XA12", "region/XB11")  # highest Jaccard first
    networks = answer(catalog, store, "complementarity/shared-networks", {})
    assert networks[0]["shared"] == "2"


@pytest.mark.parametrize("query_name", sorted(p.relative_to(REPO / "queries").with_suffix("").as_posix() for p in (REPO / "queries").rglob("*.rq")))
def test_every_row_names_the_resources_it_is_about(catalog, store, query_name) -> None:
    query = catalog.get(query_name)
    params = next((c[1] for c in CASES if c[0] == query_name), {})
    result = execute(store, query, params)
    _, found = rows(result.body)
    assert found, f"{query_name} has no rows on the fixture: it cannot be checked"
    for row in found:
        assert any(v["type"] == "uri" for v in row.values()), f"{query_name}: a row with no IRI: {row}"


def test_every_query_is_collected_once() -> None:
    assert len(list((REPO / "queries").rglob("*.rq"))) == QUERY_COUNT


# An outer VALUES block is a join, not a substitution: a FILTER inside a UNION branch (or any
# nested group) is evaluated before the join and sees the parameter unbound. This analysis
# filters on a parameter inside UNION branches, so the VALUES mode answers it differently;
# text binding and SEP-0007 substitution never do.
VALUES_DIFFER = {"complementarity/special-needs-peers"}


def _norm(found: list[dict[str, str]]) -> Counter:
    # GROUP_CONCAT lists have no defined order
    return Counter(json.dumps({k: " ".join(sorted(v.split(" "))) for k, v in row.items()}, sort_keys=True) for row in found)


@pytest.mark.parametrize("mode", [m for m in BINDING_MODES if m != "text"])
@pytest.mark.parametrize(("name", "params"), [(c[0], c[1]) for c in CASES], ids=[f"{c[0]}{c[1] or ''}" for c in CASES])
def test_the_binding_modes_agree(catalog, store, name, params, mode) -> None:
    same = _norm(answer(catalog, store, name, params, mode)) == _norm(answer(catalog, store, name, params, "text"))
    assert same is not (mode == "values" and name in VALUES_DIFFER)


# Hostile or wrong values for each kind of parameter: a clean ParameterError naming it.
HOSTILE = [
    ("gaps/missing-stages", "region", 'XB11" } UNION { ?s ?p ?o } #'),
    ("gaps/missing-stages", "region", "XB11>"),
    ("gaps/missing-stages", "region", "ZZ9"),  # well formed, not in the graph
    ("gaps/missing-stages", "region", "XA1"),  # in the graph, not an observatory region
    ("gaps/missing-stages", "region", "x" * 10_000),
    ("complementarity/score", "region_a", "XA11\nUNION"),
    ("complementarity/shared-themes", "min_shared", "1 } UNION { ?s ?p ?o"),
    ("complementarity/shared-themes", "min_shared", "0"),
    ("complementarity/mentoring-by-role", "newcomer_role", "leading> } UNION {"),
    ("gaps/missing-networks", "basis", "any' || true || '"),
    ("gaps/countries-outside-initiative", "initiative", "icpermed> } UNION { ?s ?p ?o } #"),
    ("gaps/countries-outside-initiative", "initiative", "https://evil.example/x"),
    ("gaps/no-active-membership", "on_date", "2021-06-30\"^^<http://www.w3.org/2001/XMLSchema#date> } #"),
    ("gaps/no-active-membership", "network_only", "true || true"),
    ("complementarity/special-needs-peers", "max_density", "12.5) || (1 = 1"),
]


@pytest.mark.parametrize(("name", "parameter", "value"), HOSTILE)
def test_hostile_values_are_refused_by_name(catalog, store, name, parameter, value) -> None:
    params = dict(catalog.get(name).examples())
    params[parameter] = value
    with pytest.raises(ParameterError) as err:
        execute(store, catalog.get(name), params)
    assert err.value.parameter == parameter


def test_the_hostile_table_is_all_collected() -> None:
    assert len(HOSTILE) == 15


def test_a_well_formed_iri_of_nothing_gives_an_empty_answer(catalog, store) -> None:
    assert answer(catalog, store, "gaps/countries-outside-initiative", {"initiative": "no-such-initiative"}) == []
    assert answer(catalog, store, "observatory/initiative-members", {"initiative": "no-such-initiative"}) == []


# Analyses whose rows are absences (a stage, helix, membership or report item that nothing
# records): no source can stand behind an absence. Every other analysis cites its sources.
ABSENCES = {"checks/data-completeness", "gaps/missing-helices", "gaps/missing-stages", "gaps/no-active-membership"}


POSITIVE = sorted(
    name for p in (REPO / "queries").rglob("*.rq") if (name := p.relative_to(REPO / "queries").with_suffix("").as_posix()) not in ABSENCES
)


def test_the_positive_analyses_are_all_collected() -> None:
    assert len(POSITIVE) == QUERY_COUNT - len(ABSENCES) == 18


@pytest.mark.parametrize("query_name", POSITIVE)
def test_every_row_of_a_positive_finding_cites_its_sources(catalog, store, query_name) -> None:
    params = next((c[1] for c in CASES if c[0] == query_name), {})
    names, found = rows(execute(store, catalog.get(query_name), params).body)
    columns = [n for n in names if "sources" in n.lower()]
    assert columns, f"{query_name} has no sources column"
    assert any(row.get(c, {}).get("value") for row in found for c in columns), f"{query_name}: no row cites a source"
    cited = [iri for row in found for c in columns if c in row for iri in row[c]["value"].split()]
    assert all(iri.startswith(("https://", "http://")) for iri in cited), cited
