"""catalog: `#+` headers (errors at file:line), typed parameters, and the scan binding relies on."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Literal, Namespace, URIRef

from saphire_kg.catalog import Parameter, load_catalog, read_query, scan
from saphire_kg.errors import ParameterError, QueryHeaderError, UnknownQuery

REGION = "https://w3id.org/saphire/id/region/"
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # open: pytest probes attributes

GOOD = """\
#+ title: Regions and their labels
#+ description: >
#+   A test query.
#+ tags: [test]
#+ parameters:
#+   - name: region
#+     type: region
#+     example: FI1D
#+     description: The region.
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?region ?label WHERE { ?region skos:prefLabel ?label }
"""


def write(tmp_path: Path, text: str, name: str = "gaps/q.rq") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_good_header_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    query = read_query(path, tmp_path)
    assert (query.name, query.title, query.tags, query.form) == ("gaps/q", "Regions and their labels", ("test",), "SELECT")
    (param,) = query.parameters
    assert (param.name, param.type, param.required, param.example, param.line) == ("region", "region", False, "FI1D", 6)


def test_the_catalogue_lists_queries_by_name(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "b/two.rq")
    write(tmp_path, GOOD, "a/one.rq")
    catalog = load_catalog(tmp_path)
    assert [q.name for q in catalog] == ["a/one", "b/two"]
    assert catalog.get("a/one.rq").name == "a/one"
    with pytest.raises(UnknownQuery):
        catalog.get("a/three")


# Each malformed header, and the line the error must name (1-based, in the .rq file).
BAD_HEADERS = [
    ("no header", "SELECT ?x WHERE { ?x ?p ?o }\n", 1, "starts with a header"),
    ("yaml syntax", "#+ title: [unclosed\n#+ description: x\nSELECT ?x WHERE { ?x ?p ?o }\n", 2, "not valid YAML"),
    ("bad indentation", "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: x\n#+    type: string\nSELECT ?x WHERE { ?x ?p ?o }\n", 5, "not valid YAML"),
    ("unknown key", "#+ title: t\n#+ description: d\n#+ summary: s\nSELECT ?x WHERE { ?x ?p ?o }\n", 3, "unknown header key 'summary'"),
    ("missing title", "#+ description: d\nSELECT ?x WHERE { ?x ?p ?o }\n", 1, "non-empty `title`"),
    ("not a mapping", "#+ - a\n#+ - b\nSELECT ?x WHERE { ?x ?p ?o }\n", 1, "YAML mapping"),
    (
        "unknown type",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: x\n#+     type: float\n#+     description: x\nSELECT ?x WHERE { ?x ?p ?o }\n",
        5,
        "`type` must be one of",
    ),
    (
        "unknown parameter key",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: x\n#+     type: string\n#+     descripton: x\nSELECT ?x WHERE { ?x ?p ?o }\n",
        6,
        "unknown key 'descripton'",
    ),
    (
        "yaml boolean as name",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: on\n#+     type: date\n#+     description: x\nSELECT ?x WHERE { ?x ?p ?o }\n",
        4,
        "quote it",
    ),
    (
        "reserved name",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: format\n#+     type: string\n#+     description: x\nSELECT ?format ?x WHERE { ?x ?p ?format }\n",
        4,
        "the answer's format",
    ),
    (
        "bad default",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: n\n#+     type: integer\n#+     min: 1\n#+     default: 0\n#+     description: x\nSELECT ?n ?x WHERE { ?x ?p ?n }\n",
        7,
        "must be at least 1",
    ),
    (
        "required without example",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: x\n#+     type: string\n#+     required: true\n#+     description: x\nSELECT ?x WHERE { ?x ?p ?o }\n",
        4,
        "needs an `example`",
    ),
    (
        "enum without values",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: x\n#+     type: enum\n#+     description: x\nSELECT ?x WHERE { ?x ?p ?o }\n",
        4,
        "lists its `values` or names the `scheme`",
    ),
    (
        "option of another type",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: x\n#+     type: string\n#+     min: 3\n#+     description: x\nSELECT ?x WHERE { ?x ?p ?o }\n",
        6,
        "`min` does not apply to type string",
    ),
    (
        "declared twice",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: x\n#+     type: string\n#+     description: x\n#+   - name: x\n#+     type: string\n#+     description: x\nSELECT ?x WHERE { ?x ?p ?o }\n",
        7,
        "declared twice",
    ),
    (
        "unused parameter",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: y\n#+     type: string\n#+     description: y\nSELECT ?x WHERE { ?x ?p ?o }\n",
        4,
        "does not use ?y",
    ),
    (
        "not projected",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: y\n#+     type: string\n#+     description: y\nSELECT ?x\nWHERE { ?x ?p ?y }\n",
        8,
        "does not project it",
    ),
    (
        "sub-select does not project it",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: y\n#+     type: string\n#+     description: y\nSELECT ?y ?x WHERE {\n  { SELECT ?x WHERE { ?x ?p ?y } }\n}\n",
        8,
        "a sub-select",
    ),
    (
        "bound with AS",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: y\n#+     type: string\n#+     description: y\nSELECT ?y WHERE {\n  BIND (1 AS ?y)\n}\n",
        8,
        "cannot be bound with AS",
    ),
    (
        "in VALUES",
        "#+ title: t\n#+ description: d\n#+ parameters:\n#+   - name: y\n#+     type: string\n#+     description: y\nSELECT ?y WHERE {\n  VALUES ?y { 1 }\n}\n",
        8,
        "cannot be a VALUES variable",
    ),
    ("select star", "#+ title: t\n#+ description: d\nSELECT * WHERE { ?x ?p ?o }\n", 3, "no SELECT *"),
]


@pytest.mark.parametrize(("text", "line", "message"), [c[1:] for c in BAD_HEADERS], ids=[c[0] for c in BAD_HEADERS])
def test_a_malformed_header_is_an_error_at_its_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(QueryHeaderError) as err:
        load_catalog(tmp_path)
    assert err.value.line == line
    assert message in err.value.message
    assert str(err.value).startswith(f"{path}:{line}:")


def test_the_bad_header_cases_are_all_collected() -> None:
    assert len(BAD_HEADERS) == 21


# parameter type, declaration extras, value given, the RDF term expected
GOOD_VALUES = [
    ("region", {}, "FI1D", URIRef(REGION + "FI1D")),
    ("region", {}, "fi1d", URIRef(REGION + "FI1D")),
    ("region", {}, "x-jersey", URIRef(REGION + "x-jersey")),
    ("region", {}, REGION + "BE2", URIRef(REGION + "BE2")),
    ("region", {}, "UKN0-2016", URIRef(REGION + "UKN0-2016")),
    ("iri", {"namespace": "https://w3id.org/saphire/id/initiative/"}, "s3p4pm", URIRef("https://w3id.org/saphire/id/initiative/s3p4pm")),
    ("iri", {}, "https://example.org/a?b=c", URIRef("https://example.org/a?b=c")),
    ("string", {}, 'a "quoted" }\nUNION { ?s ?p ?o }', Literal('a "quoted" }\nUNION { ?s ?p ?o }')),
    ("integer", {"minimum": Decimal(1), "maximum": Decimal(5)}, "3", Literal(3, datatype=XSD.integer)),
    ("decimal", {}, "12.5", Literal(Decimal("12.5"), datatype=XSD.decimal)),
    ("date", {}, "2024-06-30", Literal("2024-06-30", datatype=XSD.date)),
    ("date", {}, "today", Literal("2020-02-29", datatype=XSD.date)),
    ("boolean", {}, "yes", Literal(True)),
    ("boolean", {}, "False", Literal(False)),
    ("enum", {"values": ("any", "one")}, "one", Literal("one")),
    (
        "enum",
        {"scheme": "https://w3id.org/saphire/id/scheme/membership-role", "values": ("leading",), "value_iris": {"leading": "https://w3id.org/saphire/id/concept/role/leading"}},
        "leading",
        URIRef("https://w3id.org/saphire/id/concept/role/leading"),
    ),
]


@pytest.mark.parametrize(("kind", "extra", "value", "term"), GOOD_VALUES)
def test_values_become_rdf_terms(kind: str, extra: dict, value: str, term: object) -> None:
    assert Parameter("p", kind, **extra).term(value, today=date(2020, 2, 29)) == term


# parameter type, declaration extras, value given, words the error must contain
BAD_VALUES = [
    ("region", {}, 'FI1D" } UNION { ?s ?p ?o', "NUTS code"),
    ("region", {}, "<https://w3id.org/saphire/id/region/FI1D>", "NUTS code"),
    ("region", {}, "FI1D\n", None),
    ("region", {}, "X" * 5000, "too long"),
    ("iri", {}, "not an iri", "absolute IRI"),
    ("iri", {}, "https://example.org/>{", "absolute IRI"),
    ("iri", {"namespace": "https://w3id.org/saphire/id/initiative/"}, "https://evil.example/", "expected an IRI in"),
    ("string", {}, "a\x00b", "control characters"),
    ("string", {"max_length": 10}, "x" * 11, "too long"),
    ("integer", {}, "1; DROP", "integer"),
    ("integer", {"maximum": Decimal(100)}, "101", "at most 100"),
    # a long number past a bound is out of range, not "not an integer" (a reviewer's case)
    ("integer", {"maximum": Decimal(100)}, "9" * 23, "at most 100"),
    ("integer", {"minimum": Decimal(1)}, "-" + "9" * 23, "at least 1"),
    ("integer", {}, "9" * 23, "at most 18 digits"),
    ("decimal", {}, "1e9", "decimal"),
    ("date", {}, "2024-02-30", "not a date"),
    ("date", {}, "30/06/2024", "YYYY-MM-DD"),
    ("boolean", {}, "maybe", "true or false"),
    ("enum", {"values": ("any", "one")}, "two", "one of: any, one"),
]


@pytest.mark.parametrize(("kind", "extra", "value", "words"), BAD_VALUES)
def test_bad_values_name_the_parameter(kind: str, extra: dict, value: str, words: str | None) -> None:
    if words is None:  # surrounding whitespace is forgiven
        assert Parameter("p", kind, **extra).term(value) == URIRef(REGION + "FI1D")
        return
    with pytest.raises(ParameterError) as err:
        Parameter("p", kind, **extra).term(value)
    assert err.value.parameter == "p"
    assert words in err.value.message


def test_the_value_tables_are_all_collected() -> None:
    assert (len(GOOD_VALUES), len(BAD_VALUES)) == (16, 19)


def test_bind_applies_defaults_and_refuses_unknown_or_missing_parameters(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        #+ title: t
        #+ description: d
        #+ parameters:
        #+   - name: region
        #+     type: region
        #+     required: true
        #+     example: BE2
        #+     description: r
        #+   - name: n
        #+     type: integer
        #+     default: 2
        #+     description: n
        #+   - name: free
        #+     type: string
        #+     description: f
        SELECT ?region ?n ?free WHERE { ?region ?n ?free }
        """,
    )
    query = read_query(path, tmp_path)
    assert query.bind({"region": "BE2"}) == {"region": URIRef(REGION + "BE2"), "n": Literal(2, datatype=XSD.integer)}
    with pytest.raises(ParameterError, match="'region': is required"):
        query.bind({})
    with pytest.raises(ParameterError, match="'nope': no such parameter"):
        query.bind({"region": "BE2", "nope": "1"})


def test_scan_skips_strings_iris_and_comments() -> None:
    text = 'SELECT ?a WHERE { ?a <http://x/?b> "?c" . # ?d\n ?a ?p \'\'\'?e\'\'\' }'
    found = {(o.name, o.role) for o in scan(text).occurrences}
    assert found == {("a", "projected"), ("a", "term"), ("p", "term")}


def test_scan_tells_projection_grouping_and_sub_selects_apart() -> None:
    text = "SELECT ?r (COUNT(?x) AS ?n) WHERE { { SELECT ?r ?x WHERE { ?x ?p ?r } } } GROUP BY ?r ORDER BY DESC(?n) ?r"
    scanned = scan(text)
    roles = [(o.name, o.role, o.level) for o in scanned.occurrences]
    assert roles == [
        ("r", "projected", 0), ("x", "term", 0), ("n", "bound", 0),
        ("r", "projected", 1), ("x", "projected", 1), ("x", "term", 1), ("p", "term", 1), ("r", "term", 1),
        ("r", "grouped", 0), ("n", "term", 0), ("r", "grouped", 0),
    ]
    assert scanned.projected_by_child[0] == {"r", "x"}
