"""What the linked-data pages read: canned analyses and small look-ups, through the endpoint.

Every query goes through `Endpoint.answer` (screening, the answer cache, the workers and their
deadline), so a page costs what the same queries cost at `/sparql`. Canned analyses are bound
exactly as `/queries/{name}` binds them (`query.check`, `query.bind_text`); their SPARQL is
never repeated here. Terms come back as SPARQL JSON term objects (`{"type", "value", …}`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import Literal, URIRef

from ..catalog import Catalog
from ..endpoint import Answer, Endpoint, QueryRequest
from ..negotiate import SPARQL_JSON, Format
from ..query import bind_text, check, rows, serialize_term

Row = dict[str, dict[str, Any]]


def iri(text: str) -> str:
    """An IRI written for SPARQL (`<…>`); ValueError if it cannot be one."""
    return serialize_term(URIRef(text))


def literal(text: str) -> str:
    """A plain string literal written for SPARQL, every character escaped."""
    return serialize_term(Literal(text))


def value(row: Row, name: str, default: str = "") -> str:
    term = row.get(name)
    return term["value"] if term else default


@dataclass(frozen=True)
class Lookup:
    """The endpoint and the (resolved) catalogue, as the pages use them. Their queries are the
    service's own, like its description: not held to the result limits of clients' queries
    (with `--max-results 50`, a resource's RDF and HTML had been a 507 whose advice, add a
    LIMIT, nobody reading a page can follow)."""

    endpoint: Endpoint
    catalog: Catalog | None

    def _answer(self, sparql: str, accept: str) -> Answer:
        return self.endpoint.answer(QueryRequest(sparql, accept=accept, limited=False))

    def select(self, sparql: str) -> list[Row]:
        return rows(self._answer(sparql, SPARQL_JSON.media_type).body)[1]

    def ask(self, sparql: str) -> bool:
        return bool(json.loads(self._answer(sparql, SPARQL_JSON.media_type).body).get("boolean"))

    def graph(self, sparql: str, fmt: Format) -> Answer:
        """A CONSTRUCT's answer in `fmt` (one of negotiate.GRAPHS)."""
        return self._answer(sparql, fmt.media_type)

    def canned(self, name: str, values: Mapping[str, str] | None = None) -> list[Row]:
        """The rows of the canned analysis `name` with `values` (checked as /queries checks them)."""
        if self.catalog is None:
            return []
        query = self.catalog.get(name)
        terms = check(self.endpoint.store, query, dict(values or {}))
        return self.select(bind_text(query.sparql, terms))

    def facts(self, subjects: Iterable[str], predicates: Iterable[str]) -> list[Row]:
        """(s, p, o, oLabel) for the given subjects and predicates: roles, classifications, stages."""
        subs = " ".join(sorted({iri(s) for s in subjects}))
        preds = " ".join(sorted({iri(p) for p in predicates}))
        if not subs or not preds:
            return []
        return self.select(
            f"SELECT ?s ?p ?o (SAMPLE(?l) AS ?oLabel) WHERE {{ VALUES ?s {{ {subs} }} "
            f"VALUES ?p {{ {preds} }} ?s ?p ?o . OPTIONAL {{ ?o {LABELS} ?l }} }} "
            "GROUP BY ?s ?p ?o ORDER BY ?s ?p ?o"
        )

    def labels(self, resources: Iterable[str]) -> dict[str, str]:
        """A label for each resource that has one (skos:prefLabel, rdfs:label, dcterms:title, …)."""
        found = sorted({r for r in resources if r})
        if not found:
            return {}
        values = " ".join(iri(r) for r in found)
        rows_ = self.select(
            f"SELECT ?s (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?s {{ {values} }} ?s {LABELS} ?l }} GROUP BY ?s"
        )
        return {value(r, "s"): value(r, "label") for r in rows_}


LABELS = (
    "<http://www.w3.org/2004/02/skos/core#prefLabel>|<http://www.w3.org/2000/01/rdf-schema#label>"
    "|<http://purl.org/dc/terms/title>|<http://xmlns.com/foaf/0.1/name>"
)
