"""The reason stage on small fixtures: defined classes, snapshots, shortcuts, clashes, cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from saphire_kg.config import Settings
from saphire_kg.errors import Inconsistent, ReasonerUnavailable
from saphire_kg.load import Loaded, load
from saphire_kg.namespaces import ID, PROV, RDF, RDFS, SPH, XSD
from saphire_kg.reason import INFERRED_GRAPH, ReasonResult, build_view, reason
from saphire_kg.reason import stage as stage_module
from saphire_kg.reason.datatypes import fits
from saphire_kg.sources import discover

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "reason"
JAVA = shutil.which("java")  # HermiT needs it; .ci/run installs it where missing


def _loaded(root: Path, *fixtures: str) -> Loaded:
    """The real ontology (with imports and defined classes) and the given fixture files as data."""
    if not (root / "ontology").exists():
        shutil.copytree(REPO / "ontology", root / "ontology")
    for name in fixtures:
        (root / "data" / "ttl").mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / name, root / "data" / "ttl" / name)
    loaded = load(discover(Settings(root=root)))
    assert not loaded.errors
    return loaded


@pytest.fixture(scope="module")
def classes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("classes")
    _loaded(root, "classes.ttl")
    return root


@pytest.fixture(scope="module")
def classified(classes_root: Path) -> ReasonResult:
    """One HermiT run over every positive and negative fixture; its result is cached."""
    return reason(_loaded(classes_root), JAVA, cache_dir=classes_root / "cache")


# (defined class, resource under .../id/, classified?) — one positive and one negative at least
CASES = [
    ("SparselyPopulatedRegion", "region/sparse-now", True),  # 2021: 11.0 (2018: 13.0)
    ("SparselyPopulatedRegion", "region/sparse-before", False),  # 2021: 13.0 (2018: 11.0)
    ("SparselyPopulatedRegion", "region/at-threshold", False),  # 12.5 is not below 12.5
    ("SparselyPopulatedRegion", "region/eight", True),  # an xsd:integer 8 is a decimal too
    ("VerySparselyPopulatedRegion", "region/very-sparse", True),  # 7.9
    ("VerySparselyPopulatedRegion", "region/eight", False),  # 8 is not below 8
    ("SpecialNeedsRegion", "region/mountain", True),  # typology:mountain-surface, a narrower one
    ("SpecialNeedsRegion", "region/very-sparse", True),  # sparsely populated by density
    ("SpecialNeedsRegion", "region/coastal", False),
    ("LeadingRegion", "region/leader", True),
    ("LeadingRegion", "region/participant", False),
    ("NetworkedRegion", "region/networked", True),  # interested in a sph:Network
    ("NetworkedRegion", "region/participant", False),  # a partnership is not a network
    ("PMPriorityRegion", "region/pm", True),
    ("PMPriorityRegion", "region/no-pm", False),  # stated false
    ("PMPriorityRegion", "region/pm-unstated", False),  # not stated: unknown, not false
    ("ResearchActor", "actor/university", True),
    ("ResearchActor", "actor/company", False),
    ("IndustryActor", "actor/company", True),
    ("IndustryActor", "actor/ministry", False),
    ("GovernmentActor", "actor/ministry", True),
    ("GovernmentActor", "actor/hospital", False),
    ("EndUserActor", "actor/hospital", True),
    ("EndUserActor", "actor/university", False),
]


def test_cases_cover_every_defined_class_both_ways(classified: ReasonResult) -> None:
    assert len(CASES) == 24
    defined = {str(c).removeprefix(str(SPH)) for c in classified.types}
    assert {c for c, _, _ in CASES} == defined
    for cls in defined:
        assert {expected for c, _, expected in CASES if c == cls} == {True, False}, cls


@pytest.mark.parametrize("cls, who, expected", CASES, ids=[f"{c}-{w}" for c, w, _ in CASES])
def test_defined_class(classified: ReasonResult, cls: str, who: str, expected: bool) -> None:
    assert ((ID[who], RDF.type, SPH[cls]) in set(classified.inferred)) is expected


def test_snapshot_is_the_most_recent_observation(classified: ReasonResult) -> None:
    region = ID["region/sparse-now"]
    facts = {(p, o) for s, p, o in classified.inferred if s == region and p != RDF.type}
    assert facts == {
        (SPH.populationDensity, Literal("11.0", datatype=XSD.decimal)),
        (SPH.snapshotYear, Literal("2021", datatype=XSD.gYear)),
        (PROV.wasDerivedFrom, ID["obs/sparse-now-2021"]),
    }
    assert classified.snapshots == 5


SHORTCUTS = [
    ("region/leader", "leads", "initiative/partnership"),
    ("region/participant", "participatesIn", "initiative/partnership"),
    ("region/networked", "interestedIn", "initiative/network"),
]


@pytest.mark.parametrize("member, prop, initiative", SHORTCUTS)
def test_role_shortcut_from_membership(
    classified: ReasonResult, member: str, prop: str, initiative: str
) -> None:
    assert (ID[member], SPH[prop], ID[initiative]) in set(classified.inferred)


def test_shortcut_counts(classified: ReasonResult) -> None:
    assert classified.shortcuts == {str(SPH[p]): 1 for _, p, _ in SHORTCUTS}


def test_inferred_graph_says_which_run_produced_it(classified: ReasonResult) -> None:
    prov = {(s, p): o for s, p, o in classified.provenance}
    activity = prov[(URIRef(INFERRED_GRAPH), PROV.wasGeneratedBy)]
    assert prov[(activity, RDF.type)] == PROV.Activity
    assert prov[(activity, PROV.startedAtTime)] <= prov[(activity, PROV.endedAtTime)]
    agent = prov[(activity, PROV.wasAssociatedWith)]
    assert "HermiT" in str(prov[(agent, RDFS.label)])
    used = prov[(activity, PROV.used)]
    assert str(used).endswith(classified.input_hash)


def test_view_leaves_out_observations_and_unused_typologies(classes_root: Path) -> None:
    view = build_view(_loaded(classes_root))
    subjects = {s for s, _, _ in view.abox}
    assert ID["obs/sparse-now-2021"] not in subjects  # summarised by the snapshot
    typologies = {o for s, p, o in view.abox if p == SPH.hasTypology}
    assert typologies == {ID["concept/typology/mountain-surface"]}  # not coastal, rural, ...
    assert view.left_out["points at a concept no defined class uses"] == 3
    assert (ID["region/leader"], SPH.leads, ID["initiative/partnership"]) in view.abox
    assert not any(p == SPH.refYear for _, p, _ in view.tbox)  # xsd:gYear range left out


def test_view_hash_is_stable_and_follows_the_content(tmp_path: Path, classes_root: Path) -> None:
    assert build_view(_loaded(classes_root)).digest() == build_view(_loaded(classes_root)).digest()
    root = tmp_path / "changed"
    shutil.copytree(classes_root / "ontology", root / "ontology")
    (root / "data" / "ttl").mkdir(parents=True)
    text = (FIXTURES / "classes.ttl").read_text()
    (root / "data" / "ttl" / "classes.ttl").write_text(
        text.replace("populationDensity 7.9", "populationDensity 9.7")
    )
    assert build_view(_loaded(root)).digest() != build_view(_loaded(classes_root)).digest()


def test_unchanged_input_is_not_reasoned_again(
    classified: ReasonResult, classes_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hermit(*args: object, **kwargs: object) -> None:
        raise AssertionError("HermiT ran although the input is unchanged")

    monkeypatch.setattr(stage_module, "run_hermit", no_hermit)
    again = reason(_loaded(classes_root), JAVA, cache_dir=classes_root / "cache")
    assert again.cached and not classified.cached
    assert again.ntriples() == classified.ntriples()


def test_without_java_says_what_to_do(classes_root: Path) -> None:
    with pytest.raises(ReasonerUnavailable, match="Java is not installed.*--no-reason"):
        reason(_loaded(classes_root), None)


def _line(fixture: str, marker: str) -> int:
    return next(
        i
        for i, line in enumerate((FIXTURES / fixture).read_text().splitlines(), 1)
        if marker in line
    )


# (fixture, resource, the line the clash is at, text the explanation must contain)
INCONSISTENT = [
    (
        "disjoint.ttl",
        "initiative:s3p4pm",
        "a sph:Partnership , sph:Membership",
        ["org:Membership and org:Organization are disjoint", "ontology/imports/org-slice.ttl:"],
    ),
    (
        "double-density.ttl",
        "region:FI1D7",
        "sph:populationDensity",
        [
            "1.8 typed xsd:double",
            "obs:density-FI1D7-2021",
            "sph:populationDensity rdfs:range xsd:decimal at ontology/saphire.ttl:",
        ],
    ),
    (
        "contradiction.ttl",
        "region:BE211",
        "a sph:VerySparselyPopulatedRegion",
        [
            "narrowed down to this resource alone",
            "a sph:VerySparselyPopulatedRegion",
            "sph:populationDensity 1058.19",
        ],
    ),
]


@pytest.mark.parametrize(
    "fixture, resource, marker, says", INCONSISTENT, ids=[c[0] for c in INCONSISTENT]
)
def test_inconsistency_is_explained_at_file_and_line(
    tmp_path: Path, fixture: str, resource: str, marker: str, says: list[str]
) -> None:
    with pytest.raises(Inconsistent) as failed:
        reason(_loaded(tmp_path, fixture), JAVA)
    rendered = [c.render() for c in failed.value.clashes]
    assert len(rendered) == 1, rendered
    assert rendered[0].startswith(
        f"data/ttl/{fixture}:{_line(fixture, marker)}: error: {resource} "
    )
    for text in says:
        assert text in rendered[0]
    assert "Exception" not in rendered[0] and "at org." not in rendered[0]  # no Java stack trace


DATATYPES = [
    (Literal("1.8E0", datatype=XSD.double), XSD.decimal, False),
    (Literal("1.8", datatype=XSD.decimal), XSD.decimal, True),
    (Literal("8", datatype=XSD.integer), XSD.decimal, True),
    (Literal("12.0", datatype=XSD.decimal), XSD.integer, True),
    (Literal("12.5", datatype=XSD.decimal), XSD.integer, False),
    (Literal("-1", datatype=XSD.integer), XSD.nonNegativeInteger, False),
    (Literal("abc", datatype=XSD.decimal), XSD.decimal, False),
    (Literal("BE2"), XSD.string, True),
    (Literal("Vlaams Gewest", lang="nl"), XSD.string, False),
    (Literal("true", datatype=XSD.boolean), XSD.boolean, True),
    (Literal("1", datatype=XSD.integer), XSD.boolean, False),
    (
        Literal("anything", datatype=XSD.double),
        URIRef("http://www.w3.org/2000/01/rdf-schema#Literal"),
        True,
    ),
]


@pytest.mark.parametrize(
    "literal, datatype, expected",
    DATATYPES,
    ids=[
        f"{lit}-{lit.language or str(lit.datatype).rsplit('#')[-1]}-in-{dt.rsplit('#')[-1]}"
        for lit, dt, _ in DATATYPES
    ],
)
def test_value_fits_range(literal: Literal, datatype: URIRef, expected: bool) -> None:
    assert fits(literal, str(datatype)) is expected
