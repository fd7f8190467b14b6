"""The repository's own inputs: canonical, valid, buildable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from saphire_kg.canonical import canonical_turtle

REPO = Path(__file__).resolve().parents[2]
TTL = sorted(
    p.relative_to(REPO).as_posix()
    for folder in ("ontology", "shapes", "data/ttl")
    for p in (REPO / folder).rglob("*.ttl")
)


def test_inputs_exist() -> None:
    assert len(TTL) >= 50


@pytest.mark.parametrize("rel", TTL)
def test_file_is_canonical(rel: str) -> None:
    path = REPO / rel
    text = path.read_text(encoding="utf-8")
    assert canonical_turtle(Graph().parse(data=text, format="turtle")) == text, (
        f"{rel} is not canonical: run `saphire-kg fmt {rel}`"
    )


@pytest.fixture(scope="module")
def checkout(shipped_checkout: Path) -> Path:
    """A copy of the inputs, so that the build does not touch the working tree's build/.

    Shared with the session (tests/conftest.py): the reasoning on the real data is done once.
    """
    return shipped_checkout


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "saphire_kg", *args],
        cwd=root, env={**os.environ, "SAPHIRE_ROOT": str(root)},
        capture_output=True, text=True, timeout=900,
    )


@pytest.mark.slow
def test_shipped_data_validates_and_builds(checkout: Path) -> None:
    validate = _run(checkout, "validate")
    assert validate.returncode == 0, validate.stdout[-3000:] + validate.stderr[-2000:]
    assert "0 parse error(s), 0 violation(s)" in validate.stderr
    build = _run(checkout, "build")
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr
    info = _run(checkout, "info")
    assert info.returncode == 0, info.stderr
    assert "  3  1771" in info.stdout


CURATED = [rel for rel in TTL if not rel.startswith("data/ttl/reference/")]


@pytest.mark.parametrize("rel", CURATED)
def test_fmt_restores_the_file_from_another_layout_and_keeps_the_graph(rel: str) -> None:
    """Written as N-Triples (no layout at all, new blank-node ids), the file
    formats back to exactly the committed bytes, and the graph is unchanged."""
    from rdflib.compare import isomorphic

    original = Graph().parse(REPO / rel)
    other_layout = original.serialize(format="nt")  # keeps lexical forms, loses all layout
    reparsed = Graph().parse(data=other_layout, format="nt")
    assert canonical_turtle(reparsed) == (REPO / rel).read_text(encoding="utf-8")
    assert isomorphic(Graph().parse(data=canonical_turtle(reparsed), format="turtle"), original)
