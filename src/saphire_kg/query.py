"""Running canned analyses: check the values, bind them as RDF terms, query the store.

Binding is never string pasting: a value is first checked against its declaration and turned
into one RDF term (catalog), and the term is then written by `serialize_term`, which escapes
every character a literal or IRI could break out with. The query text gets each parameter
variable replaced, token by token, by the serialised term: only variable tokens are touched
(never strings, IRIs or comments), and what they become depends on where they stand, so that
the answer is the one SEP-0007 substitution gives:

    plain term             ?region            ->  <https://w3id.org/saphire/id/region/FI1D>
    projected by a SELECT  SELECT ?region     ->  SELECT (<…/FI1D> AS ?region)
    bare in GROUP/ORDER BY GROUP BY ?region   ->  GROUP BY (<…/FI1D>)

(a sub-select projects the term under a name of its own, so that it cannot clash with the
outer column; the outer rows carry the value, as they do with substitution). The catalogue
has checked that parameters are never bound with AS nor listed in VALUES, and that every
SELECT using one projects it, which is the condition for the two modes to agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from .catalog import CannedQuery, Catalog, scan
from .errors import ParameterError
from .namespaces import SKOS
from .store import Store

JSON_RESULTS = "application/sparql-results+json"


@dataclass(frozen=True)
class Answer:
    """What a canned query returned, and how it was bound."""

    media_type: str
    body: bytes
    bindings: Mapping[str, Node]


def serialize_term(term: Node) -> str:
    """A validated term in SPARQL syntax (IRIs and literals only; every character escaped)."""
    if isinstance(term, URIRef):
        text = str(term)
        if any(c in text for c in '<>"{}|^`\\') or any(ord(c) <= 0x20 for c in text):
            raise ValueError(f"not an IRI that can be written in SPARQL: {text!r}")
        return f"<{text}>"
    if isinstance(term, Literal):
        escaped = "".join(_ESCAPES.get(c, c) for c in str(term))
        if term.language:
            return f'"{escaped}"@{term.language}'
        if term.datatype:
            return f'"{escaped}"^^{serialize_term(URIRef(term.datatype))}'
        return f'"{escaped}"'
    raise ValueError(f"cannot bind a {type(term).__name__} as a parameter")


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def bind_text(sparql: str, terms: Mapping[str, Node]) -> str:
    """The query text with each parameter variable replaced by its term (for remote stores)."""
    if not terms:
        return sparql
    scanned = scan(sparql)
    written = {name: serialize_term(term) for name, term in terms.items()}
    parts = [t.text for t in scanned.tokens]
    for occ in scanned.occurrences:
        term = written.get(occ.name)
        if term is None:
            continue
        if occ.role == "projected":
            top = scanned.form == "SELECT" and scanned.levels[occ.level][0] is None
            # A sub-select's column would clash with the outer one: it gets a name of its own.
            alias = occ.name if top else f"_{occ.name}_{occ.level}"
            parts[occ.index] = f"({term} AS ?{alias})"
        elif occ.role == "grouped":
            parts[occ.index] = f"({term})"
        elif occ.role == "term":
            parts[occ.index] = term
        else:  # bound by AS, or a VALUES variable: the catalogue refuses these for parameters
            raise ValueError(f"?{occ.name} cannot be bound by text where it stands ({occ.role})")
    return "".join(parts)


BINDING_MODES = ("text", "substitutions", "values")


def run(
    store: Store,
    sparql: str,
    terms: Mapping[str, Node],
    accept: str = JSON_RESULTS,
    mode: str = "text",
) -> tuple[str, bytes]:
    """Run `sparql` with `terms` bound, by one of three equivalent means (`BINDING_MODES`).

    "text" (the default, and the only one a remote store can take): each parameter variable
    token becomes the serialised term (`bind_text`), so the engine plans with constants.
    "substitutions": the store binds the terms itself (Oxigraph's SEP-0007 `substitutions`).
    "values": a VALUES block at the top of the query's WHERE clause (and of each sub-select
    that projects a parameter, which the outer block does not reach).
    benchmarks/queries.py measures the three: with pyoxigraph 0.5 the engine plans
    substitutions and outer VALUES without the constants (property paths, UNION branches and
    sub-selects then run over every region), which is why "text" is the default.
    """
    if mode == "substitutions":
        if not getattr(store, "binds_terms", False):
            raise ValueError("this store cannot bind terms itself; use the text mode")
        return store.query(sparql, accept, substitutions=terms)  # type: ignore[call-arg]
    if mode == "values":
        return store.query(bind_values(sparql, terms), accept)
    if mode != "text":
        raise ValueError(f"unknown binding mode {mode!r}; expected one of {BINDING_MODES}")
    return store.query(bind_text(sparql, terms), accept)


def bind_values(sparql: str, terms: Mapping[str, Node]) -> str:
    """The query with a `VALUES` block opening its WHERE group (for measurements).

    A sub-select does not see the outer VALUES, so each sub-select that projects a parameter
    gets its own block too; otherwise the answer would differ from the other two modes.
    """
    if not terms:
        return sparql
    scanned = scan(sparql)
    parts = [t.text for t in scanned.tokens]
    depth, level, waiting = 0, -1, []  # waiting: (brace depth of a SELECT, its level id)
    for i, tok in enumerate(scanned.tokens):
        if tok.keyword == "SELECT":
            level += 1
            waiting.append((depth, level))
        elif tok.kind == "punct" and tok.text == "{":
            if waiting and waiting[-1][0] == depth:
                _, lid = waiting.pop()
                names = sorted(n for n in terms if n in scanned.levels[lid][1])
                if names:
                    parts[i] = "{ " + _values_block(names, terms)
            elif scanned.form == "ASK" and depth == 0 and level == -1:
                parts[i] = "{ " + _values_block(sorted(terms), terms)
            depth += 1
        elif tok.kind == "punct" and tok.text == "}":
            depth -= 1
    return "".join(parts)


def _values_block(names: list[str], terms: Mapping[str, Node]) -> str:
    variables = " ".join(f"?{n}" for n in names)
    values = " ".join(serialize_term(terms[n]) for n in names)
    return f"VALUES ({variables}) {{ ({values}) }} "


def execute(
    store: Store,
    query: CannedQuery,
    values: Mapping[str, str],
    accept: str = JSON_RESULTS,
    today: date | None = None,
    mode: str = "text",
) -> Answer:
    """Check `values` against the declaration, check that named regions exist, run the query."""
    terms = check(store, query, values, today)
    media_type, body = run(store, query.sparql, terms, accept, mode)
    return Answer(media_type, body, terms)


def check(
    store: Store, query: CannedQuery, values: Mapping[str, str], today: date | None = None
) -> dict[str, Node]:
    """The RDF term of every parameter, once each value fits its declaration and each region
    named exists in the store (in the observatory, where the parameter says so); else a
    `ParameterError` naming the parameter."""
    terms = query.bind(values, today=today)
    for p in query.parameters:
        if p.type == "region" and p.name in terms:
            _check_region(store, p.name, terms[p.name], observatory=p.scope == "observatory")
    return terms


_REGION_EXISTS = """PREFIX sph: <https://w3id.org/saphire/ontology#>
ASK { ?region a ?class . FILTER(?class IN (sph:Region, sph:ObservatoryRegion, sph:Country)) }"""
_OBSERVATORY = """PREFIX sph: <https://w3id.org/saphire/ontology#>
ASK { ?region a sph:ObservatoryRegion }"""


def _check_region(store: Store, name: str, region: Node, observatory: bool) -> None:
    code = str(region).rsplit("/", 1)[-1]
    if not _ask(store, _REGION_EXISTS, {"region": region}):
        raise ParameterError(name, f"no region {code} in the graph", code)
    if observatory and not _ask(store, _OBSERVATORY, {"region": region}):
        raise ParameterError(name, f"{code} is not an observatory region (see observatory/coverage-by-country)", code)


def _ask(store: Store, sparql: str, terms: Mapping[str, Node]) -> bool:
    _, body = run(store, sparql, terms, JSON_RESULTS)
    return bool(json.loads(body).get("boolean"))


def rows(body: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    """The variables and rows of SPARQL JSON results (each value the JSON term object)."""
    data = json.loads(body)
    if "boolean" in data:
        return ["boolean"], [{"boolean": {"type": "literal", "value": str(data["boolean"]).lower()}}]
    return list(data["head"].get("vars", [])), list(data["results"]["bindings"])


def plain_rows(body: bytes) -> list[dict[str, str]]:
    """Rows of SPARQL JSON results as name -> value text (tests and tools)."""
    _, found = rows(body)
    return [{k: v["value"] for k, v in row.items()} for row in found]


_CONCEPTS = f"""SELECT ?scheme ?concept WHERE {{ ?concept <{SKOS.inScheme}> ?scheme }} ORDER BY ?concept"""


def scheme_concepts(store: Store, scheme: str) -> dict[str, str]:
    """The concepts of a SKOS scheme in the store: key (the IRI's last segment) -> IRI."""
    _, body = run(store, _CONCEPTS, {"scheme": URIRef(scheme)})
    found: dict[str, str] = {}
    for row in plain_rows(body):
        iri = row["concept"]
        key = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        found.setdefault(key, iri)
    return found


def resolve(catalog: Catalog, store: Store) -> Catalog:
    """The catalogue with every enum drawn from a concept scheme filled in from `store`."""
    return catalog.with_schemes(lambda scheme: scheme_concepts(store, scheme))

