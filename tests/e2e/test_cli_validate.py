"""`saphire-kg validate` as a curator runs it: exact `file:line` lines, exit codes, formats."""

from __future__ import annotations

import json

from tests.conftest import Project

BAD_SYNTAX = """
@prefix sph: <https://w3id.org/saphire/ontology#> .
@prefix region: <https://w3id.org/saphire/id/region/> .
region:BE2 sph:nutsCode "BE2 ;
    sph:nutsLevel 1 .
"""


def test_valid_project_passes(project: Project) -> None:
    run = project.run("validate")
    assert run.code == 0, run.out + run.err
    assert run.out == ""
    assert "0 parse error(s), 0 violation(s)" in run.err


def test_syntax_error_names_file_line_and_column(project: Project) -> None:
    project.write("data/ttl/regions/broken.ttl", BAD_SYNTAX)
    run = project.run("validate")
    assert run.code == 1
    lines = run.out.splitlines()
    assert len(lines) == 1
    assert lines == [
        "data/ttl/regions/broken.ttl:3:25: error: Turtle syntax error: Unexpected end of file "
        "(a string, bracket or statement opened here is never closed)"
    ]


def test_violation_is_reported_at_the_offending_line(project: Project) -> None:
    path = project.root / "data/ttl/initiatives/s3p4pm.ttl"
    text = path.read_text().replace("org:role role:leading", "org:role role:chairing")
    path.write_text(text)
    line = text.splitlines().index("    org:role role:chairing .") + 1
    run = project.run("validate")
    assert run.code == 1
    assert run.out.splitlines() == [
        f"data/ttl/initiatives/s3p4pm.ttl:{line}: error: membership:BE2-s3p4pm has a role outside "
        "the closed list: org:role must be role:leading, role:participating, role:interested or "
        "role:observer. (shape sphsh:Membership-role-in, path org:role, value role:chairing)"
    ]


def test_level_code_mismatch_found_across_files(project: Project) -> None:
    path = project.root / "data/ttl/regions/BE.ttl"
    text = path.read_text()
    path.write_text(text.replace('sph:nutsCode "BE2" ;\n    sph:nutsLevel 1', 'sph:nutsCode "BE2" ;\n    sph:nutsLevel 2'))
    run = project.run("validate", "--format", "json")
    assert run.code == 1
    payload = json.loads(run.out)
    shapes = sorted(f["shape"].rsplit("#", 1)[1] for f in payload["findings"])
    # the wrong level also breaks the parent-one-level-up rule
    assert shapes == ["Region-broaderLevel", "Region-levelMatchesCode"]
    assert {f["file"] for f in payload["findings"]} == {"data/ttl/regions/BE.ttl"}


def test_only_the_named_file_is_validated(project: Project) -> None:
    project.write(
        "data/ttl/initiatives/other.ttl",
        """
        @prefix initiative: <https://w3id.org/saphire/id/initiative/> .
        @prefix sph: <https://w3id.org/saphire/ontology#> .
        initiative:nameless a sph:Network .
        """,
    )
    full = project.run("validate")
    assert full.code == 1
    assert "initiative:nameless" in full.out
    one = project.run("validate", "data/ttl/initiatives/s3p4pm.ttl")
    assert one.code == 0, one.out
    assert "in 1 file(s)" in one.err


def test_cached_run_gives_the_same_findings(project: Project) -> None:
    project.write(
        "data/ttl/initiatives/other.ttl",
        """
        @prefix initiative: <https://w3id.org/saphire/id/initiative/> .
        @prefix sph: <https://w3id.org/saphire/ontology#> .
        initiative:nameless a sph:Network .
        """,
    )
    first = project.run("validate")
    second = project.run("validate")
    uncached = project.run("validate", "--no-cache")
    assert first.out == second.out == uncached.out
    assert first.out.count("\n") == 2  # no label, no source


def test_github_format_annotates(project: Project) -> None:
    path = project.root / "data/ttl/initiatives/s3p4pm.ttl"
    path.write_text(path.read_text().replace("org:role role:leading", "org:role role:chairing"))
    run = project.run("validate", "--format", "github")
    assert run.out.startswith("::error file=data/ttl/initiatives/s3p4pm.ttl,line=")


def test_duplicate_code_across_files_is_found_even_when_cached(project: Project) -> None:
    assert project.run("validate").code == 0  # fills the cache
    project.write(
        "data/ttl/regions/flanders.ttl",
        """
        @prefix dcterms: <http://purl.org/dc/terms/> .
        @prefix nutsscheme: <http://data.europa.eu/nuts/scheme/> .
        @prefix region: <https://w3id.org/saphire/id/region/> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix source: <https://w3id.org/saphire/id/source/> .
        @prefix sph: <https://w3id.org/saphire/ontology#> .

        region:x-flanders
            a sph:Region ;
            dcterms:source source:test ;
            skos:prefLabel "Flanders" ;
            sph:nutsCode "BE2" ;
            sph:nutsLevel 1 ;
            sph:validInNutsVersion nutsscheme:2024 .
        """,
    )
    run = project.run("validate")
    assert run.code == 1
    lines = run.out.splitlines()
    assert len(lines) == 2
    be = (project.root / "data/ttl/regions/BE.ttl").read_text().splitlines()
    line = be.index('    sph:nutsCode "BE2" ;') + 1
    assert lines[0].startswith(f"data/ttl/regions/BE.ttl:{line}: error: region:BE2 shares its NUTS code with another region")
    assert lines[1].startswith("data/ttl/regions/flanders.ttl:12: error: region:x-flanders shares its NUTS code")
    assert lines[1].endswith('(shape sphsh:Check-uniqueCode, path sph:nutsCode, value "BE2")')
    changed_only = project.run("validate", "data/ttl/regions/flanders.ttl")
    assert changed_only.out.splitlines() == lines[1:]
