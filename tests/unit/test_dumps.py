"""dumps.DumpFiles over a real on-disk store: once per version, complete, named not pathed."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox
import pytest

from saphire_kg.dumps import DUMPS, DumpFiles
from saphire_kg.errors import UnknownDump
from saphire_kg.store import write_store

GRAPHS = {
    "http://example.org/graph/a": '<http://example.org/s> <http://example.org/p> "a" .\n',
    "http://example.org/graph/b": (
        '<http://example.org/s> <http://example.org/p> "a" .\n'
        '<http://example.org/t> <http://example.org/p> "b"@en .\n'
    ),
}


def _build(build: Path, version: str) -> Path:
    return write_store(build, [], GRAPHS, {"version": version})


@pytest.fixture
def dumps(tmp_path: Path) -> DumpFiles:
    _build(tmp_path / "build", "v1")
    return DumpFiles(tmp_path / "build" / "store", tmp_path / "build" / "dumps")


def _content(dump) -> bytes:
    return gzip.decompress(b"".join(dump.chunks()))


def test_nquads_dump_holds_every_quad_in_its_graph(dumps: DumpFiles) -> None:
    dump = dumps.get("latest.nq.gz")
    quads = set(ox.parse(_content(dump), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == 3
    assert {q.graph_name.value for q in quads} == set(GRAPHS)
    assert dump.version == "v1" and dump.size == len(b"".join(dump.chunks()))


def test_trig_keeps_graphs_and_turtle_is_the_union(dumps: DumpFiles) -> None:
    trig = set(ox.parse(_content(dumps.get("latest.trig.gz")), format=ox.RdfFormat.TRIG))
    assert len(trig) == 3
    turtle = list(ox.parse(_content(dumps.get("latest.ttl.gz")), format=ox.RdfFormat.TURTLE))
    assert len(turtle) == 2  # the triple both graphs hold, once


def test_a_dump_is_written_once_per_version_and_replaced_on_reload(
    tmp_path: Path, dumps: DumpFiles
) -> None:
    first = dumps.get("latest.nq.gz")
    assert dumps.get("latest.nq.gz").etag == first.etag
    written = sorted(p.name for p in (tmp_path / "build" / "dumps").iterdir())
    _build(tmp_path / "build", "v2")
    second = dumps.get("latest.nq.gz")
    assert (second.version, second.etag != first.etag) == ("v2", True)
    after = sorted(p.name for p in (tmp_path / "build" / "dumps").iterdir())
    assert written == ["v1"] and after == ["v2"]


@pytest.mark.parametrize(
    "name",
    [
        "../store/manifest.json",
        "latest.nq",
        "/etc/passwd",
        "..",
        "",
        "latest.nq.gz/..",
        "v1/latest.nq.gz",
    ],
)
def test_only_the_listed_names_exist(dumps: DumpFiles, name: str) -> None:
    with pytest.raises(UnknownDump) as caught:
        dumps.get(name)
    assert "latest.nq.gz" in str(caught.value)


def test_purge_removes_written_dumps(dumps: DumpFiles) -> None:
    for d in DUMPS:
        dumps.get(d.name)
    assert dumps.purge() == len(DUMPS)
    assert dumps.get("latest.nq.gz").size > 0  # written again
