"""Content negotiation: a pure function from an Accept header and a table of formats to one format.

The tables are explicit: what a SELECT or ASK can be written as, what a CONSTRUCT or DESCRIBE
can, what a description page can. Matching follows RFC 9110 §12.5.1: each offered format takes
the quality of the most specific media range that matches it (`text/csv` before `text/*` before
`*/*`), `q=0` refuses, the highest quality wins, and ties go to the table's order, whose first
entry is also the answer to a request without Accept. Nothing acceptable: `NotAcceptable` (406),
naming what is on offer.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NotAcceptable

FORMATS_NS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """One way to write an answer: its media type, the Content-Type sent, and its W3C format IRI."""

    media_type: str
    content_type: str
    label: str
    iri: str | None = None  # http://www.w3.org/ns/formats/… (service description)
    aliases: tuple[str, ...] = ()

    def matches(self, media_type: str) -> bool:
        return media_type == self.media_type or media_type in self.aliases


SPARQL_JSON = Format(
    "application/sparql-results+json",
    "application/sparql-results+json",
    "SPARQL Results JSON",
    FORMATS_NS + "SPARQL_Results_JSON",
    ("application/json",),
)
SPARQL_XML = Format(
    "application/sparql-results+xml",
    "application/sparql-results+xml",
    "SPARQL Results XML",
    FORMATS_NS + "SPARQL_Results_XML",
    ("application/xml", "text/xml"),
)
CSV = Format(
    "text/csv", "text/csv; charset=utf-8", "SPARQL Results CSV", FORMATS_NS + "SPARQL_Results_CSV"
)
TSV = Format(
    "text/tab-separated-values",
    "text/tab-separated-values; charset=utf-8",
    "SPARQL Results TSV",
    FORMATS_NS + "SPARQL_Results_TSV",
)
TURTLE = Format(
    "text/turtle",
    "text/turtle; charset=utf-8",
    "Turtle",
    FORMATS_NS + "Turtle",
    ("application/x-turtle",),
)
N_TRIPLES = Format(
    "application/n-triples",
    "application/n-triples",
    "N-Triples",
    FORMATS_NS + "N-Triples",
    ("text/plain",),
)
N_QUADS = Format("application/n-quads", "application/n-quads", "N-Quads", FORMATS_NS + "N-Quads")
TRIG = Format("application/trig", "application/trig", "TriG", FORMATS_NS + "TriG")
RDF_XML = Format(
    "application/rdf+xml",
    "application/rdf+xml",
    "RDF/XML",
    FORMATS_NS + "RDF_XML",
    ("application/xml", "text/xml"),
)
JSON_LD = Format(
    "application/ld+json",
    "application/ld+json",
    "JSON-LD",
    FORMATS_NS + "JSON-LD",
    ("application/json",),
)
HTML = Format("text/html", "text/html; charset=utf-8", "HTML", None, ("application/xhtml+xml",))
TEXT = Format("text/plain", "text/plain; charset=utf-8", "plain text")
PROBLEM_JSON = Format(
    "application/problem+json",
    "application/problem+json",
    "problem details",
    None,
    ("application/json",),
)

# The `format` (or `output`) parameter of a query, as WDQS, Virtuoso and Fuseki take it: a short
# name for the Accept it stands for (JSON and XML name both the results and the RDF format:
# the query's form picks), or a media type.
FORMAT_NAMES = {
    "json": "application/json",
    "srj": SPARQL_JSON.media_type,
    "xml": "application/xml",
    "srx": SPARQL_XML.media_type,
    "csv": CSV.media_type,
    "tsv": TSV.media_type,
    "turtle": TURTLE.media_type,
    "ttl": TURTLE.media_type,
    "n-triples": N_TRIPLES.media_type,
    "ntriples": N_TRIPLES.media_type,
    "nt": N_TRIPLES.media_type,
    "n-quads": N_QUADS.media_type,
    "nquads": N_QUADS.media_type,
    "nq": N_QUADS.media_type,
    "trig": TRIG.media_type,
    "rdf/xml": RDF_XML.media_type,
    "rdfxml": RDF_XML.media_type,
    "json-ld": JSON_LD.media_type,
    "jsonld": JSON_LD.media_type,
}


def accept_of_formats(values: list[str]) -> str | None:
    """The Accept the `format` parameters of a request stand for: the first that is a short
    name of FORMAT_NAMES or a media type; None when none is (the Accept header decides). Other
    values are passed over, not refused: SPARQLWrapper sends `format`, `output` and `results`
    with names of its own (`n3`, `rdf+xml`) beside the Accept header that says the same."""
    for value in values:
        name = value.strip().lower()
        if name in FORMAT_NAMES:
            return FORMAT_NAMES[name]
        if "/" in name:
            return name  # a media type: negotiated as an Accept of it alone (406 if not offered)
    return None


# SELECT and ASK (first = default).
RESULTS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
# CONSTRUCT and DESCRIBE (first = default).
GRAPHS: tuple[Format, ...] = (TURTLE, N_TRIPLES, N_QUADS, TRIG, RDF_XML, JSON_LD)
# A description (service description, VoID): RDF for programs, HTML only when asked for first.
DESCRIPTIONS: tuple[Format, ...] = (*GRAPHS, HTML)
# Error bodies: text unless the client asks for JSON.
ERRORS: tuple[Format, ...] = (TEXT, PROBLEM_JSON)

BY_MEDIA_TYPE = {f.media_type: f for f in (*RESULTS, *GRAPHS, HTML, TEXT, PROBLEM_JSON)}


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header."""

    type: str
    subtype: str
    q: float

    @property
    def specificity(self) -> int:
        return 0 if self.type == "*" else 1 if self.subtype == "*" else 2

    def matches(self, media_type: str) -> bool:
        t, _, s = media_type.partition("/")
        return self.type == "*" or (self.type == t and self.subtype in ("*", s))


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed entries are skipped, absent means `*/*`."""
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        t, slash, s = media.partition("/")
        if not slash or not t or not s or (t == "*" and s != "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            name, eq, value = param.partition("=")
            if eq and name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append(MediaRange(t, s, q))
    return ranges


def quality(ranges: list[MediaRange], fmt: Format) -> float:
    """The quality the client gives `fmt`: that of the most specific range matching it (or an alias)."""
    best: tuple[int, float] | None = None
    for name in (fmt.media_type, *fmt.aliases):
        for r in ranges:
            # An alias (application/json for JSON-LD) is matched only by name, never by a
            # wildcard (the answer is labelled with the real type), and ranks just below it.
            if r.matches(name) and (name == fmt.media_type or r.specificity == 2):
                key = (r.specificity * 2 + (1 if name == fmt.media_type else 0), r.q)
                if best is None or key[0] > best[0] or (key[0] == best[0] and r.q > best[1]):
                    best = key
    return best[1] if best else 0.0


def negotiate(accept: str | None, offered: tuple[Format, ...]) -> Format:
    """The offered format the client prefers; ties go to the table's order. Raises NotAcceptable."""
    ranges = parse_accept(accept)
    chosen, chosen_q = None, 0.0
    for fmt in offered:
        q = quality(ranges, fmt)
        if q > chosen_q:
            chosen, chosen_q = fmt, q
    if chosen is None:
        raise NotAcceptable(accept or "", [f.media_type for f in offered])
    return chosen


def error_format(accept: str | None) -> Format:
    """How to write an error for this client: JSON problem details if it asks for JSON, else text."""
    try:
        return negotiate(accept, ERRORS)
    except NotAcceptable:
        return TEXT
