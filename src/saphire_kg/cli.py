"""The `saphire-kg` command line: import, fmt, validate, build, reason, info, serve, push, query."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from .canonical import canonical_turtle
from .config import ServerSettings, Settings
from .errors import Inconsistent, InputError, ReasoningError, SaphireError, ValidationFailed
from .load import load_graph_file
from .sources import Role, SourceFile, discover

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _settings() -> Settings:
    return Settings.from_env()


def _cmd_import(args: argparse.Namespace) -> int:
    settings = _settings()
    reference = Path(args.reference) if args.reference else settings.reference_dir
    out = settings.data_dir / "reference"
    if args.what == "nuts":
        from .ingest.nuts import import_nuts

        counts = import_nuts(reference, out / "nuts")
        print("regions per NUTS level: " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    else:
        from .ingest.reference import import_reference

        counts = import_reference(reference, out)
        for key, n in counts.items():
            print(f"{key}: {n}")
    return EXIT_OK


def _fmt_targets(settings: Settings, names: list[str]) -> list[SourceFile]:
    inputs = discover(settings)
    if not names:
        return list(inputs.files)
    targets = []
    for name in names:
        path = Path(name)
        source = inputs.find(path) or SourceFile(path=path.resolve(), rel=name, role=Role.DATA)
        targets.append(source)
    return targets


def _cmd_fmt(args: argparse.Namespace) -> int:
    settings = _settings()
    changed, broken = [], []
    for source in _fmt_targets(settings, args.files):
        try:
            graph = load_graph_file(source)
        except InputError as err:
            broken.append(err)
            continue
        text = source.path.read_text(encoding="utf-8")
        out = canonical_turtle(graph)
        if out != text:
            changed.append(source.rel)
            if not args.check:
                source.path.write_text(out, encoding="utf-8")
    for err in broken:
        print(err, file=sys.stderr)
    for rel in changed:
        print(f"{rel}: {'not canonical (run saphire-kg fmt)' if args.check else 'reformatted'}")
    if broken or (args.check and changed):
        return EXIT_FINDINGS
    return EXIT_OK


def _github(line: str, file: str | None, lineno: int | None, severity: str) -> str:
    level = {"violation": "error", "warning": "warning", "info": "notice"}[severity]
    return f"::{level} file={file},line={lineno or 1}::{line}"


def _cmd_validate(args: argparse.Namespace) -> int:
    from .pipeline import check

    settings = _settings()
    only = [Path(f) for f in args.files] if args.files else None
    result = check(settings, only=only, use_cache=not args.no_cache, changed_since=args.changed)
    shown = [f for f in result.findings if args.all or f.severity != "info"]
    if args.format == "json":
        payload = {
            "ok": result.ok,
            "parse_errors": [
                {"file": str(e.path), "line": e.line, "column": e.column, "message": e.message}
                for e in result.errors
            ],
            "findings": [f.as_dict() for f in shown],
        }
        print(json.dumps(payload, indent=2))
    else:
        for err in result.errors:
            line = str(err)
            print(_github(line, str(err.path), err.line, "violation") if args.format == "github" else line)
        for f in shown:
            line = f.render()
            print(_github(line, f.file, f.line, f.severity) if args.format == "github" else line)
    counts = {s: sum(1 for f in result.findings if f.severity == s) for s in ("violation", "warning", "info")}
    print(
        f"{len(result.errors)} parse error(s), {counts['violation']} violation(s), "
        f"{counts['warning']} warning(s), {counts['info']} hint(s) in {result.files_checked} file(s), "
        f"{result.seconds:.1f} s",
        file=sys.stderr,
    )
    return EXIT_OK if result.ok else EXIT_FINDINGS


def _cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff_revisions, render_markdown, render_text
    from .sources import WORKTREE, RevisionFiles

    root = _settings().root
    d = diff_revisions(RevisionFiles(root, args.rev_a), RevisionFiles(root, args.rev_b or WORKTREE))
    sys.stdout.write(render_markdown(d) if args.format == "markdown" else render_text(d))
    return EXIT_OK


def _cmd_build(args: argparse.Namespace) -> int:
    from .pipeline import build
    from .validate import short

    settings = _settings()
    started = time.perf_counter()
    try:
        result = build(settings, use_cache=not args.no_cache, with_reasoning=not args.no_reason)
    except ValidationFailed as failed:
        for f in failed.findings:
            if f.severity == "violation":
                print(f.render())
        print(f"build failed: {failed}; the previous build is untouched", file=sys.stderr)
        return EXIT_FINDINGS
    except Inconsistent as failed:
        for clash in failed.clashes:
            print(clash.render())
        print(f"build failed: {failed}; the previous build is untouched", file=sys.stderr)
        return EXIT_FINDINGS
    except ReasoningError as failed:
        print(f"build failed: {failed}", file=sys.stderr)
        return EXIT_FINDINGS
    except OSError as failed:  # a write before the store's (reasoner input, caches): disk full, quota
        print(
            f"build failed: a file could not be written ({failed.strerror or failed}); "
            "the previous build is untouched",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    print(
        f"built {result.store_dir.relative_to(settings.root)}: version {result.version.label}, "
        f"{result.triples} triples in {result.graphs} named graphs, "
        f"{time.perf_counter() - started:.1f} s "
        + "(" + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items()) + ")"
    )
    if result.reasoned is None:
        print("reasoning skipped (--no-reason): the store has no inferred graph")
    else:
        r = result.reasoned
        print(
            f"inferred graph: {len(r.triples)} triples ("
            + ", ".join(f"{short(c)} {n}" for c, n in r.types.items() if n)
            + f"; {sum(r.shortcuts.values())} role shortcuts; {r.snapshots} density snapshots)"
            + (", reasoning result reused (input unchanged)" if r.cached else "")
        )
    return EXIT_OK


def _cmd_reason(args: argparse.Namespace) -> int:
    from .load import load
    from .reason import reason, render_counts

    settings = _settings()
    started = time.perf_counter()
    loaded = load(discover(settings))
    if loaded.errors:
        for err in loaded.errors:
            print(err, file=sys.stderr)
        return EXIT_FINDINGS
    try:
        cache = None if args.no_cache else settings.cache_dir / "reason"
        result = reason(loaded, settings.java, cache_dir=cache)
    except Inconsistent as failed:
        for clash in failed.clashes:
            print(clash.render())
        print(f"reasoning failed: {failed}", file=sys.stderr)
        return EXIT_FINDINGS
    if args.out:
        Path(args.out).write_text(result.ntriples(), encoding="utf-8")
    for line in render_counts(result):
        print(line)
    hermit = f"HermiT {result.seconds['hermit']:.1f} s"
    if result.cached:
        hermit = "cached result, HermiT not run"
    left_out = ", ".join(f"{n} {why}" for why, n in result.left_out.items()) or "nothing"
    print(
        f"{len(result.triples)} inferred triples (input {result.input_hash[:12]}: "
        f"{result.view_triples} triples given to the reasoner; left out: {left_out}); "
        f"{time.perf_counter() - started:.1f} s "
        f"(view {result.seconds['view']:.1f} s, {hermit})"
    )
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    from .store import OxigraphStore

    settings = _settings()
    store = OxigraphStore(settings.build_dir / "store")
    print(f"version {store.version}")
    queries = {
        "triples": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "regions per NUTS level": "PREFIX sph: <https://w3id.org/saphire/ontology#> SELECT ?level (COUNT(?r) AS ?n) WHERE { ?r sph:nutsLevel ?level } GROUP BY ?level ORDER BY ?level",
        "curated resources per class": "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?class } FILTER(!STRSTARTS(STR(?g), 'https://w3id.org/saphire/graph/data/ttl/reference/') && STRSTARTS(STR(?g), 'https://w3id.org/saphire/graph/data/')) } GROUP BY ?class ORDER BY DESC(?n) ?class",
    }
    for title, sparql in queries.items():
        print(f"{title}:")
        for row in store.select(sparql):
            print("  " + "  ".join(row.values()))
    return EXIT_OK


def _server_settings(args: argparse.Namespace) -> ServerSettings:
    server = ServerSettings.from_env()
    changes: dict = {}
    if args.store is not None:
        changes["store_url"] = args.store
    if args.timeout is not None:
        changes["timeout"] = args.timeout
    if args.max_results is not None:
        changes["max_results"] = args.max_results or None
    if args.workers is not None:
        changes["workers"] = args.workers
    if args.allow_service:
        changes["allow_services"] = tuple(args.allow_service)
    return dataclasses.replace(server, **changes)


def _cmd_serve(args: argparse.Namespace) -> int:
    from .http.server import serve
    from .store import read_manifest, remote_url

    settings = _settings()
    server = _server_settings(args)
    if server.store_url:
        try:
            remote_url(server.store_url)
        except ValueError as err:
            print(f"saphire-kg serve: {err}", file=sys.stderr)
            return EXIT_USAGE
    elif read_manifest(settings.build_dir / "store") is None:
        print("no built store yet: building first", file=sys.stderr)
        code = _cmd_build(argparse.Namespace(no_cache=False, no_reason=False))
        if code != EXIT_OK:
            return code
    serve(settings, server, args.host, args.port, watch=args.watch, graph_store=args.graph_store)
    return EXIT_OK


def _cmd_push(args: argparse.Namespace) -> int:
    from .store import push

    settings = _settings()
    started = time.perf_counter()
    sent = push(settings.build_dir / "store", args.to)
    for graph, size in sent:
        print(f"PUT <{graph}> ({size} bytes)")
    print(f"pushed {len(sent)} named graphs to {args.to} in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


_QUERY_FORMATS = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "table": "application/sparql-results+json",
}


def _cmd_query(args: argparse.Namespace) -> int:
    from .catalog import load_catalog
    from .errors import ParameterError
    from .query import execute, resolve, rows
    from .store import OxigraphStore, read_manifest

    settings = _settings()
    catalog = load_catalog(settings.queries_dir)
    if args.list or not args.name:
        if args.format == "json":
            print(json.dumps([q.describe() for q in catalog], indent=2))
            return EXIT_OK
        for q in catalog:
            params = ", ".join(
                p.name + ("" if p.required else "?") + f": {p.type}" for p in q.parameters
            )
            print(f"{q.name:44s} {q.title}" + (f"  ({params})" if params else ""))
        print(f"{len(catalog)} analyses in {settings.queries_dir.relative_to(settings.root)}/", file=sys.stderr)
        return EXIT_OK
    values: dict[str, str] = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise ParameterError(name, "give parameters as --param name=value")
        values[name.strip()] = value
    if read_manifest(settings.build_dir / "store") is None:
        print("no built store yet: building first", file=sys.stderr)
        code = _cmd_build(argparse.Namespace(no_cache=False, no_reason=False))
        if code != EXIT_OK:
            return code
    store = OxigraphStore(settings.build_dir / "store")
    query = resolve(catalog, store).get(args.name)
    answer = execute(store, query, values, accept=_QUERY_FORMATS[args.format])
    if args.format == "table":
        sys.stdout.write(_table(*rows(answer.body)))
    else:
        sys.stdout.buffer.write(answer.body)
        if not answer.body.endswith(b"\n"):
            sys.stdout.write("\n")
    return EXIT_OK


def _table(names: list[str], found: list[dict]) -> str:
    """SPARQL JSON rows as an aligned text table (IRIs shortened with the project's prefixes)."""
    from .namespaces import PREFIXES

    by_length = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))

    def cell(term: dict | None) -> str:
        if term is None:
            return ""
        value = str(term["value"])
        def short(text: str) -> str:
            for prefix, ns in by_length:
                if text.startswith(ns) and "/" not in text[len(ns):]:
                    return f"{prefix}:{text[len(ns):]}"
            return text

        if term["type"] == "uri":
            return short(value)
        return " ".join(short(word) for word in value.split())  # lists of IRIs (sources, evidence)

    grid = [names] + [[cell(row.get(n)) for n in names] for row in found]
    widths = [min(60, max(len(r[i]) for r in grid)) for i in range(len(names))]
    lines = ["  ".join(c[:60].ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in grid]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + f"\n({len(found)} rows)\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="saphire-kg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="regenerate data/ttl/reference from the reference data")
    imp.add_argument("what", choices=["nuts", "reference"])
    imp.add_argument("--reference", help="folder of the reference CSVs (default: data/reference)")
    imp.set_defaults(func=_cmd_import)

    fmt = sub.add_parser("fmt", help="rewrite Turtle files in the canonical form")
    fmt.add_argument("files", nargs="*", help="default: every ontology, shapes and data file")
    fmt.add_argument("--check", action="store_true", help="list non-canonical files, change nothing")
    fmt.set_defaults(func=_cmd_fmt)

    val = sub.add_parser("validate", help="parse and validate; findings as file:line: severity: message")
    val.add_argument("files", nargs="*", help="validate only these files (default: all)")
    val.add_argument("--format", choices=["text", "json", "github"], default="text")
    val.add_argument("--all", action="store_true", help="also show hints (sh:Info)")
    val.add_argument("--no-cache", action="store_true", help="ignore cached results")
    val.add_argument(
        "--changed", nargs="?", const="HEAD", metavar="REV",
        help="validate only what the change since REV (default HEAD: the uncommitted change) can affect",
    )
    val.set_defaults(func=_cmd_validate)

    dif = sub.add_parser("diff", help="the graph change between two git revisions, by resource")
    dif.add_argument("rev_a", nargs="?", default="HEAD")
    dif.add_argument("rev_b", nargs="?", default=None, help="default: the working tree")
    dif.add_argument("--format", choices=["text", "markdown"], default="text")
    dif.set_defaults(func=_cmd_diff)

    bld = sub.add_parser("build", help="validate and write the store to build/store")
    bld.add_argument(
        "--no-cache", action="store_true", help="ignore cached validation and reasoning results"
    )
    bld.add_argument(
        "--no-reason", action="store_true",
        help="skip OWL reasoning (no Java needed; the store then has no inferred graph)",
    )
    bld.set_defaults(func=_cmd_build)

    rsn = sub.add_parser(
        "reason", help="OWL reasoning alone (HermiT): consistency, inferred types per class, timing"
    )
    rsn.add_argument(
        "--no-cache", action="store_true", help="reason again even when the input is unchanged"
    )
    rsn.add_argument("--out", metavar="FILE", help="also write the inferred graph as N-Triples")
    rsn.set_defaults(func=_cmd_reason)

    info = sub.add_parser("info", help="figures of the built store")
    info.set_defaults(func=_cmd_info)

    serve = sub.add_parser(
        "serve", help="the SPARQL 1.1 endpoint at /sparql (builds first when there is no store)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--store", metavar="sparql+http://HOST:PORT/PATH",
        help="serve a remote SPARQL 1.1 server instead of build/store (push the graph with `push`)",
    )
    serve.add_argument("--watch", action="store_true", help="rebuild and reload when data/ttl, ontology or shapes change")
    serve.add_argument("--timeout", type=float, metavar="S", help="seconds a query may run (default 10; then 503)")
    serve.add_argument("--max-results", type=int, metavar="N", help="rows/triples a result may have (default 100000; 0: no limit)")
    serve.add_argument("--workers", type=int, metavar="N", help="query worker processes (default: CPUs, at least 2)")
    serve.add_argument(
        "--allow-service", action="append", metavar="IRI",
        help="an endpoint SERVICE may call (repeatable; an IRI ending in / allows everything under it)",
    )
    serve.add_argument(
        "--graph-store", metavar="URL",
        help="with --store and --watch: the Graph Store endpoint rebuilds are pushed to (default: Oxigraph's /store)",
    )
    serve.set_defaults(func=_cmd_serve)

    qry = sub.add_parser("query", help="run a canned analysis from queries/ (builds first when there is no store)")
    qry.add_argument("name", nargs="?", help="e.g. gaps/missing-stages (see --list)")
    qry.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter (repeatable)")
    qry.add_argument("--format", choices=sorted(_QUERY_FORMATS), default="table")
    qry.add_argument("--list", action="store_true", help="list the analyses and their parameters")
    qry.set_defaults(func=_cmd_query)

    psh = sub.add_parser("push", help="upload every named graph of build/store with the Graph Store Protocol (PUT)")
    psh.add_argument("--to", required=True, metavar="URL", help="the Graph Store endpoint, e.g. http://host:7878/store")
    psh.set_defaults(func=_cmd_push)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as err:
        print(err, file=sys.stderr)
        return EXIT_FINDINGS
    except SaphireError as err:
        print(f"saphire-kg: {err}", file=sys.stderr)
        return EXIT_FINDINGS


if __name__ == "__main__":
    sys.exit(main())
