"""The IRIs of the project and the vocabularies it reuses, with their one canonical prefix each."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS, TIME, VOID, XSD

BASE = "https://w3id.org/saphire/"

SPH = Namespace(BASE + "ontology#")
SPHSH = Namespace(BASE + "shapes#")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")

ORG = Namespace("http://www.w3.org/ns/org#")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMXD = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMXA = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
NUTS = Namespace("http://data.europa.eu/nuts/")
NUTS_CODE = Namespace("http://data.europa.eu/nuts/code/")
NUTS_SCHEME = Namespace("http://data.europa.eu/nuts/scheme/")
SCHEMA = Namespace("http://schema.org/")
EURIO = Namespace("http://data.europa.eu/s66#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

# The prefixes written by the canonical Turtle writer, and the only ones it uses.
PREFIXES: dict[str, str] = {
    "country": "http://publications.europa.eu/resource/authority/country/",
    "dcat": str(DCAT),
    "dcterms": str(DCTERMS),
    "eurio": str(EURIO),
    "foaf": str(FOAF),
    "geo": str(GEO),
    "nuts": str(NUTS),
    "nutscode": str(NUTS_CODE),
    "nutsscheme": str(NUTS_SCHEME),
    "org": str(ORG),
    "owl": str(OWL),
    "prov": str(PROV),
    "qb": str(QB),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "schema": str(SCHEMA),
    "sd": str(SD),
    "sdmxa": str(SDMXA),
    "sdmxd": str(SDMXD),
    "sh": str(SH),
    "skos": str(SKOS),
    "sph": str(SPH),
    "sphsh": str(SPHSH),
    "time": str(TIME),
    "void": str(VOID),
    "wd": "http://www.wikidata.org/entity/",
    "xsd": str(XSD),
    # instance namespaces, one per kind, so that curated files stay readable
    "actor": BASE + "id/actor/",
    "analysis": BASE + "id/analysis/",
    # concept schemes, one prefix each (a prefixed name cannot hold a slash)
    "category": BASE + "id/concept/membership-category/",
    "helix": BASE + "id/concept/helix/",
    "module": BASE + "id/concept/roadmap-module/",
    "period": BASE + "id/concept/period/",
    "role": BASE + "id/concept/role/",
    "section": BASE + "id/concept/report-section/",
    "stage": BASE + "id/concept/value-chain-stage/",
    "theme": BASE + "id/concept/theme/",
    "typology": BASE + "id/concept/typology/",
    "coverage": BASE + "id/coverage/",
    "dataset": BASE + "id/dataset/",
    "democase": BASE + "id/democase/",
    "initiative": BASE + "id/initiative/",
    "membership": BASE + "id/membership/",
    "milestone": BASE + "id/milestone/",
    "obs": BASE + "id/obs/",
    "practice": BASE + "id/practice/",
    "region": BASE + "id/region/",
    "report": BASE + "id/report/",
    "roadmap": BASE + "id/roadmap/",
    "scheme": BASE + "id/scheme/",
    "source": BASE + "id/source/",
    "strategy": BASE + "id/strategy/",
}

__all__ = [
    "BASE",
    "DCAT",
    "DCTERMS",
    "EURIO",
    "FOAF",
    "GEO",
    "GRAPH",
    "ID",
    "NUTS",
    "NUTS_CODE",
    "NUTS_SCHEME",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "QB",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SD",
    "SDMXA",
    "SDMXD",
    "SH",
    "SKOS",
    "SPH",
    "SPHSH",
    "TIME",
    "VOID",
    "XSD",
]
