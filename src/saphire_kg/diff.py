"""`saphire-kg diff`: the graph change between two git revisions, grouped by resource.

A fact is one (predicate, object) of an IRI subject. A blank-node object (a membership period,
an OWL restriction) is not compared by its random id but as a whole: its canonical nested
text, as the canonical Turtle writer prints it. So re-parsing never shows a change, and an
edited period shows as one removed and one added fact of its membership.

Only files that differ between the two revisions are read; a fact that merely moves between
two changed files is no change.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import BNode, Graph

from .canonical import CanonicalWriter
from .errors import InputError
from .load import parse_bytes, rdflib_graph
from .namespaces import RDFS, SKOS
from .sources import RevisionFiles

Fact = tuple[str, str]  # (predicate as written, object as written)


@dataclass
class ResourceChange:
    subject: str  # as written (prefixed name or <iri>)
    label: str | None
    added: list[Fact] = field(default_factory=list)
    removed: list[Fact] = field(default_factory=list)


@dataclass
class GraphDiff:
    rev_a: str
    rev_b: str
    files: list[str]
    changes: list[ResourceChange]

    @property
    def added(self) -> int:
        return sum(len(c.added) for c in self.changes)

    @property
    def removed(self) -> int:
        return sum(len(c.removed) for c in self.changes)


def _graph(files: RevisionFiles, rels: list[str]) -> Graph:
    graph = Graph()
    for rel in rels:
        data = files.read(rel)
        if data is None:
            continue
        try:
            rdflib_graph(parse_bytes(rel, data), into=graph)
        except InputError as err:
            raise InputError(path=err.path, line=err.line, column=err.column, message=f"at {files.rev}: {err.message}") from None
    return graph


def _facts(graph: Graph) -> tuple[dict[str, set[Fact]], dict[str, str], CanonicalWriter]:
    writer = CanonicalWriter(graph)
    facts: dict[str, set[Fact]] = defaultdict(set)
    labels: dict[str, str] = {}
    for s, p, o in graph:
        if isinstance(s, BNode) and writer._object_uses.get(s, 0) > 0:
            continue  # written inside its holder's fact
        subject = writer.term(s, 0)
        facts[subject].add((writer.iri(p), writer.term(o, 1)))  # type: ignore[arg-type]
        if p in (SKOS.prefLabel, RDFS.label) and subject not in labels:
            labels[subject] = str(o)
    return facts, labels, writer


def diff_revisions(a: RevisionFiles, b: RevisionFiles) -> GraphDiff:
    changed = sorted(rel for rel in set(a.list()) | set(b.list()) if a.read(rel) != b.read(rel))
    facts_a, labels_a, _ = _facts(_graph(a, changed))
    facts_b, labels_b, _ = _facts(_graph(b, changed))
    changes = []
    for subject in sorted(set(facts_a) | set(facts_b)):
        before, after = facts_a.get(subject, set()), facts_b.get(subject, set())
        if before == after:
            continue
        changes.append(
            ResourceChange(
                subject=subject,
                label=labels_b.get(subject) or labels_a.get(subject),
                added=sorted(after - before),
                removed=sorted(before - after),
            )
        )
    return GraphDiff(rev_a=a.rev, rev_b=b.rev, files=changed, changes=changes)


def _fact_text(fact: Fact) -> str:
    return re.sub(r"\s+", " ", f"{fact[0]} {fact[1]}")


def render_text(d: GraphDiff) -> str:
    lines = []
    for c in d.changes:
        head = c.subject + (f"  ({c.label})" if c.label else "")
        lines.append(head)
        lines.extend(f"  - {_fact_text(f)}" for f in c.removed)
        lines.extend(f"  + {_fact_text(f)}" for f in c.added)
    lines.append(
        f"{d.removed} fact(s) removed, {d.added} added, in {len(d.changes)} resource(s) "
        f"({d.rev_a} → {d.rev_b}; {len(d.files)} file(s) changed)"
    )
    return "\n".join(lines) + "\n"


def render_markdown(d: GraphDiff) -> str:
    out = [
        f"### Graph changes {d.rev_a} → {d.rev_b}",
        "",
        f"**{d.removed}** fact(s) removed, **{d.added}** added, in **{len(d.changes)}** resource(s).",
        "",
    ]
    for c in d.changes:
        out.append(f"#### `{c.subject}`" + (f" — {c.label}" if c.label else ""))
        out.append("")
        out.append("```diff")
        out.extend(f"- {_fact_text(f)}" for f in c.removed)
        out.extend(f"+ {_fact_text(f)}" for f in c.added)
        out.append("```")
        out.append("")
    return "\n".join(out)
