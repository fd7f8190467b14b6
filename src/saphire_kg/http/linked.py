"""Dereferenceable IRIs: `/id/…` and `/ontology` answer as HTML for people and RDF for programs.

`https://w3id.org/saphire/id/{kind}/{key}` is also served here at `/id/{kind}/{key}`. The format
is chosen by `Accept` (table `RESOURCE`: Turtle first, for a client that accepts anything), or
by a file extension for links that people paste (`.ttl`, `.jsonld`, `.nt`, `.rdf`, `.html`).
Answers say `Vary: Accept` and list their alternates in `Link` headers; the HTML embeds the
same description as JSON-LD. The description is the resource's own statements (with the blank
nodes they point at) and the statements that point at it: all of them in RDF (within the
service's result limit, else its error), the first `INCOMING_LIMIT` in HTML, which says how
many there are and links to the RDF for the rest. An IRI the graph does not mention is a 404. An observatory region's HTML is its regional report (pages.region_report).

`/ontology` serves the ontology (its file and components) and documents its classes and
properties in HTML, one anchor per term, so `…/ontology#Region` lands on its entry.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..catalog import Catalog
from ..endpoint import Answer, Endpoint
from ..errors import NotAcceptable
from ..namespaces import BASE, GRAPH
from ..negotiate import HTML, JSON_LD, N_TRIPLES, RDF_XML, TURTLE, Format, negotiate
from . import html
from .deps import get_endpoint
from .methods import unmodified
from .lookup import LABELS, Lookup, iri, literal, value
from .pages import region_report

# What a resource can be written as (first = the answer to `*/*` or no Accept).
RESOURCE: tuple[Format, ...] = (TURTLE, JSON_LD, N_TRIPLES, RDF_XML, HTML)
EXTENSIONS: dict[str, Format] = {
    "ttl": TURTLE,
    "jsonld": JSON_LD,
    "nt": N_TRIPLES,
    "rdf": RDF_XML,
    "html": HTML,
}
INCOMING_LIMIT = 1000  # statements pointing at a resource that its HTML page shows
ONTOLOGY_GRAPHS = (str(GRAPH["ontology/saphire.ttl"]), str(GRAPH["ontology/components/"]))
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"


def describe_query(resource: str, incoming: int | None = None) -> str:
    """The resource's description; with `incoming`, only that many statements pointing at it."""
    r = iri(resource)
    limit = "" if incoming is None else f" LIMIT {incoming}"
    return (
        f"CONSTRUCT {{ {r} ?p ?o . ?o ?bp ?bo . ?s ?q {r} }} WHERE {{ "
        f"{{ {r} ?p ?o . OPTIONAL {{ ?o ?bp ?bo FILTER(isBlank(?o)) }} }} UNION "
        f"{{ SELECT ?s ?q WHERE {{ ?s ?q {r} }}{limit} }} }}"
    )


def exists_query(resource: str) -> str:
    r = iri(resource)
    return f"ASK {{ {{ {r} ?p ?o }} UNION {{ ?s ?p {r} }} }}"


def ontology_query() -> str:
    main, components = ONTOLOGY_GRAPHS
    return (
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
        f"FILTER(STR(?g) = {literal(main)} || STRSTARTS(STR(?g), {literal(components)})) }}"
    )


def choose(request: Request, extension: str | None) -> Format:
    """The format by extension, else by Accept over RESOURCE (NotAcceptable → 406)."""
    if extension is not None:
        return EXTENSIONS[extension]
    return negotiate(request.headers.get("accept"), RESOURCE)


def split_extension(path: str) -> tuple[str, str | None]:
    stem, dot, ext = path.rpartition(".")
    if dot and ext in EXTENSIONS and "/" not in ext and stem:
        return stem, ext
    return path, None


