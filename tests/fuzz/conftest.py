"""The server the fuzz tests attack: a real `saphire-kg serve` over a small project with the
repository's canned queries, the admin routes on (with a token the fuzzer does not know)."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from functools import cache

import pytest
from hypothesis import HealthCheck, settings

from saphire_kg.catalog import Catalog, load_catalog
from saphire_kg.query import resolve
from saphire_kg.store import GraphFile, OxigraphStore
from tests.conftest import REPO
from tests.e2e.server import saphire_server
from tests.e2e.test_serve import make_project

ADMIN_TOKEN = "fuzz-admin-token-not-given-to-the-fuzzer"
TALLY: Counter[str] = Counter()  # cases run per test file, reported at the end of the session


@pytest.fixture(scope="session")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory):
    root = make_project(tmp_path_factory.mktemp("fuzz") / "project")
    shutil.copytree(REPO / "queries", root / "queries")
    with saphire_server(
        root, "--timeout", "5", "--workers", "2", env={"SAPHIRE_ADMIN_TOKEN": ADMIN_TOKEN}
    ) as s:
        yield s


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if TALLY:
        terminalreporter.write_line(
            "fuzz cases run: " + ", ".join(f"{k} {v}" for k, v in sorted(TALLY.items()))
        )


# Where this machine keeps the checkout and temporary files: no error body may name them.
LEAKS = tuple({str(REPO).encode(), tempfile.gettempdir().encode() + b"/"})


def check_answer(status: int, content_type: str, body: bytes) -> None:
    """No 5xx; a 4xx says what was wrong, as text or JSON."""
    assert status < 500, body[:500]
    if 400 <= status < 500:
        assert body.strip(), f"{status} with an empty body"
        media = content_type.split(";")[0].strip()
        assert media in ("text/plain", "application/json", "application/problem+json"), media
        assert b"Traceback" not in body
        for place in LEAKS:
            assert place not in body, f"{status} body shows a file path"


def bounded(examples: int) -> settings:
    """Hypothesis settings for a bounded, reproducible run (derandomised, no example database)."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@cache
def catalog() -> Catalog:
    """The repository's canned queries, their enum parameters read from the ontology's schemes."""
    schemes = OxigraphStore.in_memory(
        GraphFile(p, "https://w3id.org/saphire/graph/" + p.name)
        for p in sorted((REPO / "ontology").rglob("*.ttl"))
    )
    return resolve(load_catalog(REPO / "queries"), schemes)
