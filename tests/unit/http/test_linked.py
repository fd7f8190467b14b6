"""/id/… and /ontology in process (TestClient over the fixture world): the HTTP rules that every
route keeps (conditions, HEAD and its metrics, control characters, Vary on errors, CORS)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from saphire_kg.config import ServerSettings
from saphire_kg.http import create_app
from saphire_kg.store import GraphFile, OxigraphStore
from tests.stores import write_test_store

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "queries" / "world.ttl"
TURTLE = {"accept": "text/turtle", "accept-encoding": "identity"}  # (strong ETags)


@pytest.fixture(scope="module")
def client():
    files = [GraphFile(p, "https://w3id.org/saphire/graph/" + p.name) for p in sorted((REPO / "ontology").rglob("*.ttl"))]
    files.append(GraphFile(FIXTURE, "https://w3id.org/saphire/graph/fixture"))
    store = OxigraphStore.in_memory(files, version="fixture-1")
    with TestClient(create_app(ServerSettings(), store)) as c:
        yield c


@pytest.mark.parametrize("path", ["/id/region/XA1", "/ontology"])
def test_rdf_of_a_resource_revalidates(client: TestClient, path: str) -> None:
    first = client.get(path, headers=TURTLE)
    assert first.status_code == 200
    for condition in (first.headers["etag"], "W/" + first.headers["etag"], "*"):
        again = client.get(path, headers={**TURTLE, "if-none-match": condition})
        assert again.status_code == 304 and again.content == b"", condition
        assert again.headers["etag"] == first.headers["etag"]
    assert client.get(path, headers={**TURTLE, "if-none-match": '"other"'}).status_code == 200


def test_a_page_without_an_etag_is_unmodified_for_star_only(client: TestClient) -> None:
    page = {"accept": "text/html"}
    assert client.get("/id/region/XA1", headers={**page, "if-none-match": "*"}).status_code == 304
    assert client.get("/id/region/XA1", headers={**page, "if-none-match": '"x"'}).status_code == 200


@pytest.mark.parametrize("path", ["/id/region/XA1%0A", "/id/region/XA1%0D", "/health%0A"])
def test_a_control_character_in_the_path_names_nothing(client: TestClient, path: str) -> None:
    """Routing's `$` matches before a final newline: /id/region/XA1%0A had answered as XA1."""
    r = client.get(path, headers=TURTLE)
    assert r.status_code == 404


def test_negotiated_errors_say_vary_accept(client: TestClient) -> None:
    for accept in ("text/html", "application/problem+json", "text/turtle"):
        r = client.get("/id/region/NOPE", headers={"accept": accept})
        assert r.status_code == 404
        assert "accept" in r.headers["vary"].lower()


def test_head_is_counted_under_its_route(client: TestClient) -> None:
    for _ in range(3):
        assert client.head("/id/region/XA1", headers=TURTLE).status_code == 200
    metrics = client.get("/metrics").text
    counted = [
        line for line in metrics.splitlines() if line.startswith("saphire_http_requests_total{method=\"HEAD\"")
    ]
    assert counted and all('route="/id/{path:path}"' in line for line in counted), counted


def test_browsers_may_read_the_linked_data_headers(client: TestClient) -> None:
    r = client.get("/id/region/XA1", headers={**TURTLE, "origin": "https://app.example"})
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"link", "content-location", "etag"} <= exposed
    assert "link" in {k.lower() for k in r.headers}


def test_the_access_log_cuts_a_long_path(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="saphire_kg.access"):
        client.get("/" + "a" * 5000)
    line = next(r.getMessage() for r in caplog.records if r.name == "saphire_kg.access")
    assert len(line) < 2000 and "(+3977)" in line


@pytest.mark.parametrize("accept", ["text/plain", "application/problem+json"])
def test_a_route_parameter_out_of_its_bounds_is_a_422_in_the_service_format(
    client: TestClient, accept: str
) -> None:
    """FastAPI's own validation error had come as its raw JSON (a second reviewer's case)."""
    r = client.get("/regions", params={"q": "a" * 101}, headers={"accept": accept})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(accept)
    assert "q:" in r.text or '"parameter": "q"' in r.text


def test_a_resource_referenced_more_than_a_page_shows_says_how_much_more(monkeypatch) -> None:
    """Its HTML shows the first INCOMING_LIMIT statements and the total; its RDF has them all
    (both had cut at 1,000 without a word: 2,017 point at the NUTS source)."""
    from saphire_kg.http import linked

    source = "https://w3id.org/saphire/id/source/s1"
    world = "".join(
        f"<https://w3id.org/saphire/id/region/R{i}> <http://purl.org/dc/terms/source> <{source}> .\n"
        for i in range(5)
    ) + f'<{source}> <http://www.w3.org/2000/01/rdf-schema#label> "a source" .\n'
    # (a result limit for clients' queries holds none of this: it had been a 507)
    built = write_test_store(Path(tempfile.mkdtemp()), {"http://example.org/g": world})
    store = OxigraphStore(built, max_results=4)
    monkeypatch.setattr(linked, "INCOMING_LIMIT", 3)
    with TestClient(create_app(ServerSettings(max_results=4), store)) as c:
        page = c.get("/id/source/s1", headers={"accept": "text/html"}).text
        assert "Referenced by (5)</h2>" in page and "The first 3 are shown; all 5" in page
        assert page.count('href="/id/region/R') == 3
        rdf = c.get("/id/source/s1.nt").text
        assert rdf.count(f"<{source}> .") == 5
