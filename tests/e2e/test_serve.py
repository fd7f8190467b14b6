"""`saphire-kg serve` as users run it: a real server process, SPARQLWrapper and httpx as clients."""

from __future__ import annotations

import json
import shutil
import signal
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, URIRef
import SPARQLWrapper as SPARQLWrapperModule
from SPARQLWrapper import CSV, GET, JSON, POST, TURTLE, SPARQLWrapper

from tests.conftest import MINI_DATA, REPO
from tests.e2e.server import oxigraph_server, saphire_server

PREFIXES = """PREFIX sph: <https://w3id.org/saphire/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
REGIONS = (
    PREFIXES
    + "SELECT ?code ?label WHERE { ?r sph:nutsCode ?code ; skos:prefLabel ?label } ORDER BY ?code"
)
_VALUES = "{ " + " ".join(str(i) for i in range(40)) + " }"
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) { " + " ".join(f"VALUES ?v{i} {_VALUES}" for i in range(5)) + " }"
)


def make_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "ontology", root / "ontology")
    shutil.copytree(REPO / "shapes", root / "shapes")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    for rel, text in MINI_DATA.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A project with no store yet: `serve` builds it first, then serves (timeout 1 s)."""
    root = make_project(tmp_path_factory.mktemp("serve") / "project")
    with saphire_server(root, "--timeout", "1", "--max-results", "500", "--workers", "2") as s:
        yield s


def test_serve_builds_first_when_there_is_no_store(server) -> None:
    assert "no built store yet: building first" in server.output()
    assert (Path(server.log).parent / "build" / "store" / "manifest.json").is_file()


def test_sparqlwrapper_select(server) -> None:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(REGIONS)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert [(r["code"]["value"], r["label"]["value"]) for r in rows] == [
        ("BE", "Belgique/België"),
        ("BE2", "Vlaams Gewest"),
    ]


