"""/admin (token from the environment, else absent) and /dumps (named, versioned, no paths)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from saphire_kg.config import ServerSettings, Settings
from saphire_kg.dumps import DumpFiles
from saphire_kg.http import create_app
from saphire_kg.reload import BuildOutcome, Reloader, ReloadState
from saphire_kg.store import OxigraphStore, write_store

TOKEN = "correct horse battery staple"
GRAPHS = {"http://example.org/g": '<http://example.org/s> <http://example.org/p> "o" .\n'}


@pytest.fixture
def world(tmp_path: Path):
    build = tmp_path / "build"
    write_store(build, [], GRAPHS, {"version": "v1"})
    outcomes = [
        BuildOutcome(
            False,
            "parse error: data/ttl/x.ttl:3:1: error: bad",
            ("data/ttl/x.ttl:3:1: error: bad",),
        )
    ]
    state = ReloadState()
    reloader = Reloader(
        Settings(root=tmp_path),
        lambda: "v2",
        state,
        build=lambda root: outcomes.pop(0) if outcomes else BuildOutcome(True, "built"),
    )
    return OxigraphStore(build / "store"), reloader, DumpFiles(build / "store", build / "dumps")


def _client(world, token: str | None) -> TestClient:
    store, reloader, dumps = world
    app = create_app(
        ServerSettings(admin_token=token), store, reloader.state, reloader=reloader, dumps=dumps
    )
    return TestClient(app)


def test_without_a_token_there_are_no_admin_routes(world) -> None:
    with _client(world, None) as c:
        assert c.post("/admin/reload").status_code == 404
        assert c.post("/admin/cache/purge", headers={"authorization": "Bearer "}).status_code == 404
        assert not [p for p in c.get("/openapi.json").json()["paths"] if p.startswith("/admin")]


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong", "Basic " + TOKEN, "Bearer " + TOKEN + "x", "Bearer"]
)
def test_admin_needs_the_token(world, header: str | None) -> None:
    with _client(world, TOKEN) as c:
        r = c.post("/admin/cache/purge", headers={"authorization": header} if header else {})
        assert r.status_code == 401 and "admin token" in r.text
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in r.text


def test_purge_drops_cached_answers_and_dumps(world) -> None:
    with _client(world, TOKEN) as c:
        assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 200
        assert c.get("/dumps/latest.nq.gz").status_code == 200
        r = c.post("/admin/cache/purge", headers={"authorization": "Bearer " + TOKEN})
        assert r.json() == {"answers_dropped": 1, "dumps_dropped": 1}


def test_a_failed_reload_is_409_and_says_why_then_a_good_one_is_200(world) -> None:
    with _client(world, TOKEN) as c:
        auth = {"authorization": "Bearer " + TOKEN}
        failed = c.post("/admin/reload", headers=auth)
        assert failed.status_code == 409
        assert "still serving the previous graph" in failed.json()["detail"]
        assert failed.json()["reload"]["last_error_details"] == ["data/ttl/x.ttl:3:1: error: bad"]
        ok = c.post("/admin/reload", headers=auth)
        assert ok.status_code == 200 and ok.json()["reloaded"] is True


def test_a_dump_has_the_dataset_version_an_etag_and_revalidates(world) -> None:
    with _client(world, None) as c:
        r = c.get("/dumps/latest.nq.gz")
        assert r.status_code == 200 and r.headers["content-type"] == "application/gzip"
        assert r.headers["saphire-dataset-version"] == "v1"
        assert b"<http://example.org/g>" in gzip.decompress(r.content)
        again = c.get("/dumps/latest.nq.gz", headers={"if-none-match": r.headers["etag"]})
        assert again.status_code == 304
        head = c.head("/dumps/latest.trig.gz")
        assert head.status_code == 200 and int(head.headers["content-length"]) > 0
        listed = c.get("/dumps").json()
        assert [d["name"] for d in listed] == ["latest.nq.gz", "latest.trig.gz", "latest.ttl.gz"]


@pytest.mark.parametrize(
    "path",
    [
        "/dumps/..%2Fstore%2Fmanifest.json",
        "/dumps/%2e%2e/store/manifest.json",
        "/dumps/../store/manifest.json",
        "/dumps/latest.nq",
        "/static/..%2F..%2F..%2Fpyproject.toml",
        "/static/../../config.py",
        "/id/..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_no_path_reaches_a_file_outside_what_is_served(world, path: str) -> None:
    with _client(world, None) as c:
        r = c.get(path)
        assert r.status_code == 404, r.text
        assert r.text  # says what was not found
        assert "/" + "tmp" not in r.text and "Traceback" not in r.text


def test_the_service_description_states_the_limits_and_the_dumps(world) -> None:
    store, reloader, dumps = world
    settings = ServerSettings(max_url_bytes=4096, client_concurrency=3, max_query_bytes=2048)
    with TestClient(create_app(settings, store, dumps=dumps)) as c:
        r = c.get("/sparql", headers={"accept": "text/turtle"})
    assert r.status_code == 200
    text = r.text
    for phrase in (
        "(then 503",
        "(then 507)",
        "2048 bytes (then 413)",
        "4096 bytes (then 414",
        "3 requests running (then 429 with Retry-After)",
    ):
        assert phrase in text
    for name in ("latest.nq.gz", "latest.trig.gz", "latest.ttl.gz"):
        assert f"<http://testserver/dumps/{name}>" in text
    assert "void:dataDump" in text
