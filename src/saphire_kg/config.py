"""Settings: where the inputs and outputs live; the only module that reads the environment."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


def _find_root(start: Path) -> Path:
    for candidate in (start, *start.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "ontology").is_dir():
            return candidate
    return start


@dataclass(frozen=True)
class Settings:
    """Paths of one project checkout; every stage takes what it needs from here."""

    root: Path

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def data_dir(self) -> Path:
        return self.root / "data" / "ttl"

    @property
    def reference_dir(self) -> Path:
        return self.root / "data" / "reference"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def cache_dir(self) -> Path:
        return self.build_dir / ".cache"

    @property
    def java(self) -> str | None:
        """The Java executable HermiT runs on (`java` on the PATH), or None when there is none."""
        return shutil.which("java")

    @classmethod
    def from_env(cls, cwd: Path | None = None) -> Settings:
        """`SAPHIRE_ROOT` if set, else the checkout containing the working directory."""
        root = os.environ.get("SAPHIRE_ROOT")
        if root:
            return cls(root=Path(root).resolve())
        return cls(root=_find_root((cwd or Path.cwd()).resolve()))
