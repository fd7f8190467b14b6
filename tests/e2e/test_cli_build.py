"""`saphire-kg build`: a store with one named graph per file and a dataset description; a failed build keeps the old one."""

from __future__ import annotations

import json

import pyoxigraph as ox

from tests.conftest import Project


def _manifest(project: Project) -> dict:
    return json.loads((project.root / "build/store/manifest.json").read_text())


def test_build_writes_named_graphs_and_description(project: Project) -> None:
    run = project.run("build")
    assert run.code == 0, run.out + run.err
    manifest = _manifest(project)
    assert "https://w3id.org/saphire/graph/data/ttl/regions/BE.ttl" in manifest["graphs"]
    store = ox.Store.read_only(str(project.root / "build/store"))
    rows = list(store.query(
        "SELECT ?g WHERE { GRAPH ?g { <https://w3id.org/saphire/id/region/BE2> "
        "<https://w3id.org/saphire/ontology#nutsCode> ?c } }"
    ))
    assert [r["g"].value for r in rows] == ["https://w3id.org/saphire/graph/data/ttl/regions/BE.ttl"]
    triples = list(store.query(
        "PREFIX void: <http://rdfs.org/ns/void#> SELECT ?n WHERE { GRAPH <https://w3id.org/saphire/graph/void> "
        "{ <https://w3id.org/saphire/id/dataset/saphire-kg> void:triples ?n } }"
    ))
    assert int(triples[0]["n"].value) == manifest["triples"]


def test_failed_build_keeps_previous_store(project: Project) -> None:
    assert project.run("build").code == 0
    before = _manifest(project)
    path = project.root / "data/ttl/initiatives/s3p4pm.ttl"
    path.write_text(path.read_text().replace("org:role role:leading", "org:role role:chairing"))
    run = project.run("build")
    assert run.code == 1
    assert "previous build is untouched" in run.err
    assert _manifest(project) == before
    path.write_text("this is not turtle")
    assert project.run("build").code == 1
    assert _manifest(project) == before
    assert not any(p.name.startswith(".store.") for p in (project.root / "build").iterdir())


def test_version_changes_with_content(project: Project) -> None:
    assert project.run("build").code == 0
    first = _manifest(project)["content_hash"]
    path = project.root / "data/ttl/initiatives/s3p4pm.ttl"
    path.write_text(path.read_text().replace('"S3P4PM"@en', '"S3P4PM partnership"@en'))
    assert project.run("build").code == 0
    assert _manifest(project)["content_hash"] != first
