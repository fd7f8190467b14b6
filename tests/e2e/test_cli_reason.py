"""`saphire-kg build` and `reason`: the inferred graph, its provenance, the cache, no Java."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from tests.conftest import Project, Run

INFERRED = "<https://w3id.org/saphire/graph/inferred>"
PREFIXES = """
PREFIX sph: <https://w3id.org/saphire/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
BE2 = "<https://w3id.org/saphire/id/region/BE2>"
S3P4PM = "<https://w3id.org/saphire/id/initiative/s3p4pm>"


def _run_without_java(project: Project, *args: str, tmp_path: Path) -> Run:
    """The CLI with a PATH on which there is no `java` (the interpreter is called by its path)."""
    empty = tmp_path / "no-java-bin"
    empty.mkdir(exist_ok=True)
    env = {**os.environ, "SAPHIRE_ROOT": str(project.root), "PATH": str(empty)}
    proc = subprocess.run(
        [sys.executable, "-m", "saphire_kg", *args],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _manifest(project: Project) -> dict:
    return json.loads((project.root / "build/store/manifest.json").read_text())


def _ask(project: Project, query: str) -> bool:
    store = ox.Store.read_only(str(project.root / "build/store"))
    return bool(store.query(PREFIXES + query))


def test_build_writes_the_inferred_graph_with_its_provenance(project: Project) -> None:
    run = project.run("build")
    assert run.code == 0, run.out + run.err
    assert "inferred graph:" in run.out and "sph:LeadingRegion 1" in run.out
    manifest = _manifest(project)
    assert "https://w3id.org/saphire/graph/inferred" in manifest["graphs"]
    # BE2 leads S3P4PM (membership role:leading): classified, and the shortcut materialised,
    # in the inferred graph only, so that asserted and inferred stay apart
    assert _ask(
        project, f"ASK {{ GRAPH {INFERRED} {{ {BE2} a sph:LeadingRegion ; sph:leads {S3P4PM} }} }}"
    )
    assert not _ask(
        project, f"ASK {{ GRAPH ?g {{ {BE2} a sph:LeadingRegion }} FILTER (?g != {INFERRED}) }}"
    )
    hash_ = manifest["reasoner_input_hash"]
    assert _ask(
        project,
        f"""ASK {{ GRAPH {INFERRED} {{
        {INFERRED} prov:wasGeneratedBy ?run .
        ?run a prov:Activity ; prov:startedAtTime ?start ; prov:endedAtTime ?end ;
             prov:wasAssociatedWith ?reasoner ; prov:used ?input .
        ?reasoner a prov:SoftwareAgent .
        ?input dcterms:identifier "sha256:{hash_}" .
        FILTER (?start <= ?end) }} }}""",
    )


def test_unchanged_rebuild_does_not_run_hermit_again(project: Project) -> None:
    first = project.run("build")
    assert first.code == 0, first.err
    assert "reasoning result reused" not in first.out
    second = project.run("build")
    assert second.code == 0, second.err
    assert "reasoning result reused (input unchanged)" in second.out
    # a label is not part of what the reasoner sees: still reused
    path = project.root / "data/ttl/initiatives/s3p4pm.ttl"
    path.write_text(path.read_text().replace('"S3P4PM"@en', '"S3P4PM partnership"@en'))
    assert "reasoning result reused" in project.run("build").out
    # a role is: reasoned again, and BE2 is no longer a leading region
    path.write_text(
        path.read_text().replace("org:role role:leading", "org:role role:participating")
    )
    changed = project.run("build")
    assert changed.code == 0, changed.err
    assert "reasoning result reused" not in changed.out
    assert not _ask(project, f"ASK {{ {BE2} a sph:LeadingRegion }}")
    assert _ask(project, f"ASK {{ GRAPH {INFERRED} {{ {BE2} sph:participatesIn {S3P4PM} }} }}")


def test_build_without_java_fails_clearly_unless_told_not_to_reason(
    project: Project, tmp_path: Path
) -> None:
    run = _run_without_java(project, "build", tmp_path=tmp_path)
    assert run.code == 1
    assert "Java is not installed" in run.err and "--no-reason" in run.err
    assert not (project.root / "build/store").exists()
    run = _run_without_java(project, "build", "--no-reason", tmp_path=tmp_path)
    assert run.code == 0, run.err
    assert "reasoning skipped" in run.out
    manifest = _manifest(project)
    assert manifest["reasoned"] is False
    assert "https://w3id.org/saphire/graph/inferred" not in manifest["graphs"]


def test_inconsistent_graph_stops_the_build_at_file_and_line(project: Project) -> None:
    assert project.run("build").code == 0
    before = _manifest(project)
    # valid for SHACL, but org:Organization (S3P4PM is a partnership) and foaf:Document are disjoint
    path = project.root / "data/ttl/initiatives/s3p4pm.ttl"
    text = path.read_text().replace(
        "    a sph:Partnership ;", "    a foaf:Document , sph:Partnership ;"
    )
    path.write_text(text)
    line = text.splitlines().index("    a foaf:Document , sph:Partnership ;") + 1
    run = project.run("build")
    assert run.code == 1, run.out + run.err
    assert run.out.splitlines()[0].startswith(
        f"data/ttl/initiatives/s3p4pm.ttl:{line}: error: initiative:s3p4pm is both a foaf:Document "
        "and a sph:Partnership (so a foaf:Organization), and foaf:Document and foaf:Organization "
        "are disjoint"
    ), run.out
    assert "previous build is untouched" in run.err
    assert _manifest(project) == before


def test_reason_command_prints_counts_and_timing(project: Project) -> None:
    run = project.run("reason")
    assert run.code == 0, run.err
    counts = dict(line.split() for line in run.out.splitlines() if line.startswith("  sph:"))
    assert counts["sph:LeadingRegion"] == "1"
    assert counts["sph:SparselyPopulatedRegion"] == "0"
    assert counts["sph:leads"] == "1"
    assert "s (view" in run.out and "HermiT" in run.out
    again = project.run("reason")
    assert "cached result, HermiT not run" in again.out


def test_reason_command_explains_an_inconsistency(project: Project, repo: Path) -> None:
    fixture = repo / "tests/fixtures/reason/disjoint.ttl"
    project.write("data/ttl/mistake.ttl", fixture.read_text())
    line = fixture.read_text().splitlines().index("    a sph:Partnership , sph:Membership ;") + 1
    run = project.run("reason")
    assert run.code == 1
    assert run.out.startswith(
        f"data/ttl/mistake.ttl:{line}: error: initiative:s3p4pm is both a sph:Membership"
    )
    assert "Exception" not in run.out + run.err
