"""The W3C SPARQL 1.1 Service Description tests, run against a real `saphire-kg serve`.

`tests/fixtures/w3c/service-description/manifest.ttl` is an unmodified copy of the W3C manifest.
Its three entries have no action files: each is the check its name states.

- returns-rdf: a GET on the endpoint without a query returns RDF, in every RDF format a client
  may ask for, and with no Accept header at all;
- has-endpoint-triple: the description has `?service sd:endpoint <the URL that was asked>`;
- conforms-to-schema: every `sd:` term it uses is a term of the vocabulary, and the subject and
  object of each `sd:` property are of the domain and range the vocabulary gives (typed in the
  description itself, or an instance the vocabulary defines). The vocabulary's terms, domains
  and ranges are those of the Recommendation, section 3, written out below
  (https://www.w3.org/TR/sparql11-service-description/#vocab).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

from tests.conformance.test_sparql_protocol import server  # noqa: F401 — the same real server

MANIFEST = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "w3c"
    / "service-description"
    / "manifest.ttl"
)
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

CLASSES = {
    "Service", "Aggregate", "Language", "Function", "EntailmentRegime", "EntailmentProfile",
    "GraphCollection", "Dataset", "Graph", "NamedGraph", "Feature",
}  # fmt: skip
SUBCLASSES = {"Dataset": "GraphCollection", "Aggregate": "Function"}
INSTANCES = {
    "SPARQL10Query": "Language",
    "SPARQL11Query": "Language",
    "SPARQL11Update": "Language",
    "DereferencesURIs": "Feature",
    "UnionDefaultGraph": "Feature",
    "RequiresDataset": "Feature",
    "EmptyGraphs": "Feature",
    "BasicFederatedQuery": "Feature",
}
# property: (domain, range); None where the vocabulary gives no class
PROPERTIES: dict[str, tuple[str | None, str | None]] = {
    "endpoint": ("Service", None),
    "feature": ("Service", "Feature"),
    "defaultEntailmentRegime": ("Service", "EntailmentRegime"),
    "entailmentRegime": ("NamedGraph", "EntailmentRegime"),
    "supportedEntailmentProfile": ("NamedGraph", "EntailmentProfile"),
    "defaultSupportedEntailmentProfile": ("Service", "EntailmentProfile"),
    "extensionFunction": ("Service", "Function"),
    "extensionAggregate": ("Service", "Aggregate"),
    "languageExtension": ("Service", None),
    "supportedLanguage": ("Service", "Language"),
    "propertyFeature": ("Service", None),
    "defaultDataset": ("Service", "Dataset"),
    "availableGraphs": ("Service", "GraphCollection"),
    "resultFormat": ("Service", None),
    "inputFormat": ("Service", None),
    "defaultGraph": ("Dataset", "Graph"),
    "namedGraph": ("GraphCollection", "NamedGraph"),
    "name": ("NamedGraph", None),
    "graph": ("NamedGraph", "Graph"),
}
TERMS = CLASSES | INSTANCES.keys() | PROPERTIES.keys()
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
}


def _entries() -> list[str]:
    g = Graph().parse(MANIFEST, format="turtle")
    manifest = next(g.subjects(MF.entries, None))
    return [str(e).rsplit("#", 1)[1] for e in Collection(g, g.value(manifest, MF.entries))]


ENTRIES = _entries()


def _description(server, accept: str | None = "text/turtle") -> Graph:
    headers = {} if accept is None else {"accept": accept}
    r = httpx.get(server.sparql, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    media_type = r.headers["content-type"].split(";")[0].strip()
    assert media_type in RDF_FORMATS, f"{accept!r} gave {media_type}, not RDF"
    g = Graph().parse(data=r.content, format=RDF_FORMATS[media_type])
    assert len(g) > 0
    return g


def returns_rdf(server) -> None:
    for accept in [*RDF_FORMATS, None]:
        _description(server, accept)


def has_endpoint_triple(server) -> None:
    g = _description(server)
    services = set(g.subjects(SD.endpoint, URIRef(server.sparql)))
    assert services, f"no sd:endpoint <{server.sparql}>"
    assert all((s, RDF.type, SD.Service) in g for s in services)


def _is_a(g: Graph, node, cls: str) -> bool:
    local = str(node).removeprefix(str(SD)) if isinstance(node, URIRef) else None
    types = {str(t).removeprefix(str(SD)) for t in g.objects(node, RDF.type)}
    if local in INSTANCES:
        types.add(INSTANCES[local])
    types |= {SUBCLASSES[t] for t in types if t in SUBCLASSES}
    return cls in types


def conforms_to_schema(server) -> None:
    g = _description(server)
    wrong = []
    for s, p, o in g:
        for term in (p, o) if p == RDF.type else (p,):
            name = str(term).removeprefix(str(SD))
            if str(term).startswith(str(SD)) and name not in TERMS:
                wrong.append(f"{term} is not a term of the vocabulary")
        if not str(p).startswith(str(SD)):
            continue
        domain, range_ = PROPERTIES[str(p).removeprefix(str(SD))]
        if domain and not _is_a(g, s, domain):
            wrong.append(f"{s} {p}: the subject is not an sd:{domain}")
        if range_ and not _is_a(g, o, range_):
            wrong.append(f"{p} {o}: the object is not an sd:{range_}")
    assert not wrong, "\n".join(wrong)
    assert any(g.subjects(RDF.type, SD.Service))


CHECKS = {
    "returns-rdf": returns_rdf,
    "has-endpoint-triple": has_endpoint_triple,
    "conforms-to-schema": conforms_to_schema,
}


def test_every_entry_of_the_manifest_is_checked() -> None:
    assert ENTRIES == ["has-endpoint-triple", "returns-rdf", "conforms-to-schema"]
    assert set(ENTRIES) == set(CHECKS)


@pytest.mark.parametrize("entry", ENTRIES)
def test_service_description(server, entry: str) -> None:  # noqa: F811 — the imported fixture
    CHECKS[entry](server)
