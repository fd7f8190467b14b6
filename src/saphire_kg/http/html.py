"""The HTML the linked-data pages share: the page shell, links to resources, tables, escaping.

Every value from the data goes through `escape`; an IRI of ours (`https://w3id.org/saphire/…`)
links to the same path on this server, so a reader can browse without leaving it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from ..namespaces import BASE, PREFIXES

ONTOLOGY = BASE + "ontology"
STYLESHEET = "/static/site.css"
_SHORT = sorted(((ns, p) for p, ns in PREFIXES.items()), key=lambda x: -len(x[0]))


def local(iri: str) -> str:
    """Where this server answers for `iri`: our IRIs become paths, others stay as they are."""
    if iri.startswith(BASE + "id/") or iri.startswith(ONTOLOGY):
        return "/" + iri[len(BASE) :]
    return iri


def short(iri: str) -> str:
    """`sph:Region` for an IRI in a known namespace, else the IRI."""
    for ns, prefix in _SHORT:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def link(iri: str, label: str | None = None) -> str:
    text = label if label else short(iri)
    return f'<a href="{escape(local(iri), quote=True)}">{escape(text)}</a>'


def term(t: dict[str, Any] | None, label: str | None = None) -> str:
    """A SPARQL JSON term as HTML: a link for an IRI, text (with language or datatype) otherwise."""
    if not t:
        return ""
    if t["type"] == "uri":
        if (
            t["value"].startswith(("http://", "https://"))
            and not t["value"].startswith(BASE)
            and not label
        ):
            return link(t["value"], t["value"])
        return link(t["value"], label)
    if t["type"] == "bnode":
        return '<span class="muted">(blank node)</span>'
    text = escape(t["value"])
    if t.get("xml:lang"):
        return f'{text} <span class="muted">@{escape(t["xml:lang"])}</span>'
    return text


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """A table of cells that are already HTML."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


DATA_FORMATS = (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples"), ("rdf", "RDF/XML"))


def formats_line(path: str, extra: str = "") -> str:
    """Links to the resource at `path` in each RDF format (by extension); `extra` is HTML."""
    links = " · ".join(f'<a href="{path}.{ext}">{label}</a>' for ext, label in DATA_FORMATS)
    return f'<p class="formats">Also as {links}{extra}</p>'


def json_script(data: str) -> str:
    """JSON(-LD) text safe inside a <script> element."""
    return data.replace("</", "<\\/")


def page(title: str, body: str, head: str = "", subtitle: str = "") -> str:
    """The whole document around `body` (already HTML); `head` adds elements to <head>."""
    sub = f"<p>{subtitle}</p>" if subtitle else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)} — SAPHIRe knowledge graph</title><link rel="stylesheet" href="{STYLESHEET}">{head}</head>
<body><header><nav><a href="/regions">Regions and initiatives</a> · <a href="/sparql">SPARQL</a> ·
<a href="/ontology">Ontology</a> · <a href="/docs">API</a></nav><h1>{escape(title)}</h1>{sub}</header>
<main>{body}</main></body></html>
"""
