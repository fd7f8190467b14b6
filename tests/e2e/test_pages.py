"""Dereferenceable IRIs and the pages, over HTTP against a real server on the shipped data.

Every format by Accept and by extension, parsed back with rdflib; Vary, Link, 404, the
ontology, the index search, the examples of the query page, and the region page's weight.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest
from rdflib import Graph, Literal, URIRef

ID = "https://w3id.org/saphire/id/"
SPH = "https://w3id.org/saphire/ontology#"
BE2 = URIRef(ID + "region/BE2")
NUTS_CODE = URIRef(SPH + "nutsCode")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

# (Accept, media type answered, rdflib parser)
BY_ACCEPT = [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("*/*", "text/turtle", "turtle"),
    ("application/rdf+xml;q=0.5, application/ld+json;q=0.9", "application/ld+json", "json-ld"),
]
BY_EXTENSION = [
    ("ttl", "text/turtle", "turtle"),
    ("jsonld", "application/ld+json", "json-ld"),
    ("nt", "application/n-triples", "nt"),
    ("rdf", "application/rdf+xml", "xml"),
]
PAGE_BUDGET = 150_000  # bytes of the region page and its assets


def test_the_tables_are_all_collected() -> None:
    assert (len(BY_ACCEPT), len(BY_EXTENSION)) == (6, 4)


@pytest.mark.parametrize(("accept", "media_type", "parser"), BY_ACCEPT)
def test_a_resource_in_each_format_by_accept(
    shipped_server, accept: str, media_type: str, parser: str
) -> None:
    r = httpx.get(shipped_server.base + "/id/region/BE2", headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in r.headers["vary"]
    assert '</id/region/BE2.ttl>; rel="alternate"; type="text/turtle"' in r.headers["link"]
    assert f'<{BE2}>; rel="canonical"' in r.headers["link"]
    g = Graph().parse(data=r.content, format=parser)
    assert (BE2, NUTS_CODE, Literal("BE2")) in g
    # and what points at it: the membership naming BE2 as its member
    assert any(g.subjects(URIRef("http://www.w3.org/ns/org#member"), BE2))


@pytest.mark.parametrize(("ext", "media_type", "parser"), BY_EXTENSION)
def test_a_resource_in_each_format_by_extension(
    shipped_server, ext: str, media_type: str, parser: str
) -> None:
    r = httpx.get(f"{shipped_server.base}/id/region/BE2.{ext}", headers={"accept": "text/html"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media_type
    g = Graph().parse(data=r.content, format=parser)
    assert (BE2, NUTS_CODE, Literal("BE2")) in g


def test_html_for_a_browser_with_its_json_ld_embedded(shipped_server) -> None:
    for url in ("/id/region/BE2", "/id/region/BE2.html"):
        r = httpx.get(shipped_server.base + url, headers={"accept": BROWSER})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', r.text, re.S)
        assert embedded is not None
        g = Graph().parse(data=embedded.group(1).replace("<\\/", "</"), format="json-ld")
        assert (BE2, NUTS_CODE, Literal("BE2")) in g


def test_a_generic_resource_page_links_its_statements(shipped_server) -> None:
    r = httpx.get(
        shipped_server.base + "/id/initiative/vi-smart-health", headers={"accept": "text/html"}
    )
    assert r.status_code == 200
    assert "Vanguard Initiative Pilot Smart Health" in r.text
    assert 'href="/id/membership/BE2-vi-smart-health"' in r.text


@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/ld+json"])
def test_an_unknown_iri_is_a_404(shipped_server, accept: str) -> None:
    for path in ("/id/region/NOPE9", "/id/region/NOPE9.ttl", "/id/no/such/thing"):
        r = httpx.get(shipped_server.base + path, headers={"accept": accept})
        assert r.status_code == 404, path
        assert "NOPE9" in r.text or "no/such/thing" in r.text


def test_no_acceptable_format_is_a_406(shipped_server) -> None:
    r = httpx.get(shipped_server.base + "/id/region/BE2", headers={"accept": "image/png"})
    assert r.status_code == 406


@pytest.mark.parametrize(
    ("suffix", "accept", "parser"),
    [
        ("", "text/turtle", "turtle"),
        (".ttl", None, "turtle"),
        (".jsonld", None, "json-ld"),
        (".nt", None, "nt"),
        (".rdf", None, "xml"),
    ],
)
def test_the_ontology_iri_serves_the_ontology(
    shipped_server, suffix: str, accept: str | None, parser: str
) -> None:
    r = httpx.get(
        shipped_server.base + "/ontology" + suffix, headers={"accept": accept} if accept else {}
    )
    assert r.status_code == 200
    g = Graph().parse(data=r.content, format=parser)
    ontology = URIRef("https://w3id.org/saphire/ontology")
    assert (
        ontology,
        URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        URIRef("http://www.w3.org/2002/07/owl#Ontology"),
    ) in g
    assert (URIRef(SPH + "Region"), None, None) in g


def test_the_ontology_documentation_page(shipped_server) -> None:
    r = httpx.get(shipped_server.base + "/ontology", headers={"accept": BROWSER})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert (
        "<h2>Classes" in r.text
        and "<h2>Object properties" in r.text
        and "<h2>Datatype properties" in r.text
    )
    assert "id='Region'" in r.text and "id='nutsCode'" in r.text
    assert "The NUTS (or statistical-region) code of a region" in r.text


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("vlaams", "Vlaams Gewest"),
        ("fi1d", "Pohjois- ja Itä-Suomi"),
        ("vanguard", "Vanguard Initiative Pilot Smart Health"),
    ],
)
def test_the_index_searches_by_name_or_code(shipped_server, q: str, expected: str) -> None:
    r = httpx.get(shipped_server.base + "/regions", params={"q": q})
    assert r.status_code == 200
    assert expected in r.text


def test_the_index_lists_the_observatory_regions_and_initiatives(shipped_server) -> None:
    r = httpx.get(shipped_server.base + "/regions")
    assert r.status_code == 200
    assert 'href="/id/region/FI1D"' in r.text and 'href="/id/initiative/vi-smart-health"' in r.text


def test_the_query_page_examples_are_the_canned_analyses_bound(shipped_server) -> None:
    listed = httpx.get(shipped_server.base + "/queries").json()
    examples = httpx.get(shipped_server.base + "/examples").json()
    assert {e["name"] for e in examples} == {q["name"] for q in listed}
    profile = next(e for e in examples if e["name"] == "observatory/region-profile")
    assert "<https://w3id.org/saphire/id/region/FI1D>" in profile["sparql"]
    r = httpx.post(
        shipped_server.sparql,
        content=profile["sparql"],
        headers={
            "content-type": "application/sparql-query",
            "accept": "application/sparql-results+json",
        },
    )
    assert r.status_code == 200 and r.json()["results"]["bindings"]


def test_the_region_page_weight(shipped_server) -> None:
    """The region page and every asset it loads (one stylesheet; charts are inline SVG)."""
    page = httpx.get(shipped_server.base + "/id/region/FI1D", headers={"accept": BROWSER})
    assets = re.findall(r'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="(/[^"]+)"', page.text)
    assert assets == ["/static/site.css"]
    weight = len(page.content) + sum(
        len(httpx.get(shipped_server.base + a).content) for a in assets
    )
    print(f"region page FI1D: {len(page.content)} bytes of HTML, {weight} bytes with its assets")
    assert weight < PAGE_BUDGET
    assert json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
        .group(1)
        .replace("<\\/", "</")
    )
