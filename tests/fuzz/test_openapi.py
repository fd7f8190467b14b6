"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema (schemathesis).

Every operation the schema documents (the SPARQL protocol, each canned analysis, the linked-data
routes, dumps, admin, the service pages) gets requests generated from the schema, both fitting
it (positive) and breaking it (negative), against a real server process. No answer may be a
5xx; every 4xx says what was wrong, as text or JSON. Hypothesis runs derandomised, so a failure
is reproducible, and bounded (EXAMPLES per operation and mode).
"""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import given
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.fuzz.conftest import TALLY, bounded, check_answer

EXAMPLES = 40  # per operation and generation mode; hypothesis stops early where there is less


def _header(headers, name: str) -> str:  # noqa: ANN001 — schemathesis gives lists of values
    value = headers.get(name, "")
    return value[0] if isinstance(value, list) else value


def test_no_server_errors_and_every_refusal_says_why(fuzz_server) -> None:
    schema = schemathesis.openapi.from_url(fuzz_server.base + "/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @bounded(EXAMPLES)
            @given(case=operation.as_strategy(generation_mode=mode))
            def attack(case) -> None:  # noqa: ANN001
                response = case.call(base_url=fuzz_server.base, timeout=30)
                TALLY["openapi"] += 1
                check_answer(
                    response.status_code,
                    _header(response.headers, "content-type"),
                    response.content,
                )

            try:
                attack()
            except Unsatisfiable:
                TALLY["openapi modes with nothing to generate"] += 1  # no parameters to break
            except AssertionError as exc:
                failures.append(f"{operation.label} ({mode.value}): {str(exc)[:600]}")
    TALLY["openapi operations"] = operations
    assert operations >= 30
    assert not failures, "\n\n".join(failures)


def test_the_schema_documents_every_area(fuzz_server) -> None:
    paths = httpx.get(fuzz_server.base + "/openapi.json").json()["paths"]
    for expected in ("/sparql", "/queries", "/dumps/{name}", "/admin/reload", "/health"):
        assert expected in paths
    assert sum(1 for p in paths if p.startswith("/queries/")) == 22
