"""What a query text asks for before it runs: its form, its dataset clause, its SERVICE calls.

Two readers look at the text. A lexer (strings, IRIs and comments are single tokens, never
looked into) finds the form (SELECT, ASK, CONSTRUCT, DESCRIBE, or an update), whether the query
names its own dataset (FROM), and every `SERVICE [SILENT] target` with its target. The target of
a `SERVICE SILENT` to an endpoint that is not on the allow-list is replaced by `REFUSED`, an IRI
no SPARQL engine can call (not HTTP): the call fails at once, without contacting anything, and a
failing silent service yields one empty solution, as the spec says. Only that one token changes,
so the rest of the query means what it meant. Any other refused SERVICE is an error.

A lexer alone can be fooled in two ways, so then rdflib's SPARQL parser reads the (rewritten)
query too and every SERVICE it finds must be on the allow-list (a query it cannot read is
refused rather than guessed at):

- where SPARQL's grammar is ambiguous without context: `?a<?b)` can lex as an IRI and hide a
  following keyword, comment or string. `<` is "less than" only inside parentheses, after an
  operand (a variable, a literal, `)`, `EXISTS {}`'s `}`: anything but an opening parenthesis,
  a comma or an operator), so when an IRI token stands there (`ambiguous_iri`) and the word
  "service" occurs anywhere after it;
- where the engine's parser splits what the lexer reads as one word: it needs no boundary
  between tokens, so `1.SERVICE`, `trueSERVICE` or `ex:.SERVICE` hold the keyword. Any word
  with "service" in it that is not the keyword itself nor a well-formed prefixed name
  (`_hides_a_keyword`).

In strings, comments and IRIs the lexer and the engine agree but for the first case, so the
word "service" there (a FILTER on a string, the sd: namespace) leaves rdflib, slow and
recursive, off the path of big queries. Since the lexer can be fooled at all, nothing it finds
decides which answer a query gets: answers are cached by the query's exact text.

A query is `volatile` when its answer may change while the dataset does not: it calls NOW(),
RAND(), UUID(), STRUUID() or BNODE(), or an endpoint whose data is not ours. Its answer is not cached.
Where the lexer may be fooled, it errs towards volatile.
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
REFUSED = "<urn:x-saphire:refused-service>"
"""The target a refused `SERVICE SILENT` gets: not HTTP, so every engine fails the call at once."""
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_PN_LOCAL_ESC = r"\\[_~.\-!$&'()*+,;=/?#@%]"

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<comment>#[^\n\r]*)"
    r'|(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\')'
    rf'|(?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)'
    r"|(?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)"
    rf"|(?P<word>[A-Za-z0-9_:\u00C0-\uFFFF](?:[A-Za-z0-9_:.\-%\u00B7\u00C0-\uFFFF]|{_PN_LOCAL_ESC})*)"
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
    """One `SERVICE [SILENT] target` clause: its target IRI (None for a variable), and where the
    target is in the text."""

    target: str | None
    silent: bool
    start: int  # offsets into the text of the target token
    end: int


@dataclass(frozen=True)
class Screened:
    """A query the service may run: the text to run, its form, and what the cache key needs."""

    text: str
    form: str  # SELECT | ASK | CONSTRUCT | DESCRIBE
    has_dataset: bool  # names its own dataset (FROM / FROM NAMED)
    normal: str  # the text without the whitespace around it: equal only for equal queries
    services: tuple[ServiceCall, ...] = ()
    skipped: tuple[str, ...] = ()  # SERVICE SILENT targets replaced by {} (not on the allow-list)
    volatile: bool = False  # its answer may change while the dataset does not (`volatile`, SERVICE)

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


VOLATILE_FUNCTIONS = ("NOW", "RAND", "UUID", "STRUUID", "BNODE")
"""The functions whose value differs from one evaluation to the next (SPARQL 1.1, 17.4): a
fresh blank node each time too (`ORDER BY BNODE()` is a random order)."""


_VOLATILE_NAME = re.compile("(?i)" + "|".join(VOLATILE_FUNCTIONS))


def volatile(sparql: str, sig: list[Token], ambiguous: int | None) -> bool:
    """Whether the query calls a function of `VOLATILE_FUNCTIONS`. A word that ends with such a
    name counts (`1.NOW(`: the engine needs no boundary before it), and after an ambiguous `<`
    (`ambiguous_iri`, at that offset), where the lexer may have read code as an IRI, a string
    or a comment, any such name anywhere in the text."""
    if ambiguous is not None and _VOLATILE_NAME.search(sparql, ambiguous):
        return True
    return any(
        tok.kind == "word"
        and ":" not in tok.text
        and tok.text.upper().endswith(VOLATILE_FUNCTIONS)
        and i + 1 < len(sig)
        and sig[i + 1].text == "("
        for i, tok in enumerate(sig)
    )


def allowed(target: str | None, allow: tuple[str, ...]) -> bool:
    """An entry allows the IRI it names, or every IRI under it when it ends with `/`: under
    it once its path is resolved, so not one whose path has a dot segment (`/../admin`, as
    `%2e%2e` too: the engine sends the path as written, and a remote that resolves it serves
    what is outside), nor a backslash (which some servers read as `/`)."""
    if target is None:
        return ANY in allow
    return any(
        e in (ANY, target) or (e.endswith("/") and target.startswith(e) and _stays_under(target))
        for e in allow
    )


def _stays_under(target: str) -> bool:
    """Whether the path of an IRI has no dot segment and no backslash."""
    path = re.split(r"[?#]", target.split("://", 1)[-1], maxsplit=1)[0]
    if "\\" in path or "%5c" in path.lower():
        return False
    return not any(
        segment.lower().replace("%2e", ".") in (".", "..") for segment in path.split("/")
    )


def _significant(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.kind not in ("ws", "comment")]


def _services(sig: list[Token], base: str | None) -> list[ServiceCall]:
    prefixes: dict[str, str] = {}
    calls = []
    for i, tok in enumerate(sig):
        word = tok.text.upper() if tok.kind == "word" else ""
        if word == "PREFIX" and i + 2 < len(sig) and sig[i + 2].kind == "iri":
            iri = _unescape_iri(sig[i + 2].text[1:-1])
            prefixes[sig[i + 1].text.rstrip(":")] = urljoin(base or "", iri)
        elif word == "BASE" and i + 1 < len(sig) and sig[i + 1].kind == "iri":
            base = urljoin(base or "", _unescape_iri(sig[i + 1].text[1:-1]))
        elif word == "SERVICE":
            j = i + 1
            silent = j < len(sig) and sig[j].kind == "word" and sig[j].text.upper() == "SILENT"
            j += silent
            if j >= len(sig):
                continue  # a syntax error the engine reports
            term = sig[j]
            target: str | None = None
            if term.kind == "iri":
                target = urljoin(base or "", _unescape_iri(term.text[1:-1]))
            elif term.kind == "word" and ":" in term.text:
                prefix, _, local = term.text.partition(":")
                local = _LOCAL_ESCAPE.sub(r"\1", local)
                target = prefixes[prefix] + local if prefix in prefixes else term.text
            calls.append(ServiceCall(target, silent, term.start, term.start + len(term.text)))
    return calls


def _unescape_iri(iri: str) -> str:
    """An IRIREF's text with its `\\uXXXX` / `\\UXXXXXXXX` escapes read (SPARQL 1.1, 19.8)."""
    if "\\" not in iri:
        return iri
    return _IRI_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), iri)


