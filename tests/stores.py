"""Small on-disk stores for tests: named graphs from Turtle text, written like a build writes them."""

from __future__ import annotations

from pathlib import Path

from saphire_kg.store import GraphFile, write_store

VOID_GRAPH = "https://w3id.org/saphire/graph/void"
DATASET = "https://w3id.org/saphire/id/dataset/saphire-kg"

PEOPLE = {
    "http://example.org/graph/people": """
        @prefix foaf: <http://xmlns.com/foaf/0.1/> .
        <http://example.org/alice> a foaf:Person ; foaf:name "Alice" ; foaf:knows <http://example.org/bob> .
        <http://example.org/bob> a foaf:Person ; foaf:name "Bob"@en .
    """,
    "http://example.org/graph/numbers": "".join(
        f"<http://example.org/n{i}> <http://example.org/value> {i} .\n" for i in range(40)
    ),
}


def void_ntriples(graphs: dict[str, str], counts: dict[str, int], version: str) -> str:
    lines = [
        f'<{DATASET}> <http://www.w3.org/2002/07/owl#versionInfo> "{version}" .',
        f'<{DATASET}> <http://rdfs.org/ns/void#triples> "{sum(counts.values())}"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    ]
    for iri in graphs:
        lines.append(f"<{DATASET}> <http://rdfs.org/ns/void#subset> <{iri}> .")
        lines.append(
            f'<{iri}> <http://rdfs.org/ns/void#triples> "{counts[iri]}"^^<http://www.w3.org/2001/XMLSchema#integer> .'
        )
    return "\n".join(lines) + "\n"


def write_test_store(build_dir: Path, graphs: dict[str, str], version: str = "test-1") -> Path:
    """Write `graphs` (IRI -> Turtle) and a VoID graph describing them into `build_dir/store`."""
    import pyoxigraph as ox

    src = build_dir / "src"
    src.mkdir(parents=True, exist_ok=True)
    files, counts = [], {}
    for i, (iri, text) in enumerate(sorted(graphs.items())):
        path = src / f"g{i}.ttl"
        path.write_text(text, encoding="utf-8")
        counts[iri] = len(list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)))
        files.append(GraphFile(path=path, graph_iri=iri))
    return write_store(
        build_dir, files, {VOID_GRAPH: void_ntriples(graphs, counts, version)}, {"version": version}
    )
