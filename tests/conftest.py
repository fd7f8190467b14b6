"""Shared fixtures: the repository itself, and small throw-away projects built from its parts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Project:
    """A copy of the ontology and shapes with its own small data/ttl, driven through the real CLI."""

    root: Path

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    def run(self, *args: str) -> Run:
        env = {**os.environ, "SAPHIRE_ROOT": str(self.root)}
        proc = subprocess.run(
            [sys.executable, "-m", "saphire_kg", *args],
            cwd=self.root, env=env, capture_output=True, text=True, timeout=300,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)


MINI_DATA = {
    "data/ttl/regions/BE.ttl": """
        @prefix dcterms: <http://purl.org/dc/terms/> .
        @prefix nutscode: <http://data.europa.eu/nuts/code/> .
        @prefix nutsscheme: <http://data.europa.eu/nuts/scheme/> .
        @prefix region: <https://w3id.org/saphire/id/region/> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix source: <https://w3id.org/saphire/id/source/> .
        @prefix sph: <https://w3id.org/saphire/ontology#> .

        region:BE
            a
                sph:Country ,
                sph:Region ;
            dcterms:source source:test ;
            skos:exactMatch nutscode:BE ;
            skos:prefLabel "Belgique/België" ;
            sph:classification "NUTS" ;
            sph:nutsCode "BE" ;
            sph:nutsLevel 0 ;
            sph:validInNutsVersion nutsscheme:2024 .

        region:BE2
            a sph:Region ;
            dcterms:source source:test ;
            skos:broader region:BE ;
            skos:exactMatch nutscode:BE2 ;
            skos:prefLabel "Vlaams Gewest" ;
            sph:classification "NUTS" ;
            sph:nutsCode "BE2" ;
            sph:nutsLevel 1 ;
            sph:validInNutsVersion nutsscheme:2024 .
        """,
    "data/ttl/initiatives/s3p4pm.ttl": """
        @prefix dcterms: <http://purl.org/dc/terms/> .
        @prefix foaf: <http://xmlns.com/foaf/0.1/> .
        @prefix initiative: <https://w3id.org/saphire/id/initiative/> .
        @prefix membership: <https://w3id.org/saphire/id/membership/> .
        @prefix org: <http://www.w3.org/ns/org#> .
        @prefix region: <https://w3id.org/saphire/id/region/> .
        @prefix role: <https://w3id.org/saphire/id/concept/role/> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix source: <https://w3id.org/saphire/id/source/> .
        @prefix sph: <https://w3id.org/saphire/ontology#> .

        initiative:s3p4pm
            a sph:Partnership ;
            dcterms:source source:test ;
            foaf:page <http://s3platform.jrc.ec.europa.eu/personalised-medicine> ;
            skos:prefLabel "S3P4PM"@en .

        membership:BE2-s3p4pm
            a sph:Membership ;
            dcterms:source source:test ;
            org:member region:BE2 ;
            org:organization initiative:s3p4pm ;
            org:role role:leading .
        """,
}


@pytest.fixture(scope="session")
def shipped_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's inputs, for the session: builds never touch the working tree's
    build/, and what one test caches there (the reasoning on the real data) the next reuses."""
    root = tmp_path_factory.mktemp("checkout")
    for folder in ("ontology", "shapes", "data/ttl"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A small valid project: the real ontology and shapes, two regions, one membership."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "ontology", root / "ontology")
    shutil.copytree(REPO / "shapes", root / "shapes")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    p = Project(root)
    for rel, text in MINI_DATA.items():
        p.write(rel, text)
    return p