_IRI_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


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


_CLOSING = {")": "(", "]": "[", "}": "{"}


_BEFORE_A_TERM = set("(,=!<>&|+-*/^")
"""What an IRI inside parentheses can only follow as a term, never as `<` (less than): an
opening parenthesis, a comma, an operator."""


def ambiguous_iri(sig: list[Token]) -> int | None:
    """The offset of the first IRI token that SPARQL may read as `<` (less than) instead: one
    inside parentheses (the innermost bracket open) after anything but `_BEFORE_A_TERM` (an
    operand: a variable, a literal, a call's `)`, `EXISTS {…}`'s `}`); None if none is."""
    open_: list[str] = []
    previous: Token | None = None
    for tok in sig:
        if tok.kind == "punct" and tok.text in "([{":
            open_.append(tok.text)
        elif tok.kind == "punct" and tok.text in ")]}":
            if open_:
                open_.pop()
        elif (
            tok.kind == "iri"
            and open_
            and open_[-1] == "("
            and previous is not None
            and not (previous.kind == "punct" and previous.text in _BEFORE_A_TERM)
        ):
            return tok.start
        previous = tok
    return None


def _hides_a_keyword(tok: Token) -> bool:
    """A word with "service" in it that the engine may read as more than one token."""
    return (
        tok.kind == "word"
        and "service" in tok.text.lower()
        and tok.text.upper() != "SERVICE"
        and not _PNAME.match(tok.text.rstrip("."))  # (`sd:Service.`: the name, then a '.')
    )


