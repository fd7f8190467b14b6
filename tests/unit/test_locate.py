"""Subjects and predicates are found at the lines they are written on."""

from __future__ import annotations

from saphire_kg.locate import RDF_TYPE, index_turtle

TEXT = """@prefix sph: <https://w3id.org/saphire/ontology#> .
@prefix region: <https://w3id.org/saphire/id/region/> .
@prefix org: <http://www.w3.org/ns/org#> .

region:BE2
    a sph:Region ;
    sph:note "a string with ] and ; and [ inside" ;
    org:memberDuring [
        sph:inner 1
    ] ;
    sph:nutsCode "BE2" .

<https://w3id.org/saphire/id/region/BE> sph:nutsCode "BE" ;
    sph:nutsLevel 0 .
"""

R = "https://w3id.org/saphire/id/region/"
S = "https://w3id.org/saphire/ontology#"


def test_subject_lines() -> None:
    idx = index_turtle(TEXT)
    assert idx.subjects == {R + "BE2": 5, R + "BE": 13}


def test_predicate_lines_ignore_strings_and_nesting() -> None:
    idx = index_turtle(TEXT)
    assert idx.line_of(R + "BE2", RDF_TYPE) == 6
    assert idx.line_of(R + "BE2", S + "note") == 7
    assert idx.line_of(R + "BE2", "http://www.w3.org/ns/org#memberDuring") == 8
    assert idx.line_of(R + "BE2", S + "nutsCode") == 11
    assert (R + "BE2", S + "inner") not in idx.predicates


def test_subject_and_predicate_on_one_line() -> None:
    idx = index_turtle(TEXT)
    assert idx.line_of(R + "BE", S + "nutsCode") == 13
    assert idx.line_of(R + "BE", S + "nutsLevel") == 14
    assert idx.line_of(R + "BE", S + "unknown") == 13
