"""Which files are inputs, what role each plays, and the IRI of the named graph each becomes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from .config import Settings
from .namespaces import GRAPH


class Role(Enum):
    ONTOLOGY = "ontology"
    SHAPES = "shapes"
    DATA = "data"


@dataclass(frozen=True)
class SourceFile:
    """One input Turtle file."""

    path: Path  # absolute
    rel: str  # relative to the project root, with forward slashes: how findings name it
    role: Role

    @property
    def graph_iri(self) -> str:
        return str(GRAPH[self.rel])


@dataclass(frozen=True)
class Inputs:
    """All input files of a checkout, sorted; ontology, shapes and data."""

    root: Path
    files: tuple[SourceFile, ...]

    def by_role(self, role: Role) -> list[SourceFile]:
        return [f for f in self.files if f.role is role]

    def find(self, path: Path) -> SourceFile | None:
        resolved = path.resolve()
        return next((f for f in self.files if f.path == resolved), None)

    def content_hash(self) -> str:
        """sha256 over every input's path and bytes: the dataset version."""
        h = hashlib.sha256()
        for f in self.files:
            h.update(f.rel.encode())
            h.update(b"\0")
            h.update(hashlib.sha256(f.path.read_bytes()).digest())
        return h.hexdigest()


def _collect(root: Path, folder: Path, role: Role) -> list[SourceFile]:
    if not folder.is_dir():
        return []
    return [
        SourceFile(path=p.resolve(), rel=p.resolve().relative_to(root).as_posix(), role=role)
        for p in sorted(folder.rglob("*.ttl"))
    ]


def discover(settings: Settings) -> Inputs:
    root = settings.root.resolve()
    files = (
        _collect(root, settings.ontology_dir, Role.ONTOLOGY)
        + _collect(root, settings.shapes_dir, Role.SHAPES)
        + _collect(root, settings.data_dir, Role.DATA)
    )
    return Inputs(root=root, files=tuple(files))
