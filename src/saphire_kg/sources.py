"""Which files are inputs, what role each plays, and the IRI of the named graph each becomes."""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from .config import Settings
from .errors import SaphireError
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


INPUT_FOLDERS = ("ontology", "shapes", "data/ttl")
WORKTREE = "WORKTREE"


def _git(root: Path, *args: str) -> bytes:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return proc.stdout


class GitError(SaphireError):
    """A git command failed (unknown revision, not a repository)."""


@dataclass
class RevisionFiles:
    """The input Turtle files as they are at a git revision, or in the working tree."""

    root: Path
    rev: str = WORKTREE

    def list(self) -> list[str]:
        if self.rev == WORKTREE:
            return sorted(
                p.relative_to(self.root).as_posix()
                for folder in INPUT_FOLDERS
                if (self.root / folder).is_dir()
                for p in (self.root / folder).rglob("*.ttl")
            )
        out = _git(self.root, "ls-tree", "-r", "--name-only", self.rev, "--", *INPUT_FOLDERS)
        return sorted(line for line in out.decode().splitlines() if line.endswith(".ttl"))

    def read(self, rel: str) -> bytes | None:
        if self.rev == WORKTREE:
            path = self.root / rel
            return path.read_bytes() if path.is_file() else None
        try:
            return _git(self.root, "show", f"{self.rev}:{rel}")
        except GitError:
            return None


def changed_files(root: Path, base: str = "HEAD") -> list[str]:
    """Input files that differ between `base` and the working tree, untracked ones included.

    In a repository without commits yet, every input file is new.
    """
    try:
        _git(root, "rev-parse", "--verify", "--quiet", base)
    except GitError:
        if base == "HEAD" and not _git(root, "rev-list", "--all", "--max-count=1").strip():
            return RevisionFiles(root).list()
        raise
    tracked = _git(root, "diff", "--name-only", base, "--", *INPUT_FOLDERS).decode().splitlines()
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", *INPUT_FOLDERS).decode().splitlines()
    return sorted({p for p in tracked + untracked if p.endswith(".ttl")})
