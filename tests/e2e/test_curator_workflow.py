"""The curator's loop in a real git repository: `diff` between revisions, `validate --changed`."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import Project


def _git(project: Project, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=project.root, check=True, capture_output=True, text=True,
    ).stdout


@pytest.fixture
def repo_project(project: Project) -> Project:
    (project.root / ".gitignore").write_text("build/\n")
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "valid state")
    return project


def _edit(project: Project, rel: str, old: str, new: str) -> None:
    path = project.root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_diff_lists_exactly_added_and_removed_facts(repo_project: Project) -> None:
    p = repo_project
    _edit(p, "data/ttl/initiatives/s3p4pm.ttl", "org:role role:leading .", "org:role role:participating .")
    run = p.run("diff")
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "membership:BE2-s3p4pm",
        "  - org:role role:leading",
        "  + org:role role:participating",
        "1 fact(s) removed, 1 added, in 1 resource(s) (HEAD → WORKTREE; 1 file(s) changed)",
    ]


def test_blank_node_periods_compare_as_wholes(repo_project: Project) -> None:
    p = repo_project
    period = (
        "org:memberDuring [\n        a time:ProperInterval ;\n        time:hasBeginning [\n"
        '            time:inXSDDate "2018-12-01"^^xsd:date\n        ]\n    ] ;\n    org:organization'
    )
    _edit(p, "data/ttl/initiatives/s3p4pm.ttl", "org:organization", period)
    _edit(p, "data/ttl/initiatives/s3p4pm.ttl", "@prefix source:", "@prefix time: <http://www.w3.org/2006/time#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n@prefix source:")
    _git(p, "commit", "-qam", "add a period")
    first = _git(p, "rev-parse", "HEAD").strip()
    # re-formatting (new blank-node ids on every parse) is not a change
    assert p.run("fmt").code == 0
    assert p.run("diff").out.startswith("0 fact(s) removed, 0 added")
    _edit(p, "data/ttl/initiatives/s3p4pm.ttl", "2018-12-01", "2019-01-01")
    _git(p, "commit", "-qam", "move the start")
    run = p.run("diff", first, "HEAD", "--format", "markdown")
    assert "**1** fact(s) removed, **1** added, in **1** resource(s)." in run.out
    assert '- org:memberDuring [ a time:ProperInterval ; time:hasBeginning [ time:inXSDDate "2018-12-01"^^xsd:date ] ]' in run.out
    assert '+ org:memberDuring [ a time:ProperInterval ; time:hasBeginning [ time:inXSDDate "2019-01-01"^^xsd:date ] ]' in run.out


def test_moving_a_resource_between_files_is_no_change(repo_project: Project) -> None:
    p = repo_project
    text = (p.root / "data/ttl/initiatives/s3p4pm.ttl").read_text()
    (p.root / "data/ttl/initiatives/s3p4pm.ttl").unlink()
    (p.root / "data/ttl/s3p4pm-moved.ttl").write_text(text)
    run = p.run("diff")
    assert run.out.splitlines()[-1].startswith("0 fact(s) removed, 0 added, in 0 resource(s)")


SEEDED_MISTAKES = {
    "wrong role": ("data/ttl/initiatives/s3p4pm.ttl", "org:role role:leading", "org:role role:chairing"),
    "level does not fit code": ("data/ttl/regions/BE.ttl", "sph:nutsLevel 1", "sph:nutsLevel 3"),
    "initiative no longer typed": ("data/ttl/initiatives/s3p4pm.ttl", "a sph:Partnership ;", ""),
    "region no longer typed": ("data/ttl/regions/BE.ttl", "region:BE2\n    a sph:Region ;", "region:BE2"),
}


@pytest.mark.parametrize("mistake", sorted(SEEDED_MISTAKES))
def test_changed_only_validation_finds_what_a_full_run_finds(repo_project: Project, mistake: str) -> None:
    p = repo_project
    rel, old, new = SEEDED_MISTAKES[mistake]
    _edit(p, rel, old, new)
    changed = p.run("validate", "--changed")
    full = p.run("validate", "--no-cache")
    assert full.code == 1
    assert changed.code == 1
    assert changed.out == full.out


def test_changed_only_with_no_change_checks_nothing(repo_project: Project) -> None:
    run = repo_project.run("validate", "--changed")
    assert run.code == 0
    assert "in 0 file(s)" in run.err


def test_changed_only_sees_what_other_files_say_about_the_same_resources(repo_project: Project) -> None:
    """Editing one file revalidates the files sharing its subjects, with everything they point at."""
    p = repo_project
    p.write(
        "data/ttl/typologies.ttl",
        """
        @prefix region: <https://w3id.org/saphire/id/region/> .
        @prefix sph: <https://w3id.org/saphire/ontology#> .
        @prefix typology: <https://w3id.org/saphire/id/concept/typology/> .

        region:BE2
            sph:hasTypology typology:coastal .
        """,
    )
    _git(p, "add", "-A")
    _git(p, "commit", "-qm", "typology")
    _edit(p, "data/ttl/regions/BE.ttl", '"Vlaams Gewest"', '"Vlaanderen"')
    changed = p.run("validate", "--changed", "--no-cache")
    assert changed.code == 0, changed.out
    assert "in 2 file(s)" in changed.err
    _edit(p, "data/ttl/typologies.ttl", "typology:coastal", "typology:seaside")
    changed = p.run("validate", "--changed")
    full = p.run("validate", "--no-cache")
    assert changed.code == full.code == 1
    assert changed.out == full.out
    assert "value typology:seaside" in full.out
