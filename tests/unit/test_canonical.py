"""The canonical Turtle form: same graph, same bytes; one fact per line; round trips."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, XSD

from saphire_kg.canonical import canonical_turtle

EX = Namespace("https://w3id.org/saphire/id/region/")
SPH = Namespace("https://w3id.org/saphire/ontology#")
ORG = Namespace("http://www.w3.org/ns/org#")
TIME = Namespace("http://www.w3.org/2006/time#")

SAMPLES = {
    "literals": """
        @prefix sph: <https://w3id.org/saphire/ontology#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <https://w3id.org/saphire/id/region/BE2> sph:nutsLevel 1 ; sph:populationDensity 491.0 ;
            sph:x "1.50"^^xsd:decimal , "007"^^xsd:integer , true , "1e3"^^xsd:double ;
            sph:label "Vlaams \\"Gewest\\"\\nline"@nl , "plain" , "typed"^^xsd:token .
    """,
    "nested blank nodes and lists": """
        @prefix org: <http://www.w3.org/ns/org#> .
        @prefix time: <http://www.w3.org/2006/time#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        <https://w3id.org/saphire/id/membership/BE2-x> org:memberDuring [ a time:ProperInterval ;
            time:hasBeginning [ time:inXSDDate "2018-12-01"^^<http://www.w3.org/2001/XMLSchema#date> ] ] .
        <https://w3id.org/saphire/ontology#C> owl:intersectionOf ( <https://w3id.org/saphire/ontology#A> [ owl:onProperty <https://w3id.org/saphire/ontology#p> ] ) .
    """,
    "shared and loose blank nodes": """
        @prefix ex: <https://w3id.org/saphire/ontology#> .
        ex:a ex:p _:shared . ex:b ex:p _:shared . _:shared ex:q 1 .
        [ ex:r 2 ] .
    """,
    "unprefixable IRIs": """
        <http://example.org/a/b#c> <http://example.org/p> <http://example.org/x/y?z=1&w=2> .
        <https://w3id.org/saphire/id/region/x-jersey> <http://www.w3.org/2004/02/skos/core#prefLabel> "Jersey" .
    """,
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip_is_isomorphic_and_idempotent(name: str) -> None:
    graph = Graph().parse(data=SAMPLES[name], format="turtle")
    text = canonical_turtle(graph)
    again = Graph().parse(data=text, format="turtle")
    assert isomorphic(graph, again)
    assert canonical_turtle(again) == text


def test_order_of_input_does_not_matter() -> None:
    a, b = Graph(), Graph()
    triples = [
        (EX.BE2, SPH.nutsCode, Literal("BE2")),
        (EX.BE2, RDF.type, SPH.Region),
        (EX.BE, RDF.type, SPH.Country),
        (EX.BE2, SPH.nutsLevel, Literal(1)),
    ]
    for t in triples:
        a.add(t)
    for t in reversed(triples):
        b.add(t)
    assert canonical_turtle(a) == canonical_turtle(b)


def test_one_fact_per_line_and_type_first() -> None:
    g = Graph()
    g.add((EX.BE2, SPH.nutsCode, Literal("BE2")))
    g.add((EX.BE2, RDF.type, SPH.Region))
    g.add((EX.BE2, SPH.validIn, URIRef("http://data.europa.eu/nuts/scheme/2021")))
    g.add((EX.BE2, SPH.validIn, URIRef("http://data.europa.eu/nuts/scheme/2024")))
    assert canonical_turtle(g).splitlines() == [
        "@prefix nutsscheme: <http://data.europa.eu/nuts/scheme/> .",
        "@prefix region: <https://w3id.org/saphire/id/region/> .",
        "@prefix sph: <https://w3id.org/saphire/ontology#> .",
        "",
        "region:BE2",
        "    a sph:Region ;",
        '    sph:nutsCode "BE2" ;',
        "    sph:validIn",
        "        nutsscheme:2021 ,",
        "        nutsscheme:2024 .",
    ]


def test_literals_use_shorthand_only_for_their_exact_form() -> None:
    g = Graph()
    g.add((EX.BE2, SPH.d, Literal("12.50", datatype=XSD.decimal)))
    g.add((EX.BE2, SPH.i, Literal("+7", datatype=XSD.integer)))
    g.add((EX.BE2, SPH.b, BNode()))
    text = canonical_turtle(g)
    assert "sph:d 12.50 ;" in text
    assert "sph:i 7 ." in text  # rdflib normalises integer lexical forms on parse
    assert "sph:b [] ;" in text