def alternates(path: str, chosen: Format | None) -> dict[str, str]:
    """Vary, Link (each alternate by extension, and the canonical IRI) and Content-Location."""
    links = [
        f'<{path}.{ext}>; rel="alternate"; type="{fmt.media_type}"'
        for ext, fmt in EXTENSIONS.items()
    ]
    links.append(f'<{BASE}{path.lstrip("/")}>; rel="canonical"')
    headers = {"Vary": "Accept", "Link": ", ".join(links)}
    if chosen is not None:
        ext = next(e for e, f in EXTENSIONS.items() if f is chosen)
        headers["Content-Location"] = f"{path}.{ext}"
    return headers


def router(resolved: Catalog | None) -> APIRouter:
    """`/id/{path}` and `/ontology`; `resolved` (the catalogue, enums read) feeds region reports."""
    api = APIRouter(tags=["Linked data"])

    def lookup_of(endpoint: Endpoint) -> Lookup:
        return Lookup(endpoint, resolved)

    @api.get(
        "/id/{path:path}",
        summary="A resource of the graph: HTML for a browser, RDF for a program",
        response_class=Response,
        responses={
            200: {"content": {f.media_type: {} for f in RESOURCE}},
            404: {"description": "The graph says nothing about this IRI."},
            406: {"description": "No acceptable format."},
        },
    )
    def resource(
        path: str, request: Request, endpoint: Annotated[Endpoint, Depends(get_endpoint)]
    ) -> Response:
        lookup = lookup_of(endpoint)
        stem, ext = split_extension(path)
        subject = BASE + "id/" + stem
        if ext is not None and not _exists(lookup, subject):
            stem, ext, subject = path, None, BASE + "id/" + path
        if not _exists(lookup, subject):
            return _not_found(request, subject)
        fmt = choose(request, ext)
        canonical = "/id/" + stem
        headers = {
            **alternates(canonical, fmt if ext is None else None),
            "Cache-Control": "public, max-age=60",
        }
        if fmt is HTML:
            jsonld = lookup.graph(describe_query(subject, INCOMING_LIMIT), JSON_LD).body.decode()
            if stem.startswith("region/") and lookup.ask(
                f"ASK {{ {iri(subject)} a <{BASE}ontology#ObservatoryRegion> }}"
            ):
                body = region_report(lookup, subject, jsonld)
            else:
                body = resource_page(lookup, subject, jsonld)
            return _page(request, body, headers)
        return _graph(request, lookup.graph(describe_query(subject), fmt), headers)

    @api.get(
        "/ontology{suffix:path}",
        summary="The SAPHIRe ontology: its documentation (HTML) or its triples (RDF)",
        response_class=Response,
    )
    def ontology(
        suffix: str, request: Request, endpoint: Annotated[Endpoint, Depends(get_endpoint)]
    ) -> Response:
        ext = suffix[1:] if suffix.startswith(".") else None
        if suffix and (ext not in EXTENSIONS):
            return _not_found(request, html.ONTOLOGY + suffix)
        lookup = lookup_of(endpoint)
        fmt = choose(request, ext)
        headers = {
            **alternates("/ontology", fmt if ext is None else None),
            "Cache-Control": "public, max-age=60",
        }
        if fmt is HTML:
            return _page(request, ontology_page(lookup), headers)
        return _graph(request, lookup.graph(ontology_query(), fmt), headers)

    return api


def _page(request: Request, body: str, headers: dict[str, str]) -> Response:
    """An HTML page (no ETag: it may change with the code; `If-None-Match: *` holds)."""
    if unmodified(request, None) is not None:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=HTML.content_type, headers=headers)


def _graph(request: Request, answer: Answer, headers: dict[str, str]) -> Response:
    """RDF with its ETag, or 304 when the client has it (RFC 9110 13.1.2)."""
    headers = {**headers, "ETag": answer.etag}
    if unmodified(request, answer.etag) is not None:
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type=answer.format.content_type, headers=headers)