_PN_CHAR = r"[A-Za-z0-9_\-\u00B7\u00C0-\uFFFF]"
_PN_LOCAL_CHAR = rf"(?:{_PN_CHAR}|:|%[0-9A-Fa-f]{{2}}|{_PN_LOCAL_ESC})"
_PNAME = re.compile(
    rf"(?:[A-Za-z\u00C0-\uFFFF](?:(?:{_PN_CHAR}|\.)*{_PN_CHAR})?)?:"  # PN_PREFIX, no end '.'
    rf"(?:(?:[A-Za-z0-9_:\u00C0-\uFFFF]|%[0-9A-Fa-f]{{2}}|{_PN_LOCAL_ESC})"  # PN_LOCAL's first
    rf"(?:(?:{_PN_LOCAL_CHAR}|\.)*{_PN_LOCAL_CHAR})?)?\Z"  # ... and the rest, no end '.'
)
"""A prefixed name as SPARQL 1.1 writes it (PNAME_NS / PNAME_LN): one token to the engine."""


def might_read_slowly(sparql: str) -> bool:
    """Whether screening `sparql` may need rdflib's parser (milliseconds to seconds: run it off
    the event loop); a cheap superset of what `screen` checks."""
    return "service" in sparql.lower()


def stray_token(sparql: str) -> tuple[int, str] | None:
    """The offset of the first token no query can have where it is, with a message saying so:
    a `)`, `]` or `}` that closes nothing open at that point (the innermost bracket open is
    another kind, or none is), or a `.` right after a `.`; None if there is no such token."""
    open_: list[Token] = []
    previous: Token | None = None
    for tok in _significant(tokenize(sparql)):
        after, previous = previous, tok
        if tok.kind != "punct":
            continue
        if (
            tok.text == "."
            and after is not None
            and after.text == "."
            and not sparql[tok.start + 1 : tok.start + 2].isdigit()  # (`.5`: a decimal)
        ):
            return tok.start, "a second '.' where one ends the triple pattern"
        if tok.text in "([{":
            open_.append(tok)
        elif tok.text in _CLOSING:
            if open_ and open_[-1].text == _CLOSING[tok.text]:
                open_.pop()
                continue
            if not open_:
                return tok.start, f"{tok.text!r} closes nothing: no bracket is open here"
            closer = next(c for c, o in _CLOSING.items() if o == open_[-1].text)
            return tok.start, f"{tok.text!r} where {closer!r} should close the {open_[-1].text!r} before it"
    return None


def names_dataset(sparql: str) -> bool:
    """Whether the query names its own dataset (FROM or FROM NAMED)."""
    return "from" in sparql.lower() and any(
        t.kind == "word" and t.text.upper() == "FROM" for t in tokenize(sparql)
    )


def screen(sparql: str, allow: tuple[str, ...] = (), base: str | None = None) -> Screened:
    """Check a query text against the service's rules; in the text to run, refused silent
    services call `REFUSED`. Raises UpdateRefused, ServiceNotAllowed, or QuerySyntaxError (no
    form)."""
    sig = _significant(tokenize(sparql))
    form = form_of(sig)
    if form == "UPDATE":
        raise UpdateRefused()
    if form is None:
        raise QuerySyntaxError("expected SELECT, ASK, CONSTRUCT or DESCRIBE", 1, 1)
    calls = _services(sig, base)
    text, skipped = sparql, []
    for call in sorted(calls, key=lambda c: c.start, reverse=True):
        if allowed(call.target, allow):
            continue
        if not call.silent:
            raise ServiceNotAllowed(call.target or "?variable", allow)
        text = text[: call.start] + REFUSED + text[call.end :]
        skipped.append(call.target or "?variable")
    remote = len(calls) > len(skipped)  # an endpoint is called: its data is not ours
    ambiguous = ambiguous_iri(sig)
    if (ambiguous is not None and "service" in sparql[ambiguous:].lower()) or any(
        _hides_a_keyword(t) for t in sig
    ):
        for target, silent in _parsed_services(text, base):
            if silent and f"<{target}>" == REFUSED:
                continue
            if not allowed(target, allow):
                raise ServiceNotAllowed(target or "?variable", allow)
            remote = True
    has_dataset = any(t.kind == "word" and t.text.upper() == "FROM" for t in sig)
    normal = sparql.strip(" \t\r\n")  # (SPARQL's whitespace only: `\xa0` is not)
    return Screened(
        text,
        form,
        has_dataset,
        normal,
        tuple(calls),
        tuple(reversed(skipped)),
        remote or volatile(sparql, sig, ambiguous),
    )


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
