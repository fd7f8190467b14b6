"""Content negotiation, table-driven: Accept header × table of formats → chosen media type (or 406)."""

from __future__ import annotations

import pytest

from saphire_kg.errors import NotAcceptable
from saphire_kg.negotiate import DESCRIPTIONS, ERRORS, GRAPHS, RESULTS, negotiate, parse_accept

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
NOT_ACCEPTABLE = None

CASES = [
    # (table, Accept, expected media type or NOT_ACCEPTABLE)
    ("results", None, "application/sparql-results+json"),
    ("results", "", "application/sparql-results+json"),
    ("results", "*/*", "application/sparql-results+json"),
    ("results", "application/sparql-results+json", "application/sparql-results+json"),
    ("results", "application/json", "application/sparql-results+json"),
    ("results", "application/sparql-results+xml", "application/sparql-results+xml"),
    ("results", "application/xml", "application/sparql-results+xml"),
    ("results", "text/csv", "text/csv"),
    ("results", "text/csv; charset=utf-8", "text/csv"),
    ("results", "text/tab-separated-values", "text/tab-separated-values"),
    ("results", "TEXT/CSV", "text/csv"),
    ("results", "text/*", "text/csv"),
    ("results", "text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    (
        "results",
        "application/sparql-results+json;q=0.1, application/sparql-results+xml;q=0.9",
        "application/sparql-results+xml",
    ),
    ("results", "application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
    (
        "results",
        "application/json;q=0.2, application/sparql-results+json;q=0.9, text/csv;q=0.5",
        "application/sparql-results+json",
    ),
    ("results", "image/png", NOT_ACCEPTABLE),
    ("results", "text/turtle", NOT_ACCEPTABLE),
    ("results", "*/*;q=0", NOT_ACCEPTABLE),
    ("results", BROWSER, "application/sparql-results+xml"),
    (
        "results",
        "application/sparql-results+json;q=abc, text/csv",
        "text/csv",
    ),  # malformed q: entry skipped
    ("results", "garbage, text/csv", "text/csv"),
    ("graphs", None, "text/turtle"),
    ("graphs", "*/*", "text/turtle"),
    ("graphs", "application/n-triples", "application/n-triples"),
    ("graphs", "text/plain", "application/n-triples"),
    ("graphs", "application/n-quads", "application/n-quads"),
    ("graphs", "application/trig", "application/trig"),
    ("graphs", "application/rdf+xml", "application/rdf+xml"),
    ("graphs", "application/xml", "application/rdf+xml"),
    ("graphs", "application/ld+json", "application/ld+json"),
    ("graphs", "application/json", "application/ld+json"),
    ("graphs", "application/sparql-results+json", NOT_ACCEPTABLE),
    ("graphs", "text/turtle;q=0.3, application/ld+json;q=0.7", "application/ld+json"),
    ("graphs", "application/rdf+xml, text/turtle;q=0.9", "application/rdf+xml"),
    ("graphs", BROWSER, "application/rdf+xml"),
    ("descriptions", None, "text/turtle"),
    ("descriptions", "*/*", "text/turtle"),
    ("descriptions", BROWSER, "text/html"),
    ("descriptions", "text/turtle", "text/turtle"),
    ("descriptions", "text/turtle, application/rdf+xml;q=0.9", "text/turtle"),
    ("descriptions", "application/ld+json", "application/ld+json"),
    ("descriptions", "text/csv", NOT_ACCEPTABLE),
    ("errors", None, "text/plain"),
    ("errors", BROWSER, "text/plain"),
    ("errors", "application/json", "application/problem+json"),
    ("errors", "application/problem+json", "application/problem+json"),
]
TABLES = {"results": RESULTS, "graphs": GRAPHS, "descriptions": DESCRIPTIONS, "errors": ERRORS}


def test_case_count() -> None:
    assert len(CASES) == 47


@pytest.mark.parametrize(
    ("table", "accept", "expected"), CASES, ids=[f"{t}:{a}" for t, a, _ in CASES]
)
def test_negotiate(table: str, accept: str | None, expected: str | None) -> None:
    if expected is NOT_ACCEPTABLE:
        with pytest.raises(NotAcceptable) as raised:
            negotiate(accept, TABLES[table])
        assert raised.value.offered == [f.media_type for f in TABLES[table]]
    else:
        assert negotiate(accept, TABLES[table]).media_type == expected


def test_parse_accept_reads_q_and_skips_nonsense() -> None:
    ranges = parse_accept("text/csv;q=0.5, */x, application/json ; q=1.0, text/*;level=1;q=0.2")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "csv", 0.5),
        ("application", "json", 1.0),
        ("text", "*", 0.2),
    ]


def test_every_format_has_its_content_type() -> None:
    for fmt in (*RESULTS, *GRAPHS):
        assert fmt.content_type.startswith(fmt.media_type)
        assert fmt.iri and fmt.iri.startswith("http://www.w3.org/ns/formats/")
