"""SHACL validation (pyshacl) with curator-readable findings: `file:line: severity: message`.

Validation works per file and is cached: a file's result depends only on the triples about
the subjects it writes (from any file), the types of the resources those triples point to,
the ontology's class hierarchy and the shapes. The cache key hashes exactly that, so after an
edit only the files whose key changed are validated again, in one pyshacl run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .load import Loaded, LoadedFile, rdflib_graph, to_rdflib
from .errors import InputError
from .namespaces import PREFIXES, RDF, RDFS, SH, SPHSH
from .sources import Role

SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
_SEVERITY_ORDER = {"violation": 0, "warning": 1, "info": 2}
_RENDERED = {"violation": "error", "warning": "warning", "info": "info"}
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_SUBCLASS = ox.NamedNode(str(RDFS.subClassOf))
CACHE_FORMAT = "2"  # 2: property shapes validated with hoisted targets


def short(term: str | None) -> str:
    """An IRI as a prefixed name where one of our prefixes fits, else `<iri>`."""
    if term is None:
        return ""
    if term.startswith("_:"):
        return "[blank node]"
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if term.startswith(ns) and "/" not in term[len(ns) :] and "#" not in term[len(ns) :]:
            return f"{prefix}:{term[len(ns):]}"
    return f"<{term}>"


@dataclass(frozen=True)
class Finding:
    """One result of validation, located in the file a curator has to edit."""

    severity: str  # violation | warning | info
    focus: str  # the resource (IRI, or `_:id` for a blank node)
    path: str | None  # the property (IRI) when the rule is about one
    shape: str  # the shape or constraint that was broken
    message: str
    value: str | None = None
    file: str | None = None
    line: int | None = None
    anchor: str | None = None  # the IRI resource that holds a blank-node focus

    def render(self) -> str:
        where = f"{self.file}:{self.line or 1}" if self.file else "<data>"
        about = short(self.anchor or self.focus)
        extra = [f"shape {short(self.shape)}"]
        if self.path:
            extra.append("path " + _short_path(self.path))
        if self.value is not None and not self.value.startswith("_:"):
            extra.append(f"value {self.value if self.value.startswith(chr(34)) else short(self.value)}")
        return f"{where}: {_RENDERED[self.severity]}: {about} {self.message} ({', '.join(extra)})"

    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, _SEVERITY_ORDER[self.severity], self.focus, self.shape, self.path or "", self.value or "")

    def as_dict(self) -> dict:
        return asdict(self)


def _text(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        return node.n3()
    return str(node)


def _path_text(graph: Graph, path: Node | None) -> str | None:
    """A SHACL path as text: an IRI, or a sequence written `<p1>/<p2>` (inverse as `^<p>`)."""
    if path is None or isinstance(path, URIRef):
        return _text(path)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _path_step(graph, inverse)
    items = list(graph.items(path))
    if items:
        return "/".join(_path_step(graph, i) for i in items)
    return _text(path)


def _path_step(graph: Graph, step: Node) -> str:
    return f"<{step}>" if isinstance(step, URIRef) else (_path_text(graph, step) or "")


def _short_path(path: str) -> str:
    """An IRI path, or a sequence/inverse path of `<iri>` steps, with prefixed names."""
    if not path.startswith(("<", "^")):
        return short(path)
    return re.sub(r"<([^>]*)>", lambda m: short(m.group(1)), path)


def _message(results: Graph, result: Node, shapes: Graph, shape: Node) -> str:
    messages = [str(m) for m in results.objects(result, SH.resultMessage)]
    for m in shapes.objects(shape, SH.message):  # the shape's own message wins (language: en)
        if isinstance(m, Literal) and m.language in (None, "en"):
            return str(m)
    return messages[0] if messages else "violates the shape"


def validate_graph(
    data: Graph, shapes: Graph, focus_nodes: Iterable[Node] | None = None
) -> list[Finding]:
    """Run pyshacl on `data` (which must already hold the class hierarchy it needs)."""
    focus = list(focus_nodes) if focus_nodes is not None else None
    if focus is not None and not focus:
        return []
    _conforms, results, _text_report = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
        inplace=True,
        focus_nodes=focus,
    )
    findings = []
    nested = set(results.objects(None, SH.detail))  # sh:node details: reported by their holder
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if result in nested:
            continue
        severity = SEVERITY.get(results.value(result, SH.resultSeverity), "violation")  # type: ignore[arg-type]
        source_shape = results.value(result, SH.sourceShape)
        constraint = results.value(result, SH.sourceConstraint)
        shape = constraint if isinstance(constraint, URIRef) else source_shape
        # SPARQL constraints carry their own message and severity on the constraint node.
        msg_holder = constraint if constraint is not None and (constraint, SH.message, None) in shapes else source_shape
        if constraint is not None and (constraint, SH.severity, None) in shapes:
            severity = SEVERITY.get(shapes.value(constraint, SH.severity), severity)  # type: ignore[arg-type]
        message = _message(results, result, shapes, msg_holder)  # type: ignore[arg-type]
        if "{?" in message or "{$" in message:
            message = str(results.value(result, SH.resultMessage) or message)
        findings.append(
            Finding(
                severity=severity,
                focus=_text(results.value(result, SH.focusNode)) or "",
                path=_path_text(results, results.value(result, SH.resultPath)),
                shape=_text(shape) or "",
                message=message,
                value=_text(results.value(result, SH.value)),
            )
        )
    return findings


# ---------------------------------------------------------------- the inputs, per file, cached


def _class_hierarchy(loaded: Loaded) -> list[ox.Triple]:
    return [
        t
        for f in loaded.of_role(Role.ONTOLOGY)
        for t in f.triples
        if t.predicate == _SUBCLASS and isinstance(t.object, ox.NamedNode)
    ]


def shapes_graph(loaded: Loaded) -> Graph:
    graph = Graph()
    for f in loaded.of_role(Role.SHAPES):
        rdflib_graph(f.triples, into=graph)
    return hoist_targets(graph)


_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


def hoist_targets(shapes: Graph) -> Graph:
    """Give each named property shape of a targeted node shape that node shape's targets, in
    place of the `sh:property` link. The findings are the same (a result names the property
    shape either way), but pyshacl builds a nested property shape's constraints again for each
    focus node, and a targeted one once: on the shipped data a cold run takes half the time.
    Left alone: node shapes used through `sh:node` (their focus comes from elsewhere),
    deactivated ones, and property shapes shared by several node shapes."""
    for node_shape in set(shapes.subjects(SH.property, None)):
        targets = [(p, o) for p in _TARGETS for o in shapes.objects(node_shape, p)]
        if (
            not targets
            or (None, SH.node, node_shape) in shapes
            or (node_shape, SH.deactivated, None) in shapes
        ):
            continue
        for prop in list(shapes.objects(node_shape, SH.property)):
            if not isinstance(prop, URIRef) or len(set(shapes.subjects(SH.property, prop))) > 1:
                continue
            for p, o in targets:
                shapes.add((prop, p, o))
            shapes.remove((node_shape, SH.property, prop))
    return shapes


class _Closure:
    """What validating one file needs: every triple about its subjects, and the types of what they point to."""

    def __init__(
        self, loaded: Loaded, inverse_predicates: set[ox.NamedNode], pointed_predicates: set[ox.NamedNode]
    ) -> None:
        self.loaded = loaded
        # What shapes read on a resource that a triple points to: its types (sh:class) and the
        # properties of node shapes used as sh:node (e.g. a concept's skos:inScheme).
        self.types: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = {}
        # Shapes that follow a property backwards (sh:inversePath) need the triples pointing
        # at a subject too; only those predicates are followed, so a region's closure does not
        # drag in every observation about it.
        self.incoming: dict[ox.NamedNode | ox.BlankNode | ox.Literal, list[ox.Triple]] = {}
        for f in loaded.files:
            if f.source.role is Role.SHAPES:
                continue
            for t in f.triples:
                if t.predicate == _RDF_TYPE or t.predicate in pointed_predicates:
                    self.types.setdefault(t.subject, []).append(t)  # type: ignore[arg-type]
                if t.predicate in inverse_predicates:
                    self.incoming.setdefault(t.object, []).append(t)

    def units(self) -> list[LoadedFile]:
        return [f for f in self.loaded.files if f.source.role is not Role.SHAPES]

    def _subject_files(self, subjects: set) -> list[LoadedFile]:
        rels = {
            g.source.rel
            for s in subjects
            for g in self.loaded.files_by_subject.get(s, [])
            if g.source.role is not Role.SHAPES
        }
        return [g for g in self.loaded.files if g.source.rel in rels]

    def _parts(self, files: list[LoadedFile]) -> tuple[list[LoadedFile], list[ox.Triple], list[ox.Triple]]:
        """The files writing about these subjects, every triple about them, and what those
        triples point at (types, sh:node properties) or receive (inverse paths)."""
        subjects: set = set()
        for f in files:
            subjects |= f.subjects
        sources = self._subject_files(subjects)
        own = [t for g in sources for t in g.triples if t.subject in subjects]
        context: list[ox.Triple] = []
        for t in own:
            if isinstance(t.object, ox.NamedNode) and t.object not in subjects:
                context.extend(self.types.get(t.object, []))
        for s in subjects:
            for t in self.incoming.get(s, []):
                context.append(t)
                context.extend(self.types.get(t.subject, []))  # type: ignore[arg-type]
        return sources, own, context

    def key(self, f: LoadedFile, base: bytes) -> str:
        sources, _own, context = self._parts([f])
        h = hashlib.sha256(base)
        h.update(f.source.rel.encode())
        for g in sources:
            h.update(g.source.rel.encode())
            h.update(hashlib.sha256(g.source.path.read_bytes()).digest())
        h.update("\n".join(sorted({str(t) for t in context if not isinstance(t.subject, ox.BlankNode)})).encode())
        return h.hexdigest()

    def triples(self, files: list[LoadedFile]) -> list[ox.Triple]:
        _sources, own, context = self._parts(files)
        return own + context


def _locate(finding: Finding, loaded: Loaded, anchors: dict[str, tuple[str, str]]) -> Finding:
    focus, path = finding.focus, finding.path
    anchor = None
    if focus.startswith("_:") and focus in anchors:
        anchor, path = anchors[focus]
    subject_iri = anchor or focus
    node: ox.NamedNode | ox.BlankNode = (
        ox.BlankNode(subject_iri[2:]) if subject_iri.startswith("_:") else ox.NamedNode(subject_iri)
    )
    candidates = loaded.files_by_subject.get(node, [])
    best: tuple[str, int] | None = None
    for f in candidates:
        line = f.lines.line_of(subject_iri, path)
        has_path = path is not None and (subject_iri, path) in f.lines.predicates
        if best is None or has_path:
            best = (f.source.rel, line or 1)
            if has_path:
                break
    if best is None:
        return finding
    return Finding(**{**finding.as_dict(), "file": best[0], "line": best[1], "anchor": anchor})


def _anchors(loaded: Loaded) -> dict[str, tuple[str, str]]:
    """Blank node -> (the IRI subject that holds it, the predicate that leads to it)."""
    parent: dict[str, tuple[str, str]] = {}
    for f in loaded.files:
        for t in f.triples:
            if isinstance(t.object, ox.BlankNode):
                parent[f"_:{t.object.value}"] = (
                    f"_:{t.subject.value}" if isinstance(t.subject, ox.BlankNode) else t.subject.value,
                    t.predicate.value,
                )
    resolved: dict[str, tuple[str, str]] = {}
    for bnode in parent:
        holder, pred = parent[bnode]
        hops = 0
        while holder.startswith("_:") and holder in parent and hops < 50:
            holder, pred = parent[holder]
            hops += 1
        resolved[bnode] = (holder, pred)
    return resolved


@dataclass(frozen=True)
class Check:
    """A whole-graph rule: a SPARQL SELECT of offenders (?this, optional ?path, ?value)."""

    id: str
    severity: str
    message: str
    path: str | None
    sparql: str

    @property
    def shape(self) -> str:
        return str(SPHSH[self.id])


def read_checks(folder: Path) -> list[Check]:
    """`shapes/checks/*.rq`: rules that need the whole graph (uniqueness across files)."""
    checks = []
    for path in sorted(folder.glob("*.rq")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        header = dict(
            line[3:].split(":", 1) for line in text.splitlines() if line.startswith("#+ ") and ":" in line
        )
        header = {k.strip(): v.strip() for k, v in header.items()}
        missing = {"id", "severity", "message"} - set(header)
        if missing or header["severity"] not in _SEVERITY_ORDER:
            raise InputError(path=path, line=1, column=1, message=f"check header needs id, severity (violation|warning|info) and message; missing {sorted(missing)}")
        checks.append(Check(header["id"], header["severity"], header["message"], header.get("path"), text))
    return checks


def run_checks(loaded: Loaded, checks: list[Check]) -> list[Finding]:
    """Run the whole-graph checks with Oxigraph over every non-shapes file."""
    if not checks:
        return []
    store = ox.Store()
    for f in loaded.files:
        if f.source.role is not Role.SHAPES:
            store.bulk_load(path=str(f.source.path), format=ox.RdfFormat.TURTLE)
    findings = []
    for check in checks:
        for row in store.query(check.sparql):  # type: ignore[union-attr]
            this = row["this"]
            findings.append(
                Finding(
                    severity=check.severity,
                    focus=this.value if isinstance(this, ox.NamedNode) else f"_:{this.value}",
                    path=_solution(row, "path") or check.path,
                    shape=check.shape,
                    message=check.message,
                    value=_solution(row, "value", literal_n3=True),
                )
            )
    return findings


def _solution(row: ox.QuerySolution, name: str, literal_n3: bool = False) -> str | None:
    try:
        term = row[name]
    except (KeyError, IndexError):
        return None
    if term is None:
        return None
    if isinstance(term, ox.Literal) and literal_n3:
        return _text(to_rdflib(term))
    return term.value


def validate_loaded(
    loaded: Loaded,
    cache_dir: Path | None = None,
    only: set[str] | None = None,
    checks: list[Check] | None = None,
) -> list[Finding]:
    """Validate every non-shapes file (or only the files in `only`, by relative path)."""
    shapes = shapes_graph(loaded)
    hierarchy = _class_hierarchy(loaded)
    base = hashlib.sha256(CACHE_FORMAT.encode())
    for f in loaded.of_role(Role.SHAPES):
        base.update(f.source.rel.encode() + hashlib.sha256(f.source.path.read_bytes()).digest())
    base.update("\n".join(sorted(str(t) for t in hierarchy)).encode())
    base_bytes = base.digest()

    inverse = {
        ox.NamedNode(str(p)) for p in shapes.objects(None, SH.inversePath) if isinstance(p, URIRef)
    }
    pointed = {
        ox.NamedNode(str(path))
        for node_shape in shapes.objects(None, SH.node)
        for prop in shapes.objects(node_shape, SH.property)
        for path in shapes.objects(prop, SH.path)
        if isinstance(path, URIRef)
    }
    # SPARQL targets may read a property of the resource a triple points to (a parent's level).
    for select in shapes.objects(None, SH.select):
        for prefix, local in re.findall(r"\b([a-z]+):([A-Za-z][\w\-]*)", str(select)):
            if prefix in PREFIXES and prefix != "rdf":
                pointed.add(ox.NamedNode(PREFIXES[prefix] + local))
    closure = _Closure(loaded, inverse, pointed)
    units = [f for f in closure.units() if only is None or f.source.rel in only]
    results: dict[str, list[Finding]] = {}
    misses: list[tuple[LoadedFile, str]] = []
    for f in units:
        key = closure.key(f, base_bytes)
        cached = cache_dir / f"{key}.json" if cache_dir else None
        if cached is not None and cached.is_file():
            results[f.source.rel] = [Finding(**d) for d in json.loads(cached.read_text())]
        else:
            misses.append((f, key))

    if misses:
        files = [f for f, _ in misses]
        data = rdflib_graph(closure.triples(files))
        rdflib_graph(hierarchy, into=data)
        # The closure also holds the types of resources defined elsewhere; their findings
        # belong to other files. pyshacl's own focus_nodes is ~10x slower on large sets (it
        # scans a list per target), so the whole closure is validated and findings filtered.
        anchors = _anchors(loaded)
        focus = {_text(to_rdflib(s)) for f in files for s in f.subjects}
        found = [
            x
            for x in validate_graph(data, shapes)
            if x.focus in focus or anchors.get(x.focus, ("", ""))[0] in focus
        ]
        located = [_locate(x, loaded, anchors) for x in found]
        by_subject_file: dict[str, list[Finding]] = {f.source.rel: [] for f in files}
        for x in located:
            owner = _owner(x, files, anchors)
            by_subject_file.setdefault(owner, []).append(x)
        for f, key in misses:
            mine = by_subject_file.get(f.source.rel, [])
            results[f.source.rel] = mine
            if cache_dir is not None:
                cache_dir.mkdir(parents=True, exist_ok=True)
                (cache_dir / f"{key}.json").write_text(json.dumps([x.as_dict() for x in mine]))

    everything = [x for r in results.values() for x in r]
    if checks:
        anchors = _anchors(loaded)
        for x in run_checks(loaded, checks):
            located = _locate(x, loaded, anchors)
            if only is None or located.file in only:
                everything.append(located)
    unique = {(x.focus if not x.focus.startswith("_:") else x.anchor, x.shape, x.path, x.value, x.message, x.file, x.line): x for x in everything}
    return sorted(unique.values(), key=Finding.sort_key)


def _owner(finding: Finding, files: list[LoadedFile], anchors: dict[str, tuple[str, str]]) -> str:
    """The validated file a finding is cached under: the one holding its focus subject."""
    subject = finding.anchor or finding.focus
    node = ox.BlankNode(subject[2:]) if subject.startswith("_:") else ox.NamedNode(subject)
    if finding.file and any(f.source.rel == finding.file and node in f.subjects for f in files):
        return finding.file
    for f in files:
        if node in f.subjects:
            return f.source.rel
    return finding.file or ""


def affected_by(loaded: Loaded, changed: set[str], old_triples: list[ox.Triple]) -> set[str]:
    """The files whose validation a change to `changed` can alter.

    `old_triples` are the changed files' triples before the change. Affected are: the changed
    files; every file writing about a subject they write (then or now); and, when the change
    adds or removes an `rdf:type` of a resource, every file pointing at that resource (its
    `sh:class` checks depend on it).
    """
    now = [t for f in loaded.files if f.source.rel in changed for t in f.triples]
    subjects = {t.subject for t in now} | {t.subject for t in old_triples}
    types_now = {(t.subject, t.object) for t in now if t.predicate == _RDF_TYPE}
    types_before = {(t.subject, t.object) for t in old_triples if t.predicate == _RDF_TYPE}
    retyped = {s for s, _ in types_now ^ types_before}
    affected = {rel for rel in changed if any(f.source.rel == rel for f in loaded.files)}
    for f in loaded.files:
        if f.source.role is Role.SHAPES or f.source.rel in affected:
            continue
        if f.subjects & subjects or (retyped and any(t.object in retyped for t in f.triples)):
            affected.add(f.source.rel)
    return affected
