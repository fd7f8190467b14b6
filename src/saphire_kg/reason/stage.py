"""The reason stage: HermiT (cached by the hash of its input), then the inferred graph."""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Literal, URIRef

from ..errors import Inconsistent, ReasonerUnavailable
from ..load import Loaded
from ..namespaces import DCTERMS, GRAPH, ID, PROV, RDF, RDFS, SPH, XSD
from ..validate import short
from .explain import explain
from .hermit import owlready_version, run_hermit
from .view import CACHE_FORMAT, Triple, build_view, nt_line

INFERRED_GRAPH = str(GRAPH["inferred"])
KEEP_CACHED = 20  # results kept in the cache (one per distinct input)


@dataclass
class ReasonResult:
    """What one reasoning run inferred, and how long it took."""

    input_hash: str
    inferred: list[Triple]  # types, role shortcuts and snapshots, sorted
    provenance: list[Triple]  # the run that produced them
    types: dict[str, int]  # defined class IRI -> individuals newly classified into it
    shortcuts: dict[str, int]  # role shortcut property IRI -> triples materialised
    snapshots: int
    unsatisfiable: list[str]  # classes HermiT found unsatisfiable (a modelling error, not fatal)
    view_triples: int
    left_out: dict[str, int]  # inputs left out of the view, by reason
    cached: bool
    started: str
    ended: str
    reasoner: str
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def triples(self) -> list[Triple]:
        return self.inferred + self.provenance

    def ntriples(self) -> str:
        return "".join(sorted(nt_line(t) for t in self.triples))


def reason(
    loaded: Loaded,
    java: str | None,
    cache_dir: Path | None = None,
) -> ReasonResult:
    """Classify the loaded inputs with HermiT and build the inferred graph.

    Raises `ReasonerUnavailable` without Java, `Inconsistent` (with the clashes) when HermiT finds
    the graph inconsistent. With `cache_dir`, a result is reused when the view is unchanged.
    """
    t0 = time.perf_counter()
    if java is None:
        raise ReasonerUnavailable(
            "Java is not installed, and HermiT (the OWL reasoner) needs it: install a Java runtime "
            "(e.g. `apt-get install -y default-jre-headless`), or build with --no-reason to skip "
            "reasoning (the store then has no inferred graph)."
        )
    view = build_view(loaded)
    digest = view.digest()
    t1 = time.perf_counter()
    cached_file = cache_dir / f"{digest}.json" if cache_dir is not None else None
    record = _read_cache(cached_file)
    cached = record is not None
    if record is None:
        started = datetime.now(UTC).replace(microsecond=0)
        run = run_hermit(view.ntriples(), java, view.defined)
        if not run.consistent:
            raise Inconsistent(explain(loaded, view, java))
        record = {
            "format": CACHE_FORMAT,
            "input_hash": digest,
            "classified": run.classified,
            "unsatisfiable": run.unsatisfiable,
            "started": started.isoformat(),
            "ended": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "hermit_seconds": round(run.seconds, 3),
            "reasoner": f"HermiT (bundled with owlready2 {owlready_version()})",
        }
        if cached_file is not None:
            _write_cache(cached_file, record)

    asserted_types = {(s, o) for s, p, o in view.abox if p == RDF.type}
    inferred: set[Triple] = set()
    types: dict[str, int] = {}
    for cls, members in sorted(record["classified"].items()):
        new = [
            (URIRef(m), RDF.type, URIRef(cls))
            for m in members
            if (URIRef(m), URIRef(cls)) not in asserted_types
        ]
        types[cls] = len(new)
        inferred.update(new)
    shortcuts: dict[str, int] = defaultdict(int)
    for t in view.shortcuts:
        inferred.add(t)
        shortcuts[str(t[1])] += 1
    for s in view.snapshots:
        inferred.update(
            {
                (s.region, SPH.populationDensity, s.value),
                (s.region, SPH.snapshotYear, s.year),
                (s.region, PROV.wasDerivedFrom, s.observation),
            }
        )
    result = ReasonResult(
        input_hash=digest,
        inferred=sorted(inferred, key=nt_line),
        provenance=_provenance(record),
        types=types,
        shortcuts=dict(sorted(shortcuts.items())),
        snapshots=len(view.snapshots),
        unsatisfiable=record["unsatisfiable"],
        view_triples=len(view.tbox) + len(view.abox),
        left_out=view.left_out,
        cached=cached,
        started=record["started"],
        ended=record["ended"],
        reasoner=record["reasoner"],
    )
    result.seconds = {
        "view": t1 - t0,
        "hermit": 0.0 if cached else record["hermit_seconds"],
        "total": time.perf_counter() - t0,
    }
    return result


