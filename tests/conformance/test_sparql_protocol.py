"""The W3C SPARQL 1.1 Protocol tests (w3c/rdf-tests `sparql/sparql11/protocol/manifest.ttl`),
replayed against a real `saphire-kg serve` on a loopback port.

Each applicable case is encoded here with its W3C test id: the request (method, query string,
headers, body) and the expected response (status class, result format, ASK boolean). The 14
update cases are not applicable to a read-only service; they are listed with that reason and
checked to be refused with a 4xx that says so. The dataset cases need the manifest's data as
named graphs `http://kasei.us/2009/09/sparql/data/data{1,2,3}.rdf`: our own equivalent data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.server import saphire_server
from tests.stores import write_test_store

KASEI = "http://kasei.us/2009/09/sparql/data/"
DATA = {
    f"{KASEI}data{i}.rdf": f"""
        @prefix foaf: <http://xmlns.com/foaf/0.1/> .
        @prefix dcterms: <http://purl.org/dc/terms/> .
        <{KASEI}data{i}.rdf> a foaf:Document ; dcterms:title "protocol test data {i}" .
    """
    for i in (1, 2, 3)
}
D0, D1, D2, D3 = (quote(f"{KASEI}data{i}.rdf", safe="") for i in range(4))
FORM = {"content-type": "application/x-www-form-urlencoded"}
DIRECT = {"content-type": "application/sparql-query"}
UPDATE = {"content-type": "application/sparql-update"}

BOOLEAN = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR = BOOLEAN | {"text/csv", "text/tab-separated-values"}
RDF = {"application/rdf+xml", "text/turtle", "application/n-triples"}


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    query_string: str
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    status: str = "2xx"  # "2xx" means 2xx or 3xx (the manifest's StatusCode2xx, StatusCode3xx)
    format: str | None = None  # boolean | tabular | RDF
    boolean: bool | None = None


ASK_D1_D2 = (
    "ASK { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type . "
    "<http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type . }"
)
ASK_NAMED = (
    "ASK { GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type } "
    "GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type } }"
)
ASK_FULL = (
    "ASK {\n  <http://kasei.us/2009/09/sparql/data/data3.rdf> a ?type\n"
    "  GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type }\n"
    "  GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type }\n}"
)
ASK_MULTIPLE = (
    "ASK FROM <http://kasei.us/2009/09/sparql/data/data3.rdf> { "
    "GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type } "
    "GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type } }"
)


def q(text: str) -> str:
    return quote(text, safe="")


APPLICABLE = [
    Case(
        "query_post_form",
        "POST",
        f"default-graph-uri={D0}",
        FORM,
        b"query=ASK%20%7B%7D",
        format="boolean",
        boolean=True,
    ),
    Case(
        "query_dataset_default_graphs_get",
        "GET",
        f"query={q(ASK_D1_D2)}&default-graph-uri={D1}&default-graph-uri={D2}",
        format="boolean",
        boolean=True,
    ),
    Case(
        "query_dataset_default_graphs_post",
        "POST",
        f"default-graph-uri={D1}&default-graph-uri={D2}",
        DIRECT,
        ASK_D1_D2.encode(),
        format="boolean",
        boolean=True,
    ),
    Case(
        "query_dataset_named_graphs_post",
        "POST",
        f"named-graph-uri={D1}&named-graph-uri={D2}",
        DIRECT,
        ASK_NAMED.encode(),
        format="boolean",
        boolean=True,
    ),
    Case(
        "query_dataset_named_graphs_get",
        "GET",
        f"query={q(ASK_NAMED)}&named-graph-uri={D1}&named-graph-uri={D2}",
        format="boolean",
        boolean=True,
    ),
    Case(
        "query_dataset_full",
        "POST",
        f"default-graph-uri={D3}&named-graph-uri={D1}&named-graph-uri={D2}",
        DIRECT,
        ASK_FULL.encode(),
        format="boolean",
        boolean=True,
    ),
    Case(
        "query_multiple_dataset",
        "POST",
        f"named-graph-uri={D1}&named-graph-uri={D2}",
        DIRECT,
        ASK_MULTIPLE.encode(),
        format="boolean",
        boolean=True,
    ),
    Case(
        "query_get",
        "GET",
        f"query={q('ASK {}')}&default-graph-uri={D0}",
        format="boolean",
        boolean=True,
    ),
    Case(
        "query_content_type_select",
        "POST",
        f"default-graph-uri={D0}",
        DIRECT,
        b"SELECT (1 AS ?value) {}",
        format="tabular",
    ),
    Case(
        "query_content_type_ask",
        "POST",
        f"default-graph-uri={D0}",
        DIRECT,
        b"ASK {}",
        format="boolean",
    ),
    Case(
        "query_content_type_describe",
        "POST",
        f"default-graph-uri={D0}",
        DIRECT,
        b"DESCRIBE <http://example.org/>",
        format="RDF",
    ),
    Case(
        "query_content_type_construct",
        "POST",
        f"default-graph-uri={D0}",
        DIRECT,
        b"CONSTRUCT { <s> <p> 1 } WHERE {}",
        format="RDF",
    ),
    Case("query_post_direct", "POST", "", DIRECT, b"ASK {}", format="boolean", boolean=True),
    Case(
        "bad_query_method", "PUT", f"query={q('ASK {}')}&default-graph-uri={D0}", FORM, status="4xx"
    ),
    Case(
        "bad_multiple_queries", "GET", f"query={q('ASK {}')}&query={q('SELECT * {}')}", status="4xx"
    ),
    Case(
        "bad_query_wrong_media_type",
        "POST",
        "",
        {"content-type": "text/plain"},
        b"ASK {}",
        status="4xx",
    ),
    Case("bad_query_missing_form_type", "POST", "", {}, b"query=ASK%20%7B%7D", status="4xx"),
    Case("bad_query_missing_direct_type", "POST", "", {}, b"ASK {}", status="4xx"),
    Case(
        "bad_query_non_utf8",
        "POST",
        "",
        {"content-type": "application/sparql-query; charset=UTF-16"},
        "ASK {}".encode("utf-16"),
        status="4xx",
    ),
    Case("bad_query_syntax", "GET", f"query={q('ASK {')}", status="4xx"),
]

NOT_APPLICABLE_REASON = "read-only service: SPARQL Update is refused"
# (W3C id, the case's (first) request, the status this service answers with)
NOT_APPLICABLE = [
    (
        "update_dataset_default_graph",
        Case("", "POST", f"using-graph-uri={D1}", UPDATE, b"CLEAR ALL"),
        403,
    ),
    (
        "update_dataset_default_graphs",
        Case("", "POST", f"using-graph-uri={D1}&using-graph-uri={D2}", UPDATE, b"DROP ALL"),
        403,
    ),
    (
        "update_dataset_named_graphs",
        Case(
            "",
            "POST",
            f"using-named-graph-uri={D1}&using-named-graph-uri={D2}",
            UPDATE,
            b"DROP ALL",
        ),
        403,
    ),
    (
        "update_dataset_full",
        Case("", "POST", f"using-graph-uri={D1}&using-named-graph-uri={D2}", UPDATE, b"DROP ALL"),
        403,
    ),
    ("update_post_form", Case("", "POST", "", FORM, b"update=CLEAR+ALL"), 403),
    ("update_post_direct", Case("", "POST", "", UPDATE, b"CLEAR ALL"), 403),
    (
        "update_base_uri",
        Case(
            "",
            "POST",
            "",
            UPDATE,
            b"CLEAR SILENT GRAPH <http://example.org/protocol-base-test/> ;\n"
            b"INSERT DATA { GRAPH <http://example.org/protocol-base-test/> "
            b"{ <http://example.org/s> <http://example.org/p> <test> } }",
        ),
        403,
    ),
    ("bad_update_get", Case("", "GET", f"update={q('CLEAR ALL')}"), 403),
    (
        "bad_multiple_updates",
        Case("", "POST", "", FORM, b"update=CLEAR%20NAMED&update=CLEAR%20DEFAULT"),
        403,
    ),
    (
        "bad_update_wrong_media_type",
        Case("", "POST", "", {"content-type": "text/plain"}, b"CLEAR NAMED"),
        415,
    ),
    ("bad_update_missing_form_type", Case("", "POST", "", {}, b"update=CLEAR%20NAMED"), 415),
    (
        "bad_update_non_utf8",
        Case(
            "",
            "POST",
            "",
            {"content-type": "application/sparql-update; charset=UTF-16"},
            "CLEAR NAMED".encode("utf-16"),
        ),
        403,
    ),
    ("bad_update_syntax", Case("", "POST", "", FORM, b"update=CLEAR%20XYZ"), 403),
    (
        "bad_update_dataset_conflict",
        Case(
            "",
            "POST",
            "using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople",
            UPDATE,
            b"WITH <http://example/addresses> DELETE { ?p ?q 'Bill' } "
            b"INSERT { ?p ?q 'William' } WHERE { ?p ?q 'Bill' }",
        ),
        403,
    ),
]


def test_the_manifest_is_covered() -> None:
    assert len(APPLICABLE) == 20
    assert len(NOT_APPLICABLE) == 14
    assert len({c.id for c in APPLICABLE} | {i for i, _, _ in NOT_APPLICABLE}) == 34


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("protocol")
    write_test_store(root / "build", DATA, version="w3c-protocol")
    with saphire_server(root) as server:
        yield server


def _send(server, case: Case) -> httpx.Response:
    url = server.sparql + (f"?{case.query_string}" if case.query_string else "")
    return httpx.request(case.method, url, headers=case.headers, content=case.body, timeout=30)


@pytest.mark.parametrize("case", APPLICABLE, ids=[c.id for c in APPLICABLE])
def test_protocol(server, case: Case) -> None:
    r = _send(server, case)
    if case.status == "4xx":
        assert 400 <= r.status_code < 500, r.text
        assert r.text.strip(), "a 4xx says what was wrong"
        return
    assert 200 <= r.status_code < 400, r.text
    media_type = r.headers["content-type"].split(";")[0]
    expected = {"boolean": BOOLEAN, "tabular": TABULAR, "RDF": RDF}[case.format]
    assert media_type in expected
    if case.boolean is not None:
        assert json.loads(r.content)["boolean"] is case.boolean


@pytest.mark.parametrize(
    ("test_id", "case", "status"), NOT_APPLICABLE, ids=[i for i, _, _ in NOT_APPLICABLE]
)
def test_update_cases_are_not_applicable_and_refused(
    server, test_id: str, case: Case, status: int
) -> None:
    r = _send(server, case)
    assert r.status_code == status, r.text
    if status == 403:
        assert "read-only" in r.text
