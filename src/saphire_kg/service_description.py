"""The SPARQL 1.1 Service Description of the endpoint, with its dataset, as RDF in any format.

It says what a federating client needs before sending a query: the endpoint (the URL it was
asked at), SPARQL 1.1 Query, the result formats, that the default graph is the union of the
named graphs (`sd:UnionDefaultGraph`), that SERVICE is supported (`sd:BasicFederatedQuery`,
only when the allow-list names an endpoint: with none, every SERVICE is refused), and the dataset: every named graph with its `void:triples`, taken from the
build's VoID description, plus the limits a query runs under.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib import Dataset as RdfDataset
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID, XSD

from .dumps import COMPRESSION, DUMPS, IANA
from .namespaces import BASE, DCAT, SD
from .negotiate import GRAPHS, RESULTS, Format

DATASET = URIRef(BASE + "id/dataset/saphire-kg")
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}
_QUAD_FORMATS = ("nquads", "trig")


@dataclass(frozen=True)
class NamedGraph:
    iri: str
    triples: int | None


@dataclass(frozen=True)
class Dataset:
    """What the service description says of the data: version, total, and each named graph."""

    version: str
    triples: int | None
    graphs: tuple[NamedGraph, ...]


@dataclass(frozen=True)
class Limits:
    timeout: float
    max_results: int | None
    allow_services: tuple[str, ...]
    max_bytes: int | None = None
    max_query_bytes: int | None = None
    max_url_bytes: int | None = None
    client_concurrency: int | None = None


def service_description(endpoint: str, dataset: Dataset, limits: Limits) -> Graph:
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("dcterms", DCTERMS)
    g.bind("formats", "http://www.w3.org/ns/formats/")
    service = BNode("service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint)))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for fmt in (*RESULTS, *GRAPHS):
        if fmt.iri:
            g.add((service, SD.resultFormat, URIRef(fmt.iri)))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    if limits.allow_services:
        g.add((service, SD.feature, SD.BasicFederatedQuery))
    simple = URIRef("http://www.w3.org/ns/entailment/Simple")
    g.add((service, SD.defaultEntailmentRegime, simple))
    g.add((simple, RDF.type, SD.EntailmentRegime))  # the property's range, stated
    g.add((service, RDFS.comment, Literal(_limits_text(limits), lang="en")))
    g.add((service, DCTERMS.hasVersion, Literal(dataset.version)))

    g.add((service, SD.defaultDataset, DATASET))
    g.add((DATASET, RDF.type, SD.Dataset))
    g.add((DATASET, RDF.type, VOID.Dataset))
    default = BNode("default-graph")
    g.add((DATASET, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, RDFS.comment, Literal("the union of all the named graphs", lang="en")))
    if dataset.triples is not None:
        g.add((default, VOID.triples, Literal(dataset.triples, datatype=XSD.integer)))
    site = endpoint.rsplit("/", 1)[0]
    for dump in DUMPS:  # served at /dumps/… beside the endpoint, with the dataset's version
        url = URIRef(f"{site}/dumps/{dump.name}")
        g.add((DATASET, VOID.dataDump, url))
        g.add((url, DCAT.mediaType, URIRef(IANA + dump.media_type)))
        g.add((url, DCAT.compressFormat, URIRef(IANA + COMPRESSION)))
    for i, named in enumerate(dataset.graphs):
        node, graph = BNode(f"named-{i}"), BNode(f"graph-{i}")
        g.add((DATASET, SD.namedGraph, node))
        g.add((node, RDF.type, SD.NamedGraph))
        g.add((node, SD.name, URIRef(named.iri)))
        g.add((node, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        if named.triples is not None:
            g.add((graph, VOID.triples, Literal(named.triples, datatype=XSD.integer)))
    return g


def _limits_text(limits: Limits) -> str:
    rows = f"{limits.max_results} rows or triples" if limits.max_results else "no row limit"
    services = ", ".join(limits.allow_services) if limits.allow_services else "none"
    text = (
        f"Read-only. Each query may run {limits.timeout:g} s (then 503, never a partial result) and "
        f"return {rows} (then 507). SERVICE calls go only to: {services}."
    )
    if limits.max_bytes:
        text += f" A serialised result may have {limits.max_bytes} bytes (then 507)."
    if limits.max_query_bytes:
        text += f" A request body or query may have {limits.max_query_bytes} bytes (then 413)."
    if limits.max_url_bytes:
        text += f" A request URL may have {limits.max_url_bytes} bytes (then 414: POST instead)."
    if limits.client_concurrency:
        text += (
            f" One client address may have {limits.client_concurrency} requests running "
            "(then 429 with Retry-After)."
        )
    return text


def serialize(graph: Graph, fmt: Format) -> bytes:
    """The description in one of negotiate's RDF formats; in N-Quads and TriG its triples are
    in the default graph (rdflib writes those formats from a dataset only: a graph raised)."""
    name = RDFLIB_FORMATS[fmt.media_type]
    if name in _QUAD_FORMATS:
        dataset = RdfDataset()
        dataset.default_graph += graph
        for prefix, namespace in graph.namespaces():
            dataset.bind(prefix, namespace)
        graph = dataset
    out = graph.serialize(format=name, encoding="utf-8")
    return out if isinstance(out, bytes) else out.encode("utf-8")