def _read_cache(path: Path | None) -> dict | None:
    if path is None or not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # unreadable: reason again, and overwrite it
    return record if isinstance(record, dict) and record.get("format") == CACHE_FORMAT else None


def _write_cache(path: Path, record: dict, keep: int = KEEP_CACHED) -> None:
    """Write atomically (a concurrent build never reads half a result); keep the newest `keep`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    partial.write_text(json.dumps(record, indent=1, sort_keys=True))
    partial.replace(path)
    results = sorted(path.parent.glob("*.json"), key=lambda f: f.stat().st_mtime, reverse=True)
    for old in results[keep:]:
        old.unlink(missing_ok=True)


def _provenance(record: dict) -> list[Triple]:
    """The inferred graph was generated by this reasoning run, which used this input."""
    graph = URIRef(INFERRED_GRAPH)
    activity = ID[f"activity/reason/{record['input_hash'][:16]}"]
    agent = ID["agent/hermit-owlready2"]
    used = ID[f"reasoner-input/{record['input_hash']}"]
    return [
        (graph, RDF.type, PROV.Entity),
        (graph, PROV.wasGeneratedBy, activity),
        (
            graph,
            RDFS.label,
            Literal(
                "OWL inferences (HermiT): defined-class types, role shortcuts, density snapshots",
                lang="en",
            ),
        ),
        (activity, RDF.type, PROV.Activity),
        (activity, RDFS.label, Literal("OWL reasoning run", lang="en")),
        (activity, PROV.startedAtTime, Literal(record["started"], datatype=XSD.dateTime)),
        (activity, PROV.endedAtTime, Literal(record["ended"], datatype=XSD.dateTime)),
        (activity, PROV.wasAssociatedWith, agent),
        (activity, PROV.used, used),
        (agent, RDF.type, PROV.SoftwareAgent),
        (agent, RDFS.label, Literal(record["reasoner"])),
        (used, RDF.type, PROV.Entity),
        (used, DCTERMS.identifier, Literal(f"sha256:{record['input_hash']}")),
        (
            used,
            RDFS.label,
            Literal(
                "the reasoner's input: ontology, imports, typed resources, the properties the "
                "defined classes use, role shortcuts, density snapshots",
                lang="en",
            ),
        ),
    ]


def render_counts(result: ReasonResult) -> list[str]:
    """Counts per defined class and shortcut property, for the command line."""
    lines = ["inferred types (individuals newly classified):"]
    width = max([len(short(c)) for c in result.types] + [10])
    for cls, n in sorted(result.types.items(), key=lambda kv: short(kv[0])):
        lines.append(f"  {short(cls):<{width}}  {n}")
    lines.append("role shortcuts (from memberships via org:roleProperty):")
    if not result.shortcuts:
        lines.append("  (none)")
    for prop, n in result.shortcuts.items():
        lines.append(f"  {short(prop):<{width}}  {n}")
    lines.append(
        f"density snapshots: {result.snapshots} regions "
        "(sph:populationDensity, sph:snapshotYear, prov:wasDerivedFrom)"
    )
    if result.unsatisfiable:
        lines.append(
            "unsatisfiable classes (modelling errors): "
            + ", ".join(short(c) for c in result.unsatisfiable)
        )
    return lines
