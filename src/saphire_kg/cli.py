"""The `saphire-kg` command line: import, fmt, validate, build, reason, info, serve."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .canonical import canonical_turtle
from .config import Settings
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


def _cmd_serve(args: argparse.Namespace) -> int:
    print(
        "saphire-kg serve: the SPARQL endpoint is not built yet (issue #3). "
        "Meanwhile `saphire-kg build` writes the store to build/store, which "
        "`oxigraph serve-read-only --location build/store` can serve.",
        file=sys.stderr,
    )
    return EXIT_USAGE


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

    serve = sub.add_parser("serve", help="serve the graph over SPARQL (coming: issue #3)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=_cmd_serve)
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
