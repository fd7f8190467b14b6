"""Fixtures the page tests share: one server over the shipped data, built once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.e2e.server import saphire_server


@pytest.fixture(scope="session")
def shipped_server(tmp_path_factory: pytest.TempPathFactory):
    """`saphire-kg serve` over a copy of the repository's data and queries (built without the
    reasoner, as the canned-query tests build it)."""
    root = tmp_path_factory.mktemp("pages") / "project"
    for folder in ("ontology", "shapes", "data/ttl", "queries"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    built = subprocess.run(
        [sys.executable, "-m", "saphire_kg", "build", "--no-reason"],
        cwd=root,
        env={**os.environ, "SAPHIRE_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    with saphire_server(root, "--workers", "2") as server:
        yield server
