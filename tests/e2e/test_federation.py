"""Federation both ways, with real engines and real servers on loopback ports.

Inbound: an engine that is not ours evaluates a query that joins its own data with our endpoint
called through `SERVICE`, for each engine a federating platform may use, each calling our
endpoint its own way (the interop matrix in the README): Comunica (from the npm registry,
installed by .ci/run into tests/federation/node_modules) over a Turtle file on the web, Apache
Jena ARQ (Debian's package, installed by .ci/run) over a local file, the Oxigraph server, and
rdflib. Comunica given our endpoint as its source sends it the whole query: the SERVICE call to
a second server is then ours. Outbound: our endpoint calls an
allow-listed second server through `SERVICE`; when that server fails, the client gets a 502,
and when it hangs past the deadline a 504, each naming the service.
"""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import rdflib

import httpx
import pytest

from tests.e2e.server import free_port, oxigraph_server, saphire_server
from tests.stores import write_test_store

COMUNICA = (
    Path(__file__).resolve().parents[1] / "federation" / "node_modules" / ".bin" / "comunica-sparql"
)
SPH = "https://w3id.org/saphire/ontology#"
OURS = {
    "https://w3id.org/saphire/graph/data/ttl/regions/test.ttl": f"""
        @prefix sph: <{SPH}> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://w3id.org/saphire/id/region/FI1D> a sph:Region ; sph:nutsCode "FI1D" ; skos:prefLabel "Pohjois- ja Itä-Suomi" .
        <https://w3id.org/saphire/id/region/BE2> a sph:Region ; sph:nutsCode "BE2" ; skos:prefLabel "Vlaams Gewest" .
        <https://w3id.org/saphire/id/region/NL4> a sph:Region ; sph:nutsCode "NL4" ; skos:prefLabel "Zuid-Nederland" .
    """
}
# The second server's data: a Wikidata-like mapping from NUTS code (P605) to an item.
THEIRS = """
<http://example.org/wd/Q1> <http://example.org/wdt/P605> "FI1D" ; <http://example.org/label> "Northern and Eastern Finland" .
<http://example.org/wd/Q2> <http://example.org/wdt/P605> "BE2" ; <http://example.org/label> "Flemish Region" .
<http://example.org/wd/Q3> <http://example.org/wdt/P605> "XX9" ; <http://example.org/label> "Nowhere" .
"""


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory):
    """A second SPARQL server (Oxigraph) holding THEIRS."""
    with oxigraph_server(tmp_path_factory.mktemp("remote") / "store") as server:
        httpx.post(
            server.base + "/store?default",
            content=THEIRS,
            headers={"content-type": "text/turtle"},
        ).raise_for_status()
        yield server


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory, remote):
    """Our endpoint over OURS, with the second server on its SERVICE allow-list."""
    root = tmp_path_factory.mktemp("ours")
    write_test_store(root / "build", OURS)
    with saphire_server(
        root, "--allow-service", remote.base + "/query", "--timeout", "3"
    ) as server:
        yield server


def join(endpoint: str) -> str:
    """The second server's items joined with our labels, ours called through SERVICE."""
    return f"""
        SELECT ?code ?item ?ourLabel WHERE {{
          ?item <http://example.org/wdt/P605> ?code .
          SERVICE <{endpoint}> {{ ?region <{SPH}nutsCode> ?code ;
                                     <http://www.w3.org/2004/02/skos/core#prefLabel> ?ourLabel }}
        }} ORDER BY ?code"""


JOINED = [
    {"code": "BE2", "item": "http://example.org/wd/Q2", "ourLabel": "Vlaams Gewest"},
    {"code": "FI1D", "item": "http://example.org/wd/Q1", "ourLabel": "Pohjois- ja Itä-Suomi"},
]
JENA = Path("/usr/share/java")  # Debian's libapache-jena-java: its jars, and their dependencies
JENA_JARS = (
    *("jena-arq", "jena-base", "jena-cmds", "jena-core", "jena-iri", "jena-rdfconnection"),
    *("jena-dboe-base", "jena-dboe-index", "jena-dboe-storage", "jena-dboe-trans-data"),
    *("jena-dboe-transaction", "jena-shacl", "jena-shex", "jena-tdb"),
    *("commons-cli", "commons-codec", "commons-compress", "commons-csv", "commons-io"),
    *("commons-lang3", "commons-logging", "dexx.collection", "gson", "guava", "httpclient"),
    *("httpcore", "jackson-annotations", "jackson-core", "jackson-databind", "jakarta.json-api"),
    *("jsonld-java", "protobuf", "slf4j-api", "slf4j-nop", "thrift", "titanium-json-ld"),
)


