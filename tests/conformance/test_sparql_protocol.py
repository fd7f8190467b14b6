"""The W3C SPARQL 1.1 Protocol tests, replayed from the manifest against a real `saphire-kg serve`.

`tests/fixtures/w3c/protocol/` holds an unmodified copy of w3c/rdf-tests
`sparql/sparql11/protocol/` (manifest and data). Every request of every entry is sent as the
manifest writes it (method, path and query string, headers, body in its character encoding) to
a server whose store holds the manifest's `ut:graphData` as named graphs, and the response is
checked as the manifest says: status class, result format family and ASK boolean.

Of the 34 entries, the 7 whose update request must succeed (`update_*`) do not apply to a
read-only service: for those the test checks that the update is refused with 403 and says why.
The other 27 (20 query cases, 7 malformed-update cases that expect a 4xx) must pass as written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import httpx
import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDFS

from tests.e2e.server import saphire_server
from tests.stores import write_test_store

HERE = Path(__file__).resolve().parent.parent / "fixtures" / "w3c" / "protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

FORMATS = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    },
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples"},
}
RDFLIB_FORMAT = {
    "application/rdf+xml": "xml",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
}
UPDATE_PARAMS = {"update", "using-graph-uri", "using-named-graph-uri"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with its query string, as the manifest writes it (`/sparql/?…`)
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[str]  # status classes: "2xx", "3xx", "4xx", "5xx"
    format: str | None
    boolean: bool | None

    @property
    def is_update(self) -> bool:
        headers = {k.lower(): v for k, v in self.headers}
        if headers.get("content-type", "").startswith("application/sparql-update"):
            return True
        names = {n for n, _ in parse_qsl(urlsplit(self.path).query, keep_blank_values=True)}
        if self.body is not None and headers.get("content-type", "") in (
            "",
            "application/x-www-form-urlencoded",
        ):
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError:
                text = ""
            names |= {n for n, _ in parse_qsl(text, keep_blank_values=True)}
        return bool(names & UPDATE_PARAMS)


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    requests: tuple[Request, ...]

    @property
    def applicable(self) -> bool:
        """Not applicable: an update the manifest expects to succeed (this service is read-only)."""
        return not any(r.is_update and "2xx" in r.statuses for r in self.requests)


def _request(g: Graph, node) -> Request:
    headers = tuple(
        (str(g.value(h, HT.fieldName)), str(g.value(h, HT.fieldValue)))
        for h in (Collection(g, g.value(node, HT.headers)) if g.value(node, HT.headers) else ())
    )
    body_node = g.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(g.value(body_node, CNT.chars)).encode(encoding)
    resp = g.value(node, HT.resp)
    statuses = frozenset(
        str(s).rsplit("StatusCode", 1)[1] for s in g.objects(resp, MF.expectedStatus)
    )
    fmt = g.value(resp, MF.expectedFormat)
    boolean = g.value(resp, MF.expectedBoolean)
    return Request(
        method=str(g.value(node, HT.methodName)),
        path=str(g.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        statuses=statuses,
        format=None if fmt is None else str(fmt),
        boolean=None if boolean is None else bool(boolean.toPython()),
    )


def load_manifest() -> tuple[list[Entry], dict[str, str]]:
    """The manifest's entries in its order, and its graph data (graph IRI -> N-Triples text)."""
    g = Graph().parse(
        HERE / "manifest.ttl", format="turtle", publicID=(HERE / "manifest.ttl").as_uri()
    )
    manifest = next(g.subjects(MF.entries, None))
    entries, data = [], {}
    for test in Collection(g, g.value(manifest, MF.entries)):
        action = g.value(test, MF.action)
        requests = tuple(_request(g, r) for r in Collection(g, g.value(action, HT.requests)))
        entries.append(Entry(str(test).rsplit("#", 1)[1], str(g.value(test, MF.name)), requests))
        for graph_data in g.objects(test, UT.graphData):
            file = Path(str(g.value(graph_data, UT.graph)).removeprefix("file://"))
            data[str(g.value(graph_data, RDFS.label))] = (HERE / file.name).read_text("utf-8")
    return entries, data


ENTRIES, DATA = load_manifest()
APPLICABLE = [e for e in ENTRIES if e.applicable]
NOT_APPLICABLE = [e for e in ENTRIES if not e.applicable]


def test_the_whole_manifest_is_replayed() -> None:
    assert len(ENTRIES) == 34
    assert len(APPLICABLE) == 27
    assert sorted(e.id for e in NOT_APPLICABLE) == [
        "update_base_uri",
        "update_dataset_default_graph",
        "update_dataset_default_graphs",
        "update_dataset_full",
        "update_dataset_named_graphs",
        "update_post_direct",
        "update_post_form",
    ]
    assert sorted(DATA) == [f"http://kasei.us/2009/09/sparql/data/data{i}.rdf" for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("protocol")
    write_test_store(root / "build", DATA, version="w3c-protocol")
    with saphire_server(root) as server:
        yield server


def _send(server, request: Request) -> httpx.Response:
    path = request.path.removeprefix("/sparql/").removeprefix("/sparql")
    url = server.sparql + path
    return httpx.request(
        request.method, url, headers=dict(request.headers), content=request.body, timeout=30
    )


def _boolean(response: httpx.Response, media_type: str) -> bool:
    if media_type == "application/sparql-results+json":
        return json.loads(response.content)["boolean"]
    root = ElementTree.fromstring(response.content)
    found = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert found is not None and found.text is not None
    return found.text.strip() == "true"


def _check(response: httpx.Response, request: Request) -> None:
    status_class = f"{response.status_code // 100}xx"
    assert status_class in request.statuses, (response.status_code, response.text)
    if status_class == "4xx":
        assert response.text.strip(), "a 4xx says what was wrong"
    if request.format is None:
        return
    media_type = response.headers["content-type"].split(";")[0].strip()
    assert media_type in FORMATS[request.format]
    if request.format == "RDF":
        Graph().parse(data=response.content, format=RDFLIB_FORMAT[media_type])
    if request.boolean is not None:
        assert _boolean(response, media_type) is request.boolean


@pytest.mark.parametrize("entry", APPLICABLE, ids=[e.id for e in APPLICABLE])
def test_protocol(server, entry: Entry) -> None:
    for request in entry.requests:
        _check(_send(server, request), request)


@pytest.mark.parametrize("entry", NOT_APPLICABLE, ids=[e.id for e in NOT_APPLICABLE])
def test_update_cases_are_not_applicable_and_refused(server, entry: Entry) -> None:
    update = entry.requests[0]
    assert update.is_update
    r = _send(server, update)
    assert r.status_code == 403, r.text
    assert "read-only" in r.text