def _exists(lookup: Lookup, subject: str) -> bool:
    try:
        return lookup.ask(exists_query(subject))
    except ValueError:  # not writable as an IRI: no such resource
        return False


def _not_found(request: Request, subject: str) -> Response:
    from .errors import error_response

    try:
        wants_html = negotiate(request.headers.get("accept"), RESOURCE) is HTML
    except NotAcceptable:
        wants_html = False
    if wants_html:
        body = html.page(
            "Not found",
            f"<p>The graph says nothing about <code>{html.escape(subject)}</code>.</p>"
            '<p>Try the <a href="/regions">index of regions and initiatives</a>.</p>',
        )
        return Response(body, status_code=404, media_type=HTML.content_type, headers={"Vary": "Accept"})
    return error_response(request, 404, f"the graph says nothing about <{subject}>")


# ---------------------------------------------------------------------------------------------
# The generic resource page


def resource_page(lookup: Lookup, subject: str, jsonld: str) -> str:
    s = iri(subject)
    out = lookup.select(
        f"SELECT ?p ?o (SAMPLE(?l) AS ?oLabel) WHERE {{ {s} ?p ?o OPTIONAL {{ ?o {LABELS} ?l }} }} "
        "GROUP BY ?p ?o ORDER BY ?p ?o"
    )
    incoming = lookup.select(
        f"SELECT ?s ?p (SAMPLE(?l) AS ?sLabel) WHERE {{ {{ SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {s} }} LIMIT {INCOMING_LIMIT} }} "
        f"OPTIONAL {{ ?s {LABELS} ?l }} }} GROUP BY ?s ?p ORDER BY ?p ?s"
    )
    total = len(incoming)
    if total == INCOMING_LIMIT:  # (perhaps more)
        counted = lookup.select(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {s} }} }}"
        )
        total = int(value(counted[0], "n"))
    title = _title(subject, out)
    types = [
        html.term(r["o"], value(r, "oLabel") or None) for r in out if value(r, "p") == RDF_TYPE
    ]
    rows = [(html.link(value(r, "p")), html.term(r["o"], value(r, "oLabel") or None)) for r in out]
    back = [
        (html.term(r["s"], value(r, "sLabel") or None), html.link(value(r, "p"))) for r in incoming
    ]
    body = (
        f'<p class="iri"><code>{html.escape(subject)}</code></p>'
        + (f"<p>{' · '.join(types)}</p>" if types else "")
        + html.formats_line("/" + subject[len(BASE) :])
        + "<h2>Statements</h2>"
        + html.table(["property", "value"], rows)
        + (_referenced_by(subject, back, total) if back else "")
    )
    return html.page(
        title, body, head=f'<script type="application/ld+json">{html.json_script(jsonld)}</script>'
    )


def _referenced_by(subject: str, back: list[tuple[str, str]], total: int) -> str:
    """The statements pointing at the resource; when not all are shown, says so and where."""
    if total <= len(back):
        return f"<h2>Referenced by ({total:,})</h2>" + html.table(["subject", "property"], back)
    path = html.escape("/" + subject[len(BASE) :])
    return (
        f"<h2>Referenced by ({total:,})</h2>"
        f'<p class="muted">The first {len(back):,} are shown; all {total:,} are in its '
        f'<a href="{path}.ttl">Turtle</a> and <a href="{path}.nt">N-Triples</a> descriptions.</p>'
        + html.table(["subject", "property"], back)
    )


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_TITLE_PROPERTIES = (
    _SKOS + "prefLabel",
    _RDFS + "label",
    "http://purl.org/dc/terms/title",
    "http://xmlns.com/foaf/0.1/name",
)


def _title(subject: str, out: list) -> str:
    for p in _TITLE_PROPERTIES:
        for r in out:
            if value(r, "p") == p:
                return value(r, "o")
    return html.short(subject)


# ---------------------------------------------------------------------------------------------
# The ontology's documentation page


