"""Benchmark every canned query on the real data and on seeded synthetic graphs 10x and 100x larger.

    python benchmarks/queries.py                  # real, 10x, 100x; 7 runs each
    python benchmarks/queries.py --scales 1,10 --runs 5 --timeout 30

Not a test: it prints two tables. The first gives, per canned query (with its documented example
parameters), the rows and the uncached median / p95 wall time of the query alone (the store's
evaluation and serialisation to SPARQL JSON; no HTTP, no answer cache) on each graph. The second
compares the three ways of binding parameters (query.BINDING_MODES) on the queries that take a
region: the term written into the text where the variable stands ("text", the default), pyoxigraph's
SEP-0007 `substitutions`, and a VALUES block opening the WHERE group.

The graphs. "real": build/store as `saphire-kg build` writes it (built first if absent), with
the inferred graph. "Nx": N copies of every region-bound resource of the real graph (regions
with their NUTS hierarchy, observations, memberships, coverage rows, reports, actors, demo cases,
and the inferred snapshots), the copies renamed (…/region/c3-FI1D); initiatives, concept schemes,
sources and datasets are shared, so each initiative has N times the members. Because the curated
data does not yet record strategies with themes, actors' value-chain stages, innovation groups or
best practices, every copy (the first, real one included) is enriched with such facts, drawn with
a fixed seed at the rates a complete regional report would have (two strategies per observatory
region, some actors, practices and extra memberships per region). Copy 0 keeps the real IRIs, so
the documented examples (FI1D, BE2, ...) work at every scale. Synthetic stores are written once
under --work and reused.

Each store is queried from a worker process, which is killed when a query passes --timeout (pyoxigraph
cannot be interrupted from Python); such a query shows as "> T s".
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

ID = "https://w3id.org/saphire/id/"
COPIED = {"region", "membership", "obs", "coverage", "report", "actor", "democase", "practice", "strategy"}
SYNTHETIC_GRAPH = "https://w3id.org/saphire/graph/synthetic"
VOID_GRAPH = "https://w3id.org/saphire/graph/void"


# ---------------------------------------------------------------------------------------------
# The synthetic graphs


def _renamer(copy: int):
    cache: dict[str, str] = {}

    def rename(text: str) -> str:
        if copy == 0:
            return text
        found = cache.get(text)
        if found is not None:
            return found
        out = text
        if text.startswith("<" + ID):
            kind, _, key = text[len(ID) + 1 : -1].partition("/")
            if kind in COPIED and key:
                out = f"<{ID}{kind}/c{copy}-{key}>"
        elif text.startswith("_:"):
            out = f"_:c{copy}x{text[2:]}"
        cache[text] = out
        return out

    return rename


def _enrichment(rng: random.Random, copy: int, observatory: list[str], below: dict[str, list[str]]) -> list[str]:
    """Strategies, actors, practices, groups and extra memberships for one copy (N-Quads lines)."""
    g = f"<{SYNTHETIC_GRAPH}>"
    sph = "https://w3id.org/saphire/ontology#"
    dct = "http://purl.org/dc/terms/"
    org = "http://www.w3.org/ns/org#"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    source = f"<{ID}source/synthetic>"
    themes = [f"<{ID}concept/theme/{t}>" for t in ("cell-and-gene-hub", "healthcare-21st-century", "jobs-of-the-future", "neurohealth-e-infrastructure", "personal-data-management-platform")]
    stages = [f"<{ID}concept/value-chain-stage/{s}>" for s in ("research-and-innovation", "healthcare-absorption", "learning-and-co-creation", "demo-case-assessment", "demonstration", "commercialisation")]
    helices = [f"<{ID}concept/helix/{h}>" for h in ("research", "industry", "government", "end-users")]
    roles = [f"<{ID}concept/role/{r}>" for r in ("leading", "participating", "participating", "interested")]
    initiatives = [f"<{ID}initiative/{i}>" for i in ("icpermed", "s3p4pm", "vi-smart-health", "errin", "euregha", "cebr", "regions4permed", "era-permed", "1mg", "nspa", "sspa")]
    groups = [f"<{ID}concept/synthetic-ris/{k}>" for k in ("leader", "strong", "moderate", "emerging")]
    out: list[str] = []

    def q(s: str, p: str, o: str) -> None:
        out.append(f"{s} {p} {o} {g} .")

    if copy == 0:
        cells = [f"_:ris{i}" for i in range(len(groups))]
        q(f"<{ID}concept/synthetic-ris/order>", rdf_type, "<http://www.w3.org/2004/02/skos/core#OrderedCollection>")
        q(f"<{ID}concept/synthetic-ris/order>", "<http://www.w3.org/2004/02/skos/core#memberList>", cells[0])
        for i, (cell, group) in enumerate(zip(cells, groups, strict=True)):
            q(cell, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#first>", group)
            q(cell, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>", cells[i + 1] if i + 1 < len(cells) else "<http://www.w3.org/1999/02/22-rdf-syntax-ns#nil>")
    for region in observatory:
        key = region[len(ID) + 8 : -1]
        q(region, f"<{sph}innovationGroup>", rng.choice(groups))
        for period in ("2014-2020", "2021-2027"):
            if rng.random() < 0.8:
                s = f"<{ID}strategy/syn-{key}-{period}>"
                q(s, rdf_type, f"<{sph}SmartSpecialisationStrategy>")
                q(s, f"<{sph}strategyOf>", region)
                q(s, f"<{sph}programmingPeriod>", f"<{ID}concept/period/{period}>")
                q(s, f"<{dct}source>", source)
                pm = rng.random()
                if pm < 0.4:
                    q(s, f"<{sph}personalisedMedicinePriority>", '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>')
                elif pm < 0.7:
                    q(s, f"<{sph}personalisedMedicinePriority>", '"false"^^<http://www.w3.org/2001/XMLSchema#boolean>')
                for theme in rng.sample(themes, rng.randint(0, 3)):
                    q(s, f"<{dct}subject>", theme)
        places = below.get(region, []) or [region]
        for a in range(rng.randint(0, 6)):
            actor = f"<{ID}actor/syn-{key}-{a}>"
            q(actor, rdf_type, f"<{sph}Actor>")
            q(actor, f"<{sph}locatedIn>", rng.choice(places))
            q(actor, f"<{org}classification>", rng.choice(helices))
            for stage in rng.sample(stages, rng.randint(1, 2)):
                q(actor, f"<{sph}activeInStage>", stage)
            q(actor, f"<{dct}source>", source)
        for p in range(rng.randint(0, 2)):
            practice = f"<{ID}practice/syn-{key}-{p}>"
            q(practice, rdf_type, f"<{sph}BestPractice>")
            q(practice, f"<{sph}involvesRegion>", rng.choice(places))
            q(practice, f"<{dct}source>", source)
        for m in range(rng.randint(0, 2)):
            membership = f"<{ID}membership/syn-{key}-{m}>"
            q(membership, rdf_type, f"<{sph}Membership>")
            q(membership, f"<{org}member>", region)
            q(membership, f"<{org}organization>", rng.choice(initiatives))
            q(membership, f"<{org}role>", rng.choice(roles))
            q(membership, f"<{dct}source>", source)
    return out


def synthetic_store(real: Path, scale: int, seed: int, work: Path) -> Path:
    """Write (once) the store with `scale` copies of the real graph plus the enrichment."""
    import pyoxigraph as ox

    from saphire_kg.store import read_manifest

    version = read_manifest(real)["version"]  # type: ignore[index]
    tag = hashlib.sha256(f"{version}|{scale}|{seed}|2".encode()).hexdigest()[:12]
    target = work / f"x{scale}-{tag}"
    if (target / "done").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    source = ox.Store.read_only(str(real))
    quads = [
        (str(q.subject), str(q.predicate), str(q.object), str(q.graph_name))
        for q in source.quads_for_pattern(None, None, None, None)
        if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == VOID_GRAPH)
    ]
    broader = "<http://www.w3.org/2004/02/skos/core#broader>"
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    parents = defaultdict(list)
    for s, p, o, _ in quads:
        if p == broader:
            parents[o].append(s)
    observatory = sorted({s for s, p, o, _ in quads if p == rdf_type and o == "<https://w3id.org/saphire/ontology#ObservatoryRegion>"})

    def descendants(region: str) -> list[str]:
        found, todo = [], list(parents.get(region, []))
        while todo:
            r = todo.pop()
            found.append(r)
            todo.extend(parents.get(r, []))
        return sorted(found)

    below = {r: descendants(r) for r in observatory}
    rng = random.Random(seed)
    nquads = target / "data.nq"
    with nquads.open("w", encoding="utf-8") as out:
        for copy in range(scale):
            rename = _renamer(copy)
            for s, p, o, g in quads:
                out.write(f"{rename(s)} {p} {rename(o)} {g} .\n")
            copy_obs = [rename(r) for r in observatory]
            copy_below = {rename(r): [rename(x) for x in below[r]] for r in observatory}
            out.write("\n".join(_enrichment(rng, copy, copy_obs, copy_below)) + "\n")
    store = ox.Store(str(target / "store"))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.optimize()
    store.flush()
    size = len(store)
    del store
    nquads.unlink()
    (target / "store" / "manifest.json").write_text(f'{{"version": "synthetic-x{scale}-{tag}"}}\n')
    (target / "done").write_text(f"{size}\n")
    print(f"  wrote the x{scale} graph: {size:,} quads in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return target


# ---------------------------------------------------------------------------------------------
# Measuring, in a worker process that can be killed


def _worker(store_dir: str, pipe) -> None:  # runs in the child
    sys.path.insert(0, str(ROOT / "src"))
    from saphire_kg.catalog import load_catalog
    from saphire_kg.query import plain_rows, resolve, run
    from saphire_kg.store import OxigraphStore

    store = OxigraphStore(Path(store_dir))
    catalog = resolve(load_catalog(ROOT / "queries"), store)
    pipe.send(len(catalog))
    while True:
        job = pipe.recv()
        if job is None:
            return
        name, mode = job
        query = catalog.get(name)
        terms = query.bind(query.examples())
        started = time.perf_counter()
        _, body = run(store, query.sparql, terms, mode=mode)
        seconds = time.perf_counter() - started
        pipe.send((seconds, len(plain_rows(body))))


class Worker:
    def __init__(self, store_dir: Path) -> None:
        self.store_dir = store_dir
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        self.pipe, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(str(self.store_dir), child), daemon=True)
        self.process.start()
        self.pipe.recv()

    def time(self, name: str, mode: str, timeout: float) -> tuple[float, int] | None:
        self.pipe.send((name, mode))
        if self.pipe.poll(timeout):
            return self.pipe.recv()
        self.process.kill()
        self.process.join()
        self._start()
        return None

    def close(self) -> None:
        self.pipe.send(None)
        self.process.join(timeout=10)


def measure(worker: Worker, name: str, mode: str, runs: int, timeout: float) -> dict:
    worker.time(name, mode, timeout)  # warm the OS page cache and the parser once; not counted
    times, rows = [], 0
    for _ in range(runs):
        result = worker.time(name, mode, timeout)
        if result is None:
            return {"timeout": True, "rows": None}
        times.append(result[0])
        rows = result[1]
        if sum(times) > 4 * timeout:
            break
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"timeout": False, "rows": rows, "median": statistics.median(times), "p95": p95, "runs": len(times)}


def _cell(m: dict | None, timeout: float) -> str:
    if m is None:
        return "-"
    if m["timeout"]:
        return f"> {timeout:.0f} s"
    return f"{m['median'] * 1000:8.1f} / {m['p95'] * 1000:8.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10,100", help="copies of the real graph (1: the real graph as built)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a query is stopped")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/saphire-kg-bench"))
    parser.add_argument("--only", nargs="*", help="query names")
    parser.add_argument("--store", type=Path, help="the real store (default: build/store, built first if absent)")
    args = parser.parse_args()

    from saphire_kg.catalog import load_catalog
    from saphire_kg.config import Settings
    from saphire_kg.store import read_manifest

    settings = Settings(root=ROOT)
    real = args.store or settings.build_dir / "store"
    if read_manifest(real) is None and args.store is None:
        from saphire_kg.pipeline import build

        print("building the store first", file=sys.stderr)
        build(settings)
    catalog = load_catalog(ROOT / "queries")
    names = [q.name for q in catalog if not args.only or q.name in args.only]
    regional = [q.name for q in catalog if q.name in names and any(p.type == "region" for p in q.parameters)]
    scales = [int(s) for s in args.scales.split(",")]
    results: dict[tuple[str, str, int], dict] = {}
    sizes: dict[int, int] = {}
    for scale in scales:
        store_dir = real if scale == 1 else synthetic_store(real, scale, args.seed, args.work) / "store"
        import pyoxigraph as ox

        sizes[scale] = len(ox.Store.read_only(str(store_dir)))
        worker = Worker(store_dir)
        for name in names:
            modes = ("text", "substitutions", "values") if name in regional else ("text",)
            for mode in modes:
                results[(name, mode, scale)] = measure(worker, name, mode, args.runs, args.timeout)
                print(f"  x{scale} {name} {mode}: {_cell(results[(name, mode, scale)], args.timeout)}", file=sys.stderr)
        worker.close()

    label = {s: ("real" if s == 1 else f"{s}x") for s in scales}
    print(f"\nCanned queries, uncached wall time in ms, median / p95 of {args.runs} runs (text binding)")
    print("graphs: " + ", ".join(f"{label[s]} {sizes[s]:,} quads" for s in scales))
    header = f"{'query':42s} {'rows':>6s}  " + "  ".join(f"{label[s]:>19s}" for s in scales)
    print(header)
    print("-" * len(header))
    for name in names:
        rows = results[(name, "text", scales[0])].get("rows")
        print(f"{name:42s} {rows if rows is not None else '-':>6}  " + "  ".join(f"{_cell(results.get((name, 'text', s)), args.timeout):>19s}" for s in scales))
    if regional:
        print("\nBinding modes on the queries that take a region, median ms (text / substitutions / VALUES)")
        print(f"{'query':42s}  " + "  ".join(f"{label[s]:>29s}" for s in scales))
        for name in regional:
            cells = []
            for s in scales:
                parts = []
                for mode in ("text", "substitutions", "values"):
                    m = results.get((name, mode, s))
                    parts.append("-" if m is None else (f">{args.timeout:.0f}s" if m["timeout"] else f"{m['median'] * 1000:.1f}"))
                cells.append(" / ".join(parts))
            print(f"{name:42s}  " + "  ".join(f"{c:>29s}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
