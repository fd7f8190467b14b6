"""What a query text asks for before it runs: its form, its dataset clause, its SERVICE calls.

Two readers look at the text. A lexer (strings, IRIs and comments are single tokens, never
looked into) finds the form (SELECT, ASK, CONSTRUCT, DESCRIBE, or an update), whether the query
names its own dataset (FROM), a normal form for cache keys, and every `SERVICE [SILENT] target
{ … }` with its extent. A `SERVICE SILENT` to an endpoint that is not on the allow-list is
replaced by `{}`: that is what the spec says a failing silent service yields (one empty
solution), and nothing is contacted. Any other refused SERVICE is an error.

A lexer alone can be fooled where SPARQL's grammar is ambiguous without context (`?a<?b)` can
lex as an IRI and hide a following keyword), so whenever the word "service" occurs anywhere in
the text, rdflib's SPARQL parser reads the (rewritten) query too and every SERVICE it finds must
be on the allow-list; a query it cannot read is refused rather than guessed at.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import urljoin

from .errors import QuerySyntaxError, ServiceNotAllowed, UpdateRefused

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATES = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
ANY = "*"  # an allow-list entry that allows every endpoint (not recommended)
_PARSER_LOCK = threading.Lock()  # rdflib's pyparsing grammar is not safe to share between threads

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<comment>#[^\n\r]*)"
    r'|(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\')'
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r"|(?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)"
    r"|(?P<word>[A-Za-z0-9_:\u00C0-\uFFFF][A-Za-z0-9_:.\-%\u00B7\u00C0-\uFFFF]*)"
    r"|(?P<punct>.)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # ws | comment | string | iri | var | word | punct
    text: str
    start: int


def tokenize(sparql: str) -> list[Token]:
    return [Token(m.lastgroup or "punct", m.group(), m.start()) for m in _TOKEN.finditer(sparql)]


@dataclass(frozen=True)
class ServiceCall:
    """One `SERVICE [SILENT] target { … }` clause: its target IRI (None for a variable) and extent."""

    target: str | None
    silent: bool
    start: int  # offsets into the text, the whole clause
    end: int


@dataclass(frozen=True)
class Screened:
    """A query the service may run: the text to run, its form, and what the cache key needs."""

    text: str
    form: str  # SELECT | ASK | CONSTRUCT | DESCRIBE
    has_dataset: bool  # names its own dataset (FROM / FROM NAMED)
    normal: str  # comments dropped, whitespace collapsed: equal for equal queries
    services: tuple[ServiceCall, ...] = ()
    skipped: tuple[str, ...] = ()  # SERVICE SILENT targets replaced by {} (not on the allow-list)

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def allowed(target: str | None, allow: tuple[str, ...]) -> bool:
    """An entry allows the IRI it names, or every IRI under it when it ends with `/`."""
    if target is None:
        return ANY in allow
    return any(e in (ANY, target) or (e.endswith("/") and target.startswith(e)) for e in allow)


def _significant(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.kind not in ("ws", "comment")]


def _services(text: str, sig: list[Token], base: str | None) -> list[ServiceCall]:
    prefixes: dict[str, str] = {}
    calls = []
    for i, tok in enumerate(sig):
        word = tok.text.upper() if tok.kind == "word" else ""
        if word == "PREFIX" and i + 2 < len(sig) and sig[i + 2].kind == "iri":
            prefixes[sig[i + 1].text.rstrip(":")] = urljoin(base or "", sig[i + 2].text[1:-1])
        elif word == "BASE" and i + 1 < len(sig) and sig[i + 1].kind == "iri":
            base = urljoin(base or "", sig[i + 1].text[1:-1])
        elif word == "SERVICE":
            j = i + 1
            silent = j < len(sig) and sig[j].kind == "word" and sig[j].text.upper() == "SILENT"
            j += silent
            if j >= len(sig):
                continue  # a syntax error the engine reports
            term = sig[j]
            target: str | None = None
            if term.kind == "iri":
                target = urljoin(base or "", term.text[1:-1])
            elif term.kind == "word" and ":" in term.text:
                prefix, _, local = term.text.partition(":")
                target = prefixes[prefix] + local if prefix in prefixes else term.text
            end = _group_end(sig, j + 1)
            calls.append(
                ServiceCall(target, silent, tok.start, end if end is not None else len(text))
            )
    return calls


def _group_end(sig: list[Token], k: int) -> int | None:
    """Offset just after the `{ … }` group starting at significant token `k` (None if there is none)."""
    if k >= len(sig) or sig[k].text != "{":
        return None
    depth = 0
    for tok in sig[k:]:
        if tok.kind == "punct" and tok.text == "{":
            depth += 1
        elif tok.kind == "punct" and tok.text == "}":
            depth -= 1
            if depth == 0:
                return tok.start + 1
    return None


def form_of(sig: list[Token]) -> str | None:
    """SELECT, ASK, CONSTRUCT, DESCRIBE, "UPDATE", or None when no keyword says which."""
    for tok in sig:
        if tok.kind == "word":
            word = tok.text.upper()
            if word in FORMS:
                return word
            if word in UPDATES:
                return "UPDATE"
    return None


def names_dataset(sparql: str) -> bool:
    """Whether the query names its own dataset (FROM or FROM NAMED)."""
    return "from" in sparql.lower() and any(
        t.kind == "word" and t.text.upper() == "FROM" for t in tokenize(sparql)
    )


def screen(sparql: str, allow: tuple[str, ...] = (), base: str | None = None) -> Screened:
    """Check a query text against the service's rules; the text to run has refused silent services
    replaced by `{}`. Raises UpdateRefused, ServiceNotAllowed, or QuerySyntaxError (no form)."""
    sig = _significant(tokenize(sparql))
    form = form_of(sig)
    if form == "UPDATE":
        raise UpdateRefused()
    if form is None:
        raise QuerySyntaxError("expected SELECT, ASK, CONSTRUCT or DESCRIBE", 1, 1)
    calls = _services(sparql, sig, base)
    text, skipped = sparql, []
    for call in sorted(calls, key=lambda c: c.start, reverse=True):
        if allowed(call.target, allow):
            continue
        if not call.silent:
            raise ServiceNotAllowed(call.target or "?variable", allow)
        text = text[: call.start] + "{}" + text[call.end :]
        skipped.append(call.target or "?variable")
    if "service" in text.lower():
        for target, _silent in _parsed_services(text, base):
            if not allowed(target, allow):
                raise ServiceNotAllowed(target or "?variable", allow)
    if skipped:
        sig = _significant(tokenize(text))
    normal = " ".join(t.text for t in sig)
    has_dataset = any(t.kind == "word" and t.text.upper() == "FROM" for t in sig)
    return Screened(text, form, has_dataset, normal, tuple(calls), tuple(reversed(skipped)))


def _parsed_services(text: str, base: str | None) -> list[tuple[str | None, bool]]:
    """The SERVICE targets rdflib's SPARQL parser finds (target None for a variable)."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef

    try:
        with _PARSER_LOCK:
            algebra = translateQuery(parseQuery(text), base=base).algebra
    except Exception as exc:  # noqa: BLE001 — rdflib raises bare Exception (e.g. unknown prefix) besides ParseException
        raise QuerySyntaxError(
            "this query mentions SERVICE and could not be checked against the allow-list "
            f"({type(exc).__name__}); write SERVICE calls as `SERVICE <iri> {{ … }}`"
        ) from exc
    found: list[tuple[str | None, bool]] = []

    def walk(node: object) -> None:
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                term = node.get("term")
                found.append(
                    (str(term) if isinstance(term, URIRef) else None, bool(node.get("silent")))
                )
            for v in node.values():
                walk(v)
        elif isinstance(node, list | tuple | set):
            for v in node:
                walk(v)

    walk(algebra)
    return found