def test_sparqlwrapper_construct_and_ask(server) -> None:
    client = SPARQLWrapper(server.sparql)
    client.setQuery("DESCRIBE <https://w3id.org/saphire/id/region/BE2>")
    client.setReturnFormat(TURTLE)
    g = Graph().parse(data=client.query().convert(), format="turtle")
    region = URIRef("https://w3id.org/saphire/id/region/BE2")
    assert (region, URIRef("https://w3id.org/saphire/ontology#nutsCode"), None) in g
    client = SPARQLWrapper(server.sparql)
    client.setQuery(PREFIXES + "ASK { ?m <http://www.w3.org/ns/org#member> ?r }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


def test_sparqlwrapper_post_and_csv(server) -> None:
    """SPARQLWrapper's POST (form-encoded) goes through the routes, GET through the fast path:
    both give the same CSV."""
    bodies = []
    for method in (GET, POST):
        client = SPARQLWrapper(server.sparql)
        client.setMethod(method)
        client.setQuery(REGIONS)
        client.setReturnFormat(CSV)
        bodies.append(client.query().convert())
    assert bodies[0] == bodies[1]
    assert bodies[0].decode().splitlines() == [
        "code,label",
        "BE,Belgique/België",
        "BE2,Vlaams Gewest",
    ]


def test_inferred_graph_is_in_the_union(server) -> None:
    r = httpx.get(
        server.sparql,
        params={
            "query": PREFIXES
            + "ASK { GRAPH <https://w3id.org/saphire/graph/inferred> { ?s ?p ?o } }"
        },
    )
    assert r.json()["boolean"] is True


def test_head_and_revalidation(server) -> None:
    get = httpx.get(server.sparql, params={"query": REGIONS}, headers={"accept": "text/csv"})
    head = httpx.head(server.sparql, params={"query": REGIONS}, headers={"accept": "text/csv"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    again = httpx.get(
        server.sparql,
        params={"query": REGIONS},
        headers={"accept": "text/csv", "if-none-match": get.headers["etag"]},
    )
    assert again.status_code == 304


def test_syntax_error_over_the_wire(server) -> None:
    r = httpx.post(
        server.sparql,
        content="SELECT * WHERE {\n  ?s ?p\n}",
        headers={"content-type": "application/sparql-query"},
    )
    assert r.status_code == 400 and "3:1" in r.text


def test_result_limit(server) -> None:
    r = httpx.get(server.sparql, params={"query": "SELECT * { ?s ?p ?o }"})
    assert r.status_code == 507
    assert "500 rows" in r.text


def test_runaway_query_gets_503_in_time_while_cheap_queries_go_on(server) -> None:
    cheap = {"query": PREFIXES + "ASK { ?r sph:nutsCode 'BE2' }"}
    with httpx.Client() as client:
        client.get(server.sparql, params=cheap)
        outcome: dict = {}

        def runaway() -> None:
            started = time.monotonic()
            outcome["response"] = httpx.get(server.sparql, params={"query": RUNAWAY}, timeout=30)
            outcome["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=runaway)
        thread.start()
        latencies = []
        while thread.is_alive():
            started = time.monotonic()
            assert client.get(server.sparql, params=cheap).status_code == 200
            latencies.append(time.monotonic() - started)
        thread.join()
    r = outcome["response"]
    assert r.status_code == 503
    assert "limit of 1 s" in r.text
    assert "retry-after" not in r.headers  # (the same query would run out of time again)
    slow = [json.loads(line) for line in server.output().splitlines() if '"saphire_kg.slow"' in line]
    assert any(e["outcome"] == "timeout" and e["query"] == RUNAWAY.strip() for e in slow), slow
    assert outcome["seconds"] < 2.0  # timeout + 1 s
    assert len(latencies) >= 5
    assert sorted(latencies)[int(len(latencies) * 0.95)] < 0.5


def test_service_description_names_the_url_asked(server) -> None:
    r = httpx.get(server.sparql, headers={"accept": "application/n-triples"})
    assert (
        f"<http://www.w3.org/ns/sparql-service-description#endpoint> <{server.sparql}>".encode()
        in r.content
    )
    alias = server.sparql.replace("127.0.0.1", "localhost")
    r2 = httpx.get(alias, headers={"accept": "application/n-triples"})
    assert f"<{alias}>".encode() in r2.content


def test_health_metrics_and_json_access_log(server) -> None:
    _wait(
        lambda: httpx.get(server.base + "/health").json()["workers"]["ready"] == 2, 30
    )  # after a kill
    health = httpx.get(server.base + "/health").json()
    assert health["status"] == "ok"
    assert health["dataset_version"]
    assert health["workers"]["network"] == "none"  # (no SERVICE allowed: workers.py)
    metrics = httpx.get(server.base + "/metrics").text
    assert "saphire_timeouts_total" in metrics and "saphire_http_request_seconds_bucket" in metrics
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    access = [entry for entry in lines if "status" in entry and "path" in entry]
    assert any(e["path"] == "/sparql" and e["status"] == 200 for e in access)


def test_service_to_an_allowed_endpoint(tmp_path: Path) -> None:
    """SERVICE goes out only to the allow-list: a local Oxigraph is allowed, others refused."""
    remote_dir = tmp_path / "remote"
    with oxigraph_server(remote_dir) as remote:
        httpx.post(
            remote.base + "/update",
            content="INSERT DATA { <http://r/x> <http://r/p> 'from afar' }",
            headers={"content-type": "application/sparql-update"},
        ).raise_for_status()
        root = tmp_path / "project"
        root.mkdir()
        from tests.stores import PEOPLE, write_test_store

        write_test_store(root / "build", PEOPLE)
        with saphire_server(root, "--allow-service", remote.base + "/query") as s:
            ok = httpx.get(
                s.sparql,
                params={"query": f"SELECT ?o {{ SERVICE <{remote.base}/query> {{ ?s ?p ?o }} }}"},
            )
            assert ok.status_code == 200, ok.text
            assert ok.json()["results"]["bindings"][0]["o"]["value"] == "from afar"
            other = f"http://127.0.0.1:{remote.base.rsplit(':', 1)[1]}/store"
            refused = httpx.get(
                s.sparql, params={"query": f"SELECT * {{ SERVICE <{other}> {{ ?s ?p ?o }} }}"}
            )
            assert refused.status_code == 403


def _region_label(server) -> str | None:
    r = httpx.get(
        server.sparql,
        params={"query": PREFIXES + "SELECT ?l { ?r sph:nutsCode 'BE2' ; skos:prefLabel ?l }"},
    )
    rows = r.json()["results"]["bindings"]
    return rows[0]["l"]["value"] if rows else None


def _wait(predicate, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)


def test_sighup_reloads_and_a_failed_rebuild_keeps_the_last_good_graph(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    regions = root / "data/ttl/regions/BE.ttl"
    with saphire_server(root) as s:
        assert _region_label(s) == "Vlaams Gewest"
        version = httpx.get(s.base + "/health").json()["dataset_version"]
        regions.write_text(regions.read_text().replace('"Vlaams Gewest"', '"Vlaanderen"'))
        s.signal(signal.SIGHUP)
        _wait(lambda: httpx.get(s.base + "/health").json()["reload"]["last_success"] is not None)
        assert _region_label(s) == "Vlaanderen"
        assert httpx.get(s.base + "/health").json()["dataset_version"] != version

        regions.write_text(
            regions.read_text().replace("sph:nutsLevel 1 ;", "sph:nutsLevel 1 ;;; <broken")
        )
        s.signal(signal.SIGHUP)
        _wait(lambda: httpx.get(s.base + "/health").json()["reload"]["last_error"] is not None)
        health = httpx.get(s.base + "/health").json()
        assert health["status"] == "degraded"
        assert "still serving the previous graph" in health["reload"]["last_error"]
        assert "BE.ttl" in health["reload"]["last_error"]
        assert _region_label(s) == "Vlaanderen"  # the last good graph


def test_watch_rebuilds_on_change(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    regions = root / "data/ttl/regions/BE.ttl"
    with saphire_server(root, "--watch") as s:
        _wait(lambda: httpx.get(s.base + "/health").json()["reload"]["watching"], 10)
        regions.write_text(regions.read_text().replace('"Vlaams Gewest"', '"Flanders"'))
        _wait(lambda: _region_label(s) == "Flanders")


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize(
    "query",
    [
        REGIONS,
        PREFIXES + "ASK { ?r sph:nutsCode 'BE2' }",
        "CONSTRUCT WHERE { <https://w3id.org/saphire/id/region/BE2> ?p ?o }",
        "DESCRIBE <https://w3id.org/saphire/id/region/BE2>",
    ],
)
def test_sparqlwrapper_gets_an_answer_in_every_format_it_asks_for(
    server, query: str, method: str
) -> None:
    """SPARQLWrapper sends `format`, `output` and `results` with names of its own beside its
    Accept header: each of its formats for each query form (a reviewer's matrix: 40 of 72 got
    a 400 once `format` was read)."""
    for name in ("JSON", "XML", "TURTLE", "N3", "RDF", "RDFXML", "CSV", "TSV", "JSONLD"):
        client = SPARQLWrapper(server.sparql)
        client.setMethod(method)
        client.setQuery(query)
        client.setReturnFormat(getattr(SPARQLWrapperModule, name))
        response = client.query().response
        assert response.status == 200, (name, response.status)
        assert response.read()