def _rows(done: subprocess.CompletedProcess) -> list[dict[str, str]]:
    """The rows of an engine's SPARQL JSON results on its standard output."""
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(done.stdout)
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def _calls(server, agent: str) -> list[dict]:
    """Our access log's entries for /sparql from clients whose User-Agent contains `agent`."""
    entries = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    return [e for e in entries if e.get("path") == "/sparql" and agent in (e.get("agent") or "")]


def comunica(query: str, source: str) -> list[dict[str, str]]:
    """Rows of `query` as Comunica evaluates it over `source` (`sparql@URL`: an endpoint)."""
    done = subprocess.run(
        [str(COMUNICA), source, "-q", query, "-t", "application/sparql-results+json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return _rows(done)


@pytest.fixture(scope="module")
def jena_classpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Jena ARQ's class path. Debian's jena-core moved its copy of Xerces to the package
    `xerces` but left the message files where the original package had them, so Jena fails to
    start (`XSSimpleTypeDecl.applyFacets1: internal error`); a copy of them where the moved
    classes look is put first on the path."""
    messages = tmp_path_factory.mktemp("jena")
    prefix = "org/apache/jena/ext/xerces/"
    with zipfile.ZipFile(JENA / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith(prefix) and name.endswith(".properties"):
                target = messages / "xerces" / name[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return ":".join([str(messages), *(str(JENA / f"{jar}.jar") for jar in JENA_JARS)])


def jena(classpath: str, query: str, data: Path) -> list[dict[str, str]]:
    """Rows of `query` as Jena ARQ evaluates it over the Turtle file `data`."""
    query_file = data.with_suffix(".rq")
    query_file.write_text(query)
    done = subprocess.run(
        [
            *("java", "-cp", classpath, "arq.sparql"),
            *("--data", str(data), "--query", str(query_file), "--results", "json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return _rows(done)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {".ttl": "text/turtle"}

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def their_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """THEIRS as a Turtle file on a plain web server: its URL (a source no engine can send a
    query to, so Comunica evaluates the join itself and calls our SERVICE)."""
    folder = tmp_path_factory.mktemp("files")
    (folder / "theirs.ttl").write_text(THEIRS)
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/theirs.ttl"
    finally:
        server.shutdown()
        server.server_close()


def test_comunica_joins_a_web_file_with_ours_through_service(their_file: str, ours) -> None:
    before = len(_calls(ours, "Comunica"))
    assert comunica(join(ours.sparql), their_file) == JOINED
    calls = [(e["method"], e["query_bytes"] > 0, e["status"]) for e in _calls(ours, "Comunica")]
    # It reads our service description first (in N-Quads, its first choice: that was a 500),
    # then sends the query (by POST, being long).
    assert calls[before:] == [("GET", False, 200), ("POST", False, 200)]


def test_jena_arq_joins_its_data_with_ours_through_service(
    ours, jena_classpath: str, tmp_path: Path
) -> None:
    theirs = tmp_path / "theirs.ttl"
    theirs.write_text(THEIRS)
    assert jena(jena_classpath, join(ours.sparql), theirs) == JOINED
    assert [e["status"] for e in _calls(ours, "Java-http-client")][-1:] == [200]


def test_the_oxigraph_server_joins_its_data_with_ours_through_service(remote, ours) -> None:
    r = httpx.get(
        remote.base + "/query",
        params={"query": join(ours.sparql)},
        headers={"accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    rows = [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]
    assert rows == JOINED
    assert [e["status"] for e in _calls(ours, "Oxigraph")][-1:] == [200]


def test_rdflib_joins_its_data_with_ours_through_service(ours) -> None:
    graph = rdflib.Graph().parse(data=THEIRS, format="turtle")
    solutions = graph.query(join(ours.sparql))
    rows = [{str(k): str(v) for k, v in row.asdict().items()} for row in solutions]
    assert rows == JOINED
    assert [e["status"] for e in _calls(ours, "rdflib")][-1:] == [200]


def test_comunica_sends_a_whole_query_to_ours_which_calls_the_allowed_server(
    ours, remote
) -> None:
    """The other way round: Comunica, with our endpoint as its one source, sends it the whole
    query, SERVICE included (so the call to the second server is ours: allow-listed here)."""
    before = len(_calls(ours, "Comunica"))
    query = f"""
        SELECT ?code ?theirLabel WHERE {{
          ?region <{SPH}nutsCode> ?code .
          SERVICE <{remote.base}/query> {{ ?item <http://example.org/wdt/P605> ?code ;
                                                <http://example.org/label> ?theirLabel }}
        }} ORDER BY ?code"""
    assert comunica(query, f"sparql@{ours.sparql}") == [
        {"code": "BE2", "theirLabel": "Flemish Region"},
        {"code": "FI1D", "theirLabel": "Northern and Eastern Finland"},
    ]
    assert [e["status"] for e in _calls(ours, "Comunica")[before:]][-1:] == [200]


def test_our_service_call_joins_the_allow_listed_server(ours, remote) -> None:
    assert httpx.get(ours.base + "/health").json()["workers"]["network"] == "open"
    query = f"""
        SELECT ?code ?label ?theirLabel WHERE {{
          ?region <{SPH}nutsCode> ?code ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?label .
          SERVICE <{remote.base}/query> {{ ?item <http://example.org/wdt/P605> ?code ;
                                                <http://example.org/label> ?theirLabel }}
        }} ORDER BY ?code"""
    r = httpx.get(
        ours.sparql, params={"query": query}, headers={"accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200, r.text
    rows = [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]
    assert rows == [
        {"code": "BE2", "label": "Vlaams Gewest", "theirLabel": "Flemish Region"},
        {
            "code": "FI1D",
            "label": "Pohjois- ja Itä-Suomi",
            "theirLabel": "Northern and Eastern Finland",
        },
    ]


class _Failing(http.server.BaseHTTPRequestHandler):
    """A SPARQL server that fails every request (500), or never answers (hang)."""

    def _answer(self) -> None:
        if self.server.mode == "hang":  # type: ignore[attr-defined]
            self.server.release.wait(30)  # type: ignore[attr-defined]
            return
        self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"internal failure of the remote store")

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def _failing_server(mode: str) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Failing)
    server.mode = mode  # type: ignore[attr-defined]
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.release.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory):
    """Our endpoint with three allow-listed services: one failing, one hanging, one not running."""
    failing, hanging = _failing_server("fail"), _failing_server("hang")
    failing_url, hanging_url = next(failing), next(hanging)
    down_url = f"http://127.0.0.1:{free_port()}/sparql"
    root = tmp_path_factory.mktemp("broken")
    write_test_store(root / "build", OURS)
    allow = (
        "--allow-service",
        failing_url,
        "--allow-service",
        hanging_url,
        "--allow-service",
        down_url,
    )
    try:
        with saphire_server(root, *allow, "--timeout", "2") as server:
            yield server, {"fail": failing_url, "hang": hanging_url, "down": down_url}
    finally:
        for gen in (failing, hanging):
            gen.close()


@pytest.mark.parametrize(
    ("which", "status"),
    [("fail", 502), ("down", 502), ("hang", 504)],
)
def test_a_failing_remote_service_is_a_502_or_504_naming_it(
    broken, which: str, status: int
) -> None:
    server, urls = broken
    query = f"SELECT * WHERE {{ SERVICE <{urls[which]}> {{ ?s ?p ?o }} }}"
    r = httpx.get(server.sparql, params={"query": query}, timeout=30)
    assert r.status_code == status, r.text
    assert f"<{urls[which]}>" in r.text
    problem = httpx.get(
        server.sparql,
        params={"query": query},
        headers={"accept": "application/sparql-results+json, application/problem+json"},
        timeout=30,
    )
    assert problem.status_code == status
    assert urls[which] in problem.json()["detail"]
