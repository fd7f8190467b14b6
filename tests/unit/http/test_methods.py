"""HTTP's general rules on methods and list headers, on every route (RFC 9110 9.1, 15.5.6, 5.3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from saphire_kg.config import ServerSettings
from saphire_kg.http import create_app
from saphire_kg.store import OxigraphStore
from tests.stores import PEOPLE, write_test_store

SELECT = "SELECT ?name WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    store_dir = write_test_store(tmp_path_factory.mktemp("methods"), PEOPLE, version="v1")
    with TestClient(create_app(ServerSettings(), OxigraphStore(store_dir))) as c:
        yield c


def _get_paths(client: TestClient) -> list[str]:
    """Every GET operation of the OpenAPI document without path parameters."""
    paths = client.get("/openapi.json").json()["paths"]
    return sorted(p for p, operations in paths.items() if "get" in operations and "{" not in p)


def test_there_are_routes_to_check(client: TestClient) -> None:
    assert {"/sparql", "/health", "/metrics", "/.well-known/void"} <= set(_get_paths(client))


@pytest.mark.parametrize("accept", ["text/turtle", "text/html", "*/*"])
def test_head_answers_wherever_get_does(client: TestClient, accept: str) -> None:
    for path in _get_paths(client):
        get = client.get(path, headers={"accept": accept})
        head = client.head(path, headers={"accept": accept})
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
        again = client.get(path, headers={"accept": accept})
        if get.status_code == 200 and again.content == get.content:  # (not /health, /metrics)
            assert head.headers.get("content-length") == str(len(get.content)), path


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/sparql", "GET, HEAD, POST"),
        ("DELETE", "/sparql", "GET, HEAD, POST"),
        ("POST", "/health", "GET, HEAD"),
    ],
)
def test_405_names_every_method_of_the_path(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    r = client.request(method, path)
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert allow in r.text


def test_accept_on_several_lines_is_one_list(client: TestClient) -> None:
    """`Accept: text/turtle` then `Accept: text/csv`: a SELECT can be CSV (not 406)."""
    headers = [("accept", "text/turtle"), ("accept", "text/csv")]
    for _ in range(2):  # the second from the cache lane
        r = client.get("/sparql", params={"query": SELECT}, headers=headers)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")


def test_if_none_match_on_several_lines_is_one_list(client: TestClient) -> None:
    etag = client.get("/sparql", params={"query": SELECT}).headers["etag"]
    r = client.get(
        "/sparql",
        params={"query": SELECT},
        headers=[("if-none-match", '"other"'), ("if-none-match", etag)],
    )
    assert r.status_code == 304


def test_unknown_paths_are_404_in_the_service_error_format(client: TestClient) -> None:
    r = client.get("/no/such/path", headers={"accept": "application/problem+json"})
    assert r.status_code == 404
    assert r.json()["status"] == 404


@pytest.mark.parametrize(
    "header",
    ["{etag}", "W/{etag}", '"other", {etag}', "*"],
)
def test_if_none_match_is_one_rule_on_every_route(client: TestClient, header: str) -> None:
    """Weak comparison, lists and `*` (RFC 9110 13.1.2) for a query, the service description
    and the VoID document alike."""
    for path, params in (
        ("/sparql", {"query": SELECT}),
        ("/sparql", {}),
        ("/.well-known/void", {}),
    ):
        asked = {"accept": "text/turtle, */*;q=0.1", "accept-encoding": "identity"}
        first = client.get(path, params=params, headers=asked)
        condition = header.format(etag=first.headers["etag"])
        again = client.get(path, params=params, headers={**asked, "if-none-match": condition})
        assert again.status_code == 304, (path, params, condition)
        assert again.content == b"" and again.headers["etag"] == first.headers["etag"]


def test_the_query_page_without_an_etag_is_unmodified_for_star(client: TestClient) -> None:
    page = {"accept": "text/html"}
    assert client.get("/sparql", headers=page).status_code == 200
    assert client.get("/sparql", headers={**page, "if-none-match": "*"}).status_code == 304
    assert client.get("/sparql", headers={**page, "if-none-match": '"x"'}).status_code == 200


def test_a_post_whose_condition_holds_is_412_not_304(client: TestClient) -> None:
    etag = client.get("/sparql", params={"query": SELECT}).headers["etag"]
    for condition in (etag, "*"):
        r = client.post(
            "/sparql",
            data={"query": SELECT},
            headers={"content-type": "application/x-www-form-urlencoded", "if-none-match": condition},
        )
        assert r.status_code == 412 and "revalidate with GET" in r.text
        assert r.headers["etag"] == etag


def test_star_does_not_hide_the_error_a_query_would_give(tmp_path: Path) -> None:
    """`If-None-Match: *` matches a current answer; a query over the result limit has none, so
    it gets its error, not a 304 in 3 ms (a reviewer's case)."""
    store_dir = write_test_store(tmp_path, PEOPLE, version="v1")
    app = create_app(ServerSettings(max_results=1), OxigraphStore(store_dir, max_results=1))
    with TestClient(app) as c:
        r = c.get("/sparql", params={"query": SELECT}, headers={"if-none-match": "*"})
        assert r.status_code == 507
        one = "SELECT ?name WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?name } LIMIT 1"
        r = c.get("/sparql", params={"query": one}, headers={"if-none-match": "*"})
        assert r.status_code == 304 and r.content == b""
