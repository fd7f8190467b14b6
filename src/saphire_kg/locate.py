"""Maps resources back to `file:line`: where a subject's block starts, where one of its predicates is.

The scanner reads Turtle text without parsing it fully: it knows prefixes, subjects written at
the start of a line (as the canonical form writes them), predicates that start a line inside a
block, strings (so that brackets or semicolons in literals do not count) and bracket nesting.
For hand-written files in another layout it still finds subjects at the start of a line; the
worst case is the line of the subject instead of the predicate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PREFIX = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w\-.]*)?:\s*<([^>]*)>", re.IGNORECASE)
_TERM = re.compile(r"^(<[^>\s]*>|[A-Za-z][\w\-.]*:[^\s;,\[\]()]*|:[^\s;,\[\]()]*|a(?=\s))")
_STRING = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass
class LineIndex:
    """Lines of one file: subject IRI -> first line; (subject, predicate IRI) -> first line."""

    subjects: dict[str, int] = field(default_factory=dict)
    predicates: dict[tuple[str, str], int] = field(default_factory=dict)

    def line_of(self, subject: str, predicate: str | None = None) -> int | None:
        if predicate is not None and (subject, predicate) in self.predicates:
            return self.predicates[(subject, predicate)]
        return self.subjects.get(subject)


def _expand(token: str, prefixes: dict[str, str]) -> str | None:
    if token == "a":
        return RDF_TYPE
    if token.startswith("<") and token.endswith(">"):
        return token[1:-1]
    prefix, sep, local = token.partition(":")
    if sep and prefix in prefixes:
        return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def _blank_strings(text: str) -> str:
    """Replace string literals by same-length runs of spaces (newlines kept)."""
    return _STRING.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def index_turtle(text: str) -> LineIndex:
    index = LineIndex()
    prefixes: dict[str, str] = {}
    scrubbed = _blank_strings(text)
    subject: str | None = None
    depth = 0
    for lineno, (raw, line) in enumerate(
        zip(text.splitlines(), scrubbed.splitlines(), strict=False), start=1
    ):
        m = _PREFIX.match(raw)
        if m:
            prefixes[m.group(1) or ""] = m.group(2)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        rest = stripped
        if depth == 0 and not line[0].isspace():
            tm = _TERM.match(rest)
            if tm and tm.group(1) != "a":
                subject = _expand(tm.group(1), prefixes)
                if subject is not None:
                    index.subjects.setdefault(subject, lineno)
                rest = rest[tm.end() :].lstrip()
        if subject is not None and rest:
            tm = _TERM.match(rest)
            if tm:
                pred = _expand(tm.group(1), prefixes)
                if pred is not None and depth == 0:
                    index.predicates.setdefault((subject, pred), lineno)
        depth += line.count("[") - line.count("]")
        depth = max(depth, 0)
        if depth == 0 and stripped.endswith("."):
            subject = None
    return index
