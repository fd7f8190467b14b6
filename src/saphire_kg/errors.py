"""The one exception tree of saphire-kg; every error carries what a person needs to act on it.

    SaphireError
    ├── InputError              an input file cannot be read or parsed (file, line, column)
    ├── ValidationFailed        SHACL found violations (the findings)
    ├── ImportFailed            a reference import found data it cannot represent
    └── BuildError              the store could not be written (previous build kept)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SaphireError(Exception):
    """Base of every error saphire-kg raises on purpose."""


@dataclass
class InputError(SaphireError):
    """An input file cannot be parsed; rendered like a compiler error."""

    path: Path
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: error: {self.message}"


class ValidationFailed(SaphireError):
    """The data violates shapes; `findings` holds every finding, violations first."""

    def __init__(self, findings: list[Any]) -> None:  # validate.Finding (a later stage)
        self.findings = findings
        n = sum(1 for f in findings if f.severity == "violation")
        super().__init__(f"{n} violation(s)")


class ImportFailed(SaphireError):
    """A reference import met data it cannot represent faithfully."""


class BuildError(SaphireError):
    """The store could not be written; the previous build is untouched."""
