"""gzip for clients that accept it (http.compress), in process over the test store."""

from __future__ import annotations

import gzip as gzip_format
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from saphire_kg.config import ServerSettings
from saphire_kg.http import create_app
from saphire_kg.http.compress import Compressed, accepts_gzip
from saphire_kg.store import OxigraphStore
from tests.stores import PEOPLE, write_test_store

BIG = "SELECT ?n ?v WHERE { ?n <http://example.org/value> ?v } ORDER BY ?v"  # 40 rows, 4 KB
SMALL = "ASK { ?s ?p ?o }"
GZIP = {"accept-encoding": "gzip"}
IDENTITY = {"accept-encoding": "identity"}


@pytest.fixture
def client(tmp_path: Path):
    store = OxigraphStore(write_test_store(tmp_path, PEOPLE))
    with TestClient(create_app(ServerSettings(), store)) as c:
        yield c


def _raw(client: TestClient, query: str, headers: dict, method: str = "GET"):
    """The response as sent (httpx would undo the gzip for us)."""
    request = client.build_request(method, "/sparql", params={"query": query}, headers=headers)
    response = client.send(request, stream=True)
    body = b"".join(response.iter_raw())
    return response, body


def test_a_large_answer_is_gzipped_for_a_client_that_accepts_it(client: TestClient) -> None:
    plain, body = _raw(client, BIG, IDENTITY)
    assert len(body) > 1400 and "content-encoding" not in plain.headers
    packed, compressed = _raw(client, BIG, GZIP)
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) == len(compressed) < len(body) / 3
    assert gzip_format.decompress(compressed) == body
    assert packed.headers["etag"] == "W/" + plain.headers["etag"]
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["vary"]
        assert "Accept" in response.headers["vary"].split(", ")
    for condition in (packed.headers["etag"], "*"):
        revalidated, _ = _raw(client, BIG, {**GZIP, "if-none-match": condition})
        assert revalidated.status_code == 304
        assert revalidated.headers["etag"] == packed.headers["etag"]  # the tag the client has
        assert revalidated.headers["vary"] == packed.headers["vary"]  # (RFC 9110 15.4.5)


def test_the_cached_lane_answers_in_the_encoding_asked(client: TestClient) -> None:
    """The lane replays the first answer's headers: never a gzip header on a plain body."""
    first, _ = _raw(client, BIG, GZIP)
    assert first.headers["content-encoding"] == "gzip"
    again, body = _raw(client, BIG, IDENTITY)
    assert "cache;desc=hit" in again.headers["server-timing"]
    assert "content-encoding" not in again.headers
    assert len(json.loads(body)["results"]["bindings"]) == 40
    packed, compressed = _raw(client, BIG, GZIP)
    assert gzip_format.decompress(compressed) == body


@pytest.mark.parametrize(
    ("query", "headers", "method"),
    [
        (SMALL, GZIP, "GET"),  # too small to gain
        (BIG, {"accept-encoding": "gzip;q=0, br"}, "GET"),  # refused
        (BIG, GZIP, "HEAD"),
    ],
)
def test_left_as_it_is(client: TestClient, query: str, headers: dict, method: str) -> None:
    response, _ = _raw(client, query, headers, method)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    weak = accepts_gzip(headers["accept-encoding"])  # (whatever the answer, for a 304's sake)
    assert response.headers["etag"].startswith("W/") is weak


def test_an_error_is_not_compressed(client: TestClient) -> None:
    response, body = _raw(client, "SELECT * { " + "?s ?p ?o . " * 200, GZIP)
    assert response.status_code == 400 and "content-encoding" not in response.headers
    assert body.startswith(b"400")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("br, gzip;q=0.5", True),
        ("deflate, *;q=0.1", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("identity", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_the_compressed_copies_stay_within_their_bytes() -> None:
    kept = Compressed(max_bytes=10)
    kept.put(b'"a"', b"12345")
    kept.put(b'"b"', b"12345")
    assert kept.get(b'"a"') == b"12345"  # (now the most recent)
    kept.put(b'"c"', b"123")
    assert kept.get(b'"b"') is None and kept.get(b'"a"') and kept.get(b'"c"')
    assert kept.bytes == 8
    kept.put(b'"d"', b"x" * 11)  # larger than all: not kept
    assert kept.get(b'"d"') is None


def test_a_repeated_answer_is_compressed_once(client: TestClient, monkeypatch) -> None:
    from saphire_kg.http import compress

    calls = []
    monkeypatch.setattr(compress, "gzip", lambda body: calls.append(1) or gzip_format.compress(body))
    for _ in range(3):
        response, packed = _raw(client, BIG, GZIP)
        assert response.headers["content-encoding"] == "gzip"
    assert len(calls) == 1
