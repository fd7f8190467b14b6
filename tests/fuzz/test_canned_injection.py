"""Hostile canned-query parameters never change the query: property-based over the whole catalogue.

For every parameter of every analysis in queries/, hypothesis draws values built from SPARQL's
own syntax (quotes, angle brackets, braces, comment marks, escapes, keywords, newlines) around
the parameter's documented example. A value is either refused (ParameterError, a 422) or bound;
bound, the query has exactly the token structure it has with the example value — the value is
one term where the variable stood, never more syntax.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saphire_kg.errors import ParameterError
from saphire_kg.query import bind_text
from saphire_kg.screen import tokenize
from tests.fuzz.conftest import TALLY, bounded, catalog

CASES = [(q, p) for q in catalog() for p in q.parameters if p.example is not None]
PAYLOADS = [
    '"',
    "'",
    "<",
    ">",
    "{",
    "}",
    "#",
    "\\",
    "\n",
    "\r",
    " ",
    "\t",
    ".",
    ";",
    ",",
    "^^",
    "@",
    "?s",
    "$s",
    "\\u0022",
    "\\u003E",
    '"""',
    "'''",
    "%22",
    "%3E",
    "\x00",
    "} UNION { ?s ?p ?o }",
    '" } ; DROP ALL ; #',
    "> . ?s ?p ?o . <",
    "SERVICE <http://127.0.0.1/>",
    "DELETE WHERE { ?s ?p ?o }",
    '\\" } #',
    'x" || true || "',
    ")",
    "(",
]


def _structure(sparql: str) -> list[str]:
    return [t.kind for t in tokenize(sparql) if t.kind not in ("ws", "comment")]


hostile = st.one_of(
    st.lists(st.sampled_from(PAYLOADS) | st.text(max_size=4), max_size=6).map("".join),
    st.text(max_size=40),
)


@pytest.mark.parametrize(
    ("query", "parameter"), CASES, ids=[f"{q.name}:{p.name}" for q, p in CASES]
)
@bounded(60)
@given(prefix=hostile, suffix=hostile, replace=st.booleans())
def test_a_hostile_value_is_refused_or_bound_as_one_term(
    query, parameter, prefix: str, suffix: str, replace: bool
) -> None:
    value = (prefix + suffix) if replace else (prefix + parameter.example + suffix)
    examples = query.examples()  # the other parameters keep their documented values
    benign = bind_text(query.sparql, query.bind(examples))
    TALLY["injection values"] += 1
    try:
        terms = query.bind({**examples, parameter.name: value})
    except ParameterError:
        TALLY["injection refused"] += 1
        return
    bound = bind_text(query.sparql, terms)
    if parameter.name not in terms:  # blank: absent, the analysis ranges over every value
        others = {k: v for k, v in examples.items() if k != parameter.name}
        assert not value.strip() and bound == bind_text(query.sparql, query.bind(others))
        return
    TALLY["injection bound"] += 1
    assert _structure(bound) == _structure(benign), (value, bound)


def test_the_catalogue_has_parameters_to_attack() -> None:
    assert len(CASES) >= 20  # 24 parameters with examples in 22 analyses when this was written
