"""The dataset description written with every build: VoID statistics and DCAT metadata.

Version = content hash of the inputs (plus the git commit when there is one); statistics per
named graph, per class and per property; licence; sources; the SPARQL endpoint.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from .dumps import COMPRESSION, DUMPS, IANA
from .load import Loaded
from .namespaces import BASE, DCAT, DCTERMS, FOAF, GRAPH, ID, OWL, PROV, RDF, SD, SPH, VOID, XSD
from .sources import Role

DATASET = URIRef(BASE + "id/dataset/saphire-kg")
DESCRIPTION_GRAPH = str(GRAPH["void"])
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
ENDPOINT = URIRef(BASE + "sparql")
DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3; rdflib's DCAT namespace predates it
_TYPE = ox.NamedNode(str(RDF.type))


@dataclass(frozen=True)
class Version:
    content_hash: str
    commit: str | None
    dirty: bool

    @property
    def label(self) -> str:
        short = self.content_hash[:12]
        if self.commit:
            return f"{short}+git.{self.commit[:12]}{'.dirty' if self.dirty else ''}"
        return short


def git_commit(root: Path) -> tuple[str | None, bool]:
    """The checkout's commit and whether its inputs differ from it (None when not in git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "ontology", "shapes", "data/ttl"],
            cwd=root, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None, False
    return head or None, bool(status)


def describe(loaded: Loaded, version: Version, extra_graphs: dict[str, int] | None = None) -> Graph:
    """The VoID/DCAT description; `extra_graphs` (IRI -> triples) are graphs the build adds."""
    g = Graph()
    d = DATASET
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, Literal("SAPHIRe regional personalised-medicine knowledge graph", lang="en")))
    g.add((d, DCTERMS.description, Literal(
        "How ready Europe's regions are for personalised medicine: the SAPHIRe Observatory, the "
        "initiatives and memberships of its regions, NUTS reference regions and Eurostat "
        "indicators, kept as curated Turtle under git.", lang="en")))
    g.add((d, DCTERMS.license, LICENCE))
    g.add((d, DCAT_VERSION, Literal(version.label)))
    g.add((d, OWL.versionInfo, Literal(version.label)))
    g.add((d, SPH.contentHash, Literal(version.content_hash)))
    if version.commit:
        g.add((d, SPH.gitCommit, Literal(version.commit)))
    g.add((d, DCTERMS.modified, Literal(datetime.now(UTC).replace(microsecond=0).isoformat(), datatype=XSD.dateTime)))
    g.add((d, VOID.sparqlEndpoint, ENDPOINT))
    g.add((d, VOID.uriSpace, Literal(BASE + "id/")))
    g.add((d, VOID.vocabulary, URIRef(BASE + "ontology#")))
    g.add((d, FOAF.homepage, URIRef("http://www.saphire-eu.eu/")))
    service = URIRef(BASE + "id/service/sparql")
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, ENDPOINT))
    g.add((service, DCAT.servesDataset, d))
    for dump in DUMPS:  # written and served by the server (dumps.py), same version as the store
        url = URIRef(BASE + "dumps/" + dump.name)
        distribution = ID["distribution/" + dump.name]
        g.add((d, VOID.dataDump, url))
        g.add((d, DCAT.distribution, distribution))
        g.add((distribution, RDF.type, DCAT.Distribution))
        g.add((distribution, DCTERMS.title, Literal(dump.title, lang="en")))
        g.add((distribution, DCAT.downloadURL, url))
        g.add((distribution, DCAT.mediaType, URIRef(IANA + dump.media_type)))
        g.add((distribution, DCAT.compressFormat, URIRef(IANA + COMPRESSION)))
        g.add((distribution, DCTERMS.license, LICENCE))

    all_triples = 0
    classes: Counter[str] = Counter()
    properties: Counter[str] = Counter()
    subjects: set = set()
    for f in loaded.files:
        if f.source.role is Role.SHAPES:
            continue
        n = len(f.triples)
        all_triples += n
        subset = URIRef(f.source.graph_iri)
        g.add((d, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, SD.name, subset))
        g.add((subset, VOID.triples, Literal(n, datatype=XSD.integer)))
        for t in f.triples:
            properties[t.predicate.value] += 1
            subjects.add(t.subject)
            if t.predicate == _TYPE and isinstance(t.object, ox.NamedNode):
                classes[t.object.value] += 1
        for t in f.triples:
            if t.predicate.value == str(DCTERMS.source) and isinstance(t.object, ox.NamedNode):
                if t.object.value.startswith(BASE + "id/source/"):
                    g.add((d, DCTERMS.source, URIRef(t.object.value)))
    for iri, n in sorted((extra_graphs or {}).items()):
        all_triples += n
        subset = URIRef(iri)
        g.add((d, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, SD.name, subset))
        g.add((subset, VOID.triples, Literal(n, datatype=XSD.integer)))
    g.add((d, VOID.triples, Literal(all_triples, datatype=XSD.integer)))
    g.add((d, VOID.distinctSubjects, Literal(len(subjects), datatype=XSD.integer)))
    g.add((d, VOID.classes, Literal(len(classes), datatype=XSD.integer)))
    g.add((d, VOID.properties, Literal(len(properties), datatype=XSD.integer)))
    for iri, n in sorted(classes.items()):
        part = BNode()
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(iri)))
        g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    for iri, n in sorted(properties.items()):
        part = BNode()
        g.add((d, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(iri)))
        g.add((part, VOID.triples, Literal(n, datatype=XSD.integer)))
    g.add((d, PROV.wasGeneratedBy, ID["activity/build/" + version.content_hash[:16]]))
    return g