def ontology_page(lookup: Lookup) -> str:
    main, _ = ONTOLOGY_GRAPHS
    terms = lookup.select(
        "SELECT ?t ?kind (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?definition) "
        "(GROUP_CONCAT(DISTINCT STR(?super); separator=' ') AS ?supers) "
        "(GROUP_CONCAT(DISTINCT STR(?dom); separator=' ') AS ?domains) "
        "(GROUP_CONCAT(DISTINCT STR(?ran); separator=' ') AS ?ranges) WHERE { "
        f"GRAPH ?g {{ ?t a ?kind FILTER(?kind IN (<{_OWL}Class>, <{_OWL}ObjectProperty>, <{_OWL}DatatypeProperty>, "
        f"<{_OWL}AnnotationProperty>)) FILTER(STRSTARTS(STR(?t), {literal(html.ONTOLOGY + '#')})) }} "
        f"OPTIONAL {{ ?t <{_RDFS}label> ?l }} OPTIONAL {{ ?t <{_SKOS}definition>|<{_RDFS}comment> ?d }} "
        f"OPTIONAL {{ ?t <{_RDFS}subClassOf>|<{_RDFS}subPropertyOf> ?super FILTER(isIRI(?super)) }} "
        f"OPTIONAL {{ ?t <{_RDFS}domain> ?dom FILTER(isIRI(?dom)) }} OPTIONAL {{ ?t <{_RDFS}range> ?ran FILTER(isIRI(?ran)) }} "
        "} GROUP BY ?t ?kind ORDER BY ?kind ?t"
    )
    about = lookup.select(
        f"SELECT ?p ?o WHERE {{ GRAPH {iri(main)} {{ <{html.ONTOLOGY}> ?p ?o }} }} ORDER BY ?p"
    )
    meta = {value(r, "p"): value(r, "o") for r in about}
    sections = []
    for kind, heading in (
        (_OWL + "Class", "Classes"),
        (_OWL + "ObjectProperty", "Object properties"),
        (_OWL + "DatatypeProperty", "Datatype properties"),
        (_OWL + "AnnotationProperty", "Annotation properties"),
    ):
        entries = [r for r in terms if value(r, "kind") == kind]
        if not entries:
            continue
        index = " · ".join(
            f'<a href="#{html.escape(_local(value(r, "t")))}">{html.escape(_local(value(r, "t")))}</a>'
            for r in entries
        )
        items = "".join(_entry(r) for r in entries)
        sections.append(
            f"<h2>{heading} ({len(entries)})</h2><p class='index'>{index}</p><dl class='terms'>{items}</dl>"
        )
    body = (
        f"<p>{html.escape(meta.get('http://purl.org/dc/terms/description', ''))}</p>"
        f"<p class='iri'><code>{html.ONTOLOGY}</code> · version {html.escape(meta.get(_OWL + 'versionInfo', '?'))}"
        f" · prefix <code>sph:</code> = <code>{html.ONTOLOGY}#</code></p>"
        + html.formats_line("/ontology")
        + "".join(sections)
    )
    return html.page(meta.get("http://purl.org/dc/terms/title", "SAPHIRe ontology"), body)


def _local(term: str) -> str:
    return term.rsplit("#", 1)[-1]


def _entry(r: dict) -> str:
    name = _local(value(r, "t"))
    parts = []
    for key, label in (("supers", "sub of"), ("domains", "domain"), ("ranges", "range")):
        found = value(r, key).split()
        if found:
            parts.append(f"{label}: " + ", ".join(html.link(t) for t in sorted(found)))
    extra = f"<p class='muted'>{'; '.join(parts)}</p>" if parts else ""
    return (
        f"<dt id='{html.escape(name)}'><code>sph:{html.escape(name)}</code> {html.escape(value(r, 'label'))}</dt>"
        f"<dd>{html.escape(value(r, 'definition'))}{extra}</dd>"
    )
