"""Remote mode: the graph pushed to a real Oxigraph server (Graph Store Protocol), the same API in
front of it (`serve --store sparql+http://…`), and the same answers as the embedded store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from tests.e2e.server import oxigraph_server, saphire_server
from tests.e2e.test_serve import PREFIXES, REGIONS, make_project

QUERIES = [
    ("regions", REGIONS, "application/sparql-results+json"),
    ("count", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "application/sparql-results+json"),
    (
        "graphs",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
        "text/csv",
    ),
    (
        "membership",
        PREFIXES + "SELECT ?m ?r WHERE { ?m <http://www.w3.org/ns/org#member> ?r }",
        "application/sparql-results+xml",
    ),
    ("ask", PREFIXES + "ASK { ?r sph:nutsCode 'BE2' }", "application/sparql-results+json"),
    ("describe", "DESCRIBE <https://w3id.org/saphire/id/region/BE2>", "text/turtle"),
    (
        "construct",
        PREFIXES + "CONSTRUCT { ?r skos:prefLabel ?l } WHERE { ?r skos:prefLabel ?l }",
        "application/n-triples",
    ),
    ("dataset", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "text/tab-separated-values"),
]
DATASET_PARAMS = {
    "dataset": [("default-graph-uri", "https://w3id.org/saphire/graph/data/ttl/regions/BE.ttl")]
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory):
    root = make_project(tmp_path_factory.mktemp("remote") / "project")
    env = {**os.environ, "SAPHIRE_ROOT": str(root)}
    built = subprocess.run(
        [sys.executable, "-m", "saphire_kg", "build"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    with oxigraph_server(root / "oxigraph", "--union-default-graph") as ox:
        pushed = subprocess.run(
            [sys.executable, "-m", "saphire_kg", "push", "--to", ox.base + "/store"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
        )
        assert pushed.returncode == 0, pushed.stderr
        assert "pushed" in pushed.stdout
        with (
            saphire_server(root) as embedded,
            saphire_server(root, "--store", f"sparql+{ox.base}/query") as remote,
        ):
            yield embedded, remote, ox


def _normal(body: bytes, media_type: str):
    if media_type == "application/sparql-results+json":
        data = json.loads(body)
        if "boolean" in data:
            return data["boolean"]
        return sorted(json.dumps(b, sort_keys=True) for b in data["results"]["bindings"])
    if media_type in ("text/turtle", "application/n-triples"):
        return Graph().parse(data=body, format="turtle" if media_type == "text/turtle" else "nt")
    return sorted(body.decode().splitlines())


@pytest.mark.parametrize(("name", "query", "accept"), QUERIES, ids=[q[0] for q in QUERIES])
def test_same_answers_as_the_embedded_store(servers, name: str, query: str, accept: str) -> None:
    embedded, remote, _ = servers
    params = [("query", query), *DATASET_PARAMS.get(name, [])]
    a = httpx.get(embedded.sparql, params=params, headers={"accept": accept}, timeout=30)
    b = httpx.get(remote.sparql, params=params, headers={"accept": accept}, timeout=30)
    assert a.status_code == b.status_code == 200, b.text
    assert a.headers["content-type"].split(";")[0] == b.headers["content-type"].split(";")[0]
    left, right = _normal(a.content, accept), _normal(b.content, accept)
    if isinstance(left, Graph):
        assert isomorphic(left, right)
    else:
        assert left == right


def test_same_version_and_errors(servers) -> None:
    embedded, remote, _ = servers
    assert (
        httpx.get(embedded.base + "/health").json()["dataset_version"]
        == httpx.get(remote.base + "/health").json()["dataset_version"]
    )
    bad = {"query": "SELECT * WHERE {\n ?s ?p }"}
    a, b = httpx.get(embedded.sparql, params=bad), httpx.get(remote.sparql, params=bad)
    assert a.status_code == b.status_code == 400
    assert "2:" in b.text
    update = httpx.post(
        remote.sparql, content="CLEAR ALL", headers={"content-type": "application/sparql-update"}
    )
    assert update.status_code == 403


def test_remote_down_is_503_and_recovers(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    store_dir = tmp_path / "ox"
    with oxigraph_server(store_dir, "--union-default-graph") as ox:
        port = ox.base.rsplit(":", 1)[1]
        with saphire_server(root, "--store", f"sparql+{ox.base}/query") as s:
            assert httpx.get(s.sparql, params={"query": "ASK {}"}).status_code == 200
            ox.process.terminate()
            ox.process.wait(10)
            down = httpx.get(s.sparql, params={"query": "ASK { ?s ?p ?o }"})
            assert down.status_code == 503 and "cannot be reached" in down.text
            assert httpx.get(s.base + "/health").status_code == 503
            with oxigraph_server(store_dir, "--union-default-graph", port=int(port)):
                assert httpx.get(s.sparql, params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
