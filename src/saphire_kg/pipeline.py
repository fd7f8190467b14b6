"""The stages in order: load → validate → (reason) → build the store. Used by the CLI and the server."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings
from .describe import DESCRIPTION_GRAPH, Version, describe, git_commit
from .errors import InputError, ValidationFailed
from .load import Loaded, load, parse_bytes
from .reason import INFERRED_GRAPH, ReasonResult, reason
from .sources import Inputs, RevisionFiles, Role, changed_files, discover
from .store import GraphFile, write_store
from .validate import Finding, affected_by, read_checks, validate_loaded


@dataclass
class CheckResult:
    """What `validate` found: parse errors (file:line:col) and SHACL findings."""

    loaded: Loaded
    findings: list[Finding]
    seconds: float
    files_checked: int

    @property
    def errors(self) -> list[InputError]:
        return self.loaded.errors

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "violation"]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.violations


@dataclass
class BuildResult:
    store_dir: Path
    version: Version
    triples: int
    graphs: int
    seconds: dict[str, float] = field(default_factory=dict)
    reasoned: ReasonResult | None = None  # None when built with --no-reason


def check(
    settings: Settings,
    only: list[Path] | None = None,
    use_cache: bool = True,
    changed_since: str | None = None,
) -> CheckResult:
    """Load every input and validate all data files, only those in `only`, or only what the
    change since the git revision `changed_since` can affect."""
    started = time.perf_counter()
    inputs = discover(settings)
    loaded = load(inputs)
    selected: set[str] | None = None
    if changed_since is not None:
        changed = set(changed_files(inputs.root, changed_since))
        if changed & {f.source.rel for f in loaded.of_role(Role.SHAPES)} or any(
            rel.startswith("ontology/") for rel in changed
        ):
            selected = None  # a shape or the class hierarchy changed: everything is affected
        else:
            before = RevisionFiles(inputs.root, changed_since)
            old = [t for rel in sorted(changed) if (data := before.read(rel)) for t in _parse_or_empty(rel, data)]
            selected = affected_by(loaded, changed, old)
            if not selected:
                return CheckResult(loaded=loaded, findings=[], seconds=time.perf_counter() - started, files_checked=0)
    elif only is not None:
        selected = set()
        for path in only:
            source = inputs.find(path)
            if source is None:
                raise InputError(path=path, line=1, column=1, message="not an input file of this project (ontology/, shapes/ or data/ttl/, *.ttl)")
            selected.add(source.rel)
    findings: list[Finding] = []
    if not loaded.errors or selected is not None:
        cache = settings.cache_dir / "validate" if use_cache else None
        checks = read_checks(settings.shapes_dir / "checks")
        findings = validate_loaded(loaded, cache_dir=cache, only=selected, checks=checks)
    count = len(selected) if selected is not None else len([f for f in loaded.files if f.source.role is not Role.SHAPES])
    return CheckResult(loaded=loaded, findings=findings, seconds=time.perf_counter() - started, files_checked=count)


def _parse_or_empty(rel: str, data: bytes) -> list:
    try:
        return parse_bytes(rel, data)
    except InputError:
        return []  # the old version did not parse; it contributes no triples


def version_of(inputs: Inputs) -> Version:
    commit, dirty = git_commit(inputs.root)
    return Version(content_hash=inputs.content_hash(), commit=commit, dirty=dirty)


def build(settings: Settings, use_cache: bool = True, with_reasoning: bool = True) -> BuildResult:
    """Validate, reason, then write the store; raises (and keeps the previous store) on any error.

    Without `with_reasoning` the store has no inferred graph (and Java is not needed).
    """
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    result = check(settings, use_cache=use_cache)
    times["load+validate"] = time.perf_counter() - t0
    if result.errors:
        raise result.errors[0]
    if result.violations:
        raise ValidationFailed(result.findings)
    loaded = result.loaded
    reasoned = None
    if with_reasoning:
        t_reason = time.perf_counter()
        cache = settings.cache_dir / "reason" if use_cache else None
        reasoned = reason(loaded, settings.java, cache_dir=cache)
        times["reason"] = time.perf_counter() - t_reason
    inferred = {INFERRED_GRAPH: reasoned.ntriples()} if reasoned is not None else {}
    version = version_of(loaded.inputs)
    t1 = time.perf_counter()
    extra = {INFERRED_GRAPH: len(reasoned.triples)} if reasoned is not None else None
    description = describe(loaded, version, extra)
    files = [
        GraphFile(path=f.source.path, graph_iri=f.source.graph_iri)
        for f in loaded.files
        if f.source.role is not Role.SHAPES
    ]
    manifest: dict[str, Any] = {
        "version": version.label,
        "content_hash": version.content_hash,
        "commit": version.commit,
        "triples": sum(len(f.triples) for f in loaded.files if f.source.role is not Role.SHAPES)
        + (len(reasoned.triples) if reasoned is not None else 0),
        "graphs": [f.graph_iri for f in files] + list(inferred) + [DESCRIPTION_GRAPH],
        "reasoned": reasoned is not None,
    }
    if reasoned is not None:
        manifest["inferred_triples"] = len(reasoned.triples)
        manifest["reasoner_input_hash"] = reasoned.input_hash
    store_dir = write_store(
        settings.build_dir,
        files,
        {DESCRIPTION_GRAPH: description.serialize(format="nt"), **inferred},
        manifest,
    )
    times["store"] = time.perf_counter() - t1
    return BuildResult(
        store_dir=store_dir,
        version=version,
        triples=manifest["triples"] + len(description),
        graphs=len(manifest["graphs"]),
        seconds=times,
        reasoned=reasoned,
    )
