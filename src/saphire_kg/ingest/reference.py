"""`saphire-kg import reference`: regional indicators and typologies from `data/reference/*.csv`.

Each CSV row becomes one RDF Data Cube observation (region, year, NUTS version, measure, unit,
method, note) in a data set that names the file, repository and commit the figure was copied
from; nothing is retyped or recomputed. Territorial typologies become `sph:hasTypology` links,
taken from the newest NUTS version that classifies the code.

Output: canonical Turtle under `data/ttl/reference/indicators/` and
`data/ttl/reference/typologies.ttl`.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from ..canonical import canonical_turtle
from ..namespaces import DCTERMS, ID, NUTS_SCHEME, QB, RDF, SDMXD, SPH, XSD

LICENCE = URIRef("https://ec.europa.eu/eurostat/about-us/policies/copyright")


@dataclass(frozen=True)
class Measure:
    """How one CSV indicator maps to an observation."""

    indicator: str
    prop: URIRef
    datatype: URIRef
    slug: str  # used in observation and data-set IRIs
    title: str


MEASURES = {
    m.indicator: m
    for m in (
        Measure("population_total", SPH.population, XSD.integer, "population", "Population on 1 January"),
        Measure(
            "population_density",
            SPH.populationDensity,
            XSD.decimal,
            "density",
            "Population density (inhabitants per km2 of land area)",
        ),
        Measure(
            "population_density_pop2021_per_total_area2021",
            SPH.populationDensity,
            XSD.decimal,
            "density",
            "Population density (population / total area, computed by the source)",
        ),
        Measure("area_total", SPH.area, XSD.decimal, "area", "Total area (km2)"),
        Measure(
            "population_age_65_plus",
            SPH.populationAged65Plus,
            XSD.integer,
            "aged65plus",
            "Population aged 65 and over",
        ),
        Measure(
            "share_population_age_65_plus",
            SPH.shareAged65Plus,
            XSD.decimal,
            "share65plus",
            "Share of the population aged 65 and over (%)",
        ),
    )
}

INDICATOR_FILES = ("population.csv", "population_density.csv", "area.csv", "population_age_groups.csv")

# typology CSV value -> concept local name (scheme `typology:`); values not listed are skipped.
TYPOLOGY_VALUES: dict[tuple[str, str], str] = {
    ("urban_rural_typology", "predominantly urban"): "predominantly-urban",
    ("urban_rural_typology", "intermediate"): "intermediate",
    ("urban_rural_typology", "predominantly rural"): "predominantly-rural",
    ("urban_rural_typology_code", "1"): "predominantly-urban",
    ("urban_rural_typology_code", "2"): "intermediate",
    ("urban_rural_typology_code", "3"): "predominantly-rural",
    ("coastal_region", "coastal"): "coastal",
    ("coastal_region", "non-coastal"): "non-coastal",
    ("coastal_typology_code", "1"): "coastal",
    ("coastal_typology_code", "2"): "coastal",
    ("coastal_typology_code", "3"): "non-coastal",
    ("mountain_region", "mountain (> 50% of population live and > 50% of surface in mountain areas)"): "mountain-population-and-surface",
    ("mountain_region", "mountain (> 50% of surface in mountain areas)"): "mountain-surface",
    ("mountain_region", "mountain (> 50% of population live in mountain areas)"): "mountain-population",
    ("mountain_region", "non-mountain"): "non-mountain",
    ("mountain_typology_code", "3"): "mountain-population-and-surface",
    ("mountain_typology_code", "1"): "mountain-one-criterion",
    ("mountain_typology_code", "2"): "mountain-one-criterion",
    ("mountain_typology_code", "4"): "non-mountain",
    ("island_region", "Island"): "island",
    ("island_region", "Non-island"): "non-island",
    ("border_region", "Land border (internal)"): "border-internal",
    ("border_region", "Land border (external)"): "border-external",
    ("border_region", "Border with population threshold"): "border-population-threshold",
    ("border_region", "Non-border"): "non-border",
    ("metropolitan_region", "capital city metropolitan region"): "metropolitan-capital",
    ("metropolitan_region", "metropolitan region (other)"): "metropolitan-other",
    ("metropolitan_region", "non-metropolitan region"): "non-metropolitan",
    ("capital_region", "Capital region"): "capital-region",
    ("outermost_region", "yes"): "outermost",
}

# Which typology family an indicator belongs to, so that one version wins per region and family.
TYPOLOGY_FAMILY = {
    "urban_rural_typology": "urban-rural",
    "urban_rural_typology_code": "urban-rural",
    "coastal_region": "coastal",
    "coastal_typology_code": "coastal",
    "mountain_region": "mountain",
    "mountain_typology_code": "mountain",
    "island_region": "island",
    "border_region": "border",
    "metropolitan_region": "metropolitan",
    "capital_region": "capital",
    "outermost_region": "outermost",
}


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def _source_url(row: dict[str, str]) -> URIRef:
    repo, path, commit = row["source_repository"], row["source_path"], row["source_commit"]
    if path.startswith(("http://", "https://")):
        return URIRef(path)
    if repo.startswith("pypi:"):
        name, _, version = repo[5:].partition("==")
        return URIRef(f"https://pypi.org/project/{name}/{version}/")
    return URIRef(f"https://github.com/{repo}/blob/{commit}/{path.split('#')[0]}")


def _dataset_key(measure: Measure, row: dict[str, str]) -> str:
    family = "aged65" if measure.slug in ("aged65plus", "share65plus") else measure.slug
    return f"{family}-{row['year']}-nuts{row['nuts_version']}"


def _describe_dataset(g: Graph, node: URIRef, row: dict[str, str], title: str) -> None:
    g.add((node, RDF.type, QB.DataSet))
    g.add((node, RDF.type, SPH.ReferenceDataset))
    g.add((node, DCTERMS.title, Literal(title, lang="en")))
    g.add((node, DCTERMS.description, Literal(f"Eurostat table: {row['source_dataset']}")))
    g.add((node, DCTERMS.source, _source_url(row)))
    g.add((node, DCTERMS.license, LICENCE))
    g.add((node, SPH.sourceRepository, Literal(row["source_repository"])))
    g.add((node, SPH.sourcePath, Literal(row["source_path"])))
    g.add((node, SPH.sourceCommit, Literal(row["source_commit"])))


def indicator_graphs(reference_dir: Path) -> dict[str, Graph]:
    """One graph per data set (measure family, year, NUTS version), keyed by data-set key."""
    graphs: dict[str, Graph] = defaultdict(Graph)
    seen: set[URIRef] = set()
    for csv_name in INDICATOR_FILES:
        for row in _rows(reference_dir / csv_name):
            measure = MEASURES.get(row["indicator"])
            if measure is None or row["value"] == "":
                continue
            key = _dataset_key(measure, row)
            g = graphs[key]
            dataset = ID["dataset/" + key]
            if (dataset, RDF.type, QB.DataSet) not in g:
                title = f"{measure.title}, {row['year']}, NUTS {row['nuts_version']}"
                if measure.slug in ("aged65plus", "share65plus"):
                    title = f"Population aged 65 and over and its share, {row['year']}, NUTS {row['nuts_version']}"
                _describe_dataset(g, dataset, row, title)
            code = row["nuts_code"]
            obs = ID[f"obs/{measure.slug}-{code}-{row['year']}"]
            if obs in seen:
                raise ValueError(f"{csv_name}: two rows for {measure.slug} {code} {row['year']}")
            seen.add(obs)
            value = row["value"]
            if measure.datatype == XSD.decimal:
                value = str(Decimal(value))
                if "." not in value and "E" not in value:
                    value += ".0"
            g.add((obs, RDF.type, SPH.IndicatorObservation))
            g.add((obs, QB.dataSet, dataset))
            g.add((obs, SDMXD.refArea, ID["region/" + code]))
            g.add((obs, SPH.refYear, Literal(row["year"], datatype=XSD.gYear)))
            g.add((obs, SPH.nutsVersion, NUTS_SCHEME[row["nuts_version"]]))
            g.add((obs, measure.prop, Literal(value, datatype=measure.datatype)))
            g.add((obs, SPH.unit, Literal(row["unit"])))
            g.add((obs, SPH.method, Literal(row["method"])))
            if row["note"]:
                g.add((obs, SPH.note, Literal(row["note"])))
    return dict(graphs)


def typology_graph(reference_dir: Path) -> Graph:
    """`sph:hasTypology` per region, from the newest NUTS version that classifies it."""
    best: dict[tuple[str, str], tuple[str, list[str], dict[str, str]]] = {}
    for row in _rows(reference_dir / "territorial_typologies.csv"):
        family = TYPOLOGY_FAMILY.get(row["indicator"])
        concept = TYPOLOGY_VALUES.get((row["indicator"], row["value"]))
        if family is None:
            continue
        key = (row["nuts_code"], family)
        version = row["nuts_version"]
        current = best.get(key)
        if current is None or version > current[0]:
            best[key] = (version, [concept] if concept else [], row)
        elif version == current[0] and concept:
            current[1].append(concept)
    g = Graph()
    datasets: dict[URIRef, dict[str, str]] = {}
    for (code, _family), (version, concepts, row) in sorted(best.items()):
        region = ID["region/" + code]
        dataset = ID[f"dataset/typologies-nuts{version}" + ("-outermost" if _family == "outermost" else "")]
        datasets.setdefault(dataset, row)
        for concept in concepts:
            g.add((region, SPH.hasTypology, ID["concept/typology/" + concept]))
        if concepts:
            g.add((region, DCTERMS.source, dataset))
    for dataset, row in datasets.items():
        g.add((dataset, RDF.type, SPH.ReferenceDataset))
        g.add((dataset, DCTERMS.title, Literal(f"Territorial typologies: {row['source_dataset']}", lang="en")))
        g.add((dataset, DCTERMS.source, _source_url(row)))
        g.add((dataset, DCTERMS.license, LICENCE))
        g.add((dataset, SPH.sourceRepository, Literal(row["source_repository"])))
        g.add((dataset, SPH.sourcePath, Literal(row["source_path"])))
        if row["source_commit"]:
            g.add((dataset, SPH.sourceCommit, Literal(row["source_commit"])))
    return g


def import_reference(reference_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write the indicator and typology files; returns observations per data set."""
    ind_dir = out_dir / "indicators"
    ind_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    written = set()
    for key, graph in sorted(indicator_graphs(reference_dir).items()):
        path = ind_dir / f"{key}.ttl"
        path.write_text(canonical_turtle(graph), encoding="utf-8")
        written.add(path.name)
        counts[key] = len(set(graph.subjects(RDF.type, SPH.IndicatorObservation)))
    for stale in ind_dir.glob("*.ttl"):
        if stale.name not in written:
            stale.unlink()
    typologies = typology_graph(reference_dir)
    (out_dir / "typologies.ttl").write_text(canonical_turtle(typologies), encoding="utf-8")
    counts["typology links"] = len(list(typologies.triples((None, SPH.hasTypology, None))))
    return counts
